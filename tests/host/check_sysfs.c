/* Unit tests of the sysfs helpers and the probes built on them: the pure parsers, nodeinfo on small
 * trees built here, the NUMA fallback rules, pages and cache banks. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"
#include "host/sysfs.h"
#include "util/err.h"

/* ---- tree builder ---- */

static char tree[64];

static void put(const char *path, const char *fmt, ...) CP_PRINTF(2, 3);

static void put(const char *path, const char *fmt, ...)
{
	char *full = cp_asprintf("%s/%s", tree, path[0] == '/' ? path + 1 : path);
	va_list ap;
	FILE *f;

	for (char *p = full + strlen(tree) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	f = fopen(full, "w");
	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	free(full);
}

static void mkdirs(const char *path)
{
	char *full = cp_asprintf("%s/%s/x", tree, path[0] == '/' ? path + 1 : path);

	for (char *p = full + strlen(tree) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	free(full);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void tree_setup(void)
{
	strcpy(tree, "/tmp/cp-topo.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	put("/capsprobe/uname-machine", "x86_64\n");
	put("/capsprobe/pagesize", "4096\n");
	put("/proc/cpuinfo", "processor\t: 0\n");
	put("/proc/meminfo", "MemTotal:        1000000 kB\n");
}

static void tree_teardown(void)
{
	nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	cp_clear_error();
}

static struct cp_root *open_tree(void)
{
	struct cp_root *r;

	ck_assert_int_eq(cp_root_new(tree, &r), 0);
	return r;
}

/* One CPU's topology files. */
static void cpu_topo(unsigned cpu, int socket, unsigned core, const char *siblings)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/physical_package_id", cpu);
	put(p, "%d\n", socket);
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/core_id", cpu);
	put(p, "%u\n", core);
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
	put(p, "%s\n", siblings);
}

static void node(unsigned n, const char *cpumap, unsigned long long memkib, const unsigned *cpus, size_t ncpus)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/devices/system/node/node%u/cpumap", n);
	put(p, "%s\n", cpumap);
	snprintf(p, sizeof(p), "/sys/devices/system/node/node%u/meminfo", n);
	put(p, "Node %u MemTotal:       %llu kB\nNode %u MemFree:   1 kB\n", n, memkib, n);
	for (size_t i = 0; i < ncpus; i++) {
		snprintf(p, sizeof(p), "/sys/devices/system/node/node%u/cpu%u", n, cpus[i]);
		mkdirs(p);
	}
}

static void remove_file(const char *path)
{
	char *full = cp_asprintf("%s%s", tree, path);

	ck_assert_int_eq(remove(full), 0);
	free(full);
}

static void remove_tree(const char *path)
{
	char *full = cp_asprintf("%s%s", tree, path);

	ck_assert_int_eq(nftw(full, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(full);
}

static void cpus(const char *present, const char *online)
{
	put("/sys/devices/system/cpu/present", "%s\n", present);
	put("/sys/devices/system/cpu/online", "%s\n", online);
}

/* ---- pure parsers ---- */

START_TEST(meminfo_total)
{
	static const struct { const char *in; int rc; uint64_t kib; } cases[] = {
		{ "Node 0 MemTotal:       5990616 kB\nNode 0 MemFree:  5370672 kB\n", 0, 5990616 },
		{ "MemTotal:        24682416 kB\nMemFree: 1 kB\n", 0, 24682416 },
		{ "Node 0 MemFree: 1 kB\nNode 0 MemTotal: 7 KB", 0, 7 },	/* no newline, kB any case */
		{ "MemTotal: 1 kB\nMemTotal: 2 kB\n", 0, 2 },			/* the last one counts */
		{ "MemTotal: 0755 kB\n", 0, 493 },				/* libnuma's base 0 */
		{ "MemTotal: 9007199254740991 kB\n", 0, 9007199254740991ULL },	/* 2^53 - 1 */
		{ "MemTotal: 9007199254740992 kB\n", -EINVAL, 0 },		/* bytes overflow int64 */
		{ "MemTotal: 1000000000000000000000000000000 kB\n", -EINVAL, 0 },
		{ "MemTotal:5990616 kB\n", -EINVAL, 0 },			/* libnuma needs a blank */
		{ "MemTotal: lots kB\n", -EINVAL, 0 },
		{ "MemTotal: 12\n", -EINVAL, 0 },				/* no kB: not a value line */
		{ "kB MemTotal\n", -EINVAL, 0 },
		{ "MemFree: 3 kB\n", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t kib = 0;
		int rc = cp_sysfs_parse_meminfo_total(cases[i].in, &kib);

		ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d", i, rc);
		if (!rc)
			ck_assert_msg(kib == cases[i].kib, "case %zu: %llu", i, (unsigned long long)kib);
	}
}
END_TEST

START_TEST(hugepages_name)
{
	static const struct { const char *in; int rc; unsigned kib; } cases[] = {
		{ "hugepages-2048kB", 1, 2048 },
		{ "hugepages-1048576KB", 1, 1048576 },
		{ "hugepages-64kb", 1, 64 },
		{ "hugepages-4294967295kB", 1, 4294967295u },
		{ "hugepages-4294967296kB", -EINVAL, 0 },
		{ "hugepages-99999999999999999999999kB", -EINVAL, 0 },
		{ "hugepages-2048", -EINVAL, 0 },
		{ "hugepages-2048kBx", -EINVAL, 0 },
		{ "hugepages-kB", -EINVAL, 0 },
		{ "hugepages--1kB", -EINVAL, 0 },
		{ "hugepages-", -EINVAL, 0 },
		{ "hugepages", 0, 0 },
		{ "transparent", 0, 0 },
		{ "", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned kib = 0;
		int rc = cp_sysfs_parse_hugepages_name(cases[i].in, &kib);

		ck_assert_msg(rc == cases[i].rc, "'%s': rc %d", cases[i].in, rc);
		if (rc == 1)
			ck_assert_uint_eq(kib, cases[i].kib);
	}
}
END_TEST

START_TEST(count_nl)
{
	uint64_t v;

	ck_assert_int_eq(cp_sysfs_parse_count_nl("512\n", &v), 0);
	ck_assert_uint_eq(v, 512);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("18446744073709551615\n", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("18446744073709551616\n", &v), -ERANGE);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("512", &v), -EINVAL);	/* the newline is required */
	ck_assert_int_eq(cp_sysfs_parse_count_nl("512 \n", &v), -EINVAL);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("-1\n", &v), -EINVAL);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("\n", &v), -EINVAL);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("", &v), -EINVAL);
	ck_assert_int_eq(cp_sysfs_parse_count_nl("x\n", &v), -EINVAL);
}
END_TEST

START_TEST(scaled)
{
	static const struct { const char *in; int rc; uint64_t bytes; } cases[] = {
		{ "32768K", 0, 33554432 },
		{ "1024", 0, 1048576 },		/* bare numbers are KiB */
		{ "512KiB", 0, 524288 },
		{ "2M", 0, 2097152 },
		{ "1g", 0, 1073741824 },
		{ "10B", 0, 10 },
		{ "10bytes", 0, 10 },
		{ "5kb", 0, 5000 },
		{ "0K", 0, 0 },
		{ "5KB", -EINVAL, 0 },
		{ "5X", -EINVAL, 0 },
		{ "32768K ", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "-1K", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "18014398509481983K", 0, 18446744073709550592ULL },
		{ "18014398509481984K", -ERANGE, 0 },
		{ "99999999999999999999K", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t b = 0;
		int rc = cp_sysfs_parse_scaled(cases[i].in, &b);

		ck_assert_msg(rc == cases[i].rc, "'%s': rc %d", cases[i].in, rc);
		if (!rc)
			ck_assert_msg(b == cases[i].bytes, "'%s': %llu", cases[i].in, (unsigned long long)b);
	}
}
END_TEST

START_TEST(hmat_enums)
{
	ck_assert_str_eq(cp_sysfs_hmat_associativity(0), "direct");
	ck_assert_str_eq(cp_sysfs_hmat_associativity(1), "full");
	ck_assert_str_eq(cp_sysfs_hmat_associativity(2), "none");
	ck_assert_ptr_null(cp_sysfs_hmat_associativity(3));
	ck_assert_ptr_null(cp_sysfs_hmat_associativity(4294967295u));
	ck_assert_str_eq(cp_sysfs_hmat_policy(0), "writeback");
	ck_assert_str_eq(cp_sysfs_hmat_policy(1), "writethrough");
	ck_assert_str_eq(cp_sysfs_hmat_policy(2), "none");
	ck_assert_ptr_null(cp_sysfs_hmat_policy(3));
}
END_TEST

/* ---- nodeinfo ---- */

static int nodeinfo(struct cp_nodeinfo *ni)
{
	struct cp_root *r = open_tree();
	int rc = cp_probe_nodeinfo(r, ni);

	cp_root_free(r);
	return rc;
}

/* Two nodes of one socket each, two SMT cores per socket. */
static void two_node_smt(void)
{
	static const unsigned n0[] = { 0, 1, 2, 3 }, n1[] = { 4, 5, 6, 7 };

	cpus("0-7", "0-7");
	for (unsigned c = 0; c < 8; c++) {
		char sib[16];

		snprintf(sib, sizeof(sib), "%u-%u", c & ~1u, (c & ~1u) + 1);
		cpu_topo(c, (int)(c / 4), (c % 4) / 2, sib);
	}
	node(0, "0f", 1000, n0, 4);
	node(1, "f0", 2000, n1, 4);
}

START_TEST(nodeinfo_numa)
{
	struct cp_nodeinfo ni;

	two_node_smt();
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.nodes, 2);
	ck_assert_uint_eq(ni.cpus, 8);
	ck_assert_uint_eq(ni.sockets, 1);	/* per node */
	ck_assert_uint_eq(ni.cores, 2);
	ck_assert_uint_eq(ni.threads, 2);
	ck_assert_uint_eq(ni.offline, 0);
}
END_TEST

START_TEST(nodeinfo_offline)
{
	struct cp_nodeinfo ni;

	two_node_smt();
	cpus("0-7", "0-6");
	put("/sys/devices/system/cpu/cpu6/topology/thread_siblings_list", "6\n");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 7);
	ck_assert_uint_eq(ni.offline, 1);
	/* 2 × 1 × 2 × 2 = 7 + 1 holds */
	ck_assert_uint_eq(ni.nodes, 2);
	ck_assert_uint_eq(ni.threads, 2);
}
END_TEST

START_TEST(nodeinfo_sanity_rule)
{
	struct cp_nodeinfo ni;

	/* Bulldozer-like: siblings pairs and a distinct core id per CPU. */
	cpus("0-3", "0-3");
	cpu_topo(0, 0, 0, "0-1");
	cpu_topo(1, 0, 1, "0-1");
	cpu_topo(2, 0, 2, "2-3");
	cpu_topo(3, 0, 3, "2-3");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.nodes, 1);
	ck_assert_uint_eq(ni.sockets, 1);
	ck_assert_uint_eq(ni.cores, 4);		/* cpus + offline */
	ck_assert_uint_eq(ni.threads, 1);
}
END_TEST

