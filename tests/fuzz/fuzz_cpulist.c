/* Fuzz target: the kernel's CPU list ("0-3,8") and mask ("ff,00000001")
 * syntaxes (util/cpulist.h), which every sysfs topology file uses.  The
 * whole input is tried as both; what parses must format and re-parse to
 * the same set. */
#include "config.h"

#include <assert.h>
#include <stdlib.h>

#include "fuzz.h"
#include "util/cpulist.h"

static void roundtrip(const struct cp_cpuset *set)
{
	struct cp_cpuset again = { 0 };
	char *s = cp_cpuset_format(set);
	unsigned n = 0;

	/* libvirt's format is a list: it must read back as the same set */
	assert(cp_cpuset_parse_list(s, &again) == 0);
	assert(cp_cpuset_equal(set, &again));
	cp_cpuset_foreach(set, cpu) {
		assert(cpu < CP_CPU_MAX + 1);
		assert(cp_cpuset_has(set, (unsigned)cpu));
		n++;
	}
	assert(n == cp_cpuset_count(set));
	cp_cpuset_free(&again);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct cp_cpuset set = { 0 };

	if (cp_cpuset_parse_list(s, &set) == 0)
		roundtrip(&set);
	cp_cpuset_free(&set);
	if (cp_cpuset_parse_mask(s, &set) == 0)
		roundtrip(&set);
	cp_cpuset_free(&set);
	cp_clear_error();
	free(s);
	return 0;
}
