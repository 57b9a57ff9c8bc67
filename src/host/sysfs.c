/* The sysfs readers and parsers the host probes share (host/sysfs.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/sysfs.h"

/* libvirt reads single values with a small size limit; a longer file is an
 * error, not a number. */
#define VALUE_MAX 1024

/* A file's value without its optional trailing newlines (as libvirt
 * strips them).  shared: a file several probes read (a CPU's topology, read
 * by nodeinfo and the NUMA cells), through the root's shared reads so that
 * it is read once a run. */
static int read_value(const struct cp_root *r, bool shared, char **out, const char *fmt, va_list ap)
{
	const char *text;
	char *path, *s = NULL;
	size_t len, n;
	int rc;

	if (vasprintf(&path, fmt, ap) < 0)
		cp_oom();
	rc = shared ? cp_read_shared(r, &text, &len, "%s", path) : cp_read(r, &s, &len, "%s", path);
	free(path);
	if (rc < 0)
		return rc;
	if (len > VALUE_MAX) {
		free(s);
		return -EFBIG;
	}
	if (shared)
		s = cp_strndup(text, len);
	n = strlen(s);
	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	*out = s;
	return 0;
}

/* One base-10 number, signed (into *i) or not (into *u): the reading the
 * typed readers below share. */
static int read_number(const struct cp_root *r, bool shared, int64_t *i, uint64_t *u, const char *fmt, va_list ap)
{
	char *s;
	int rc = read_value(r, shared, &s, fmt, ap);

	if (rc < 0)
		return rc;
	rc = i ? cp_parse_i64(s, 10, false, i) : cp_parse_u64(s, 10, false, u);
	free(s);
	return rc;
}

static int read_int(const struct cp_root *r, bool shared, int *v, const char *fmt, va_list ap)
{
	int64_t x;
	int rc = read_number(r, shared, &x, NULL, fmt, ap);

	if (rc == 0 && (x < INT_MIN || x > INT_MAX))
		rc = -ERANGE;
	if (rc == 0)
		*v = (int)x;
	return rc;
}

static int read_uint(const struct cp_root *r, bool shared, unsigned *v, const char *fmt, va_list ap)
{
	uint64_t x;
	int rc = read_number(r, shared, NULL, &x, fmt, ap);

	if (rc == 0 && x > UINT_MAX)
		rc = -ERANGE;
	if (rc == 0)
		*v = (unsigned)x;
	return rc;
}

int cp_sysfs_read_int(const struct cp_root *r, int *v, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = read_int(r, false, v, fmt, ap);
	va_end(ap);
	return rc;
}

int cp_sysfs_read_uint(const struct cp_root *r, unsigned *v, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = read_uint(r, false, v, fmt, ap);
	va_end(ap);
	return rc;
}

int cp_sysfs_read_ullong(const struct cp_root *r, uint64_t *v, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = read_number(r, false, NULL, v, fmt, ap);
	va_end(ap);
	return rc;
}

int cp_sysfs_read_cpus(const struct cp_root *r, struct cp_cpuset *set, const char *fmt, ...)
{
	va_list ap;
	char *path;
	const char *s;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&path, fmt, ap) < 0)
		cp_oom();
	va_end(ap);
	/* the online and present lists are read by several probes */
	rc = cp_read_shared(r, &s, NULL, "%s", path);
	free(path);
	if (rc < 0)
		return rc;
	/* libvirt refuses an empty list as it refuses garbage. */
	return *s && !isspace((unsigned char)*s) ? cp_cpuset_parse_list(s, set) : -EINVAL;
}

#define TOPOLOGY "/sys/devices/system/cpu/cpu%u/topology/%s"

/* The va_list readers above, for a file of a CPU's topology directory. */
static int topology_value(const struct cp_root *r, char **out, ...)
{
	va_list ap;
	int rc;

	va_start(ap, out);
	rc = read_value(r, true, out, TOPOLOGY, ap);
	va_end(ap);
	return rc;
}

static int topology_int(const struct cp_root *r, int *v, ...)
{
	va_list ap;
	int rc;

	va_start(ap, v);
	rc = read_int(r, true, v, TOPOLOGY, ap);
	va_end(ap);
	return rc;
}