START_TEST(nodeinfo_fallback)
{
	static const unsigned none[] = { 0 };
	struct cp_nodeinfo ni;

	/* No node directory: the CPU directory is walked once. */
	cpus("0-1", "0-1");
	cpu_topo(0, -1, 0, "0");	/* socket -1 counts as 0 */
	cpu_topo(1, 0, 1, "1");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.nodes, 1);
	ck_assert_uint_eq(ni.sockets, 1);
	ck_assert_uint_eq(ni.cores, 2);
	ck_assert_uint_eq(ni.threads, 1);

	/* Nodes without CPU entries: the same fallback, nodes = 1. */
	node(0, "3", 1000, none, 0);
	node(1, "0", 1000, none, 0);
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.nodes, 1);
	ck_assert_uint_eq(ni.cpus, 2);
}
END_TEST

START_TEST(nodeinfo_defaults)
{
	struct cp_nodeinfo ni;

	/* No topology files at all: socket 0, core 0, one thread each; the
	 * product then fails the sanity rule (1 core ≠ 2 CPUs). */
	cpus("0-1", "0-1");
	mkdirs("/sys/devices/system/cpu/cpu0");
	mkdirs("/sys/devices/system/cpu/cpu1");
	mkdirs("/sys/devices/system/cpu/cpufreq");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 2);
	ck_assert_uint_eq(ni.sockets, 1);
	ck_assert_uint_eq(ni.cores, 2);
	ck_assert_uint_eq(ni.threads, 1);
}
END_TEST

