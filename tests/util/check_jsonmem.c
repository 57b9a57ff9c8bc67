/* util/jsonmem.c: the scanner's counts, the budget, and that the price of
 * a text covers what json-c really allocates for it. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/jsonmem.h"

static struct cp_json_scan scan_text(const char *s, size_t *used)
{
	struct cp_json_scan sc;

	cp_json_scan_init(&sc);
	*used = cp_json_scan(&sc, s, strlen(s));
	return sc;
}

START_TEST(counts)
{
	size_t used;
	struct cp_json_scan sc = scan_text("{\"a\": [1, \"x\", {}], \"b\": null} trailing", &used);

	ck_assert(sc.done);
	ck_assert_uint_eq(used, strlen("{\"a\": [1, \"x\", {}], \"b\": null}"));
	ck_assert_uint_eq(sc.objects, 2);
	ck_assert_uint_eq(sc.arrays, 1);
	ck_assert_uint_eq(sc.scalars, 5);	/* keys a, b; 1, "x", null */
	/* depths: {}0 a1 [1 1:2 x:2 {}:2 b1 null1 */
	ck_assert_uint_eq(sc.depth_sum, 10);
	ck_assert_uint_eq(cp_json_scan_values(&sc), 8);
	ck_assert_uint_eq(cp_json_scan_cost(&sc),
			  used * CP_JSON_COST_BYTE + 2 * CP_JSON_COST_OBJECT + CP_JSON_COST_ARRAY +
			  5 * CP_JSON_COST_SCALAR + 10 * CP_JSON_COST_DEPTH);
}
END_TEST

START_TEST(strings_and_ends)
{
	size_t used;
	struct cp_json_scan sc = scan_text("{\"}\\\"{[\": \"]\"}{}", &used);

	/* braces and an escaped quote inside strings are text */
	ck_assert(sc.done);
	ck_assert_uint_eq(used, 14);
	ck_assert_uint_eq(sc.objects, 1);
	ck_assert_uint_eq(sc.scalars, 2);

	/* a top-level number ends before the byte after it */
	sc = scan_text("123 ", &used);
	ck_assert(sc.done);
	ck_assert_uint_eq(used, 3);

	/* an unfinished value asks for more, across calls */
	cp_json_scan_init(&sc);
	ck_assert_uint_eq(cp_json_scan(&sc, "[[{\"a", 5), 5);
	ck_assert(!sc.done);
	ck_assert_uint_eq(cp_json_scan(&sc, "\\\"\":1}]] ", 9), 8);
	ck_assert(sc.done);
	ck_assert_uint_eq(sc.scalars, 2);

	/* several values, all priced */
	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, "{} [] 7 \"s\"", 11);
	ck_assert_uint_eq(cp_json_scan_values(&sc), 4);
	ck_assert_uint_eq(sc.bytes, 11);
}
END_TEST

START_TEST(budget)
{
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	cp_json_budget_set_limit(1000);
	ck_assert_int_eq(cp_json_budget_take(600), 0);
	ck_assert_int_eq(cp_json_budget_take(500), -ENOBUFS);
	ck_assert_uint_eq(cp_json_budget_used(), 600);
	ck_assert_int_eq(cp_json_budget_take(400), 0);
	ck_assert_int_eq(cp_json_budget_take(1), -ENOBUFS);
	cp_json_budget_give(600);
	ck_assert_int_eq(cp_json_budget_take(500), 0);
	cp_json_budget_give(900);
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	ck_assert_int_eq(cp_json_budget_take(UINT64_MAX), -ENOBUFS);
	cp_json_budget_set_limit(0);
	ck_assert_uint_eq(cp_json_budget_limit(), CP_JSON_BUDGET);
}
END_TEST

START_TEST(parse_priced)
{
	const char *text = "{\"a\": [1, 2, 3]}";
	uint64_t cost, want;
	struct cp_json_scan sc;
	json_object *o;
	int why = 0;

	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, text, strlen(text));
	want = cp_json_scan_cost(&sc);
	o = cp_json_parse_priced(text, strlen(text), 8, want, &cost, &why);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(cost, want);
	ck_assert_uint_eq(cp_json_budget_used(), want);
	json_object_put(o);
	cp_json_budget_give(cost);

	ck_assert_ptr_null(cp_json_parse_priced(text, strlen(text), 8, want - 1, &cost, &why));
	ck_assert_int_eq(why, -E2BIG);
	cp_json_budget_set_limit(want - 1);
	ck_assert_ptr_null(cp_json_parse_priced(text, strlen(text), 8, want, &cost, &why));
	ck_assert_int_eq(why, -ENOBUFS);
	cp_json_budget_set_limit(0);
	ck_assert_ptr_null(cp_json_parse_priced("{} x", 4, 8, want, &cost, &why));
	ck_assert_int_eq(why, -EBADMSG);
	ck_assert_ptr_null(cp_json_parse_priced("[[[1]]]", 7, 2, want, &cost, &why));
	ck_assert_int_eq(why, -EBADMSG);
	/* nothing stays charged after a refusal */
	ck_assert_uint_eq(cp_json_budget_used(), 0);
}
END_TEST

