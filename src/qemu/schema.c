#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "util/err.h"

/* Paths are short; deeper nesting than this means a looping schema. */
#define MAX_DEPTH 32
#define MAX_COMPONENTS 16

struct cp_schema {
	json_object *byname;		/* name -> entry */
};

struct cp_schema *cp_schema_new(json_object *answer)
{
	struct cp_schema *s = cp_calloc(1, sizeof(*s));
	size_t n;

	s->byname = json_object_new_object();
	if (!s->byname)
		cp_oom();
	if (!json_object_is_type(answer, json_type_array))
		return s;
	n = json_object_array_length(answer);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(answer, i), *name;

		if (!json_object_object_get_ex(e, "name", &name) ||
		    !json_object_is_type(name, json_type_string))
			continue;
		json_object_object_add(s->byname, json_object_get_string(name),
				       json_object_get(e));
	}
	return s;
}

void cp_schema_free(struct cp_schema *s)
{
	if (!s)
		return;
	json_object_put(s->byname);
	free(s);
}

static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *array_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static json_object *lookup(const struct cp_schema *s, const char *name)
{
	json_object *e;

	if (!name || !json_object_object_get_ex(s->byname, name, &e))
		return NULL;
	return e;
}

/* Does the string array arr (or arr of objects with "name") hold v? */
static json_object *find_named(json_object *arr, const char *key, const char *v)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *name = key ? str_member(e, key)
				       : (json_object_is_type(e, json_type_string)
						  ? json_object_get_string(e) : NULL);

		if (name && strcmp(name, v) == 0)
			return e;
	}
	return NULL;
}

static bool has_feature(json_object *e, const char *feat)
{
	return find_named(array_member(e, "features"), NULL, feat) != NULL;
}

static bool walk(const struct cp_schema *s, json_object *e, char **q, int depth);

static bool walk_type(const struct cp_schema *s, const char *type, char **q, int depth)
{
	json_object *e = lookup(s, type);

	return e && walk(s, e, q, depth + 1);
}

static bool walk(const struct cp_schema *s, json_object *e, char **q, int depth)
{
	const char *meta = str_member(e, "meta-type");
	const char *c = q[0];

	if (!c)
		return true;
	if (depth > MAX_DEPTH || !meta)
		return false;

	if (strcmp(meta, "command") == 0 || strcmp(meta, "event") == 0) {
		if (c[0] == '$')
			return !q[1] && has_feature(e, c + 1);
		if (strcmp(c, "arg-type") != 0 && strcmp(c, "ret-type") != 0)
			return false;
		return walk_type(s, str_member(e, c), q + 1, depth);
	}
	if (strcmp(meta, "object") == 0) {
		json_object *m;

		switch (c[0]) {
		case '$':
			return !q[1] && has_feature(e, c + 1);
		case '+':
			m = find_named(array_member(e, "variants"), "case", c + 1);
			return m && walk_type(s, str_member(m, "type"), q + 1, depth);
		case '*':
			m = find_named(array_member(e, "members"), "name", c + 1);
			if (!m || !json_object_object_get_ex(m, "default", NULL))
				return false;
			return walk_type(s, str_member(m, "type"), q + 1, depth);
		default:
			m = find_named(array_member(e, "members"), "name", c);
			return m && walk_type(s, str_member(m, "type"), q + 1, depth);
		}
	}
	if (strcmp(meta, "array") == 0)
		return walk_type(s, str_member(e, "element-type"), q, depth);
	if (strcmp(meta, "alternate") == 0) {
		json_object *ms = array_member(e, "members");
		size_t n = ms ? json_object_array_length(ms) : 0;

		for (size_t i = 0; i < n; i++)
			if (walk_type(s, str_member(json_object_array_get_idx(ms, i), "type"), q, depth))
				return true;
		return false;
	}
	if (strcmp(meta, "enum") == 0) {
		json_object *v;

		if (c[0] != '^')
			return false;
		/* QEMU >= 6.2 describes values in "members", older ones in "values". */
		v = find_named(array_member(e, "members"), "name", c + 1);
		if (v) {
			if (!q[1])
				return true;
			return q[1][0] == '$' && !q[2] && has_feature(v, q[1] + 1);
		}
		return !q[1] && find_named(array_member(e, "values"), NULL, c + 1);
	}
	if (strcmp(meta, "builtin") == 0) {
		const char *jt = str_member(e, "json-type");

		return c[0] == '!' && !q[1] && jt && strcmp(jt, c + 1) == 0;
	}
	return false;
}

bool cp_schema_path_exists(const struct cp_schema *s, const char *path)
{
	char *copy, *q[MAX_COMPONENTS + 1], *save = NULL, *tok;
	size_t n = 0;
	bool ok = false;

	if (!s || !path || !*path)
		return false;
	copy = cp_strdup(path);
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == MAX_COMPONENTS)
			goto out;
		q[n++] = tok;
	}
	q[n] = NULL;
	if (n) {
		json_object *e = lookup(s, q[0]);

		ok = e && walk(s, e, q + 1, 0);
	}
out:
	free(copy);
	return ok;
}

bool cp_schema_has_command(const struct cp_schema *s, const char *name)
{
	json_object *e = s ? lookup(s, name) : NULL;
	const char *meta = e ? str_member(e, "meta-type") : NULL;

	return meta && strcmp(meta, "command") == 0;
}
