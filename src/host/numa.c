/* <topology>: the NUMA cells (virCapabilitiesHostNUMAInitReal, ...InitFake).
 *
 * Real path (the kernel has a node directory, i.e. libnuma works): one cell
 * per node<N> whose cpumap reads and parses, in node order, with its CPUs
 * (socket, die, cluster, core ids and thread siblings), distances as libnuma
 * reads them, hugepage pools and base pages, HMAT memory-side caches and
 * memory; then the HMAT interconnects.  Any failure of that path (an
 * unreadable topology file, a bad hugepage counter, a bad HMAT value, ...)
 * throws it all away for the fake topology, as libvirt does.
 *
 * Fake path: from nodeinfo and the host memory, `nodes` cells all numbered
 * 0, CPUs numbered in socket/core/thread order and listed when online.  If
 * nodeinfo failed, or the fake path fails too, there is no <topology>. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/sysfs.h"

static struct cp_cell *add_cell(struct cp_host *h, unsigned id)
{
	struct cp_cell *c;

	h->cells = cp_realloc(h->cells, (h->ncells + 1) * sizeof(*h->cells));
	c = &h->cells[h->ncells++];
	*c = (struct cp_cell){ .id = id };
	return c;
}

/* libnuma's distance table: row N is the first line of nodeN/distance, its
 * numbers assigned in order to the existing nodes.  A missing file is
 * skipped; an unreadable or empty one before any missing one fails the
 * whole table (all distances then read as 0 and none is printed). */
static unsigned *load_distances(const struct cp_root *r, const struct cp_cpuset *nodes, unsigned dim)
{
	unsigned *table = NULL;
	int err = -1;

	for (unsigned nd = 0;; nd++) {
		char *text = NULL, *s;
		int rc = nd < dim ? cp_read(r, &text, NULL, "/sys/devices/system/node/node%u/distance", nd) : -ENOENT;
		unsigned j = 0;

		if (rc < 0) {
			if (rc == -ENOENT)
				err = 0;
			if (!err && nd < dim)
				continue;
			break;
		}
		if (!*text) {
			free(text);
			break;
		}
		if (!table)
			table = cp_calloc((size_t)dim * dim, sizeof(*table));
		/* Only the first line is a row. */
		if ((s = strchr(text, '\n')))
			*s = '\0';
		s = text;
		for (unsigned i = 0; i < dim; i++, j++) {
			char *end;
			unsigned long d = strtoul(s, &end, 0);

			while (j < dim && !cp_cpuset_has(nodes, j))
				j++;
			if (s == end || j >= dim)
				break;
			/* The kernel's ints, truncated as libnuma stores them. */
			table[(size_t)nd * dim + j] = (unsigned)d;
			s = end;
		}
		free(text);
	}
	if (err) {
		free(table);
		return NULL;
	}
	return table;
}

static int cell_cpus(const struct cp_root *r, const struct cp_cpuset *map, struct cp_cell *c)
{
	size_t n = cp_cpuset_count(map);
	int rc;

	c->cpus = cp_calloc(n ? n : 1, sizeof(*c->cpus));
	cp_cpuset_foreach(map, cpu) {
		struct cp_cell_cpu *p = &c->cpus[c->ncpus++];
		struct cp_cpuset sib = { 0 };
		unsigned u = (unsigned)cpu;

		p->id = u;
		if ((rc = cp_sysfs_read_id(r, u, "physical_package_id", &p->socket_id)) < 0 ||
		    (rc = cp_sysfs_read_id(r, u, "die_id", &p->die_id)) < 0 ||
		    (rc = cp_sysfs_read_id(r, u, "cluster_id", &p->cluster_id)) < 0)
			return cp_fail(rc, "bad topology ids for CPU %u", u);
		rc = cp_sysfs_read_cpu_uint(r, u, "core_id", &p->core_id);
		if (rc == -ENOENT)
			p->core_id = 0;
		else if (rc < 0)
			return cp_fail(rc, "bad core_id for CPU %u", u);
		rc = cp_sysfs_read_cpu_siblings(r, u, &sib);
		if (rc == -ENOENT)
			cp_cpuset_set(&sib, u);
		else if (rc < 0)
			return cp_fail(rc, "bad thread_siblings_list for CPU %u: %s", u, cp_cpus_strerror(rc));
		p->siblings = cp_cpuset_format(&sib);
		cp_cpuset_free(&sib);
	}
	return 0;
}

