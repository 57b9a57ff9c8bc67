/* Live queries of host devices: the only code that opens /dev/kvm and the
 * MSR device.  Each is a cp_fact_live_fn (path.h), so it runs only through
 * cp_fact() on the live system, never under --sysroot or stated facts. */
#ifndef CP_UTIL_HOSTDEV_H
#define CP_UTIL_HOSTDEV_H

#include <stdint.h>

#include "util/path.h"

/* "kvm": "1" when /dev/kvm opens read-write (libvirt's test), else "0". */
int cp_hostdev_kvm_usable(void *arg, char **text);
/* "kvm-max-vcpus": KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS, else 4 (as
 * libvirt's virHostCPUGetKVMMaxVCPUs); -errno when /dev/kvm cannot open. */
int cp_hostdev_kvm_max_vcpus(void *arg, char **text);
/* "threads-per-subcore": KVM_CAP_PPC_SMT (libvirt's
 * virHostCPUGetThreadsPerSubcore): "0" without /dev/kvm, -errno when it
 * exists but does not open or answer.  Asked on ppc64 hosts only. */
int cp_hostdev_kvm_ppc_smt(void *arg, char **text);
/* "tsc": "HZ yes|no", the TSC frequency KVM gives a fresh vCPU and whether
 * it can scale it; -errno when KVM cannot tell. */
int cp_hostdev_kvm_tsc(void *arg, char **text);

/* Feature MSRs, read as libvirt reads them: the MSR device of CPU 0 first,
 * then KVM's feature-MSR query.  Devices open on first use. */
struct cp_hostdev_msr {
	int msr_fd;	/* -1 not tried yet, -2 failed to open */
	int kvm_fd;
};
#define CP_HOSTDEV_MSR_INIT { -1, -1 }
/* 0 and *val, or -errno (-EIO: the CPU lacks it). */
int cp_hostdev_msr_read(struct cp_hostdev_msr *d, uint32_t index, uint64_t *val);
void cp_hostdev_msr_close(struct cp_hostdev_msr *d);

#endif
