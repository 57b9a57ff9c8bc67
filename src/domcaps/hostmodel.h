/* libvirt 11.3's x86 host-model: the host CPU as QEMU expands it, decoded
 * against the cpu_map candidates that QEMU offers, with the weighted
 * penalty choice (virQEMUCapsInitHostCPUModel, x86Decode and
 * x86DecodeUseCandidate). */
#ifndef CP_DOMCAPS_HOSTMODEL_H
#define CP_DOMCAPS_HOSTMODEL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "cpu/x86.h"
#include "model/domcaps.h"

struct cp_hm_input {
	json_object *expand;		/* {"model": {"name", "props"}}: migratable round */
	json_object *expand_nonmig;	/* same with migratable=false, or NULL */
	json_object *cpu_defs;		/* the accel's query-cpu-definitions */
	bool canonical_names;		/* max-x86_64-cpu has "unavailable-features" */
	unsigned maxphysaddr;		/* host bits; 0: no <maxphysaddr> */
};

/* Fill hm (supported, model, fallback, vendor, maxphysaddr, features).  No
 * usable expansion or no candidate: supported='no'.  Only a broken build
 * (the generated map tables disagree) is an error. */
int cp_x86_host_model(const struct cp_hm_input *in, struct cp_dc_host_model *hm);

/* s390: the static expansion of the model libvirt asked QEMU for ("host"
 * under KVM, "max" under TCG), as libvirt prints it: QEMU's model name
 * with fallback='forbid', each boolean property a feature, 'require' when
 * true and 'disable' when false, in QEMU's order.  No model in the
 * expansion (or none asked): supported='no'. */
void cp_s390_host_model(json_object *expand, struct cp_dc_host_model *hm);

/* QEMU's spelling of a feature to libvirt's (table T1); other names are
 * returned unchanged. */
const char *cp_x86_feature_from_qemu(const char *name);

#endif
