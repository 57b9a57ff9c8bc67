/* Helpers shared by nodeinfo.c, pages.c, numa.c and cachebanks.c: libvirt's
 * value readers (their missing/unreadable/garbage distinctions), libnuma's
 * view of the node directory, and the small pure parsers of the sysfs
 * formats these probes meet. */
#ifndef CP_HOST_SYSFS_H
#define CP_HOST_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cpulist.h"
#include "util/path.h"
#include "host/host.h"

/* libnuma's node mask has this many bits; node directories with larger
 * numbers are ignored by the NUMA code (nodeinfo still counts them). */
#define CP_NODE_MAX 1024

/* Value readers: 0, -ENOENT when missing, -EINVAL/-ERANGE for garbage,
 * another -errno when unreadable.  A trailing newline is allowed. */
int cp_sysfs_read_int(const struct cp_root *r, int *v, const char *fmt, ...) CP_PRINTF(3, 4);
int cp_sysfs_read_uint(const struct cp_root *r, unsigned *v, const char *fmt, ...) CP_PRINTF(3, 4);
int cp_sysfs_read_ullong(const struct cp_root *r, uint64_t *v, const char *fmt, ...) CP_PRINTF(3, 4);
int cp_sysfs_read_cpus(const struct cp_root *r, struct cp_cpuset *set, const char *fmt, ...) CP_PRINTF(3, 4);
/* A topology id (socket, die, cluster): missing or negative → 0. */
int cp_sysfs_read_id(const struct cp_root *r, unsigned cpu, const char *name, unsigned *v);
/* A file of /sys/devices/system/cpu/cpuN/topology (core_id, ...) as a
 * number, and its thread_siblings_list, each read once per root. */
int cp_sysfs_read_cpu_int(const struct cp_root *r, unsigned cpu, const char *name, int *v);
int cp_sysfs_read_cpu_uint(const struct cp_root *r, unsigned cpu, const char *name, unsigned *v);
int cp_sysfs_read_cpu_siblings(const struct cp_root *r, unsigned cpu, struct cp_cpuset *set);

/* Pure parsers. */
/* libnuma's reading of a node meminfo: the last line naming MemTotal with a
 * "<digits> kB" field; a value that does not fit libnuma's signed byte count
 * is an error.  0 or -EINVAL. */
int cp_sysfs_parse_meminfo_total(const char *text, uint64_t *kib);
/* Its MemFree in bytes the same way: 0 when no line names it, and a line
 * without digits gives libnuma's -1 (as libvirt's unsigned count). */
uint64_t cp_sysfs_parse_meminfo_free(const char *text);
/* "hugepages-2048kB" → 2048: 1 when parsed, 0 when not a hugepages entry,
 * -EINVAL when the prefix matches but the rest is not "<u32>kB" (any case). */
int cp_sysfs_parse_hugepages_name(const char *name, unsigned *kib);
/* Hugepage counters must be "<digits>\n" exactly (libvirt is strict). */
int cp_sysfs_parse_count_nl(const char *s, uint64_t *v);
/* Cache sizes as libvirt scales them: "32768K" → bytes; no suffix means
 * KiB; B, K/KiB, M/MiB, ... (1024) and kb, mb, ... (1000).  -EINVAL or
 * -ERANGE. */
int cp_sysfs_parse_scaled(const char *s, uint64_t *bytes);
/* HMAT enums; NULL for a value the kernel does not define. */
const char *cp_sysfs_hmat_associativity(unsigned v);
const char *cp_sysfs_hmat_policy(unsigned v);

/* NUMA as libvirt sees it through libnuma.  Available = the kernel has a
 * node directory.  The node set lists the directories named node<N>. */
bool cp_sysfs_numa_available(const struct cp_root *r);
int cp_sysfs_numa_nodes(const struct cp_root *r, struct cp_cpuset *nodes);
/* MemTotal of a node in KiB (libnuma's numa_node_size64). */
int cp_sysfs_node_memory(const struct cp_root *r, unsigned node, uint64_t *kib);
/* numa_node_size64 with its free count: MemTotal in KiB and MemFree in
 * bytes; an error only when the file does not read or has no MemTotal. */
int cp_sysfs_node_memory_free(const struct cp_root *r, unsigned node, uint64_t *kib, uint64_t *free_bytes);
/* Host memory in KiB as virHostMemGetInfo computes it: the sum of the node
 * MemTotals with NUMA, /proc/meminfo MemTotal without. */
int cp_sysfs_total_memory(const struct cp_root *r, uint64_t *kib);

/* virNumaGetPages: the hugepage pools of a node (node < 0: the host) plus
 * the base page, ascending; counts are the pool sizes and, for the base
 * page, the memory left over by the pools.  Any error → < 0. */
int cp_sysfs_get_pages(const struct cp_root *r, int node, struct cp_page_count **pages, size_t *npages);

#endif
