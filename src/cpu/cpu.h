/* virsh's CPU commands as the QEMU driver answers them, for the arches
 * libvirt 11.3 has CPU drivers for: the model list (virCPUGetModels), the
 * baseline (qemuConnectBaselineCPU) and the comparison with the host CPU
 * (qemuConnectCompareCPU).  Baseline and comparison are x86 only here. */
#ifndef CP_CPU_CPU_H
#define CP_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>

#include "cpu/x86.h"
#include "model/cpu.h"
#include "model/domcaps.h"
#include "model/host.h"
#include "util/str.h"

/* The CPU models libvirt knows for arch, in its map's order; *any set
 * (and no names) when its driver takes any model.  -EINVAL (message set)
 * for an arch libvirt does not know, -ENOTSUP for one without a CPU
 * driver. */
int cp_cpu_models(const char *arch, struct cp_strv *names, bool *any);

/* The baseline of n CPUs, as 'virsh cpu-baseline' prints it: expand
 * (--features) lists every feature of the model, migratable drops the
 * features that block migration.  A CPU with no arch is taken to be of
 * the first given arch, else default_arch. */
int cp_cpu_baseline(struct cp_cpu_def *cpus, size_t n, const char *default_arch, bool expand,
		    bool migratable, struct cp_cpu_def *out);

/* A host CPU as the capabilities document has it, as a definition. */
void cp_cpu_def_from_host(const struct cp_host_cpu *h, struct cp_cpu_def *d);

/* cpu against host: 0 and the verdict (enum cp_cpu_verdict), *why for an
 * incompatible one; < 0 (message set) when libvirt fails. */
int cp_cpu_compare(const struct cp_cpu_def *host, const struct cp_cpu_def *cpu, int *verdict, char **why);

/* virsh's hypervisor-cpu-compare and -baseline as the QEMU driver answers
 * them (qemuConnectCompareHypervisorCPU, qemuConnectBaselineHypervisorCPU):
 * against what QEMU offers for the emulator, arch, machine and virttype,
 * i.e. the domain capabilities dc (its host-model CPU, its models and
 * their blockers, its CPU properties).  x86 only. */

/* cpu against the host-model, as qemuDomainCheckCPU decides: a usable
 * model with nothing but disabled features is a superset; a model QEMU
 * lists that is not checked by comparison is incompatible only when a
 * blocker is not disabled or a required feature is missing; any other
 * CPU is compared with the host-model.  0 and the verdict (*why for an
 * incompatible one); < 0 (message set) when libvirt fails. */
int cp_cpu_hv_compare(const struct cp_domcaps *dc, const struct cp_cpu_def *cpu, int *verdict, char **why);

/* The baseline of n CPUs QEMU can run: only models it lists (less their
 * blockers) and features it knows; expand and migratable as
 * cp_cpu_baseline's. */
int cp_cpu_hv_baseline(const struct cp_domcaps *dc, struct cp_cpu_def *cpus, size_t n, bool expand,
		       bool migratable, struct cp_cpu_def *out);

#endif
