/* CPU sets as the kernel writes them ("0-3,8-11" lists and "ff,00000001"
 * masks) and as libvirt prints them (ranges only for runs of two or more). */
#ifndef CP_UTIL_CPULIST_H
#define CP_UTIL_CPULIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest CPU number we accept; larger ids in a file are an error. */
#define CP_CPU_MAX 65536

struct cp_cpuset {
	uint64_t *bits;
	size_t nwords;
};

/* "0-3,8,10-11" (whitespace/newline at the end allowed; "" is empty). */
int cp_cpuset_parse_list(const char *s, struct cp_cpuset *out);
/* "00000000,00000003": comma-separated 32-bit hex groups, most significant first. */
int cp_cpuset_parse_mask(const char *s, struct cp_cpuset *out);
/* strerror() for the results of the two parsers above: -ERANGE is a CPU id
 * above CP_CPU_MAX, which must be said (never a CPU quietly left out). */
const char *cp_cpus_strerror(int rc);
/* libvirt's format: "0-1", "0,64", "0-5,12-17"; "" when empty.  Caller frees. */
char *cp_cpuset_format(const struct cp_cpuset *set);

void cp_cpuset_set(struct cp_cpuset *set, unsigned cpu);
bool cp_cpuset_has(const struct cp_cpuset *set, unsigned cpu);
unsigned cp_cpuset_count(const struct cp_cpuset *set);
bool cp_cpuset_equal(const struct cp_cpuset *a, const struct cp_cpuset *b);
/* Next member >= from, or -1. */
int cp_cpuset_next(const struct cp_cpuset *set, unsigned from);
void cp_cpuset_free(struct cp_cpuset *set);

#define cp_cpuset_foreach(set, cpu) \
	for (int cpu = cp_cpuset_next((set), 0); cpu >= 0; cpu = cp_cpuset_next((set), (unsigned)cpu + 1))

#endif