static int topology_uint(const struct cp_root *r, unsigned *v, ...)
{
	va_list ap;
	int rc;

	va_start(ap, v);
	rc = read_uint(r, true, v, TOPOLOGY, ap);
	va_end(ap);
	return rc;
}

int cp_sysfs_read_cpu_int(const struct cp_root *r, unsigned cpu, const char *name, int *v)
{
	return topology_int(r, v, cpu, name);
}

int cp_sysfs_read_cpu_uint(const struct cp_root *r, unsigned cpu, const char *name, unsigned *v)
{
	return topology_uint(r, v, cpu, name);
}

int cp_sysfs_read_cpu_siblings(const struct cp_root *r, unsigned cpu, struct cp_cpuset *set)
{
	char *s;
	int rc = topology_value(r, &s, cpu, "thread_siblings_list");

	if (rc < 0)
		return rc;
	rc = *s && !isspace((unsigned char)*s) ? cp_cpuset_parse_list(s, set) : -EINVAL;
	free(s);
	return rc;
}

int cp_sysfs_read_id(const struct cp_root *r, unsigned cpu, const char *name, unsigned *v)
{
	int x = 0;
	int rc = cp_sysfs_read_cpu_int(r, cpu, name, &x);

	if (rc == -ENOENT) {
		*v = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	/* -1 means "this arch has no such level": one of it, number 0. */
	*v = x < 0 ? 0 : (unsigned)x;
	return 0;
}

/* Case-insensitive search inside [s, s + n). */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; i + m <= n; i++)
		if (strncasecmp(s + i, needle, m) == 0)
			return s + i;
	return NULL;
}

/* libnuma's reading of one meminfo field: on every line that has "kB" and
 * names the field, the run of digits before "kB", in bytes; a line where
 * there is none gives -1.  The last such line counts; init when none. */
static int64_t meminfo_field(const char *text, const char *name, int64_t init)
{
	int64_t size = init;
	const char *line = text;
	size_t nlen = strlen(name);

	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *k = find_ci(line, len, "kb");

		if (k && memmem(line, len, name, nlen)) {
			const char *s = k;
			unsigned long long v;
			char *end;

			if (s > line)
				s--;
			while (s > line && isspace((unsigned char)*s))
				s--;
			while (s > line && isdigit((unsigned char)*s))
				s--;
			v = strtoull(s, &end, 0);
			if (end == s || k == line || end > line + len) {
				size = -1;
			} else {
				/* Bytes in a signed 64-bit count: too large
				 * is negative, which libnuma reports as a
				 * failure. */
				size = (int64_t)((uint64_t)v << 10);
			}
		}
		line += len;
		if (*line)
			line++;
	}
	return size;
}

int cp_sysfs_parse_meminfo_total(const char *text, uint64_t *kib)
{
	int64_t size = meminfo_field(text, "MemTotal", -1);

	if (size < 0)
		return -EINVAL;
	*kib = (uint64_t)size >> 10;
	return 0;
}

uint64_t cp_sysfs_parse_meminfo_free(const char *text)
{
	return (uint64_t)meminfo_field(text, "MemFree", 0);
}

int cp_sysfs_parse_hugepages_name(const char *name, unsigned *kib)
{
	static const char prefix[] = "hugepages-";
	unsigned long long v;
	const char *p;
	char *end;

	if (!cp_startswith(name, prefix))
		return 0;
	p = name + strlen(prefix);
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || v > UINT_MAX || strcasecmp(end, "kB") != 0)
		return -EINVAL;
	*kib = (unsigned)v;
	return 1;
}

int cp_sysfs_parse_count_nl(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end != '\n')
		return -EINVAL;
	*v = x;
	return 0;
}

