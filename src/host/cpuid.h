/* Raw x86 CPUID and MSR data, collected the way libvirt 11.3 collects it for
 * the host CPU.  The walk asks a source for (leaf, subleaf) results; the
 * source is the CPUID instruction on the live host, or the recorded "cpuid"
 * fact, so that a replay walks exactly what the recording walked. */
#ifndef CP_HOST_CPUID_H
#define CP_HOST_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/path.h"

struct cp_cpuid_leaf {
	uint32_t leaf, subleaf;
	uint32_t eax, ebx, ecx, edx;
};

/* Kept sorted by (leaf, subleaf), one entry per pair. */
struct cp_cpuid_table {
	struct cp_cpuid_leaf *v;
	size_t n;
};

struct cp_msr_value {
	uint32_t index;
	uint64_t value;
};

struct cp_msr_table {
	struct cp_msr_value *v;
	size_t n;
};

/* A CPUID source: out = { eax, ebx, ecx, edx } for (leaf, subleaf). */
typedef void (*cp_cpuid_fn)(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Live instruction (zeros on non-x86 builds; see cp_cpuid_live_ok()). */
void cp_cpuid_live(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
bool cp_cpuid_live_ok(void);
/* Answer from a table (ctx is a const struct cp_cpuid_table *); pairs not
 * in the table read as zeros, like leaves that were not collected. */
void cp_cpuid_from_table(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Walk the basic and extended ranges with libvirt's subleaf rules, keeping
 * every non-zero result. */
void cp_cpuid_walk(cp_cpuid_fn fn, void *ctx, struct cp_cpuid_table *out);

const struct cp_cpuid_leaf *cp_cpuid_get(const struct cp_cpuid_table *t, uint32_t leaf, uint32_t subleaf);
/* Merge (OR) into the entry for the pair, or insert it in order. */
void cp_cpuid_add(struct cp_cpuid_table *t, const struct cp_cpuid_leaf *l);
void cp_cpuid_table_free(struct cp_cpuid_table *t);

/* Fact text <-> tables.  what names the source in error messages; a
 * malformed line gives -EBADMSG. */
char *cp_cpuid_format(const struct cp_cpuid_table *t);
int cp_cpuid_parse(const char *text, const char *what, struct cp_cpuid_table *out);
char *cp_msr_format(const struct cp_msr_table *t);
int cp_msr_parse(const char *text, const char *what, struct cp_msr_table *out);

const struct cp_msr_value *cp_msr_get(const struct cp_msr_table *t, uint32_t index);
void cp_msr_add(struct cp_msr_table *t, uint32_t index, uint64_t value);
void cp_msr_table_free(struct cp_msr_table *t);

/* The host's CPUID: the recorded fact, or the live walk (recorded).
 * -ENOENT when neither exists (not x86, or a tree recorded without it). */
int cp_cpuid_collect(const struct cp_root *r, struct cp_cpuid_table *out);
/* The MSRs of indices[] that can be read (msr device, then KVM); the rest
 * are simply absent.  Replayed from the "msr" fact when recorded. */
int cp_msr_collect(const struct cp_root *r, const uint32_t *indices, size_t n, struct cp_msr_table *out);

#endif
