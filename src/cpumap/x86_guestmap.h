/* Guest-side data of libvirt 11.3's x86 CPU map (generated into
 * x86_guestmap.c by scripts/gen-x86-guestmap), row for row parallel to
 * cp_x86_models. */
#ifndef CP_CPUMAP_X86_GUESTMAP_H
#define CP_CPUMAP_X86_GUESTMAP_H

#include <stdbool.h>
#include <stddef.h>

struct cp_x86_guest_model {
	const char *name;
	bool decode_guest;		/* <decode guest='on'>: a host-model candidate */
	const char *canonical;		/* the alias-only model naming this one, or NULL */
	const char *const *removed;	/* removed='yes' features, file order; NULL: none */
	/* <check partial='compat'/>: a guest CPU of this model is checked
	 * against the host-model by comparison, not by QEMU's blockers */
	bool compat_check;
};

extern const struct cp_x86_guest_model cp_x86_guest_models[];
extern const size_t cp_x86_guest_nmodels;
/* Features marked migratable='no', NULL-terminated. */
extern const char *const cp_x86_nonmigratable[];

#endif
