/* nodeinfo: libvirt's count of nodes, sockets, cores and threads
 * (virCapabilitiesGetNodeInfo, virHostCPUGetInfoPopulateLinux).  It feeds
 * the host <cpu><topology> and the fake NUMA cell.
 *
 * Steps: the host memory must be known (virHostMemGetInfo runs first and its
 * failure fails nodeinfo), /proc/cpuinfo must open, present and online CPU
 * lists must parse.  Each node<N> directory is then walked for its cpu<M>
 * entries; without a usable node directory (or with no CPU found) the walk
 * is done once over /sys/devices/system/cpu.  Counts are per node and the
 * maximum over nodes is kept; an inconsistent product falls back to
 * 1 node × 1 socket × (cpus + offline) cores × 1 thread.
 *
 * On ppc64 (libvirt's PPC-KVM subcore rule) the threads per subcore are
 * KVM's KVM_CAP_PPC_SMT, the fact "threads-per-subcore": when only primary
 * threads are online, an offline secondary thread whose primary is online
 * counts as a processor, and the thread count is multiplied by it.  A
 * recording made before that fact existed counts as a host without
 * subcores. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "host/arch.h"
#include "host/sysfs.h"
#include "util/hostdev.h"

struct walk {
	bool s390;			/* core id = CPU number */
	unsigned tps;			/* ppc64 threads per subcore, 0: no subcores */
	const struct cp_cpuset *present, *online;
	unsigned offline;		/* accumulates over walks, as libvirt's does */
};

struct counts {
	unsigned cpus, sockets, cores, threads;
};

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "cpu<digits>" → 1 and the number; anything else → 0; a CPU id above
 * what capsprobe handles → -ERANGE, naming the limit (never a CPU quietly
 * left out). */
static int cpu_entry(const char *name, unsigned *cpu)
{
	uint64_t v;

	if (!cp_startswith(name, "cpu") || !isdigit((unsigned char)name[3]))
		return 0;
	if (cp_parse_u64(name + 3, 10, false, &v) < 0)
		return 0;
	if (v > CP_CPU_MAX)
		return cp_fail(-ERANGE, "CPU %s: ids above %u are not supported", name + 3, CP_CPU_MAX);
	*cpu = (unsigned)v;
	return 1;
}

/* One node (or the whole CPU directory): processors, distinct sockets, the
 * largest distinct-core count of a socket, the largest sibling count. */
static int walk_dir(const struct cp_root *r, const char *dir, struct walk *w, struct counts *c)
{
	struct cp_cpuset members = { 0 };
	uint64_t *pairs = NULL;		/* socket << 32 | core, online CPUs */
	size_t npairs = 0;
	struct cp_strv names;
	int rc;

	*c = (struct counts){ 0 };
	rc = cp_list(r, &names, "%s", dir);
	if (rc < 0)
		return cp_fail(rc, "cannot list %s: %s", dir, strerror(-rc));
	for (size_t i = 0; i < names.n; i++) {
		unsigned cpu = 0;
		int k = cpu_entry(names.v[i], &cpu);

		if (k < 0) {
			cp_strv_free(&names);
			return k;
		}
		if (k && cp_cpuset_has(w->present, cpu))
			cp_cpuset_set(&members, cpu);
	}
	cp_strv_free(&names);

	cp_cpuset_foreach(&members, cpu) {
		unsigned socket, core;
		struct cp_cpuset sib = { 0 };	/* freed on every way out of the read */

		if (!cp_cpuset_has(w->online, (unsigned)cpu)) {
			/* KVM onlines a subcore's secondary threads in guest
			 * context: one whose primary is online is in use */
			if (w->tps && cpu % w->tps && cp_cpuset_has(w->online, (unsigned)(cpu - cpu % w->tps)))
				c->cpus++;
			else
				w->offline++;
			continue;
		}
		c->cpus++;
		if ((rc = cp_sysfs_read_id(r, (unsigned)cpu, "physical_package_id", &socket)) < 0) {
			rc = cp_fail(rc, "cannot read the socket of CPU %d", cpu);
			goto out;
		}
		if (w->s390) {
			core = (unsigned)cpu;
		} else {
			rc = cp_sysfs_read_cpu_uint(r, (unsigned)cpu, "core_id", &core);
			if (rc == -ENOENT) {
				core = 0;
			} else if (rc < 0) {
				rc = cp_fail(rc, "cannot read the core of CPU %d", cpu);
				goto out;
			}
		}
		pairs = cp_realloc(pairs, (npairs + 1) * sizeof(*pairs));
		pairs[npairs++] = (uint64_t)socket << 32 | core;

		rc = cp_sysfs_read_cpu_siblings(r, (unsigned)cpu, &sib);
		if (rc == -ENOENT) {
			c->threads = c->threads ? c->threads : 1;
		} else if (rc < 0 || !cp_cpuset_count(&sib)) {
			cp_cpuset_free(&sib);
			rc = cp_fail(rc < 0 ? rc : -EINVAL, "no thread siblings for CPU %d", cpu);
			goto out;
		} else {
			unsigned n = cp_cpuset_count(&sib);

			if (n > c->threads)
				c->threads = n;
			cp_cpuset_free(&sib);
		}
	}

	/* only primary threads were seen: each stands for a subcore */
	c->threads *= w->tps ? w->tps : 1;
	/* Sorted pairs group the cores of each socket together. */
	if (npairs)
		qsort(pairs, npairs, sizeof(*pairs), u64_cmp);
	for (size_t i = 0; i < npairs;) {
		uint32_t socket = (uint32_t)(pairs[i] >> 32);
		size_t first = i;
		unsigned cores = 0;

		for (; i < npairs && (uint32_t)(pairs[i] >> 32) == socket; i++)
			if (i == first || pairs[i] != pairs[i - 1])
				cores++;
		c->sockets++;
		if (cores > c->cores)
			c->cores = cores;
	}
	rc = 0;
out:
	free(pairs);
	cp_cpuset_free(&members);
	return rc;
}

