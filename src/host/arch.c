#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "host/arch.h"
#include "host/host.h"

/* libvirt 11.3's arch table: order, word size (sh4eb's 64 is libvirt's own
 * quirk, kept so that output matches), binary names and preferred machines. */
const struct cp_arch cp_arches[] = {
	{ "alpha", 64, "alpha", "clipper" },
	{ "armv6l", 32, "arm", "integratorcp" },
	{ "armv7l", 32, "arm", "virt" },
	{ "armv7b", 32, "armv7b", "virt" },
	{ "aarch64", 64, "aarch64", "virt" },
	{ "cris", 32, "cris", "axis-dev88" },
	{ "i686", 32, "i386", "pc" },
	{ "ia64", 64, "ia64", NULL },
	{ "lm32", 32, "lm32", "lm32-evr" },
	{ "loongarch64", 64, "loongarch64", "virt" },
	{ "m68k", 32, "m68k", "mcf5208evb" },
	{ "microblaze", 32, "microblaze", "petalogix-s3adsp1800" },
	{ "microblazeel", 32, "microblazeel", "petalogix-s3adsp1800" },
	{ "mips", 32, "mips", "malta" },
	{ "mipsel", 32, "mipsel", "malta" },
	{ "mips64", 64, "mips64", "malta" },
	{ "mips64el", 64, "mips64el", "malta" },
	{ "openrisc", 32, "or32", "or1k-sim" },
	{ "parisc", 32, "parisc", NULL },
	{ "parisc64", 64, "parisc64", NULL },
	{ "ppc", 32, "ppc", "g3beige" },
	{ "ppcle", 32, "ppcle", "g3beige" },
	{ "ppc64", 64, "ppc64", "pseries" },
	{ "ppc64le", 64, "ppc64le", "pseries" },
	{ "ppcemb", 32, "ppcemb", "bamboo" },
	{ "riscv32", 32, "riscv32", "virt" },
	{ "riscv64", 64, "riscv64", "virt" },
	{ "s390", 32, "s390", NULL },
	{ "s390x", 64, "s390x", "s390-ccw-virtio" },
	{ "sh4", 32, "sh4", "shix" },
	{ "sh4eb", 64, "sh4eb", "shix" },
	{ "sparc", 32, "sparc", "SS-5" },
	{ "sparc64", 64, "sparc64", "sun4u" },
	{ "unicore32", 32, "unicore32", "puv3" },
	{ "x86_64", 64, "x86_64", "pc" },
	{ "xtensa", 32, "xtensa", "sim" },
	{ "xtensaeb", 32, "xtensaeb", "sim" },
};
const size_t cp_narches = sizeof(cp_arches) / sizeof(cp_arches[0]);

const struct cp_arch *cp_arch_find(const char *name)
{
	for (size_t i = 0; i < cp_narches; i++)
		if (strcmp(cp_arches[i].name, name) == 0)
			return &cp_arches[i];
	return NULL;
}

const char *cp_arch_from_uname(const char *m)
{
	const struct cp_arch *a;

	if (strlen(m) == 4 && m[0] == 'i' && m[2] == '8' && m[3] == '6')
		return "i686";
	if (strcmp(m, "amd64") == 0)
		return "x86_64";
	if (strcmp(m, "arm64") == 0)
		return "aarch64";
	a = cp_arch_find(m);
	return a ? a->name : NULL;
}

static int machine_live(void *arg, char **text)
{
	struct utsname u;

	(void)arg;
	if (uname(&u) < 0)
		return -errno;
	*text = cp_strdup(u.machine);
	return 0;
}

int cp_host_machine(const struct cp_root *r, char **machine)
{
	int rc = cp_fact(r, "uname-machine", machine_live, NULL, machine);

	if (rc < 0)
		return cp_fail(rc, "cannot learn the host's machine name (fact uname-machine): %s", strerror(-rc));
	cp_rstrip(*machine);
	return 0;
}

int cp_probe_arch(const struct cp_root *r, struct cp_host *h)
{
	char *machine = NULL;
	int rc = cp_host_machine(r, &machine);

	if (rc < 0)
		return rc;
	h->cpu.arch = cp_arch_from_uname(machine);
	free(machine);
	return 0;
}

static int pagesize_live(void *arg, char **text)
{
	long ps = sysconf(_SC_PAGESIZE);

	(void)arg;
	*text = cp_asprintf("%lu\n", ps > 0 ? (unsigned long)ps : 4096ul);
	return 0;
}

int cp_host_pagesize(const struct cp_root *r, uint64_t *bytes)
{
	char *s = NULL;
	int rc = cp_fact(r, "pagesize", pagesize_live, NULL, &s);

	if (rc < 0)
		return cp_fail(rc, "cannot learn the page size (fact pagesize): %s", strerror(-rc));
	rc = cp_parse_u64(s, 10, true, bytes);
	free(s);
	if (rc < 0 || *bytes < 1024 || (*bytes & (*bytes - 1)))
		return cp_fail(-EINVAL, "recorded " CP_FACTS_DIR "/pagesize is not a page size");
	return 0;
}
