/* The host probes: each fills its part of the host model (model/host.h)
 * from a root (util/path.h), live or recorded. */
#ifndef CP_HOST_HOST_H
#define CP_HOST_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "model/host.h"
#include "model/node.h"
#include "util/path.h"

/* The result of counting CPUs the way libvirt's nodeinfo does (see
 * nodeinfo.c); shared by the <cpu><topology> and the fake NUMA cell. */
struct cp_nodeinfo {
	unsigned nodes, sockets, cores, threads;
	unsigned cpus;		/* online processors */
	unsigned offline;
	unsigned mhz;		/* /proc/cpuinfo's frequency line; 0: none */
	uint64_t memory_kib;	/* the host memory (virHostMemGetInfo) */
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

/* The host CPU signature libvirt reads from /proc/cpuinfo
 * (virHostCPUReadSignature): x86, ppc64 and s390 have one; *sig is NULL
 * for other arches and when the file lacks a field of it.  The pure form
 * parses text for a canonical arch name. */
int cp_host_cpu_signature(const struct cp_root *r, char **sig);
int cp_cpuinfo_signature(const char *text, size_t len, const char *arch, char **sig);

/* Run every probe in document order. */
int cp_host_probe(const struct cp_root *r, struct cp_host *h);

/* ---- virsh's host commands (model/node.h) ---- */

/* "no cell given" and "every CPU" (libvirt's -1) */
#define CP_CELL_NONE (-1)
#define CP_CPU_ALL (-1)

/* nodeinfo (cpustats.c) */
int cp_probe_node_info(const struct cp_root *r, struct cp_node_info *out);
/* nodecpumap: present count and online map (cpustats.c) */
int cp_probe_cpumap(const struct cp_root *r, struct cp_node_cpumap *out);
/* nodecpustats: /proc/stat's line of one CPU or all (CP_CPU_ALL), in ns */
int cp_probe_cpustats(const struct cp_root *r, int cpu, struct cp_node_cpustats *out);
/* The shares of each time between two samples a and b (percent set). */
void cp_cpustats_percent(const struct cp_node_cpustats *a, const struct cp_node_cpustats *b,
			 struct cp_node_cpustats *out);

/* memstats.c: the host memory (virHostMemGetInfo): KiB total, bytes free */
int cp_host_mem_info(const struct cp_root *r, uint64_t *total_kib, uint64_t *free_bytes);
/* The NUMA cells and page sizes of the <capabilities> document (arch,
 * pages and topology only), as freecell --all and freepages read them. */
int cp_node_topology(const struct cp_root *r, struct cp_host *h);
/* freecell: topo given: each of its cells' free memory; else with one
 * that of cell, without the host's. */
int cp_probe_freecell(const struct cp_root *r, const struct cp_host *topo, bool one, long cell,
		      struct cp_node_free *out);
/* freepages: all: each cell of topo (the given size_kib, or when 0 every
 * size it lists); else the one cell (-1: the host) and size. */
int cp_probe_freepages(const struct cp_root *r, const struct cp_host *topo, bool all, int cell, unsigned size_kib,
		       struct cp_node_pages *out);
/* nodememstats: /proc/meminfo (CP_CELL_NONE) or one node's */
int cp_probe_memstats(const struct cp_root *r, int cell, struct cp_node_memstats *out);
/* sysinfo (smbios.c): as libvirt 11.3 reads it on the host's arch: the
 * SMBIOS tables of /sys/firmware/dmi/tables as libvirt reads dmidecode's
 * text of them; on POWER, ARM (no tables) and s390 /proc/cpuinfo and
 * /proc/sysinfo (sysinfo_proc.c); elsewhere libvirt's error */
int cp_probe_sysinfo(const struct cp_root *r, struct cp_sysinfo *out);
enum cp_sysinfo_source { CP_SYSINFO_NONE, CP_SYSINFO_DMI, CP_SYSINFO_ARM, CP_SYSINFO_PPC, CP_SYSINFO_S390 };
int cp_probe_sysinfo_proc(const struct cp_root *r, enum cp_sysinfo_source src, struct cp_sysinfo *out);

/* Run every probe of the host commands once, ignoring failures: what a
 * recording root needs to replay them. */
void cp_node_probe_all(const struct cp_root *r);

/* /dev/kvm can be opened read-write (the "kvm" fact). */
bool cp_host_kvm_usable(const struct cp_root *r);

#endif
