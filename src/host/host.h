/* The host probes: each fills its part of the host model (model/host.h)
 * from a root (util/path.h), live or recorded. */
#ifndef CP_HOST_HOST_H
#define CP_HOST_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "model/host.h"
#include "util/path.h"

/* The result of counting CPUs the way libvirt's nodeinfo does (see
 * nodeinfo.c); shared by the <cpu><topology> and the fake NUMA cell. */
struct cp_nodeinfo {
	unsigned nodes, sockets, cores, threads;
	unsigned cpus;		/* online processors */
	unsigned offline;
};

/* Each probe fills its part of the host from the root.  A return < 0 is a
 * hard failure of the whole document (the message is set); probes that
 * libvirt lets degrade degrade here too and return 0.  A part left out
 * because a file every Linux host has (/proc/cpuinfo, /proc/meminfo, the
 * CPU and NUMA node lists, ...) cannot be read is a "warning:" line naming
 * the file, the error and what is left out, as libvirt's daemon warns in
 * its log; a part the host legitimately lacks stays a --verbose note. */
int cp_probe_arch(const struct cp_root *r, struct cp_host *h);
int cp_probe_uuid(const struct cp_root *r, struct cp_host *h);
int cp_probe_nodeinfo(const struct cp_root *r, struct cp_nodeinfo *ni);
int cp_probe_cpu(const struct cp_root *r, const struct cp_nodeinfo *ni, bool ni_ok, struct cp_host *h);
/* libvirt 11.3 has a CPU definition (model, topology, ...) for arch. */
bool cp_cpu_has_definition(const char *arch);
int cp_probe_pages(const struct cp_root *r, struct cp_host *h);
int cp_probe_power(const struct cp_root *r, struct cp_host *h);
int cp_probe_iommu(const struct cp_root *r, struct cp_host *h);
int cp_probe_numa(const struct cp_root *r, const struct cp_nodeinfo *ni, bool ni_ok, struct cp_host *h);
int cp_probe_cachebanks(const struct cp_root *r, struct cp_host *h);
int cp_probe_secmodel(const struct cp_root *r, struct cp_host *h);
/* Whether the run is a privileged one (root: libvirt's system daemon) or a
 * session daemon's, by the fact "privileged" (live: the effective uid). */
int cp_host_privileged(const struct cp_root *r, bool *priv);

/* System page size in bytes (a fact: sysconf live, recorded otherwise). */
int cp_host_pagesize(const struct cp_root *r, uint64_t *bytes);
/* uname's machine (a fact), e.g. "x86_64", "s390x"; malloc'd. */
int cp_host_machine(const struct cp_root *r, char **machine);

/* Run every probe in document order. */
int cp_host_probe(const struct cp_root *r, struct cp_host *h);

/* /dev/kvm can be opened read-write (the "kvm" fact). */
bool cp_host_kvm_usable(const struct cp_root *r);

#endif
