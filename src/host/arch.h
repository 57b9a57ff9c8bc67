/* libvirt's architecture names, in its enumeration order (which is also the
 * order of <guest> elements), with word size and QEMU binary name. */
#ifndef CP_HOST_ARCH_H
#define CP_HOST_ARCH_H

#include <stddef.h>

struct cp_arch {
	const char *name;
	unsigned wordsize;
	const char *qemu_name;		/* qemu-system-<qemu_name> */
	const char *preferred_machine;	/* NULL: QEMU's default */
};

extern const struct cp_arch cp_arches[];
extern const size_t cp_narches;

const struct cp_arch *cp_arch_find(const char *name);
/* Map a uname machine string to libvirt's name (i?86 → i686, amd64 →
 * x86_64, arm64 → aarch64); NULL when libvirt does not know it. */
const char *cp_arch_from_uname(const char *machine);

#endif