START_TEST(nodeinfo_s390)
{
	struct cp_nodeinfo ni;

	/* On s390 the core is the CPU number, whatever core_id says. */
	put("/capsprobe/uname-machine", "s390x\n");
	cpus("0-1", "0-1");
	cpu_topo(0, 0, 0, "0");
	cpu_topo(1, 0, 0, "1");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cores, 2);
	ck_assert_uint_eq(ni.threads, 1);

	put("/capsprobe/uname-machine", "x86_64\n");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cores, 2);		/* 1 core ≠ 2 CPUs: sanity rule */
	ck_assert_uint_eq(ni.sockets, 1);
}
END_TEST

/* A POWER8 KVM host: one node, two cores of 8 threads (CPUs 0-15), with
 * only each core's primary thread online, as PPC-KVM wants. */
static void power_subcores(void)
{
	static const unsigned n0[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

	put("/capsprobe/uname-machine", "ppc64le\n");
	put("/capsprobe/threads-per-subcore", "8\n");
	cpus("0-15", "0,8");
	cpu_topo(0, 0, 0, "0");
	cpu_topo(8, 0, 8, "8");
	node(0, "ffff", 1000, n0, 16);
}

START_TEST(nodeinfo_subcores)
{
	struct cp_nodeinfo ni;

	/* offline secondaries of online primaries are processors; each
	 * primary stands for 8 threads */
	power_subcores();
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 16);
	ck_assert_uint_eq(ni.offline, 0);
	ck_assert_uint_eq(ni.nodes, 1);
	ck_assert_uint_eq(ni.sockets, 1);
	ck_assert_uint_eq(ni.cores, 2);
	ck_assert_uint_eq(ni.threads, 8);

	/* a whole core offline (primary too): its threads are offline */
	cpus("0-15", "0");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 8);
	ck_assert_uint_eq(ni.offline, 8);
	ck_assert_uint_eq(ni.cores, 16);	/* 1 core × 8 threads ≠ 16: sanity rule */
	ck_assert_uint_eq(ni.threads, 1);

	/* 4 threads per subcore: CPU 4 would be a primary, and is offline */
	cpus("0-15", "0,8");
	put("/capsprobe/threads-per-subcore", "4\n");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 8);		/* 1-3 and 9-11 */
	ck_assert_uint_eq(ni.offline, 8);
}
END_TEST