/* ---- the weights cover json-c (glibc's count of bytes in use) ---- */

/* Measured with glibc's malloc only: a sanitizer's has other costs. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MEASURE 0
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#define MEASURE 1
#else
#define MEASURE 0
#endif

#if MEASURE
static size_t in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* n copies of item joined by ',' inside open/close */
static char *repeat(const char *open, const char *item, const char *close, size_t n)
{
	size_t il = strlen(item), len = strlen(open) + n * (il + 1) + strlen(close) + 1, p = 0;
	char *s = malloc(len);

	p += (size_t)sprintf(s, "%s", open);
	for (size_t i = 0; i < n; i++) {
		memcpy(s + p, item, il);
		p += il;
		if (i + 1 < n)
			s[p++] = ',';
	}
	strcpy(s + p, close);
	return s;
}

static void covers(const char *label, char *text)
{
	size_t len = strlen(text), before, during;
	struct cp_json_scan sc;
	json_tokener *tok;
	json_object *o;
	uint64_t cost;

	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, text, len);
	cost = cp_json_scan_cost(&sc);
	malloc_trim(0);
	before = in_use();
	/* fed in 64 KiB pieces, as qmp.c reads */
	tok = json_tokener_new_ex(128);
	o = NULL;
	for (size_t off = 0; off < len && !o; off += 65536)
		o = json_tokener_parse_ex(tok, text + off, (int)(len - off < 65536 ? len - off : 65536));
	during = in_use();
	ck_assert_msg(o, "%s: not parsed", label);
	/* the serialized copy --debug makes, on top */
	json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (in_use() > during)
		during = in_use();
	ck_assert_msg(during > before, "%s: nothing measured", label);
	ck_assert_msg(during - before <= cost, "%s: json-c took %zu bytes, priced %llu", label,
		      during - before, (unsigned long long)cost);
	json_object_put(o);
	json_tokener_free(tok);
	free(text);
}

START_TEST(weights_cover_json_c)
{
	char key[32];
	char *many_keys;
	size_t p;

	covers("empty objects", repeat("[", "{}", "]", 200000));
	covers("empty arrays", repeat("[", "[]", "]", 200000));
	covers("numbers", repeat("[", "0", "]", 200000));
	covers("doubles", repeat("[", "1.5", "]", 200000));
	covers("literals", repeat("[", "true", "]", 200000));
	covers("empty strings", repeat("[", "\"\"", "]", 200000));
	covers("objects of a key", repeat("[", "{\"a\":0}", "]", 200000));
	covers("nested pairs", repeat("[", "{\"a\":{}}", "]", 100000));
	covers("arrays of one", repeat("[", "[[0]]", "]", 100000));
	covers("escaped strings", repeat("[", "\"\\u00e9\\n\\\"\"", "]", 100000));
	covers("one long string", repeat("[\"", "xxxxxxxxxxxxxxx", "\"]", 200000));
	{
		char *deep = malloc(241);

		memset(deep, '[', 120);
		memset(deep + 120, ']', 120);
		deep[240] = '\0';
		covers("deep", deep);
	}
	/* one object of many keys: its table grows by doubling */
	many_keys = malloc(200000 * 16 + 16);
	p = (size_t)sprintf(many_keys, "{");
	for (int i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "\"k%d\":null,", i);
		p += (size_t)sprintf(many_keys + p, "%s", key);
	}
	strcpy(many_keys + p - 1, "}");
	covers("many keys", many_keys);
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("jsonmem");
	TCase *tc = tcase_create("jsonmem");

	tcase_add_test(tc, counts);
	tcase_add_test(tc, strings_and_ends);
	tcase_add_test(tc, budget);
	tcase_add_test(tc, parse_priced);
#if MEASURE
	tcase_add_test(tc, weights_cover_json_c);
#endif
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
