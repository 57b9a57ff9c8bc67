/* The node model: what virsh's read-only host commands (nodeinfo,
 * nodecpumap, freecell, freepages, nodememstats, nodecpustats, sysinfo)
 * report, filled by the probes in src/host/ (host/host.h) and printed by
 * src/text/node.c and src/xml/sysinfo.c.  Units are those of the source. */
#ifndef CP_MODEL_NODE_H
#define CP_MODEL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cpulist.h"
#include "util/str.h"

/* virNodeInfo */
struct cp_node_info {
	const char *model;		/* libvirt arch name (static) */
	unsigned cpus, mhz, nodes, sockets, cores, threads;	/* mhz 0: line left out */
	uint64_t memory_kib;
};

/* virNodeGetCPUMap */
struct cp_node_cpumap {
	unsigned present;		/* the highest present CPU id + 1 */
	struct cp_cpuset online;
};

/* freecell: free memory of one cell, or of the whole host */
struct cp_cell_free {
	long id;
	uint64_t bytes;
};

struct cp_node_free {
	enum { CP_FREE_TOTAL, CP_FREE_CELL, CP_FREE_ALL } kind;
	struct cp_cell_free *cells;	/* one for CELL, each topology cell for ALL */
	size_t ncells;
	uint64_t total_bytes;		/* TOTAL */
};

/* freepages: free pages of each size, per cell */
struct cp_cell_pages {
	int id;
	uint64_t *counts;		/* one per size */
};

struct cp_node_pages {
	bool one;			/* --cellno: one "SIZEKiB: COUNT" line */
	unsigned *sizes_kib;
	size_t nsizes;
	struct cp_cell_pages *cells;
	size_t ncells;
};

/* nodememstats: /proc/meminfo (or a node's) fields, in file order */
struct cp_mem_stat {
	char field[81];			/* "" for a slot the file did not fill */
	uint64_t kib;
};

struct cp_node_memstats {
	struct cp_mem_stat *v;
	size_t n;
};

/* nodecpustats, in nanoseconds (or, with percent, the share of each) */
struct cp_node_cpustats {
	uint64_t user, system, idle, iowait;
	bool percent;
	double p_usage, p_user, p_system, p_idle, p_iowait;
};

/* sysinfo: libvirt's SMBIOS view (virSysinfoDef); NULL fields are left out */
struct cp_sysinfo_bios {
	char *vendor, *version, *date, *release;
};

struct cp_sysinfo_system {
	char *manufacturer, *product, *version, *serial, *uuid, *sku, *family;
};

struct cp_sysinfo_board {
	char *manufacturer, *product, *version, *serial, *asset, *location;
};

struct cp_sysinfo_chassis {
	char *manufacturer, *version, *serial, *asset, *sku;
};

struct cp_sysinfo_processor {
	char *socket_destination, *type, *family, *manufacturer, *signature, *version,
		*external_clock, *max_speed, *status, *serial_number, *part_number;
};

struct cp_sysinfo_memory {
	char *size, *form_factor, *locator, *bank_locator, *type, *type_detail, *speed,
		*manufacturer, *serial_number, *part_number;
};

struct cp_sysinfo {
	struct cp_sysinfo_bios *bios;
	struct cp_sysinfo_system *system;
	struct cp_sysinfo_board *boards;
	size_t nboards;
	struct cp_sysinfo_chassis *chassis;
	struct cp_sysinfo_processor *processors;
	size_t nprocessors;
	struct cp_sysinfo_memory *memory;
	size_t nmemory;
	bool have_oem;			/* an <oemStrings> element, maybe empty */
	struct cp_strv oem;
};

void cp_node_cpumap_free(struct cp_node_cpumap *m);
void cp_node_free_free(struct cp_node_free *f);
void cp_node_pages_free(struct cp_node_pages *p);
void cp_node_memstats_free(struct cp_node_memstats *m);
void cp_sysinfo_free(struct cp_sysinfo *s);

#endif
