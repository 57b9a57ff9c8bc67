#include "config.h"

#include <string.h>

#include "json.h"

json_object *cp_json_member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

json_object *cp_json_typed(json_object *o, const char *key, json_type t)
{
	json_object *v = cp_json_member(o, key);

	return v && json_object_is_type(v, t) ? v : NULL;
}

const char *cp_json_str(json_object *o, const char *key)
{
	json_object *v = cp_json_typed(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

bool cp_json_true(json_object *o, const char *key)
{
	json_object *v = cp_json_typed(o, key, json_type_boolean);

	return v && json_object_get_boolean(v);
}

json_object *cp_json_find_named(json_object *a, const char *key, const char *name)
{
	size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *s = key ? cp_json_str(e, key)
				    : json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;

		if (s && strcmp(s, name) == 0)
			return e;
	}
	return NULL;
}
