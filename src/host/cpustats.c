/* CPU times, CPU map and node info: what virsh's nodecpustats, nodecpumap
 * and nodeinfo print (libvirt's virHostCPUGetStatsLinux, virHostCPUGetMap,
 * virCapabilitiesGetNodeInfo). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/arch.h"
#include "host/sysfs.h"

int cp_probe_node_info(const struct cp_root *r, struct cp_node_info *out)
{
	struct cp_nodeinfo ni;
	char *machine = NULL;
	const char *arch;
	int rc;

	*out = (struct cp_node_info){ 0 };
	if ((rc = cp_host_machine(r, &machine)) < 0)
		return rc;
	arch = cp_arch_from_uname(machine);
	free(machine);
	if ((rc = cp_probe_nodeinfo(r, &ni)) < 0)
		return rc;
	*out = (struct cp_node_info){
		.model = arch ? arch : "none",	/* libvirt's name of an unknown arch */
		.cpus = ni.cpus, .mhz = ni.mhz, .nodes = ni.nodes, .sockets = ni.sockets,
		.cores = ni.cores, .threads = ni.threads, .memory_kib = ni.memory_kib,
	};
	return 0;
}

int cp_probe_cpumap(const struct cp_root *r, struct cp_node_cpumap *out)
{
	struct cp_cpuset present = { 0 };
	int rc, last = -1;

	*out = (struct cp_node_cpumap){ 0 };
	rc = cp_sysfs_read_cpus(r, &out->online, "/sys/devices/system/cpu/online");
	if (rc < 0)
		return cp_fail(rc, "cannot read /sys/devices/system/cpu/online: %s", cp_cpus_strerror(rc));
	rc = cp_sysfs_read_cpus(r, &present, "/sys/devices/system/cpu/present");
	if (rc < 0) {
		cp_node_cpumap_free(out);
		return cp_fail(rc, "cannot read /sys/devices/system/cpu/present: %s", cp_cpus_strerror(rc));
	}
	cp_cpuset_foreach(&present, cpu)
		last = cpu;
	cp_cpuset_free(&present);
	if (last < 0) {
		cp_node_cpumap_free(out);
		return cp_fail(-EINVAL, "/sys/devices/system/cpu/present lists no CPU");
	}
	out->present = (unsigned)last + 1;
	return 0;
}

static int clk_tck_live(void *arg, char **text)
{
	long t = sysconf(_SC_CLK_TCK);

	(void)arg;
	if (t <= 0)
		return -EINVAL;
	*text = cp_asprintf("%ld\n", t);
	return 0;
}

/* sysconf(_SC_CLK_TCK), the unit of /proc/stat: the fact "clk-tck"; a tree
 * recorded before it existed has Linux's USER_HZ, 100 on every arch
 * libvirt runs QEMU on. */
static int clk_tck(const struct cp_root *r, uint64_t *tck)
{
	char *s = NULL;
	int rc = cp_fact(r, "clk-tck", clk_tck_live, NULL, &s);

	if (rc == -ENOENT && !cp_root_live(r)) {
		cp_verbose("no recorded clk-tck fact: /proc/stat counts in 1/100 s");
		*tck = 100;
		return 0;
	}
	if (rc < 0)
		return cp_fail(rc, "cannot learn the clock tick (fact clk-tck): %s", strerror(-rc));
	rc = cp_parse_u64(s, 10, true, tck);
	free(s);
	if (rc < 0 || *tck == 0 || *tck > 1000000000)
		return cp_fail(-EINVAL, "recorded " CP_FACTS_DIR "/clk-tck is not a clock tick rate");
	return 0;
}

/* sscanf's %llu: optional blanks and sign, then digits; NULL when none. */
static const char *scan_u64(const char *p, uint64_t *v)
{
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)p[*p == '-' || *p == '+']))
		return NULL;
	*v = strtoull(p, &end, 10);
	return end;
}

int cp_probe_cpustats(const struct cp_root *r, int cpu, struct cp_node_cpustats *out)
{
	char header[32], *text, *line;
	uint64_t tck, ns;
	int rc;

	*out = (struct cp_node_cpustats){ 0 };
	if ((rc = clk_tck(r, &tck)) < 0)
		return rc;
	ns = 1000000000ull / tck;
	if (cpu == CP_CPU_ALL)
		snprintf(header, sizeof(header), "cpu ");
	else
		snprintf(header, sizeof(header), "cpu%d ", cpu);
	if ((rc = cp_read(r, &text, NULL, "/proc/stat")) < 0)
		return cp_fail(rc, "cannot open /proc/stat: %s", strerror(-rc));
	rc = -ENOENT;
	for (line = text; *line; line += strcspn(line, "\n"), line += *line == '\n') {
		/* user nice system idle iowait irq softirq steal guest guest_nice */
		uint64_t f[10] = { 0 };
		char *one;
		const char *p;
		int n = 0;

		if (!cp_startswith(line, header))
			continue;
		one = cp_strndup(line, strcspn(line, "\n"));
		p = one + strcspn(one, " \t");
		while (n < 10 && (p = scan_u64(p, &f[n])))
			n++;
		free(one);
		if (n < 4)
			continue;
		out->system = (f[2] + f[5] + f[6]) * ns;
		out->user = (f[0] + f[1]) * ns;
		out->idle = f[3] * ns;
		out->iowait = f[4] * ns;
		rc = 0;
		break;
	}
	free(text);
	if (rc < 0)
		return cp_fail(-ENOENT, "Invalid cpuNum %d: /proc/stat has no %.*s line", cpu,
			       (int)strlen(header) - 1, header);
	return 0;
}

void cp_cpustats_percent(const struct cp_node_cpustats *a, const struct cp_node_cpustats *b,
			 struct cp_node_cpustats *out)
{
	double user = (double)(b->user - a->user), system = (double)(b->system - a->system);
	double idle = (double)(b->idle - a->idle), iowait = (double)(b->iowait - a->iowait);
	double total = user + system + idle + iowait;

	*out = *b;
	out->percent = true;
	out->p_usage = (user + system) / total * 100;
	out->p_user = user / total * 100;
	out->p_system = system / total * 100;
	out->p_idle = idle / total * 100;
	out->p_iowait = iowait / total * 100;
}