START_TEST(nodeinfo_subcores_unused)
{
	struct cp_nodeinfo ni;

	/* an online secondary thread: libvirt counts thread by thread */
	power_subcores();
	cpus("0-15", "0,1,8");
	cpu_topo(0, 0, 0, "0-1");
	cpu_topo(1, 0, 0, "0-1");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 3);
	ck_assert_uint_eq(ni.offline, 13);
	ck_assert_uint_eq(ni.threads, 1);	/* 2 cores × 2 threads ≠ 16: sanity rule */
	ck_assert_uint_eq(ni.cores, 16);

	/* no KVM (0), or no fact in an older recording: no subcores */
	power_subcores();
	put("/capsprobe/threads-per-subcore", "0\n");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 2);
	ck_assert_uint_eq(ni.offline, 14);
	power_subcores();
	remove_file("/capsprobe/threads-per-subcore");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 2);

	/* other arches never ask */
	power_subcores();
	put("/capsprobe/uname-machine", "x86_64\n");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 2);

	/* without a node directory libvirt skips the rule */
	power_subcores();
	put("/capsprobe/threads-per-subcore", "8\n");
	remove_tree("/sys/devices/system/node");
	ck_assert_int_eq(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 2);		/* CPU 1 (a secondary of 0) stays offline */
	ck_assert_uint_eq(ni.offline, 1);	/* the CPU directory has 0, 1 and 8 */

	/* a recorded value that is no count is an error */
	power_subcores();
	put("/capsprobe/threads-per-subcore", "eight\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	ck_assert_str_eq(cp_last_error(), "recorded /capsprobe/threads-per-subcore is not a thread count");
	put("/capsprobe/threads-per-subcore", "99999999999\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/capsprobe/threads-per-subcore", "1025\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/capsprobe/threads-per-subcore", "1024\n");	/* the largest taken: no subcores here */
	ck_assert_int_eq(nodeinfo(&ni), 0);
}
END_TEST

