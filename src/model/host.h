/* The host model: plain data filled by the probes in src/host/ (host/host.h)
 * and printed by src/xml/caps.c; freed here (model/host.c).  Nothing here knows about XML; nothing in the printer
 * reads the system.  Units are those of the source (bytes, KiB, Hz) and the
 * printer chooses the rendering. */
#ifndef CP_MODEL_HOST_H
#define CP_MODEL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/str.h"

struct cp_host_cpu {
	const char *arch;		/* libvirt arch name; NULL when unknown */
	char *model;			/* NULL: no <model> */
	char *vendor;			/* NULL: no <vendor> */
	uint64_t microcode;		/* 0: omitted */
	unsigned family, model_id, stepping;	/* <signature>, printed when family != 0 */
	uint64_t tsc_hz;		/* 0: no <counter> */
	bool tsc_scaling;
	unsigned sockets, dies, clusters, cores, threads;	/* printed when all != 0 */
	unsigned maxphysaddr;		/* bits; 0: omitted */
	struct cp_strv features;	/* in output order */
	uint64_t *page_kib;		/* ascending page sizes; none printed when 0 */
	size_t npage;
};

/* power_management bits, in output order */
enum {
	CP_PM_SUSPEND_MEM = 1 << 0,
	CP_PM_SUSPEND_DISK = 1 << 1,
	CP_PM_SUSPEND_HYBRID = 1 << 2,
};

struct cp_page_count {
	uint64_t size_kib;
	uint64_t count;
};

struct cp_distance {
	unsigned id;
	unsigned value;
};

/* HMAT memory-side cache of a node. */
struct cp_mem_cache {
	unsigned level;
	uint64_t size_kib;
	uint64_t line_bytes;		/* 0: <line> omitted */
	const char *associativity;	/* direct | full | none */
	const char *policy;		/* writeback | writethrough | none */
};

struct cp_cell_cpu {
	unsigned id;
	unsigned socket_id, die_id, cluster_id, core_id;
	char *siblings;			/* libvirt cpu list */
};

struct cp_cell {
	unsigned id;
	uint64_t memory_kib;		/* 0: omitted (memory-less node) */
	struct cp_page_count *pages;	/* ascending size */
	size_t npages;
	struct cp_distance *distances;	/* ascending id */
	size_t ndistances;
	struct cp_mem_cache *caches;
	size_t ncaches;
	struct cp_cell_cpu *cpus;
	size_t ncpus;
};

struct cp_interconnect {
	bool bandwidth;			/* false: latency */
	unsigned initiator, target, cache;
	bool write;			/* access type: false read, true write */
	uint64_t value;			/* latency ns, or bandwidth KiB/s */
};

/* resctrl allocation control of a cache bank. */
struct cp_cache_control {
	uint64_t granularity;		/* bytes */
	uint64_t min;			/* bytes; 0: not printed */
	const char *type;		/* both | code | data */
	unsigned max_allocs;
};

struct cp_cache_bank {
	unsigned id, level;
	const char *type;		/* both | code | data */
	uint64_t size;			/* bytes */
	char *cpus;			/* libvirt cpu list */
	struct cp_cache_control *controls;
	size_t ncontrols;
};

struct cp_monitor {
	bool present;
	unsigned level;			/* cache monitor only */
	uint64_t reuse_threshold;	/* cache monitor only */
	unsigned max_monitors;
	struct cp_strv features;
};

struct cp_membw_node {
	unsigned id;
	char *cpus;
	unsigned granularity, min, max_allocs;
};

struct cp_secmodel {
	char *model;
	char *doi;
	char *label_kvm;		/* NULL: no base labels */
	char *label_qemu;
};

/* A <guest>: one QEMU emulator serving one guest arch (guests.c fills
 * it, in libvirt's arch order). */
struct cp_guest_machine {
	char *name;
	char *canonical;		/* NULL: no canonical attribute */
	unsigned max_cpus;		/* 0: omitted */
	bool deprecated;
};

/* Guest <features>, in libvirt's output order. */
enum {
	CP_GF_PAE = 1 << 0,
	CP_GF_NONPAE = 1 << 1,
	CP_GF_ACPI = 1 << 2,
	CP_GF_APIC = 1 << 3,
	CP_GF_CPUSELECTION = 1 << 4,
	CP_GF_DEVICEBOOT = 1 << 5,
	CP_GF_DISKSNAPSHOT = 1 << 6,
	CP_GF_EXTERNAL_SNAPSHOT = 1 << 7,
};

struct cp_guest {
	const char *os_type;		/* "hvm" */
	const char *arch;		/* libvirt arch name (static) */
	unsigned wordsize;
	char *emulator;
	struct cp_guest_machine *machines;	/* in output order */
	size_t nmachines;
	bool tcg;			/* <domain type='qemu'/> */
	bool kvm;			/* <domain type='kvm'/> */
	unsigned features;		/* CP_GF_* */
};

struct cp_host {
	char uuid[37];			/* "" when none */
	struct cp_host_cpu cpu;
	unsigned pm;			/* CP_PM_* */
	bool iommu;
	bool have_topology;		/* <topology> (NUMA cells) printed */
	struct cp_cell *cells;
	size_t ncells;
	struct cp_interconnect *interconnects;
	size_t ninterconnects;
	struct cp_cache_bank *banks;
	size_t nbanks;
	struct cp_monitor cache_monitor;
	struct cp_membw_node *membw;
	size_t nmembw;
	struct cp_monitor membw_monitor;
	struct cp_secmodel *secmodels;
	size_t nsecmodels;
	struct cp_guest *guests;
	size_t nguests;
};

/* Free everything a host holds (the structure is zeroed). */
void cp_host_free(struct cp_host *h);
/* Drop the NUMA cells and interconnects (a probe that falls back). */
void cp_host_free_topology(struct cp_host *h);
/* Drop the <guest> elements. */
void cp_host_free_guests(struct cp_host *h);

#endif
