#include "config.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/jsonmem.h"

enum { ST_VALUE, ST_STRING, ST_ESCAPE, ST_BARE };

/* What a byte is outside strings; BARE: of a number or true/false/null
 * (or of garbage json-c refuses). */
enum { OTHER, OPEN_OBJECT, OPEN_ARRAY, CLOSE, QUOTE, BARE };
static const unsigned char kind[256] = {
	['{'] = OPEN_OBJECT, ['['] = OPEN_ARRAY, ['}'] = CLOSE, [']'] = CLOSE, ['"'] = QUOTE,
	['0' ... '9'] = BARE, ['a' ... 'z'] = BARE, ['A' ... 'Z'] = BARE,
	['+'] = BARE, ['-'] = BARE, ['.'] = BARE,
};
/* Bytes that end a run of string text. */
static const unsigned char string_stop[256] = { ['"'] = 1, ['\\'] = 1 };

void cp_json_scan_init(struct cp_json_scan *s)
{
	*s = (struct cp_json_scan){ .state = ST_VALUE };
}

size_t cp_json_scan(struct cp_json_scan *s, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned state = s->state, depth = s->depth;
	uint64_t objects = 0, arrays = 0, scalars = 0, depth_sum = 0;
	bool done = s->done;
	size_t i = 0;

	/* all in locals: this loop sees every byte QEMU sends */
	while (i < n && !done) {
		unsigned k;

		if (state == ST_ESCAPE) {
			state = ST_STRING;
			i++;
			continue;
		}
		if (state == ST_BARE) {
			while (i < n && kind[u[i]] == BARE)
				i++;
			if (i == n)
				break;
			state = ST_VALUE;
			if (depth == 0) {	/* the byte after a top-level number is not its */
				done = true;
				break;
			}
		}
		if (state == ST_VALUE) {
			/* spaces, commas and colons */
			while (i < n && kind[u[i]] == OTHER)
				i++;
			if (i == n)
				break;
			k = kind[u[i++]];
			if (k == CLOSE) {
				if (depth && --depth == 0)
					done = true;
				continue;
			}
			/* a value starts */
			depth_sum += depth;
			if (k == OPEN_OBJECT) {
				objects++;
				depth++;
				continue;
			}
			if (k == OPEN_ARRAY) {
				arrays++;
				depth++;
				continue;
			}
			scalars++;
			if (k == BARE) {
				state = ST_BARE;
				continue;
			}
			state = ST_STRING;
		}
		/* in a string: most bytes of a text are */
		while (i < n && !string_stop[u[i]])
			i++;
		if (i == n)
			break;
		if (u[i++] == '\\') {
			state = ST_ESCAPE;
			continue;
		}
		state = ST_VALUE;
		done = depth == 0;
	}
	s->state = (unsigned char)state;
	s->depth = depth;
	s->done = done;
	s->started |= objects + arrays + scalars > 0;
	s->objects += objects;
	s->arrays += arrays;
	s->scalars += scalars;
	s->depth_sum += depth_sum;
	s->bytes += i;
	return i;
}

void cp_json_scan_all(struct cp_json_scan *s, const char *p, size_t n)
{
	while (n) {
		size_t used = cp_json_scan(s, p, n);

		p += used;
		n -= used;
		if (s->done) {
			s->done = s->started = false;
			s->depth = 0;
			s->state = ST_VALUE;
		}
	}
}

uint64_t cp_json_scan_cost(const struct cp_json_scan *s)
{
	return s->bytes * CP_JSON_COST_BYTE + s->objects * CP_JSON_COST_OBJECT +
	       s->arrays * CP_JSON_COST_ARRAY + s->scalars * CP_JSON_COST_SCALAR +
	       s->depth_sum * CP_JSON_COST_DEPTH;
}

uint64_t cp_json_scan_values(const struct cp_json_scan *s)
{
	return s->objects + s->arrays + s->scalars;
}

/* ---- the budget ---- */

static uint64_t budget_used;
static uint64_t budget_limit = CP_JSON_BUDGET;

/* Releases this large hand freed memory back (malloc_trim): probes run in
 * threads with malloc arenas of their own, so memory one conversation
 * freed would otherwise stay resident beside the next one's. */
#define TRIM_AT ((uint64_t)32 << 20)

int cp_json_budget_take(uint64_t cost)
{
	uint64_t lim = __atomic_load_n(&budget_limit, __ATOMIC_RELAXED);
	uint64_t cur = __atomic_load_n(&budget_used, __ATOMIC_RELAXED);

	do {
		if (cost > lim || cur > lim - cost)
			return -ENOBUFS;
	} while (!__atomic_compare_exchange_n(&budget_used, &cur, cur + cost, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return 0;
}

void cp_json_budget_give(uint64_t cost)
{
	if (!cost)
		return;
	__atomic_sub_fetch(&budget_used, cost, __ATOMIC_RELAXED);
#ifdef __GLIBC__
	if (cost >= TRIM_AT)
		malloc_trim(0);
#endif
}

uint64_t cp_json_budget_used(void)
{
	return __atomic_load_n(&budget_used, __ATOMIC_RELAXED);
}

void cp_json_budget_set_limit(uint64_t limit)
{
	__atomic_store_n(&budget_limit, limit ? limit : CP_JSON_BUDGET, __ATOMIC_RELAXED);
}

uint64_t cp_json_budget_limit(void)
{
	return __atomic_load_n(&budget_limit, __ATOMIC_RELAXED);
}

json_object *cp_json_parse_priced(const char *s, size_t len, int depth, uint64_t max_cost,
				  uint64_t *cost, int *why)
{
	struct cp_json_scan sc;

	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, s, len);
	return cp_json_parse_scanned(s, len, depth, &sc, max_cost, cost, why);
}

json_object *cp_json_parse_scanned(const char *s, size_t len, int depth, const struct cp_json_scan *sc,
				   uint64_t max_cost, uint64_t *cost, int *why)
{
	json_tokener *tok;
	json_object *o;
	uint64_t c = cp_json_scan_cost(sc);

	*cost = 0;
	if (c > max_cost) {
		*why = -E2BIG;
		return NULL;
	}
	if (cp_json_budget_take(c) < 0) {
		*why = -ENOBUFS;
		return NULL;
	}
	if (len > INT32_MAX || !(tok = json_tokener_new_ex(depth))) {
		cp_json_budget_give(c);
		*why = -EBADMSG;
		return NULL;
	}
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o) {
		cp_json_budget_give(c);
		*why = -EBADMSG;
		return NULL;
	}
	*cost = c;
	return o;
}