static bool host_is_s390(const struct cp_root *r)
{
	char *m = NULL;
	bool yes;

	if (cp_host_machine(r, &m) < 0) {
		cp_clear_error();
		return false;
	}
	yes = cp_startswith(m, "s390");
	free(m);
	return yes;
}

/* libvirt's threads per subcore: KVM_CAP_PPC_SMT on ppc64 (no /dev/kvm:
 * 0), 0 elsewhere; then 0 unless every online CPU is a subcore's primary
 * thread (a multiple of it), as libvirt pretends subcores are not in use
 * otherwise.  A /dev/kvm that exists but cannot be opened fails nodeinfo,
 * as it fails libvirt's. */
static int threads_per_subcore(const struct cp_root *r, const struct cp_cpuset *online, unsigned *tps)
{
	char *m = NULL, *s = NULL;
	const char *arch;
	uint64_t v;
	int rc;

	*tps = 0;
	if (cp_host_machine(r, &m) < 0) {
		cp_clear_error();
		return 0;
	}
	arch = cp_arch_from_uname(m);
	free(m);
	if (!arch || (strcmp(arch, "ppc64") && strcmp(arch, "ppc64le")))
		return 0;
	rc = cp_fact(r, "threads-per-subcore", cp_hostdev_kvm_ppc_smt, NULL, &s);
	if (rc == -ENOENT && !cp_root_live(r)) {
		cp_verbose("no threads-per-subcore fact in the recording: counted without subcores");
		return 0;
	}
	if (rc < 0)
		return cp_fail(rc, "cannot learn the threads per subcore (KVM_CAP_PPC_SMT of /dev/kvm): %s",
			       strerror(-rc));
	rc = cp_parse_u64(s, 10, true, &v);
	free(s);
	/* KVM says 1, 2, 4 or 8; the bound keeps threads × it in range */
	if (rc < 0 || v > 1024)
		return cp_fail(-EINVAL, "recorded " CP_FACTS_DIR "/threads-per-subcore is not a thread count");
	if (!v)
		return 0;
	cp_cpuset_foreach(online, cpu)
		if ((unsigned)cpu % v)
			return 0;
	*tps = (unsigned)v;
	return 0;
}

/* libvirt's frequency line of /proc/cpuinfo for this machine, NULL when
 * there is none to look for (ARM has no sensible one; an arch libvirt's
 * parser does not know is only a note in its log). */
static const char *mhz_prefix(const char *machine)
{
	const char *arch = cp_arch_from_uname(machine);

	if (!arch || cp_startswith(arch, "arm") || strcmp(arch, "aarch64") == 0)
		return NULL;
	if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0)
		return "cpu MHz";
	if (cp_startswith(arch, "ppc"))
		return "clock";
	if (cp_startswith(arch, "s390"))
		return "cpu MHz dynamic";
	if (strcmp(arch, "loongarch64") == 0)
		return "CPU MHz";
	return NULL;
}

/* One line of virHostCPUParseFrequencyString: 1 not a frequency line,
 * 0 parsed, -1 malformed (which ends the scan). */
static int mhz_line(const char *s, const char *prefix, unsigned *mhz)
{
	unsigned long long v;
	char *end;

	if (!cp_startswith(s, prefix))
		return 1;
	s += strlen(prefix);
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -1;
	if (*s != ':')
		return 1;
	s++;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > UINT32_MAX || (*end != '.' && *end && !isspace((unsigned char)*end)))
		return -1;
	*mhz = (unsigned)v;
	return 0;
}