static int read_hmat_uint(const struct cp_root *r, unsigned *v, const char *dir, const char *file)
{
	int rc = cp_sysfs_read_uint(r, v, "%s/%s", dir, file);

	return rc < 0 ? cp_fail(rc, "bad or missing %s/%s", dir, file) : 0;
}

/* nodeN/memory_side_cache/index<L>: every file must be there and sane. */
static int cell_caches(const struct cp_root *r, unsigned node, struct cp_cell *c)
{
	struct cp_strv names;
	char *base = cp_asprintf("/sys/devices/system/node/node%u/memory_side_cache", node);
	int rc = cp_list(r, &names, "%s", base);

	if (rc == -ENOENT) {
		free(base);
		return 0;
	}
	if (rc < 0) {
		rc = cp_fail(rc, "cannot list %s", base);
		free(base);
		return rc;
	}
	rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++) {
		struct cp_mem_cache mc = { 0 };
		unsigned level, indexing, policy, line;
		uint64_t size, v;
		char *dir;

		if (!cp_startswith(names.v[i], "index"))
			continue;
		if (cp_parse_u64(names.v[i] + 5, 10, false, &v) < 0 || v > UINT32_MAX) {
			rc = cp_fail(-EINVAL, "cannot parse %s/%s", base, names.v[i]);
			break;
		}
		level = (unsigned)v;
		dir = cp_asprintf("%s/%s", base, names.v[i]);
		rc = cp_sysfs_read_ullong(r, &size, "%s/size", dir);
		if (rc < 0)
			rc = cp_fail(rc, "bad or missing %s/size", dir);
		if (!rc)
			rc = read_hmat_uint(r, &line, dir, "line_size");
		if (!rc && !(rc = read_hmat_uint(r, &indexing, dir, "indexing")) &&
		    !(mc.associativity = cp_sysfs_hmat_associativity(indexing)))
			rc = cp_fail(-EINVAL, "unknown indexing value %u in %s", indexing, dir);
		if (!rc && !(rc = read_hmat_uint(r, &policy, dir, "write_policy")) &&
		    !(mc.policy = cp_sysfs_hmat_policy(policy)))
			rc = cp_fail(-EINVAL, "unknown write_policy value %u in %s", policy, dir);
		free(dir);
		if (rc)
			break;
		mc.level = level;
		mc.size_kib = size >> 10;
		mc.line_bytes = line;
		/* Stable insertion by level. */
		c->caches = cp_realloc(c->caches, (c->ncaches + 1) * sizeof(*c->caches));
		{
			size_t j = c->ncaches++;

			while (j && c->caches[j - 1].level > mc.level) {
				c->caches[j] = c->caches[j - 1];
				j--;
			}
			c->caches[j] = mc;
		}
	}
	cp_strv_free(&names);
	free(base);
	return rc;
}

/* "node<u32>" → 1; other names → 0; "node" followed by garbage → -EINVAL. */
static int node_entry(const char *name, unsigned *node)
{
	uint64_t v;

	if (!cp_startswith(name, "node"))
		return 0;
	if (cp_parse_u64(name + 4, 10, false, &v) < 0 || v > UINT32_MAX)
		return cp_fail(-EINVAL, "unable to parse %s", name);
	*node = (unsigned)v;
	return 1;
}

static void add_ic(struct cp_host *h, bool bw, unsigned init, unsigned target, bool write, uint64_t value)
{
	h->interconnects = cp_realloc(h->interconnects, (h->ninterconnects + 1) * sizeof(*h->interconnects));
	h->interconnects[h->ninterconnects++] = (struct cp_interconnect){
		.bandwidth = bw, .initiator = init, .target = target, .write = write, .value = value,
	};
}

