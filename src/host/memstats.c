/* Free memory, free pages and memory statistics: what virsh's freecell,
 * freepages and nodememstats print (libvirt's virHostMemGetInfo,
 * virHostMemGetCellsFree, virHostMemGetFreePages, virHostMemGetStats).
 *
 * With NUMA (the kernel has a node directory) the numbers come from each
 * node's meminfo as libnuma reads them; without, from /proc/meminfo, which
 * holds what glibc's sysconf(_SC_PHYS_PAGES / _SC_AVPHYS_PAGES) answers
 * (both are the kernel's totalram and freeram).  Everything is read from
 * files, so a recorded tree gives the same numbers every time. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/sysfs.h"

/* The highest node<N> directory (numa_max_node(), as libvirt's
 * virNumaGetMaxNode asks it): -ENOENT with its message when there is none. */
static int last_node(const struct cp_root *r, int *last)
{
	struct cp_cpuset nodes = { 0 };

	*last = -1;
	cp_sysfs_numa_nodes(r, &nodes);
	cp_cpuset_foreach(&nodes, n)
		*last = (int)n;
	cp_cpuset_free(&nodes);
	if (*last < 0)
		return cp_fail(-ENOENT, "Failed to request maximum NUMA node id: no node in /sys/devices/system/node");
	return 0;
}

/* /proc/meminfo's MemFree in bytes (sysconf's available pages). */
static int host_free_bytes(const struct cp_root *r, uint64_t *bytes)
{
	uint64_t pagesize;
	char *text;
	int rc = cp_read(r, &text, NULL, "/proc/meminfo");

	if (rc < 0)
		return cp_fail(rc, "cannot read /proc/meminfo: %s", strerror(-rc));
	*bytes = cp_sysfs_parse_meminfo_free(text);
	free(text);
	/* libvirt takes 0 (and a failed sysconf) as a failure */
	if (*bytes == 0 || *bytes == UINT64_MAX)
		return cp_fail(-EINVAL, "Unable to query memory available: no usable MemFree in /proc/meminfo");
	/* sysconf counts whole pages */
	if ((rc = cp_host_pagesize(r, &pagesize)) < 0)
		return rc;
	*bytes = *bytes / pagesize * pagesize;
	return 0;
}

int cp_host_mem_info(const struct cp_root *r, uint64_t *total_kib, uint64_t *free_bytes)
{
	struct cp_cpuset nodes;
	int rc = 0;

	*total_kib = *free_bytes = 0;
	if (!cp_sysfs_numa_available(r)) {
		if ((rc = cp_sysfs_total_memory(r, total_kib)) < 0)
			return rc;
		return host_free_bytes(r, free_bytes);
	}
	cp_sysfs_numa_nodes(r, &nodes);
	cp_cpuset_foreach(&nodes, n) {
		uint64_t kib, fb;

		rc = cp_sysfs_node_memory_free(r, (unsigned)n, &kib, &fb);
		if (rc < 0) {
			rc = cp_fail(rc, "cannot read the memory of NUMA node %d from "
				     "/sys/devices/system/node/node%d/meminfo: %s", n, n,
				     rc == -EINVAL ? "no usable MemTotal" : strerror(-rc));
			break;
		}
		*total_kib += kib;
		*free_bytes += fb;
	}
	cp_cpuset_free(&nodes);
	return rc;
}

/* virHostMemGetCellsFree for one cell: the node's free bytes (0 when its
 * meminfo does not read, as libvirt ignores that failure). */
static int cell_free(const struct cp_root *r, long cell, uint64_t *bytes)
{
	uint64_t kib;
	int last, rc;

	*bytes = 0;
	if (!cp_sysfs_numa_available(r)) {
		if (cell != 0)
			return cp_fail(-ERANGE, "start cell %ld out of range (0-0)", cell);
		return host_free_bytes(r, bytes);
	}
	if ((rc = last_node(r, &last)) < 0)
		return rc;
	if (cell > last)
		return cp_fail(-ERANGE, "start cell %ld out of range (0-%d)", cell, last);
	if (cell < 0 || cp_sysfs_node_memory_free(r, (unsigned)cell, &kib, bytes) < 0)
		*bytes = 0;
	return 0;
}

int cp_probe_freecell(const struct cp_root *r, const struct cp_host *topo, bool one, long cell,
		      struct cp_node_free *out)
{
	uint64_t total;
	int rc;

	*out = (struct cp_node_free){ 0 };
	if (!topo && !one) {
		out->kind = CP_FREE_TOTAL;
		if ((rc = cp_host_mem_info(r, &total, &out->total_bytes)) < 0)
			return rc;
		if (!out->total_bytes)
			return cp_fail(-EINVAL, "the host reports no free memory");
		return 0;
	}
	if (!topo) {
		out->kind = CP_FREE_CELL;
		out->cells = cp_calloc(1, sizeof(*out->cells));
		out->ncells = 1;
		out->cells[0].id = cell;
		return cell_free(r, cell, &out->cells[0].bytes);
	}
	out->kind = CP_FREE_ALL;
	out->cells = cp_calloc(topo->ncells ? topo->ncells : 1, sizeof(*out->cells));
	for (size_t i = 0; i < topo->ncells; i++) {
		struct cp_cell_free *c = &out->cells[out->ncells++];

		c->id = topo->cells[i].id;
		if ((rc = cell_free(r, c->id, &c->bytes)) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", cp_last_error());
			cp_node_free_free(out);
			return cp_fail(rc, "failed to get free memory for NUMA node number: %u (%s)",
				       topo->cells[i].id, why);
		}
	}
	return 0;
}

