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

/* An entry of a schema indexed from text: parsed on first lookup. */
struct lazy {
	const char *name;		/* into text, not NUL-terminated */
	size_t name_len;
	uint32_t hash;			/* of the name */
	size_t start, len;		/* the entry's span in text */
	json_object *parsed;		/* NULL until looked up (or unparsable) */
	bool tried;
};

struct cp_schema {
	json_object *byname;		/* name -> entry; NULL for a text index */
	const char *text;		/* borrowed (cp_schema_new_text) */
	struct lazy *v;			/* in answer order */
	size_t n;
	/* open addressing over v: index + 1, 0 empty; a power of two at
	 * least twice n (lookups are few, building it must be cheap) */
	uint32_t *slots;
	size_t mask;
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

/* ---- the text index ---- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

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

/* The "name" member of the object at p (a plain string), and its end. */
static const char *entry_name(const char *p, const char *end, const char **name, size_t *len)
{
	*name = NULL;
	p = skip_ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *k = p + 1, *ke = skip_string(p, end), *v;

		if (!ke || (p = skip_ws(ke, end)) >= end || *p != ':')
			return NULL;
		v = skip_ws(p + 1, end);
		if (!(p = cp_json_skip(v, end)))
			return NULL;
		if (ke - k - 1 == 4 && memcmp(k, "name", 4) == 0 && *v == '"' &&
		    !memchr(v + 1, '\\', (size_t)(p - v - 2))) {
			*name = v + 1;
			*len = (size_t)(p - v - 2);
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	return p < end && *p == '}' ? p + 1 : NULL;
}

/* FNV-1a */
static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The slot holding that name, or the empty one where it would go. */
static uint32_t *find_slot(const struct cp_schema *s, const char *name, size_t len, uint32_t h)
{
	for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
		const struct lazy *e;

		if (!s->slots[i])
			return &s->slots[i];
		e = &s->v[s->slots[i] - 1];
		if (e->hash == h && e->name_len == len && memcmp(e->name, name, len) == 0)
			return &s->slots[i];
	}
}

static void build_slots(struct cp_schema *s)
{
	size_t cap = 16;

	while (cap < 2 * s->n)
		cap *= 2;
	s->slots = cp_calloc(cap, sizeof(*s->slots));
	s->mask = cap - 1;
	/* in answer order, so that of two entries of one name the last
	 * stays, as in cp_schema_new() */
	for (size_t i = 0; i < s->n; i++)
		*find_slot(s, s->v[i].name, s->v[i].name_len, s->v[i].hash) = (uint32_t)(i + 1);
}

struct cp_schema *cp_schema_new_text(const char *text, size_t len)
{
	struct cp_schema *s = cp_calloc(1, sizeof(*s));
	const char *p, *end;
	size_t cap = 0;

	s->text = text;
	p = skip_ws(s->text, s->text + len);
	end = s->text + len;
	if (p >= end || *p != '[')
		return s;
	p = skip_ws(p + 1, end);
	while (p < end && *p != ']') {
		const char *name, *e;
		size_t nlen;

		/* garbage: what was indexed so far stands, as with a bad
		 * entry in cp_schema_new() */
		if (*p != '{' || !(e = entry_name(p, end, &name, &nlen)))
			break;
		if (name) {
			if (s->n == cap) {
				cap = cap ? 2 * cap : 1024;
				s->v = cp_realloc(s->v, cap * sizeof(*s->v));
			}
			s->v[s->n] = (struct lazy){
				.name = name, .name_len = nlen, .hash = name_hash(name, nlen),
				.start = (size_t)(p - s->text), .len = (size_t)(e - p),
			};
			s->n++;
		}
		p = skip_ws(e, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	/* slot values are 32-bit; a schema is some thousand entries */
	if (s->n >= UINT32_MAX)
		s->n = 0;
	if (s->n)
		build_slots(s);
	return s;
}

/* The entry of that name (the last one, as cp_schema_new() keeps), parsed
 * now if it was not yet. */
static json_object *lazy_lookup(const struct cp_schema *s, const char *name)
{
	size_t len = strlen(name);
	uint32_t *slot;
	struct lazy *e;

	if (!s->n)
		return NULL;
	slot = find_slot(s, name, len, name_hash(name, len));
	if (!*slot)
		return NULL;
	e = &s->v[*slot - 1];
	if (!e->tried) {
		struct json_tokener *tok = json_tokener_new();

		e->tried = true;
		if (!tok)
			cp_oom();
		e->parsed = json_tokener_parse_ex(tok, s->text + e->start, (int)e->len);
		if (e->parsed && (json_tokener_get_error(tok) != json_tokener_success ||
				  !json_object_is_type(e->parsed, json_type_object))) {
			json_object_put(e->parsed);
			e->parsed = NULL;
		}
		json_tokener_free(tok);
	}
	return e->parsed;
}

void cp_schema_free(struct cp_schema *s)
{
	if (!s)
		return;
	json_object_put(s->byname);
	for (size_t i = 0; i < s->n; i++)
		json_object_put(s->v[i].parsed);
	free(s->v);
	free(s->slots);
	free(s);
}

static json_object *lookup(const struct cp_schema *s, const char *name)
{
	json_object *e;

	if (!name)
		return NULL;
	if (!s->byname)
		return lazy_lookup(s, name);
	if (!json_object_object_get_ex(s->byname, name, &e))
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