static int ic_cmp(const void *pa, const void *pb)
{
	const struct cp_interconnect *a = pa, *b = pb;

	/* latency before bandwidth, then ids, then read before write */
	if (a->bandwidth != b->bandwidth)
		return a->bandwidth ? 1 : -1;
	if (a->initiator != b->initiator)
		return a->initiator < b->initiator ? -1 : 1;
	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	if (a->cache != b->cache)
		return a->cache < b->cache ? -1 : 1;
	if (a->write != b->write)
		return a->write ? 1 : -1;
	return a->value < b->value ? -1 : a->value > b->value;
}

/* HMAT access class 1 (CPU initiators only) of one target node. */
static int node_interconnects(const struct cp_root *r, unsigned node, struct cp_host *h)
{
	static const char *const files[] = { "read_bandwidth", "write_bandwidth", "read_latency", "write_latency" };
	char *dir = cp_asprintf("/sys/devices/system/node/node%u/access1/initiators", node);
	unsigned v[4];
	struct cp_strv names = { 0 };
	int rc = 0;

	if (cp_exists(r, "/sys/devices/system/node/node%u/access1", node) != 1)
		goto out;
	for (int i = 0; i < 4; i++)
		if ((rc = read_hmat_uint(r, &v[i], dir, files[i])) < 0)
			goto out;
	/* MiB/s to KiB/s, in libvirt's 32-bit arithmetic. */
	v[0] = (unsigned)((uint32_t)v[0] << 10);
	v[1] = (unsigned)((uint32_t)v[1] << 10);
	if ((rc = cp_list(r, &names, "%s", dir)) < 0) {
		rc = cp_fail(rc, "cannot list %s", dir);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < names.n; i++) {
		unsigned init;
		int k = node_entry(names.v[i], &init);

		if (k < 0) {
			rc = k;
			goto out;
		}
		if (!k)
			continue;
		add_ic(h, true, init, node, false, v[0]);
		add_ic(h, true, init, node, true, v[1]);
		add_ic(h, false, init, node, false, v[2]);
		add_ic(h, false, init, node, true, v[3]);
	}
out:
	cp_strv_free(&names);
	free(dir);
	return rc;
}

static int interconnects(const struct cp_root *r, struct cp_host *h)
{
	struct cp_strv names;
	int rc = cp_list(r, &names, "/sys/devices/system/node");

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return cp_fail(rc, "cannot list /sys/devices/system/node");
	rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++) {
		unsigned node;
		int k = node_entry(names.v[i], &node);

		if (k < 0)
			rc = k;
		else if (k)
			rc = node_interconnects(r, node, h);
	}
	cp_strv_free(&names);
	if (!rc && h->ninterconnects > 1) {
		/* Stable merge is not needed: no two records compare equal
		 * unless they are identical. */
		qsort(h->interconnects, h->ninterconnects, sizeof(*h->interconnects), ic_cmp);
	}
	return rc;
}