/* virNumaGetPageInfo's free count of one page size on one node (-1: the
 * whole host). */
static int page_free(const struct cp_root *r, int node, unsigned size_kib, uint64_t pagesize, uint64_t *count)
{
	char *path, *text = NULL;
	uint64_t kib, fb;
	int rc;

	if (size_kib == pagesize / 1024) {
		/* base pages: the free memory, whatever the pools take */
		if (node < 0) {
			if ((rc = cp_host_mem_info(r, &kib, &fb)) < 0)
				return rc;
		} else if ((rc = cp_sysfs_node_memory_free(r, (unsigned)node, &kib, &fb)) < 0) {
			return cp_fail(rc, "cannot read the memory of NUMA node %d", node);
		}
		*count = fb / pagesize;
		return 0;
	}
	if (node < 0)
		path = cp_asprintf("/sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages", size_kib);
	else
		path = cp_asprintf("/sys/devices/system/node/node%d/hugepages/hugepages-%ukB/free_hugepages",
				   node, size_kib);
	if ((rc = cp_exists(r, "%s", path)) <= 0) {
		struct cp_cpuset nodes;
		bool have = false;

		if (node >= 0) {
			cp_sysfs_numa_nodes(r, &nodes);
			have = cp_cpuset_has(&nodes, (unsigned)node);
			cp_cpuset_free(&nodes);
		}
		free(path);
		if (node < 0)
			return cp_fail(-ENOENT, "page size %u is not available", size_kib);
		if (!have)
			return cp_fail(-ENOENT, "NUMA node %d is not available", node);
		return cp_fail(-ENOENT, "page size %u is not available on node %d", size_kib, node);
	}
	rc = cp_read(r, &text, NULL, "%s", path);
	if (rc < 0)
		rc = cp_fail(rc, "cannot read %s: %s", path, strerror(-rc));
	else if (cp_sysfs_parse_count_nl(text, count) < 0)
		rc = cp_fail(-EINVAL, "unable to parse: %s", text);
	free(text);
	free(path);
	return rc;
}

static int size_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The sizes --all lists without --pagesize: the host CPU's, else every
 * cell's, sorted and once each. */
static int all_sizes(const struct cp_host *topo, struct cp_node_pages *out)
{
	size_t n = 0;

	if (topo->cpu.npage) {
		out->sizes_kib = cp_calloc(topo->cpu.npage, sizeof(*out->sizes_kib));
		for (size_t i = 0; i < topo->cpu.npage; i++)
			out->sizes_kib[n++] = (unsigned)topo->cpu.page_kib[i];
	} else {
		for (size_t i = 0; i < topo->ncells; i++)
			for (size_t j = 0; j < topo->cells[i].npages; j++) {
				out->sizes_kib = cp_realloc(out->sizes_kib, (n + 1) * sizeof(*out->sizes_kib));
				out->sizes_kib[n++] = (unsigned)topo->cells[i].pages[j].size_kib;
			}
	}
	if (!n)
		return cp_fail(-ENOENT, "could not get information about supported page sizes");
	qsort(out->sizes_kib, n, sizeof(*out->sizes_kib), size_cmp);
	out->nsizes = 0;
	for (size_t i = 0; i < n; i++)
		if (!out->nsizes || out->sizes_kib[out->nsizes - 1] != out->sizes_kib[i])
			out->sizes_kib[out->nsizes++] = out->sizes_kib[i];
	return 0;
}

/* virHostMemGetFreePages for one start cell and a count of 1. */
static int cell_pages(const struct cp_root *r, const struct cp_host *topo, int cell, const unsigned *sizes,
		      size_t nsizes, uint64_t *counts)
{
	uint64_t pagesize;
	int last, rc;

	if (!topo->ncells)
		return cp_fail(-ENOENT, "the host has no NUMA topology");
	last = (int)topo->cells[topo->ncells - 1].id;
	/* a host without NUMA: its one (fake) cell is the whole host */
	if (!cp_sysfs_numa_available(r) && last == 0 && cell == 0)
		cell = -1;
	if (cell > last)
		return cp_fail(-ERANGE, "start cell %d out of range (0-%d)", cell, last);
	if ((rc = cp_host_pagesize(r, &pagesize)) < 0)
		return rc;
	for (size_t i = 0; i < nsizes; i++)
		if ((rc = page_free(r, cell, sizes[i], pagesize, &counts[i])) < 0)
			return rc;
	return 0;
}

int cp_probe_freepages(const struct cp_root *r, const struct cp_host *topo, bool all, int cell, unsigned size_kib,
		       struct cp_node_pages *out)
{
	int rc;

