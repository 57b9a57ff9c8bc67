/* The per-arch host CPU probes behind cp_probe_cpu (libvirt's getHost
 * drivers).  Each fills what it can of cpu; a return < 0 is swallowed by the
 * caller, as libvirt keeps arch, topology and pages when getHost fails. */
#ifndef CP_HOST_CPU_H
#define CP_HOST_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/cpuid.h"
#include "host/host.h"
#include "cpumap/x86_cpumap.h"

int cp_cpu_x86(const struct cp_root *r, struct cp_host_cpu *cpu);
int cp_cpu_arm(const struct cp_root *r, struct cp_host_cpu *cpu);
int cp_cpu_ppc(const struct cp_root *r, struct cp_host_cpu *cpu);

/* The x86 decode on raw data (exposed for tests). */
struct cp_x86_decoded {
	int model;			/* index in cp_x86_models */
	int vendor;			/* index in cp_x86_vendors, -1: unknown */
	unsigned family, model_id, stepping;
	struct cp_strv features;	/* extra features, map order */
};
/* -ENOENT (message set) when no model fits. */
/* Intel signatures whose TSX libvirt distrusts: their hle and rtm are
 * dropped, from the host CPU and from host-model alike. */
bool cp_x86_tsx_erratum(unsigned family, unsigned model, unsigned stepping);
int cp_x86_decode(const struct cp_cpuid_table *cpuid, const struct cp_msr_table *msr, struct cp_x86_decoded *out);
void cp_x86_decoded_free(struct cp_x86_decoded *d);

/* /proc/cpuinfo parsers: 0 and the value, or -EINVAL when absent/invalid. */
int cp_x86_parse_microcode(const char *head, unsigned *version);
int cp_x86_parse_physaddr(const char *cpuinfo, unsigned *bits);

#endif
