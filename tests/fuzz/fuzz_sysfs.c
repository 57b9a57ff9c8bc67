/* Fuzz target: the small parsers of sysfs/procfs text and recorded facts.
 * Every parser gets the whole input (they are cheap and independent):
 * node meminfo (MemTotal), a hugepages directory name, a hugepage counter,
 * a cache size with its unit, /proc/cpuinfo's microcode and address sizes
 * lines, and the recorded "emulators" fact. */
#include "config.h"

#include <assert.h>
#include <stdlib.h>

#include "fuzz.h"
#include "host/cpu.h"
#include "host/sysfs.h"
#include "guests/guests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct cp_guest_bin *bins = NULL;
	uint64_t u64;
	unsigned u;
	size_t n = 0;

	cp_sysfs_parse_meminfo_total(s, &u64);
	cp_sysfs_parse_hugepages_name(s, &u);
	cp_sysfs_parse_count_nl(s, &u64);
	cp_sysfs_parse_scaled(s, &u64);
	cp_x86_parse_microcode(s, &u);
	cp_x86_parse_physaddr(s, &u);
	if (cp_guest_bins_parse(s, &bins, &n) == 0) {
		/* what parses must format to text that parses the same way */
		char *t = cp_guest_bins_format(bins, n);
		struct cp_guest_bin *again = NULL;
		size_t m = 0;

		assert(cp_guest_bins_parse(t, &again, &m) == 0 && m == n);
		for (size_t i = 0; i < n; i++)
			assert(again[i].arch == bins[i].arch && !strcmp(again[i].binary, bins[i].binary));
		cp_guest_bins_free(again, m);
		free(t);
	}
	cp_guest_bins_free(bins, n);
	cp_clear_error();
	free(s);
	return 0;
}
