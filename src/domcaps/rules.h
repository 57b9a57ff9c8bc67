/* Rules that turn the prober's raw QEMU answers plus host facts into the
 * domain capabilities model (libvirt's virQEMUCapsFillDomainCaps).  Not a
 * pure function: it reads the host, but only through the cp_root
 * (firmware descriptors, VFIO, CPUID, and facts such as KVM's vCPU limit,
 * for which a live root opens /dev/kvm), so a recorded tree replays it
 * like the host probes; swtpm (which takes running a program) comes from
 * the request. */
#ifndef CP_DOMCAPS_RULES_H
#define CP_DOMCAPS_RULES_H

#include <stdbool.h>

#include "model/domcaps.h"
#include "probe/probe.h"
#include "domcaps/swtpm.h"
#include "util/path.h"

struct cp_dc_request {
	const char *arch;	/* requested libvirt arch (printed) */
	const char *machine;	/* canonical machine name, NULL if the binary has none */
	bool kvm;		/* virttype kvm (else qemu) */
	const char *xdg_config_home;	/* for firmware descriptors; NULL for the system view */
	const char *home;
	/* swtpm on the host (domcaps/swtpm.h), asked for only when the emulator
	 * offers a TPM model.  NULL: the host's recorded "swtpm" fact. */
	int (*swtpm)(void *ctx, struct cp_swtpm *out);
	void *swtpm_ctx;
};

int cp_domcaps_build(const struct cp_root *host, const struct cp_qemu_probe *p,
		     const struct cp_dc_request *req, struct cp_domcaps *dc);

#endif
