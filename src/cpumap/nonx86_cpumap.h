/* libvirt's arm and ppc64 CPU maps as C tables (generated into arm_cpumap.c
 * and ppc_cpumap.c by scripts/gen-arm-cpumap).  Both host decoders take the
 * first matching row, so the map order is kept. */
#ifndef CP_CPUMAP_NONX86_CPUMAP_H
#define CP_CPUMAP_NONX86_CPUMAP_H

#include <stddef.h>
#include <stdint.h>

struct cp_arm_vendor {
	const char *name;
	uint8_t implementer;		/* MIDR_EL1 bits 31:24 */
};

struct cp_arm_model {
	const char *name;
	uint16_t part;			/* MIDR_EL1 bits 15:4 */
};

/* One row per <pvr> of a model: the model matches when (PVR & mask) == value. */
struct cp_ppc_pvr {
	const char *model;
	const char *vendor;		/* NULL: the model names none */
	uint32_t value, mask;
};

extern const struct cp_arm_vendor cp_arm_vendors[];
extern const size_t cp_arm_nvendors;
extern const struct cp_arm_model cp_arm_models[];
extern const size_t cp_arm_nmodels;
extern const struct cp_ppc_pvr cp_ppc_pvrs[];
extern const size_t cp_ppc_npvrs;

struct cp_host_cpu;
/* The decoders behind cp_cpu_arm() and cp_cpu_ppc() on raw register values
 * (exposed for tests).  They fill what libvirt would fill before failing,
 * and return -ENOENT (message set) where libvirt's getHost fails. */
int cp_arm_decode(uint64_t midr, uint64_t hwcap, struct cp_host_cpu *cpu);
int cp_ppc_decode(uint32_t pvr, struct cp_host_cpu *cpu);

#endif
