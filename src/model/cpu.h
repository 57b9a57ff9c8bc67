/* A CPU definition as libvirt's virCPUDef holds it for cpu-baseline and
 * cpu-compare: what an input <cpu> says, and what a baseline prints. */
#ifndef CP_MODEL_CPU_H
#define CP_MODEL_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* A host CPU lists what it has (no policies, an <arch>); a guest CPU says
 * what it wants of its model's features. */
enum cp_cpu_type { CP_CPU_HOST, CP_CPU_GUEST };

/* libvirt's enumerations, in its order (the names in model/cpu.c). */
enum cp_cpu_mode { CP_MODE_CUSTOM, CP_MODE_HOST_MODEL, CP_MODE_HOST_PASSTHROUGH, CP_MODE_MAXIMUM };
enum cp_cpu_match { CP_MATCH_EXACT, CP_MATCH_MINIMUM, CP_MATCH_STRICT };
enum cp_cpu_fallback { CP_FALLBACK_ALLOW, CP_FALLBACK_FORBID };
/* CP_POLICY_NONE: a host CPU's feature (it has it). */
enum cp_cpu_policy {
	CP_POLICY_NONE = -1,
	CP_POLICY_FORCE,
	CP_POLICY_REQUIRE,
	CP_POLICY_OPTIONAL,
	CP_POLICY_DISABLE,
	CP_POLICY_FORBID,
};

extern const char *const cp_cpu_mode_names[];	/* NULL-terminated */
extern const char *const cp_cpu_match_names[];
extern const char *const cp_cpu_check_names[];
extern const char *const cp_cpu_fallback_names[];
extern const char *const cp_cpu_policy_names[];

struct cp_cpu_feature {
	char *name;
	int policy;			/* enum cp_cpu_policy */
};

struct cp_cpu_def {
	enum cp_cpu_type type;
	int mode;			/* enum cp_cpu_mode */
	int match;			/* enum cp_cpu_match */
	int check;			/* index in cp_cpu_check_names, 0: none given */
	int fallback;			/* enum cp_cpu_fallback */
	char *arch;			/* NULL: none given (a guest CPU) */
	char *model;			/* NULL: none */
	char *vendor;			/* NULL: none */
	struct cp_cpu_feature *features;
	size_t nfeatures;
	/* <maxphysaddr mode='passthrough' limit='N'/>; 0: none */
	unsigned addr_limit;
};

/* Append a feature (name copied). */
void cp_cpu_def_add_feature(struct cp_cpu_def *d, const char *name, int policy);
/* The feature of that name, or NULL. */
struct cp_cpu_feature *cp_cpu_def_find_feature(const struct cp_cpu_def *d, const char *name);
void cp_cpu_def_free(struct cp_cpu_def *d);

#endif
