#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/schema.h"
#include "util/err.h"
#include "util/json.h"

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

/* ---- skipping JSON text (the cache entry reader) ---- */

/* Bytes that end a run inside a string. */
static const unsigned char str_byte[256] = { ['"'] = 1, ['\\'] = 1 };

/* Past the string at p (which is '"'), or NULL.  Schema strings are short
 * (names, 5 bytes on average): a byte loop beats a memchr() call each. */
static inline const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (!str_byte[(unsigned char)*p])
			continue;
		if (*p == '"')
			return p + 1;
		p++;		/* a backslash escapes the next byte */
	}
	return NULL;
}

/* Bytes that end a scalar (NUL too, as it ends a C string) and bytes that
 * matter inside nesting. */
static const unsigned char scalar_end[256] = {
	['\0'] = 1, [','] = 1, ['}'] = 1, [']'] = 1,
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1,
};
static const unsigned char nest_byte[256] = {
	['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1,
};

/* Past the JSON value at p, or NULL.  Only strings and nesting are
 * followed: the entry is validated when it is parsed. */
const char *cp_json_skip(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p == '}' || *p == ']')
		return NULL;
	if (*p != '{' && *p != '[') {
		/* a scalar */
		while (p < end && !scalar_end[(unsigned char)*p])
			p++;
		return p;
	}
	for (;;) {
		switch (*p) {
		case '"':
			if (!(p = skip_string(p, end)))
				return NULL;
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		default:	/* '}' or ']' */
			p++;
			if (--depth == 0)
				return p;
			break;
		}
		while (p < end && !nest_byte[(unsigned char)*p])
			p++;
		if (p >= end)
			return NULL;
	}
}

void cp_schema_free(struct cp_schema *s)
{
	if (!s)
		return;
	json_object_put(s->byname);
	free(s);
}

static json_object *lookup(const struct cp_schema *s, const char *name)
{
	json_object *e;

	if (!name || !json_object_object_get_ex(s->byname, name, &e))
		return NULL;
	return e;
}

static bool has_feature(json_object *e, const char *feat)
{
	return cp_json_find_named(cp_json_member(e, "features"), NULL, feat) != NULL;
}

static bool walk(const struct cp_schema *s, json_object *e, char **q, int depth);

static bool walk_type(const struct cp_schema *s, const char *type, char **q, int depth)
{
	json_object *e = lookup(s, type);

	return e && walk(s, e, q, depth + 1);
}

static bool walk(const struct cp_schema *s, json_object *e, char **q, int depth)
{
	const char *meta = cp_json_str(e, "meta-type");
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
		return walk_type(s, cp_json_str(e, c), q + 1, depth);
	}
	if (strcmp(meta, "object") == 0) {
		json_object *m;

		switch (c[0]) {
		case '$':
			return !q[1] && has_feature(e, c + 1);
		case '+':
			m = cp_json_find_named(cp_json_member(e, "variants"), "case", c + 1);
			return m && walk_type(s, cp_json_str(m, "type"), q + 1, depth);
		case '*':
			m = cp_json_find_named(cp_json_member(e, "members"), "name", c + 1);
			if (!m || !json_object_object_get_ex(m, "default", NULL))
				return false;
			return walk_type(s, cp_json_str(m, "type"), q + 1, depth);
		default:
			m = cp_json_find_named(cp_json_member(e, "members"), "name", c);
			return m && walk_type(s, cp_json_str(m, "type"), q + 1, depth);
		}
	}
	if (strcmp(meta, "array") == 0)
		return walk_type(s, cp_json_str(e, "element-type"), q, depth);
	if (strcmp(meta, "alternate") == 0) {
		json_object *ms = cp_json_typed(e, "members", json_type_array);
		size_t n = ms ? json_object_array_length(ms) : 0;

		for (size_t i = 0; i < n; i++)
			if (walk_type(s, cp_json_str(json_object_array_get_idx(ms, i), "type"), q, depth))
				return true;
		return false;
	}
	if (strcmp(meta, "enum") == 0) {
		json_object *v;

		if (c[0] != '^')
			return false;
		/* QEMU >= 6.2 describes values in "members", older ones in "values". */
		v = cp_json_find_named(cp_json_member(e, "members"), "name", c + 1);
		if (v) {
			if (!q[1])
				return true;
			return q[1][0] == '$' && !q[2] && has_feature(v, q[1] + 1);
		}
		return !q[1] && cp_json_find_named(cp_json_member(e, "values"), NULL, c + 1);
	}
	if (strcmp(meta, "builtin") == 0) {
		const char *jt = cp_json_str(e, "json-type");

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
	const char *meta = e ? cp_json_str(e, "meta-type") : NULL;

	return meta && strcmp(meta, "command") == 0;
}

const char *const cp_schema_paths[CP_SCHEMA_PATH_COUNT] = {
	[CP_SCHEMA_SDL] = "query-display-options/ret-type/+sdl",
	[CP_SCHEMA_EGL_HEADLESS] = "query-display-options/ret-type/+egl-headless",
	[CP_SCHEMA_DISPLAY_DBUS] = "query-display-options/ret-type/+dbus",
	[CP_SCHEMA_BITMAP_TRANSFORM] =
		"migrate-set-parameters/arg-type/block-bitmap-mapping/bitmaps/transform",
	[CP_SCHEMA_NETDEV_STREAM] = "netdev_add/arg-type/+stream",
};

json_object *cp_schema_reduce(json_object *answer)
{
	size_t n = json_object_is_type(answer, json_type_array) ? json_object_array_length(answer) : 0;
	json_object *names, *set;
	struct cp_schema *s;
	size_t strings = 0;

	for (size_t i = 0; i < n; i++)
		strings += json_object_is_type(json_object_array_get_idx(answer, i), json_type_string);
	if (n && strings == n)	/* reduced already (a cache load) */
		return cp_json_name_set(answer, NULL, NULL, NULL);
	if (!(names = json_object_new_array()))
		cp_oom();
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(answer, i);
		const char *name = cp_json_str(e, "name"), *meta = cp_json_str(e, "meta-type");

		if (name && !strchr(name, '/') && meta && strcmp(meta, "command") == 0)
			json_object_array_add(names, json_object_new_string(name));
	}
	s = cp_schema_new(answer);
	for (int k = 0; k < CP_SCHEMA_PATH_COUNT; k++)
		if (cp_schema_path_exists(s, cp_schema_paths[k]))
			json_object_array_add(names, json_object_new_string(cp_schema_paths[k]));
	cp_schema_free(s);
	set = cp_json_name_set(names, NULL, NULL, NULL);
	json_object_put(names);
	return set;
}
