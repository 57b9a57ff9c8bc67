#include "config.h"

#include <errno.h>
#include <string.h>

#include "host/cpu.h"

/* Arches with a libvirt 11.3 CPU driver: only they get a CPU definition,
 * hence <topology>; getHost exists for x86, aarch64 and ppc64 alone. */
static const struct {
	const char *arch;
	int (*get_host)(const struct cp_root *r, struct cp_host_cpu *cpu);
} cpu_drivers[] = {
	{ "i686", cp_cpu_x86 },
	{ "x86_64", cp_cpu_x86 },
	{ "aarch64", cp_cpu_arm },
	{ "armv6l", NULL },
	{ "armv7b", NULL },
	{ "armv7l", NULL },
	{ "ppc64", cp_cpu_ppc },
	{ "ppc64le", cp_cpu_ppc },
	{ "s390", NULL },
	{ "s390x", NULL },
	{ "riscv64", NULL },
	{ "loongarch64", NULL },
};

bool cp_cpu_has_definition(const char *arch)
{
	for (size_t i = 0; arch && i < sizeof(cpu_drivers) / sizeof(cpu_drivers[0]); i++)
		if (strcmp(cpu_drivers[i].arch, arch) == 0)
			return true;
	return false;
}

int cp_probe_cpu(const struct cp_root *r, const struct cp_nodeinfo *ni, bool ni_ok, struct cp_host *h)
{
	struct cp_host_cpu *cpu = &h->cpu;
	size_t i;
	int rc;

	/* Without nodeinfo or a driver there is no CPU definition at all:
	 * <cpu> keeps <arch> and <pages>. */
	if (!ni_ok || !cpu->arch)
		return 0;
	for (i = 0; i < sizeof(cpu_drivers) / sizeof(cpu_drivers[0]); i++)
		if (strcmp(cpu_drivers[i].arch, cpu->arch) == 0)
			break;
	if (i == sizeof(cpu_drivers) / sizeof(cpu_drivers[0]))
		return 0;

	/* dies and clusters are constant 1 in 11.3 */
	cpu->sockets = ni->sockets;
	cpu->dies = 1;
	cpu->clusters = 1;
	cpu->cores = ni->cores;
	cpu->threads = ni->threads;
	if (!cpu_drivers[i].get_host)
		return 0;

	cp_clear_error();
	rc = cpu_drivers[i].get_host(r, cpu);
	/* A recording that cannot be parsed is our error, not libvirt's. */
	if (rc == -EBADMSG)
		return rc;
	/* libvirt swallows a getHost failure and keeps what was filled in. */
	if (rc < 0)
		cp_verbose("host CPU model unknown: %s", *cp_last_error() ? cp_last_error() : strerror(-rc));
	return 0;
}
