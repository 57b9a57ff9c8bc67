/* What JSON costs in memory once json-c has built it, reckoned from the
 * text before json-c sees it, and one budget for all the JSON the process
 * holds.  Every JSON text from outside (QMP, replays, cache entries,
 * firmware descriptors, swtpm) is priced with the scanner here, checked
 * against its own cap and charged to the budget before it is parsed, so a
 * text of tiny values ("[{},{},...]") is refused instead of costing 270
 * times its size.
 *
 * The weights are upper bounds of what json-c 0.16 allocates on a 64-bit
 * glibc system, measured (tests/util/check_jsonmem.c checks them against
 * malloc's own count for the costliest shapes):
 *   an object   ~0.8 KiB (its hash table starts with 16 entries)
 *   an array    ~0.15 KiB (32 slots)
 *   a string, number, true/false/null, or an object key with its share of
 *               the hash table: 72 to 210 bytes
 * Each byte of text is counted 5 times: string contents kept, the tokener's
 * buffer (twice the longest token), and the serialized copy --debug and
 * --record make; each level of nesting of each value 8 times more (the
 * indentation --record writes, in a buffer that doubles). */
#ifndef CP_UTIL_JSONMEM_H
#define CP_UTIL_JSONMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CP_JSON_COST_OBJECT 1024u
#define CP_JSON_COST_ARRAY 384u
#define CP_JSON_COST_SCALAR 256u	/* also each object key */
#define CP_JSON_COST_BYTE 5u
#define CP_JSON_COST_DEPTH 8u		/* per value, per enclosing container */

/* All the JSON the process holds or is parsing at once, in cost units
 * (bytes).  json-c takes at most 3/4 of the price (empty objects; real
 * answers about 2/5); with capsprobe's own memory (about 15 MiB) and what
 * the rules derive from the answers, a whole run stays under 1 GiB. */
#define CP_JSON_BUDGET ((uint64_t)768 << 20)

/* A lexer just good enough to price JSON text: it counts values and finds
 * where a top-level value ends.  On text that is not JSON it still
 * counts something (json-c refuses that text anyway). */
struct cp_json_scan {
	uint64_t bytes, objects, arrays, scalars, depth_sum;
	unsigned depth;		/* containers open */
	unsigned char state;
	bool started;		/* a top-level value began */
	bool done;		/* ... and ended */
};

/* Start pricing a new text (counts and state zeroed). */
void cp_json_scan_init(struct cp_json_scan *s);
/* Price up to n bytes of one top-level value: returns how many were
 * taken, fewer than n when the value ended (s->done) with that byte. */
size_t cp_json_scan(struct cp_json_scan *s, const char *p, size_t n);
/* Price all n bytes, any number of top-level values (counts add up). */
void cp_json_scan_all(struct cp_json_scan *s, const char *p, size_t n);
/* The cost of what was scanned so far. */
uint64_t cp_json_scan_cost(const struct cp_json_scan *s);
/* JSON values scanned (objects, arrays, scalars and keys). */
uint64_t cp_json_scan_values(const struct cp_json_scan *s);

/* The process budget.  take: 0, or -ENOBUFS when cost would bring the
 * total over the limit (nothing taken, no message formed). */
int cp_json_budget_take(uint64_t cost);
/* Give back what take() gave; large amounts also hand freed memory back
 * to the system, so that the next holder's memory is not added to it. */
void cp_json_budget_give(uint64_t cost);
uint64_t cp_json_budget_used(void);
/* Tests: another limit (0: CP_JSON_BUDGET). */
void cp_json_budget_set_limit(uint64_t limit);
uint64_t cp_json_budget_limit(void);

/* Parse exactly len bytes as one JSON value at most depth deep, when its
 * cost is at most max_cost and the budget has it.  The object, with
 * *cost (to give back once it is freed) charged; or NULL and *why:
 * -E2BIG over max_cost, -ENOBUFS over the budget, -EBADMSG not one JSON
 * value (no message formed). */
json_object *cp_json_parse_priced(const char *s, size_t len, int depth, uint64_t max_cost,
				  uint64_t *cost, int *why);

/* The same for text already priced: sc is the scan of exactly these len
 * bytes (one value), so that a caller that had to scan the text to find
 * where the value ends does not scan it again. */
json_object *cp_json_parse_scanned(const char *s, size_t len, int depth, const struct cp_json_scan *sc,
				   uint64_t max_cost, uint64_t *cost, int *why);

/* "768 MiB" style, for messages. */
#define CP_MIB(x) ((unsigned long long)((x) >> 20))

#endif
