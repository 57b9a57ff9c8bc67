#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/err.h"
#include "util/str.h"

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

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_object *cp_json_name_set(json_object *a, const char *key, const char *sub, const char *subkey)
{
	size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	struct cp_strv names = { 0 };
	json_object *set;
	bool is_set = true;

	/* already a name set (a cache load): nothing to do */
	for (size_t i = 0; i < n && is_set; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		is_set = json_object_is_type(e, json_type_string) &&
			 (i == 0 || strcmp(json_object_get_string(json_object_array_get_idx(a, i - 1)),
					   json_object_get_string(e)) < 0);
	}
	if (is_set && n)
		return json_object_get(a);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e)
									 : cp_json_str(e, key);
		json_object *subs = sub ? cp_json_typed(e, sub, json_type_array) : NULL;

		if (!s)
			continue;
		cp_strv_push(&names, cp_strdup(s));
		for (size_t k = 0; subs && k < json_object_array_length(subs); k++) {
			const char *t = cp_json_str(json_object_array_get_idx(subs, k), subkey);

			if (t)
				cp_strv_push(&names, cp_asprintf("%s.%s", s, t));
		}
	}
	if (names.n)
		qsort(names.v, names.n, sizeof(names.v[0]), cmp_name);
	if (!(set = json_object_new_array_ext((int)names.n)))
		cp_oom();
	for (size_t i = 0; i < names.n; i++)
		if (i == 0 || strcmp(names.v[i - 1], names.v[i]) != 0)
			json_object_array_add(set, json_object_new_string(names.v[i]));
	cp_strv_free(&names);
	return set;
}

bool cp_json_name_set_has(json_object *s, const char *name)
{
	size_t lo = 0, hi = json_object_is_type(s, json_type_array) ? json_object_array_length(s) : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		json_object *e = json_object_array_get_idx(s, mid);
		int c = strcmp(name, json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "");

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629's table),
 * or minus the length of the ill-formed one there: its maximal subpart (a
 * lead byte and the continuation bytes that fit it), at least one byte, as
 * Unicode's "U+FFFD substitution of maximal subparts" counts them. */
static int utf8_len(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	int n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return -1;
	/* the second byte's range rules out overlong forms, surrogates and
	 * values past U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return -1;
	for (int i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return -i;
	return n;
}

json_object *cp_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct cp_buf b = { 0 };
	json_object *o;
	int n;

	while (*p && (n = utf8_len(p)) > 0)
		p += n;
	if (!*p) {
		/* nearly every value: valid as it is */
		o = json_object_new_string(s);
	} else {
		cp_buf_add(&b, s, (size_t)(p - (const unsigned char *)s));
		while (*p) {
			n = utf8_len(p);
			if (n > 0) {
				cp_buf_add(&b, (const char *)p, (size_t)n);
				p += n;
			} else {
				cp_buf_add(&b, "\xef\xbf\xbd", 3);
				p += -n;
			}
		}
		o = json_object_new_string_len(b.s, (int)b.len);
		cp_buf_free(&b);
	}
	if (!o)
		cp_oom();
	return o;
}

char *cp_json_finish(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out;

	if (!s)
		cp_oom();
	out = cp_asprintf("%s\n", s);
	json_object_put(o);
	return out;
}