int cp_sysfs_parse_scaled(const char *s, uint64_t *bytes)
{
	/* Suffix letters in increasing powers of the base. */
	static const char powers[] = "kmgtpe";
	unsigned long long v, scale = 1;
	const char *p;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (!*end) {
		scale = 1024;		/* a bare number is KiB */
	} else if (!strcasecmp(end, "b") || !strcasecmp(end, "byte") || !strcasecmp(end, "bytes")) {
		scale = 1;
	} else {
		unsigned base;

		if (!end[1] || !strcasecmp(end + 1, "iB"))
			base = 1024;
		else if (end[1] == 'b' && !end[2])
			base = 1000;
		else
			return -EINVAL;
		p = strchr(powers, tolower((unsigned char)end[0]));
		if (!end[0] || !p)
			return -EINVAL;
		for (const char *q = powers; q <= p; q++)
			scale *= base;
	}
	if (v && v > ULLONG_MAX / scale)
		return -ERANGE;
	*bytes = v * scale;
	return 0;
}

/* The kernel's enum cache_indexing and enum cache_write_policy. */
static const char *const hmat_assoc[] = { "direct", "full", "none" };
static const char *const hmat_policy[] = { "writeback", "writethrough", "none" };

const char *cp_sysfs_hmat_associativity(unsigned v)
{
	return v < sizeof(hmat_assoc) / sizeof(hmat_assoc[0]) ? hmat_assoc[v] : NULL;
}

const char *cp_sysfs_hmat_policy(unsigned v)
{
	return v < sizeof(hmat_policy) / sizeof(hmat_policy[0]) ? hmat_policy[v] : NULL;
}

bool cp_sysfs_numa_available(const struct cp_root *r)
{
	/* libnuma works when the kernel has NUMA, and such a kernel always has
	 * the node directory; one we cannot even stat still counts. */
	return cp_is_dir(r, "/sys/devices/system/node") != 0;
}

int cp_sysfs_numa_nodes(const struct cp_root *r, struct cp_cpuset *nodes)
{
	struct cp_strv names;

	*nodes = (struct cp_cpuset){ 0 };
	/* libnuma treats an unreadable directory as "no nodes". */
	if (cp_list(r, &names, "/sys/devices/system/node") < 0)
		return 0;
	for (size_t i = 0; i < names.n; i++) {
		unsigned long n;

		if (!cp_startswith(names.v[i], "node"))
			continue;
		errno = 0;
		n = strtoul(names.v[i] + 4, NULL, 0);
		if (!errno && n < CP_NODE_MAX)
			cp_cpuset_set(nodes, (unsigned)n);
	}
	cp_strv_free(&names);
	return 0;
}

int cp_sysfs_node_memory(const struct cp_root *r, unsigned node, uint64_t *kib)
{
	const char *text;
	int rc = cp_read_shared(r, &text, NULL, "/sys/devices/system/node/node%u/meminfo", node);

	return rc < 0 ? rc : cp_sysfs_parse_meminfo_total(text, kib);
}

int cp_sysfs_node_memory_free(const struct cp_root *r, unsigned node, uint64_t *kib, uint64_t *free_bytes)
{
	const char *text;
	int rc = cp_read_shared(r, &text, NULL, "/sys/devices/system/node/node%u/meminfo", node);

	if (rc < 0)
		return rc;
	*free_bytes = cp_sysfs_parse_meminfo_free(text);
	return cp_sysfs_parse_meminfo_total(text, kib);
}

int cp_sysfs_total_memory(const struct cp_root *r, uint64_t *kib)
{
	uint64_t pagesize;
	struct cp_cpuset nodes;
	uint64_t sum = 0;
	char *text;
	int rc;

	if (!cp_sysfs_numa_available(r)) {
		/* sysconf's physical pages are /proc/meminfo's MemTotal. */
		rc = cp_read(r, &text, NULL, "/proc/meminfo");
		if (rc < 0)
			return cp_fail(rc, "cannot read /proc/meminfo: %s", strerror(-rc));
		rc = cp_sysfs_parse_meminfo_total(text, kib);
		free(text);
		if (rc < 0 || !*kib)
			return cp_fail(-EINVAL, "no usable MemTotal in /proc/meminfo");
		/* sysconf counts whole pages */
		if ((rc = cp_host_pagesize(r, &pagesize)) < 0)
			return rc;
		*kib = *kib / (pagesize / 1024) * (pagesize / 1024);
		return 0;
	}
	cp_sysfs_numa_nodes(r, &nodes);
	cp_cpuset_foreach(&nodes, n) {
		uint64_t v;

		rc = cp_sysfs_node_memory(r, (unsigned)n, &v);
		if (rc < 0) {
			cp_cpuset_free(&nodes);
			return cp_fail(rc, "no usable MemTotal for NUMA node %d in "
				       "/sys/devices/system/node/node%d/meminfo: %s", n, n,
				       rc == -EINVAL ? "none parses" : strerror(-rc));
		}
		sum += v;
	}
	cp_cpuset_free(&nodes);
	*kib = sum;
	return 0;
}