/* The last frequency line wins.  libvirt reads the file in fgets()
 * pieces of at most 1023 bytes, so a piece of a long line is a line too. */
static void parse_mhz(const struct cp_root *r, const char *cpuinfo, unsigned *mhz)
{
	char *machine = NULL, piece[1024];
	const char *prefix, *p = cpuinfo;

	*mhz = 0;
	if (cp_host_machine(r, &machine) < 0) {
		cp_clear_error();
		return;
	}
	prefix = mhz_prefix(machine);
	free(machine);
	while (prefix && *p) {
		size_t n = strcspn(p, "\n");

		if (p[n] == '\n')
			n++;
		if (n > sizeof(piece) - 1)
			n = sizeof(piece) - 1;
		memcpy(piece, p, n);
		piece[n] = '\0';
		p += n;
		if (mhz_line(piece, prefix, mhz) < 0) {
			cp_verbose("missing or invalid CPU frequency in /proc/cpuinfo");
			return;
		}
	}
}

static int read_cpu_list(const struct cp_root *r, const char *name, struct cp_cpuset *set)
{
	int rc = cp_sysfs_read_cpus(r, set, "/sys/devices/system/cpu/%s", name);

	if (rc < 0)
		return cp_fail(rc, "cannot read /sys/devices/system/cpu/%s: %s", name, cp_cpus_strerror(rc));
	return 0;
}

int cp_probe_nodeinfo(const struct cp_root *r, struct cp_nodeinfo *ni)
{
	struct cp_cpuset present = { 0 }, online = { 0 };
	struct walk w = { .present = &present, .online = &online };
	struct cp_strv names = { 0 };
	struct counts c;
	uint64_t mem;
	const char *cpuinfo;
	int rc;

	*ni = (struct cp_nodeinfo){ 0 };
	if ((rc = cp_sysfs_total_memory(r, &mem)) < 0)
		return rc;
	/* Only the frequency is parsed, and failing that only warns, but
	 * the file must open. */
	rc = cp_read_shared(r, &cpuinfo, NULL, "/proc/cpuinfo");
	if (rc < 0)
		return cp_fail(rc, "cannot read /proc/cpuinfo: %s", strerror(-rc));
	parse_mhz(r, cpuinfo, &ni->mhz);
	if ((rc = read_cpu_list(r, "present", &present)) < 0 ||
	    (rc = read_cpu_list(r, "online", &online)) < 0)
		goto out;
	w.s390 = host_is_s390(r);

	/* An unopenable node directory means "not NUMA": use the fallback
	 * (then, as in libvirt, without the subcore rule). */
	if (cp_list(r, &names, "/sys/devices/system/node") >= 0) {
		if ((rc = threads_per_subcore(r, &online, &w.tps)) < 0)
			goto out;
		for (size_t i = 0; i < names.n; i++) {
			const char *d = names.v[i];
			char *dir;

			if (!cp_startswith(d, "node") || !isdigit((unsigned char)d[4]))
				continue;
			ni->nodes++;
			dir = cp_asprintf("/sys/devices/system/node/%s", d);
			rc = walk_dir(r, dir, &w, &c);
			free(dir);
			if (rc < 0)
				goto out;
			ni->cpus += c.cpus;
			if (c.sockets > ni->sockets)
				ni->sockets = c.sockets;
			if (c.cores > ni->cores)
				ni->cores = c.cores;
			if (c.threads > ni->threads)
				ni->threads = c.threads;
		}
	}
	if (!ni->cpus || !ni->nodes) {
		if ((rc = walk_dir(r, "/sys/devices/system/cpu", &w, &c)) < 0)
			goto out;
		ni->nodes = 1;
		ni->cpus = c.cpus;
		ni->sockets = c.sockets;
		ni->cores = c.cores;
		ni->threads = c.threads;
	}
	if (!ni->cpus || !ni->sockets || !ni->threads) {
		rc = cp_fail(-EINVAL, "no %s found", !ni->cpus ? "CPUs" : !ni->sockets ? "sockets" : "threads");
		goto out;
	}
	ni->offline = w.offline;
	/* Sockets, cores and threads must multiply out to the CPU count
	 * (in libvirt's unsigned int arithmetic); if not, the shape is
	 * reported as one socket of single-thread cores. */
	if ((unsigned)(ni->nodes * ni->sockets * ni->cores * ni->threads) != ni->cpus + ni->offline) {
		ni->nodes = 1;
		ni->sockets = 1;
		ni->cores = ni->cpus + ni->offline;
		ni->threads = 1;
	}
	rc = 0;
out:
	cp_strv_free(&names);
	cp_cpuset_free(&present);
	cp_cpuset_free(&online);
	if (rc < 0)
		*ni = (struct cp_nodeinfo){ 0 };
	else
		ni->memory_kib = mem;
	return rc;
}