static int numa_real(const struct cp_root *r, struct cp_host *h)
{
	struct cp_cpuset nodes;
	unsigned *dist, dim;
	int last, rc = 0;

	cp_sysfs_numa_nodes(r, &nodes);
	last = -1;
	cp_cpuset_foreach(&nodes, n)
		last = n;
	dim = last < 0 ? 1 : (unsigned)last + 1;
	dist = load_distances(r, &nodes, dim);

	cp_cpuset_foreach(&nodes, n) {
		struct cp_cpuset map = { 0 };
		struct cp_cell *c;
		char *text;

		/* A node whose cpumap cannot be had is skipped, not an error. */
		if (cp_read_str(r, &text, "/sys/devices/system/node/node%d/cpumap", n) < 0)
			continue;
		rc = *text ? cp_cpuset_parse_mask(text, &map) : -EINVAL;
		free(text);
		if (rc == -ERANGE)
			cp_warn("NUMA node %d left out: its cpumap holds %s", n, cp_cpus_strerror(rc));
		if (rc < 0) {
			rc = 0;
			continue;
		}
		c = add_cell(h, (unsigned)n);
		rc = cell_cpus(r, &map, c);
		cp_cpuset_free(&map);
		if (rc < 0)
			break;
		for (unsigned i = 0; dist && i < dim; i++) {
			unsigned d = dist[(size_t)n * dim + i];

			if (!d)
				continue;
			c->distances = cp_realloc(c->distances, (c->ndistances + 1) * sizeof(*c->distances));
			c->distances[c->ndistances++] = (struct cp_distance){ i, d };
		}
		if ((rc = cp_sysfs_get_pages(r, n, &c->pages, &c->npages)) < 0)
			break;
		if ((rc = cell_caches(r, (unsigned)n, c)) < 0)
			break;
		/* An unreadable MemTotal only leaves the size out. */
		if (cp_sysfs_node_memory(r, (unsigned)n, &c->memory_kib) < 0)
			c->memory_kib = 0;
	}
	free(dist);
	cp_cpuset_free(&nodes);
	if (rc < 0)
		return rc;
	return interconnects(r, h);
}

static int numa_fake(const struct cp_root *r, const struct cp_nodeinfo *ni, struct cp_host *h)
{
	uint64_t mem, per = (uint64_t)ni->sockets * ni->cores * ni->threads;
	unsigned id = 0;
	int rc;

	if ((rc = cp_sysfs_total_memory(r, &mem)) < 0)
		return rc;
	/* The sanity rule bounds this by the CPU count; refuse anything
	 * that could only come from wrapped arithmetic. */
	if (per * ni->nodes > CP_CPU_MAX + 1)
		return cp_fail(-ERANGE, "nodeinfo describes %llu CPUs", (unsigned long long)(per * ni->nodes));
	for (unsigned n = 0; n < ni->nodes; n++) {
		struct cp_cell *c = add_cell(h, 0);	/* libvirt numbers them all 0 */

		c->memory_kib = mem;
		c->cpus = cp_calloc(per ? per : 1, sizeof(*c->cpus));
		for (unsigned s = 0; s < ni->sockets; s++) {
			for (unsigned k = 0; k < ni->cores; k++) {
				struct cp_cpuset sib = { 0 };
				unsigned first = id;

				for (unsigned t = 0; t < ni->threads; t++)
					cp_cpuset_set(&sib, first + t);
				for (unsigned t = 0; t < ni->threads; t++, id++) {
					unsigned online;

					rc = cp_sysfs_read_uint(r, &online, "/sys/devices/system/cpu/cpu%u/online", id);
					if (rc == -ENOENT) {
						online = 1;
					} else if (rc < 0) {
						cp_cpuset_free(&sib);
						return cp_fail(rc, "cannot read /sys/devices/system/cpu/cpu%u/online", id);
					}
					if (!online)
						continue;
					c->cpus[c->ncpus++] = (struct cp_cell_cpu){
						.id = id, .socket_id = s, .core_id = k,
						.siblings = cp_cpuset_format(&sib),
					};
				}
				cp_cpuset_free(&sib);
			}
		}
	}
	return 0;
}

int cp_probe_numa(const struct cp_root *r, const struct cp_nodeinfo *ni, bool ni_ok, struct cp_host *h)
{
	if (cp_sysfs_numa_available(r)) {
		if (numa_real(r, h) == 0) {
			h->have_topology = true;
			return 0;
		}
		/* the node directory is there but does not read: not a host
		 * without NUMA, a broken or denied one */
		cp_warn("%s; the NUMA <topology> is faked as a single cell", cp_last_error());
		cp_clear_error();
		cp_host_free_topology(h);
	}
	if (!ni_ok)
		return 0;	/* the caller warns */
	if (numa_fake(r, ni, h) < 0) {
		cp_warn("%s; left out: the NUMA <topology>", cp_last_error());
		cp_clear_error();
		cp_host_free_topology(h);
		return 0;
	}
	h->have_topology = true;
	return 0;
}