static int read_count(const struct cp_root *r, const char *dir, unsigned size, const char *file, uint64_t *v)
{
	char *s;
	size_t len;
	/* libvirt rebuilds the name from the parsed size. */
	int rc = cp_read(r, &s, &len, "%s/hugepages-%ukB/%s", dir, size, file);

	if (rc < 0)
		return cp_fail(rc, "cannot read %s/hugepages-%ukB/%s: %s", dir, size, file, strerror(-rc));
	rc = len > VALUE_MAX ? -EFBIG : cp_sysfs_parse_count_nl(s, v);
	free(s);
	if (rc < 0)
		return cp_fail(rc, "%s/hugepages-%ukB/%s is not a count", dir, size, file);
	return 0;
}

static int page_cmp(const struct cp_page_count *a, const struct cp_page_count *b)
{
	return a->size_kib < b->size_kib ? -1 : a->size_kib > b->size_kib;
}

int cp_sysfs_get_pages(const struct cp_root *r, int node, struct cp_page_count **pages, size_t *npages)
{
	struct cp_page_count *v = NULL;
	uint64_t huge_bytes = 0, mem_kib, pagesize;
	struct cp_strv names = { 0 };
	size_t n = 0;
	char *dir;
	int rc;

	dir = node < 0 ? cp_strdup("/sys/kernel/mm/hugepages")
		       : cp_asprintf("/sys/devices/system/node/node%d/hugepages", node);
	/* No hugepage directory: a kernel without hugetlbfs, base page only. */
	rc = cp_list(r, &names, "%s", dir);
	if (rc < 0 && rc != -ENOENT) {
		rc = cp_fail(rc, "cannot list %s: %s", dir, strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < names.n; i++) {
		uint64_t nr, nfree;
		unsigned size;

		rc = cp_sysfs_parse_hugepages_name(names.v[i], &size);
		if (rc == 0)
			continue;
		if (rc < 0) {
			rc = cp_fail(rc, "cannot parse %s/%s", dir, names.v[i]);
			goto out;
		}
		/* The free count is read too, and must be as well formed. */
		if ((rc = read_count(r, dir, size, "nr_hugepages", &nr)) < 0 ||
		    (rc = read_count(r, dir, size, "free_hugepages", &nfree)) < 0)
			goto out;
		v = cp_realloc(v, (n + 1) * sizeof(*v));
		v[n++] = (struct cp_page_count){ size, nr };
		huge_bytes += 1024 * (uint64_t)size * nr;
	}
	if ((rc = cp_host_pagesize(r, &pagesize)) < 0)
		goto out;
	rc = node < 0 ? cp_sysfs_total_memory(r, &mem_kib) : cp_sysfs_node_memory(r, (unsigned)node, &mem_kib);
	if (rc < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", *cp_last_error() ? cp_last_error() : strerror(-rc));
		rc = cp_fail(rc, "no memory size for %s (%s)", node < 0 ? "the host" : "a NUMA node", why);
		goto out;
	}
	/* The base pages are the memory the pools leave (wrapping like
	 * libvirt's unsigned arithmetic when the pools claim more). */
	v = cp_realloc(v, (n + 1) * sizeof(*v));
	v[n++] = (struct cp_page_count){ pagesize / 1024, (mem_kib * 1024 - huge_bytes) / pagesize };
	/* Stable insertion sort by size. */
	for (size_t i = 1; i < n; i++) {
		struct cp_page_count t = v[i];
		size_t j = i;

		while (j && page_cmp(&v[j - 1], &t) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
	*pages = v;
	*npages = n;
	v = NULL;
	rc = 0;
out:
	free(v);
	free(dir);
	cp_strv_free(&names);
	return rc;
}
