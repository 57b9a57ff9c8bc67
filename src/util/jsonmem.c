#include "config.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/jsonmem.h"

enum { ST_VALUE, ST_STRING, ST_ESCAPE, ST_BARE };

/* Bytes of a number or of true/false/null (and of garbage json-c refuses). */
static bool bare(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '+' || c == '-' || c == '.';
}

void cp_json_scan_init(struct cp_json_scan *s)
{
	*s = (struct cp_json_scan){ .state = ST_VALUE };
}

static void value(struct cp_json_scan *s, uint64_t *count)
{
	(*count)++;
	s->depth_sum += s->depth;
	s->started = true;
}

size_t cp_json_scan(struct cp_json_scan *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && !s->done) {
		unsigned char c = (unsigned char)p[i];

		switch (s->state) {
		case ST_STRING:
			if (c == '\\') {
				s->state = ST_ESCAPE;
			} else if (c == '"') {
				s->state = ST_VALUE;
				s->done = s->depth == 0;
			}
			i++;
			continue;
		case ST_ESCAPE:
			s->state = ST_STRING;
			i++;
			continue;
		case ST_BARE:
			if (bare(c)) {
				i++;
				continue;
			}
			s->state = ST_VALUE;
			if (s->depth == 0) {	/* the byte after a top-level number is not its */
				s->done = true;
				continue;
			}
			break;
		}
		if (c == '{' || c == '[') {
			value(s, c == '{' ? &s->objects : &s->arrays);
			s->depth++;
		} else if (c == '}' || c == ']') {
			if (s->depth && --s->depth == 0)
				s->done = true;
		} else if (c == '"') {
			value(s, &s->scalars);
			s->state = ST_STRING;
		} else if (bare(c)) {
			value(s, &s->scalars);
			s->state = ST_BARE;
		}
		i++;
	}
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
	json_tokener *tok;
	json_object *o;
	uint64_t c;

	*cost = 0;
	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, s, len);
	c = cp_json_scan_cost(&sc);
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
