/* libvirt 11.3's x86 CPU algorithms over the generated map (cpumap/):
 * feature sets, the guest decode's candidate choice (x86Decode and
 * x86DecodeUseCandidate, shared by domain capabilities' host-model and
 * cpu-baseline), comparison (x86Compute), baseline (virCPUx86Baseline) and
 * feature expansion (virCPUx86ExpandFeatures).  Every map feature is one
 * bit of its own (scripts/gen-x86-cpumap checks it), so libvirt's CPUID
 * data arithmetic is set arithmetic here. */
#ifndef CP_CPU_X86_H
#define CP_CPU_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumap/x86_cpumap.h"
#include "cpumap/x86_guestmap.h"
#include "model/cpu.h"
#include "model/domcaps.h"

/* bit i: cp_x86_features[i] */
typedef uint64_t cp_x86_fset[CP_X86_FEATURE_WORDS];

void cp_x86_fset_add(uint64_t *s, unsigned i);
void cp_x86_fset_del(uint64_t *s, unsigned i);
bool cp_x86_fset_has(const uint64_t *s, unsigned i);
unsigned cp_x86_fset_count(const uint64_t *s);
bool cp_x86_fset_empty(const uint64_t *s);

/* Index in cp_x86_features, -1 when the map has no such feature. */
int cp_x86_feature_find(const char *name);
/* Index in cp_x86_models / cp_x86_vendors, -1 when unknown. */
int cp_x86_model_find(const char *name);
int cp_x86_vendor_find(const char *name);
/* The guest-side cpu_map row of a model, NULL when the map has none. */
const struct cp_x86_guest_model *cp_x86_guest_find(const char *name, int *index);

/* One model tried by the guest decode for CPU data: what the CPU has
 * beyond the model (require), what the model has that the CPU lacks or
 * blocks (disable), then the model's removed='yes' features the two do not
 * name (extra, disabled too), and libvirt's penalty for them. */
struct cp_x86_candidate {
	size_t model;			/* index in cp_x86_models */
	cp_x86_fset require, disable;
	uint16_t extra[16];
	size_t nextra;
	unsigned total, b;		/* weighted count; b: the disabled part */
	bool sig;			/* the model's signatures match the CPU's */
};

/* Evaluate model mi for data; blockers (NULL: none) are features the
 * hypervisor says block the model. */
void cp_x86_candidate_eval(const uint64_t *data, size_t mi, const uint64_t *blockers, bool sig,
			   struct cp_x86_candidate *c);
/* Whether c beats best; preferred: c's model is one of several models
 * the caller prefers (a baseline's input models). */
bool cp_x86_candidate_better(const struct cp_x86_candidate *c, const struct cp_x86_candidate *best,
			     bool preferred);

/* libvirt's verdicts. */
enum cp_cpu_verdict { CP_CPU_INCOMPATIBLE, CP_CPU_IDENTICAL, CP_CPU_SUPERSET };

/* x86Compute: cpu against host (a host-type definition).  0 with the
 * verdict, and for an incompatible one *why (caller frees) says why, as
 * libvirt words it; -EINVAL (message set) for an unknown model or feature. */
int cp_x86_compare(const struct cp_cpu_def *host, const struct cp_cpu_def *cpu, int *verdict, char **why);

/* What a hypervisor lets virCPUx86Baseline use: only the map's models in
 * its list (models, NULL: any), each less its blockers; only the features
 * of features (NULL: any). */
struct cp_x86_hv {
	const struct cp_dc_cpu_model *models;
	size_t nmodels;
	const uint64_t *features;
};

/* virCPUx86Baseline: the guest CPU every one of cpus can run (hv NULL:
 * no model list, no feature filter).  -EINVAL with libvirt's message
 * otherwise. */
int cp_x86_baseline(struct cp_cpu_def *const *cpus, size_t n, const struct cp_x86_hv *hv, bool migratable,
		    struct cp_cpu_def *out);

/* virCPUx86ExpandFeatures on a guest CPU: every feature of its model
 * listed, sorted by name. */
int cp_x86_expand(struct cp_cpu_def *cpu);

#endif
