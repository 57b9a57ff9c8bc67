/* Fuzz target: the recorded CPUID and MSR facts (host/cpuid.h) and the x86
 * decode that reads them.  Input: the "cpuid" fact text, optionally
 * followed by a line "%%" and the "msr" fact text.  A table that parses
 * must format to text that parses back to the same table; a libvirt-style
 * walk over the table (what a replayed walk sees) must stay inside it. */
#include "config.h"

#include <assert.h>
#include <stdlib.h>

#include "fuzz.h"
#include "host/cpu.h"
#include "host/cpuid.h"

static bool cpuid_equal(const struct cp_cpuid_table *a, const struct cp_cpuid_table *b)
{
	return a->n == b->n && (!a->n || !memcmp(a->v, b->v, a->n * sizeof(*a->v)));
}

/* Field by field: the struct has padding. */
static bool msr_equal(const struct cp_msr_table *a, const struct cp_msr_table *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].index != b->v[i].index || a->v[i].value != b->v[i].value)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *sep = strstr(s, "\n%%\n"), *msrtext = NULL;
	struct cp_cpuid_table cpuid = { 0 };
	struct cp_msr_table msr = { 0 };
	int rc1, rc2 = 0;

	if (sep) {
		sep[1] = '\0';
		msrtext = sep + 4;
	}
	rc1 = cp_cpuid_parse(s, "recorded /capsprobe/cpuid", &cpuid);
	if (msrtext)
		rc2 = cp_msr_parse(msrtext, "recorded /capsprobe/msr", &msr);
	if (rc1 == 0) {
		struct cp_cpuid_table again = { 0 }, walked = { 0 };
		char *t = cp_cpuid_format(&cpuid);

		assert(cp_cpuid_parse(t, "formatted", &again) == 0 && cpuid_equal(&cpuid, &again));
		free(t);
		cp_cpuid_walk(cp_cpuid_from_table, &cpuid, &walked);
		for (size_t i = 0; i < walked.n; i++)
			assert(cp_cpuid_get(&cpuid, walked.v[i].leaf, walked.v[i].subleaf));
		cp_cpuid_table_free(&again);
		cp_cpuid_table_free(&walked);
	}
	if (msrtext && rc2 == 0) {
		struct cp_msr_table again = { 0 };
		char *t = cp_msr_format(&msr);

		assert(cp_msr_parse(t, "formatted", &again) == 0 && msr_equal(&msr, &again));
		free(t);
		cp_msr_table_free(&again);
	}
	if (rc1 == 0 && rc2 == 0) {
		struct cp_x86_decoded d;

		if (cp_x86_decode(&cpuid, &msr, &d) == 0)
			cp_x86_decoded_free(&d);
	}
	cp_cpuid_table_free(&cpuid);
	cp_msr_table_free(&msr);
	cp_clear_error();
	free(s);
	return 0;
}