START_TEST(nodeinfo_failures)
{
	struct cp_nodeinfo ni;

	cpus("0-1", "0-1");
	cpu_topo(0, 0, 0, "0");
	cpu_topo(1, 0, 1, "1");
	ck_assert_int_eq(nodeinfo(&ni), 0);

	put("/sys/devices/system/cpu/cpu1/topology/core_id", "-1\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	ck_assert_uint_eq(ni.cpus, 0);
	put("/sys/devices/system/cpu/cpu1/topology/core_id", "1\n");

	put("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "1\n");

	put("/sys/devices/system/cpu/present", "\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/sys/devices/system/cpu/present", "0-1\n");

	put("/sys/devices/system/cpu/online", "%s", "");	/* no CPU online */
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/sys/devices/system/cpu/online", "0-1\n");

	put("/capsprobe/denied", "EACCES /proc/cpuinfo\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/capsprobe/denied", "EACCES /sys/devices/system/cpu/cpu0/topology/physical_package_id\n");
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/capsprobe/denied", "EACCES /proc/meminfo\n");	/* no memory size, no nodeinfo */
	ck_assert_int_lt(nodeinfo(&ni), 0);
	put("/capsprobe/denied", "\n");
	ck_assert_int_eq(nodeinfo(&ni), 0);
}
END_TEST

/* ---- NUMA cells and their fallbacks ---- */

static int numa(struct cp_host *h, bool *ni_ok)
{
	struct cp_root *r = open_tree();
	struct cp_nodeinfo ni;
	int rc;

	*ni_ok = cp_probe_nodeinfo(r, &ni) == 0;
	rc = cp_probe_numa(r, &ni, *ni_ok, h);
	cp_root_free(r);
	return rc;
}

START_TEST(numa_real)
{
	struct cp_host h = { 0 };
	bool ok;

	two_node_smt();
	put("/sys/devices/system/node/node0/distance", "10 21\n");
	put("/sys/devices/system/node/node1/distance", "21 10\n");
	put("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "100\n");
	put("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "7\n");
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert(h.have_topology);
	ck_assert_uint_eq(h.ncells, 2);
	ck_assert_uint_eq(h.cells[1].id, 1);
	ck_assert_uint_eq(h.cells[1].memory_kib, 2000);
	ck_assert_uint_eq(h.cells[1].ncpus, 4);
	ck_assert_uint_eq(h.cells[1].cpus[3].id, 7);
	ck_assert_uint_eq(h.cells[1].cpus[3].socket_id, 1);
	ck_assert_uint_eq(h.cells[1].cpus[3].core_id, 1);
	ck_assert_uint_eq(h.cells[1].cpus[3].cluster_id, 0);	/* missing file */
	ck_assert_str_eq(h.cells[1].cpus[3].siblings, "6-7");
	ck_assert_uint_eq(h.cells[1].ndistances, 2);
	ck_assert_uint_eq(h.cells[1].distances[0].value, 21);
	/* base pages: (2000 KiB - 100 × 2 MiB) wraps like libvirt's
	 * unsigned arithmetic; the pool itself is listed as read */
	ck_assert_uint_eq(h.cells[1].npages, 2);
	ck_assert_uint_eq(h.cells[1].pages[0].size_kib, 4);
	ck_assert_uint_eq(h.cells[1].pages[0].count, (2000ULL * 1024 - 100ULL * 2048 * 1024) / 4096);
	ck_assert_uint_eq(h.cells[1].pages[1].size_kib, 2048);
	ck_assert_uint_eq(h.cells[1].pages[1].count, 100);
	ck_assert_uint_eq(h.cells[0].npages, 1);
	ck_assert_uint_eq(h.cells[0].pages[0].count, 250);
	cp_host_free(&h);
}
END_TEST

START_TEST(numa_distances_sparse)
{
	static const unsigned c0[] = { 0 }, c1[] = { 1 };
	struct cp_host h = { 0 };
	bool ok;

	/* Nodes 0 and 2: a row's numbers go to the existing nodes in order. */
	cpus("0-1", "0-1");
	cpu_topo(0, 0, 0, "0");
	cpu_topo(1, 1, 0, "1");
	node(0, "1", 1000, c0, 1);
	node(2, "2", 1000, c1, 1);
	put("/sys/devices/system/node/node0/distance", "10 30\n");
	put("/sys/devices/system/node/node2/distance", "30 10\n99 99\n");
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert_uint_eq(h.ncells, 2);
	ck_assert_uint_eq(h.cells[1].id, 2);
	ck_assert_uint_eq(h.cells[1].ndistances, 2);
	ck_assert_uint_eq(h.cells[1].distances[0].id, 0);
	ck_assert_uint_eq(h.cells[1].distances[0].value, 30);
	ck_assert_uint_eq(h.cells[1].distances[1].id, 2);
	ck_assert_uint_eq(h.cells[1].distances[1].value, 10);
	cp_host_free(&h);

	/* An empty row before any missing one fails the whole table. */
	put("/sys/devices/system/node/node0/distance", "%s", "");
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert_uint_eq(h.ncells, 2);
	ck_assert_uint_eq(h.cells[0].ndistances, 0);
	ck_assert_uint_eq(h.cells[1].ndistances, 0);
	cp_host_free(&h);
}
END_TEST

START_TEST(numa_fake_without_nodes)
{
	struct cp_host h = { 0 };
	bool ok;

	/* SMT numbered 0,2 / 1,3: the fake cell numbers CPUs in blocks. */
	cpus("0-3", "0-3");
	cpu_topo(0, 0, 0, "0,2");
	cpu_topo(1, 0, 5, "1,3");
	cpu_topo(2, 0, 0, "0,2");
	cpu_topo(3, 0, 5, "1,3");
	put("/sys/devices/system/cpu/cpu3/online", "0\n");	/* not in the online list... */
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert(ok);
	ck_assert(h.have_topology);
	ck_assert_uint_eq(h.ncells, 1);
	ck_assert_uint_eq(h.cells[0].id, 0);
	ck_assert_uint_eq(h.cells[0].memory_kib, 1000000);
	ck_assert_uint_eq(h.cells[0].npages, 0);
	ck_assert_uint_eq(h.cells[0].ndistances, 0);
	/* ...but the fake path asks cpuN/online, which says offline */
	ck_assert_uint_eq(h.cells[0].ncpus, 3);
	ck_assert_uint_eq(h.cells[0].cpus[2].id, 2);
	ck_assert_uint_eq(h.cells[0].cpus[2].core_id, 1);
	ck_assert_str_eq(h.cells[0].cpus[2].siblings, "2-3");
	cp_host_free(&h);
}
END_TEST

START_TEST(numa_fake_after_failure)
{
	static const unsigned c0[] = { 0 }, c1[] = { 1 };
	struct cp_host h = { 0 };
	bool ok;

	cpus("0-1", "0-1");
	cpu_topo(0, 0, 0, "0");
	cpu_topo(1, 0, 0, "1");
	node(0, "1", 1000, c0, 1);
	node(1, "2", 3000, c1, 1);
	put("/sys/devices/system/cpu/cpu1/topology/cluster_id", "4294967295\n");
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert(ok);
	/* nodeinfo has 2 nodes of 1 CPU: two fake cells, both numbered 0,
	 * each with all the memory */
	ck_assert(h.have_topology);
	ck_assert_uint_eq(h.ncells, 2);
	ck_assert_uint_eq(h.cells[0].id, 0);
	ck_assert_uint_eq(h.cells[1].id, 0);
	ck_assert_uint_eq(h.cells[1].memory_kib, 4000);
	ck_assert_uint_eq(h.cells[1].ncpus, 1);
	ck_assert_uint_eq(h.cells[1].cpus[0].id, 1);
	ck_assert_uint_eq(h.cells[1].cpus[0].cluster_id, 0);
	cp_host_free(&h);

	/* A bad hugepage counter also fails the real path. */
	put("/sys/devices/system/cpu/cpu1/topology/cluster_id", "-1\n");
	put("/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "1");
	put("/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "1\n");
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert_uint_eq(h.cells[1].id, 0);
	cp_host_free(&h);

	/* Without nodeinfo the fake path is impossible: no topology. */
	put("/capsprobe/denied", "EACCES /proc/cpuinfo\n");
	ck_assert_int_eq(numa(&h, &ok), 0);
	ck_assert(!ok);
	ck_assert(!h.have_topology);
	ck_assert_uint_eq(h.ncells, 0);
	cp_host_free(&h);
}
END_TEST

/* ---- pages ---- */

START_TEST(host_pages)
{
	struct cp_host h = { 0 };
	struct cp_root *r;

	put("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
	put("/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "0\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "3\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1\n");
	r = open_tree();
	ck_assert_int_eq(cp_probe_pages(r, &h), 0);
	ck_assert_uint_eq(h.cpu.npage, 3);
	ck_assert_uint_eq(h.cpu.page_kib[0], 4);
	ck_assert_uint_eq(h.cpu.page_kib[1], 2048);
	ck_assert_uint_eq(h.cpu.page_kib[2], 1048576);
	cp_host_free(&h);

	/* The free count is read too: garbage there drops the whole list.
	 * (A root reads each file once: a changed tree needs a new root.) */
	cp_root_free(r);
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1 \n");
	r = open_tree();
	ck_assert_int_eq(cp_probe_pages(r, &h), 0);
	ck_assert_uint_eq(h.cpu.npage, 0);
	ck_assert_ptr_null(h.cpu.page_kib);
	cp_root_free(r);
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1\n");
	/* An entry that is not "<N>kB" too. */
	mkdirs("/sys/kernel/mm/hugepages/hugepages-2M");
	r = open_tree();
	ck_assert_int_eq(cp_probe_pages(r, &h), 0);
	ck_assert_uint_eq(h.cpu.npage, 0);
	cp_root_free(r);

	/* A recorded tree without its page size is a hard error. */
	{
		char *p = cp_asprintf("%s/capsprobe/pagesize", tree);

		ck_assert_int_eq(remove(p), 0);
		free(p);
	}
	r = open_tree();
	ck_assert_int_lt(cp_probe_pages(r, &h), 0);
	cp_root_free(r);
	cp_host_free(&h);
}
END_TEST

/* ---- cache banks ---- */

static void idx(unsigned cpu, unsigned i, const char *level, const char *id, const char *type, const char *size,
		const char *shared)
{
	const char *names[] = { "level", "id", "type", "size", "shared_cpu_list" };
	const char *vals[] = { level, id, type, size, shared };
	char p[128];

	for (int k = 0; k < 5; k++) {
		if (!vals[k])
			continue;
		snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/cache/index%u/%s", cpu, i, names[k]);
		put(p, "%s\n", vals[k]);
	}
}

static int cache(struct cp_host *h)
{
	struct cp_root *r = open_tree();
	int rc = cp_probe_cachebanks(r, h);

	cp_root_free(r);
	return rc;
}

START_TEST(cache_banks)
{
	struct cp_host h = { 0 };

	cpus("0-1", "0-1");
	for (unsigned c = 0; c < 2; c++) {
		char id[8];

		snprintf(id, sizeof(id), "%u", c);
		idx(c, 0, "1", id, "Unified", "32K", id);	/* level 1: skipped */
		idx(c, 1, "3", "0", "Unified", "16384K", "0-1");
		idx(c, 2, "2", id, "Instruction", "64K", id);	/* code/data pair */
		idx(c, 3, "2", id, "Data", "64K", id);
		idx(c, 4, "4", NULL, "Unified", "1G", "0-1");	/* no id: skipped */
	}
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 5);
	/* sorted by (level, id); the pair keeps discovery order */
	ck_assert_uint_eq(h.banks[0].level, 2);
	ck_assert_str_eq(h.banks[0].type, "code");
	ck_assert_str_eq(h.banks[1].type, "data");
	ck_assert_uint_eq(h.banks[2].id, 1);
	ck_assert_str_eq(h.banks[3].type, "data");
	ck_assert_uint_eq(h.banks[4].level, 3);
	ck_assert_uint_eq(h.banks[4].size, 16777216);
	ck_assert_str_eq(h.banks[4].cpus, "0-1");
	ck_assert_uint_eq(h.banks[4].ncontrols, 0);
	ck_assert(!h.cache_monitor.present);
	ck_assert_uint_eq(h.nmembw, 0);
	cp_host_free(&h);

	/* An unknown type stops the scan: what was found stays, unsorted. */
	idx(1, 1, "3", "0", "Victim", "16384K", "0-1");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 3);
	ck_assert_uint_eq(h.banks[0].level, 3);
	ck_assert_uint_eq(h.banks[1].level, 2);
	cp_host_free(&h);

	/* A missing level stops it too; an offline CPU is not read. */
	idx(1, 1, "3", "0", "Unified", "16384K", "0-1");
	put("/sys/devices/system/cpu/cpu0/cache/index9/id", "0\n");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 3);
	ck_assert_uint_eq(h.banks[0].level, 3);
	cp_host_free(&h);
	put("/sys/devices/system/cpu/online", "1\n");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 3);
	ck_assert_str_eq(h.banks[0].cpus, "1");
	cp_host_free(&h);
}
END_TEST

START_TEST(cache_resctrl)
{
	struct cp_host h = { 0 };

	cpus("0-1", "0-1");
	for (unsigned c = 0; c < 2; c++) {
		char id[8];

		snprintf(id, sizeof(id), "%u", c);
		idx(c, 0, "2", id, "Unified", "1024K", id);
		idx(c, 1, "3", id, "Unified", "11264K", id);
	}
	put("/sys/fs/resctrl/info/L3CODE/cbm_mask", "7ff\n");	/* 11 bits: 1 MiB each */
	put("/sys/fs/resctrl/info/L3CODE/min_cbm_bits", "1\n");
	put("/sys/fs/resctrl/info/L3CODE/num_closids", "8\n");
	put("/sys/fs/resctrl/info/L3DATA/cbm_mask", "7ff\n");
	put("/sys/fs/resctrl/info/L3DATA/min_cbm_bits", "3\n");
	put("/sys/fs/resctrl/info/L3DATA/num_closids", "8\n");
	put("/sys/fs/resctrl/info/L2/cbm_mask", "ff\n");
	put("/sys/fs/resctrl/info/L2/min_cbm_bits", "1\n");	/* no num_closids: 0, only a warning */
	put("/sys/fs/resctrl/info/L3_MON/num_rmids", "32\n");
	put("/sys/fs/resctrl/info/L3_MON/mon_features", "llc_occupancy\nmbm_total_bytes\n");
	put("/sys/fs/resctrl/info/MB/bandwidth_gran", "10\n");
	put("/sys/fs/resctrl/info/MB/min_bandwidth", "0\n");
	put("/sys/fs/resctrl/info/MB/num_closids", "4\n");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 4);
	ck_assert_uint_eq(h.banks[0].ncontrols, 1);
	ck_assert_uint_eq(h.banks[0].controls[0].granularity, 131072);
	ck_assert_uint_eq(h.banks[0].controls[0].max_allocs, 0);
	ck_assert_uint_eq(h.banks[3].ncontrols, 2);
	ck_assert_str_eq(h.banks[3].controls[0].type, "code");
	ck_assert_uint_eq(h.banks[3].controls[0].granularity, 1048576);
	ck_assert_uint_eq(h.banks[3].controls[0].min, 0);		/* min_cbm_bits 1 */
	ck_assert_str_eq(h.banks[3].controls[1].type, "data");
	ck_assert_uint_eq(h.banks[3].controls[1].min, 3 * 1048576);
	ck_assert(h.cache_monitor.present);
	ck_assert_uint_eq(h.cache_monitor.level, 3);
	ck_assert_uint_eq(h.cache_monitor.reuse_threshold, 0);	/* file missing */
	ck_assert_uint_eq(h.cache_monitor.max_monitors, 32);
	ck_assert_uint_eq(h.cache_monitor.features.n, 1);
	/* memory bandwidth: one node per last-level bank */
	ck_assert_uint_eq(h.nmembw, 2);
	ck_assert_uint_eq(h.membw[1].id, 1);
	ck_assert_str_eq(h.membw[1].cpus, "1");
	ck_assert_uint_eq(h.membw[1].granularity, 10);
	ck_assert(h.membw_monitor.present);
	ck_assert_str_eq(h.membw_monitor.features.v[0], "mbm_total_bytes");
	cp_host_free(&h);

	/* Two sizes on one resctrl level stop the scan at the second. */
	idx(1, 1, "3", "1", "Unified", "12288K", "1");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 3);
	ck_assert_uint_eq(h.nmembw, 0);
	ck_assert(!h.cache_monitor.present);
	cp_host_free(&h);

	/* Broken resctrl info: no <cache> at all. */
	put("/sys/fs/resctrl/info/L3_MON/mon_features", "\n");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 0);
	put("/sys/fs/resctrl/info/L3_MON/mon_features", "llc_occupancy\n");
	put("/sys/fs/resctrl/info/L2/cbm_mask", "0\n");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 0);
	put("/sys/fs/resctrl/info/L2/cbm_mask", "ff\n");
	put("/capsprobe/denied", "EACCES /sys/fs/resctrl/info\n");
	ck_assert_int_eq(cache(&h), 0);
	ck_assert_uint_eq(h.nbanks, 0);
	cp_host_free(&h);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, meminfo_total);
	tcase_add_test(tc, hugepages_name);
	tcase_add_test(tc, count_nl);
	tcase_add_test(tc, scaled);
	tcase_add_test(tc, hmat_enums);
	suite_add_tcase(s, tc);

	tc = tcase_create("nodeinfo");
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, nodeinfo_numa);
	tcase_add_test(tc, nodeinfo_offline);
	tcase_add_test(tc, nodeinfo_sanity_rule);
	tcase_add_test(tc, nodeinfo_fallback);
	tcase_add_test(tc, nodeinfo_defaults);
	tcase_add_test(tc, nodeinfo_s390);
	tcase_add_test(tc, nodeinfo_subcores);
	tcase_add_test(tc, nodeinfo_subcores_unused);
	tcase_add_test(tc, nodeinfo_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("numa");
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, numa_real);
	tcase_add_test(tc, numa_distances_sparse);
	tcase_add_test(tc, numa_fake_without_nodes);
	tcase_add_test(tc, numa_fake_after_failure);
	tcase_add_test(tc, host_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, cache_banks);
	tcase_add_test(tc, cache_resctrl);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
