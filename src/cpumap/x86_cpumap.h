/* libvirt 11.3's x86 CPU map as C tables (generated into x86_cpumap.c by
 * scripts/gen-x86-cpumap).  Map order matters twice: the feature order is the
 * <feature> output order, and the model order is the decode walk order. */
#ifndef CP_CPUMAP_X86_CPUMAP_H
#define CP_CPUMAP_X86_CPUMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a bit per map feature (the generator checks the count). */
#define CP_X86_FEATURE_WORDS 8

enum { CP_X86_EAX, CP_X86_EBX, CP_X86_ECX, CP_X86_EDX };

struct cp_x86_vendor {
	const char *name;
	const char *string;		/* 12 bytes: leaf 0 EBX, EDX, ECX */
};

/* Every map feature is exactly one bit and no two share one. */
struct cp_x86_feature {
	const char *name;
	bool msr;
	uint32_t leaf;			/* CPUID leaf, or the MSR index */
	uint32_t subleaf;		/* CPUID only */
	uint8_t reg;			/* CP_X86_E?X, CPUID only */
	uint8_t bit;			/* 0-31 in reg, or 0-63 in the MSR value */
};

struct cp_x86_signature {
	uint16_t family, model;
	uint16_t steppings;		/* bit n: stepping n matches; 0xffff when unset */
};

struct cp_x86_model {
	const char *name;
	bool decode_host;
	int vendor;			/* index in cp_x86_vendors, -1: any vendor */
	const struct cp_x86_signature *sigs;
	size_t nsigs;
	const uint16_t *features;	/* decode data: ascending feature indices */
	size_t nfeatures;
};

extern const char cp_x86_cpumap_version[];
extern const struct cp_x86_vendor cp_x86_vendors[];
extern const size_t cp_x86_nvendors;
extern const struct cp_x86_feature cp_x86_features[];
extern const size_t cp_x86_nfeatures;
extern const struct cp_x86_model cp_x86_models[];
extern const size_t cp_x86_nmodels;
extern const uint32_t cp_x86_msr_indices[];
extern const size_t cp_x86_nmsr_indices;

#endif