	*out = (struct cp_node_pages){ .one = !all };
	if (size_kib || !all) {
		out->sizes_kib = cp_calloc(1, sizeof(*out->sizes_kib));
		out->sizes_kib[0] = size_kib;
		out->nsizes = 1;
	} else if ((rc = all_sizes(topo, out)) < 0) {
		cp_node_pages_free(out);
		return rc;
	}
	out->cells = cp_calloc(all ? (topo->ncells ? topo->ncells : 1) : 1, sizeof(*out->cells));
	for (size_t i = 0; i < (all ? topo->ncells : 1); i++) {
		struct cp_cell_pages *c = &out->cells[out->ncells++];

		c->id = all ? (int)topo->cells[i].id : cell;
		c->counts = cp_calloc(out->nsizes, sizeof(*c->counts));
		if ((rc = cell_pages(r, topo, c->id, out->sizes_kib, out->nsizes, c->counts)) < 0) {
			cp_node_pages_free(out);
			return rc;
		}
	}
	return 0;
}

/* One line of virHostMemGetStatsLinux: "Node N " dropped, then a header
 * word (at most 80 bytes) and a number; 1 when it gave both. */
static int stat_line(const char *line, char *hdr, uint64_t *val)
{
	const char *p = line;
	size_t n = 0;
	char *end;

	if (cp_startswith(p, "Node ")) {
		for (int i = 0; i < 2; i++) {
			if (!(p = strchr(p, ' ')))
				return cp_fail(-EINVAL, "no prefix found");
			p++;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	while (p[n] && !isspace((unsigned char)p[n]) && n < 80)
		n++;
	if (!n)
		return 0;
	memcpy(hdr, p, n);
	hdr[n] = '\0';
	p += n;
	while (isspace((unsigned char)*p))
		p++;
	/* sscanf's %lu: an optional sign, then digits */
	if (!isdigit((unsigned char)p[*p == '-' || *p == '+']))
		return 0;
	*val = strtoull(p, &end, 10);
	return 1;
}

int cp_probe_memstats(const struct cp_root *r, int cell, struct cp_node_memstats *out)
{
	static const char *const hdrs[][2] = {
		{ "MemTotal:", "total" }, { "MemFree:", "free" }, { "Buffers:", "buffers" }, { "Cached:", "cached" },
	};
	char *path, *text, *line;
	size_t nr, found = 0;
	int rc, last;

	*out = (struct cp_node_memstats){ 0 };
	/* one fake cell without NUMA: it is the whole host */
	if (!cp_sysfs_numa_available(r) && cell == 0)
		cell = CP_CELL_NONE;
	if (cell == CP_CELL_NONE) {
		path = cp_strdup("/proc/meminfo");
		nr = 4;
	} else {
		if (!cp_sysfs_numa_available(r))
			return cp_fail(-ENOENT, "NUMA isn't available on this host");
		if ((rc = last_node(r, &last)) < 0)
			return rc;
		if (cell > last)
			return cp_fail(-ERANGE, "cell %d out of range (0-%d)", cell, last);
		path = cp_asprintf("/sys/devices/system/node/node%d/meminfo", cell);
		nr = 2;
	}
	rc = cp_read(r, &text, NULL, "%s", path);
	if (rc < 0) {
		rc = cp_fail(rc, "cannot open %s: %s", path, strerror(-rc));
		free(path);
		return rc;
	}
	free(path);
	out->v = cp_calloc(nr, sizeof(*out->v));
	out->n = nr;
	for (line = text; *line && found < nr;) {
		size_t len = strcspn(line, "\n");
		char hdr[81], save = line[len];
		uint64_t val = 0;

		line[len] = '\0';
		rc = stat_line(line, hdr, &val);
		line[len] = save;
		line += len + (save != '\0');
		if (rc < 0)
			break;
		for (size_t j = 0; rc == 1 && j < sizeof(hdrs) / sizeof(hdrs[0]); j++)
			if (strcmp(hdr, hdrs[j][0]) == 0) {
				snprintf(out->v[found].field, sizeof(out->v[found].field), "%s", hdrs[j][1]);
				out->v[found++].kib = val;
				break;
			}
		rc = 0;
	}
	free(text);
	if (rc == 0 && !found)
		rc = cp_fail(-EINVAL, "no available memory line found");
	if (rc < 0)
		cp_node_memstats_free(out);
	return rc;
}

int cp_node_topology(const struct cp_root *r, struct cp_host *h)
{
	struct cp_nodeinfo ni;
	bool ni_ok;
	int rc;

	if ((rc = cp_probe_arch(r, h)) < 0)
		return rc;
	ni_ok = cp_probe_nodeinfo(r, &ni) == 0;
	if (!ni_ok) {
		cp_verbose("%s; no fake NUMA cell", cp_last_error());
		cp_clear_error();
	}
	if ((rc = cp_probe_pages(r, h)) < 0 || (rc = cp_probe_numa(r, &ni, ni_ok, h)) < 0)
		return rc;
	return 0;
}
