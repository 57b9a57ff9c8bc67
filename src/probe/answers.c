/* The answer shapes libvirt 11.3 enforces, one row per checked value, from
 * src/qemu/qemu_monitor_json.c (qemuMonitorJSONGetVersion, ...GetMachines,
 * ...GetCPUDefinitions, ...) and qemu_qapi.c.  libvirt's own verdicts:
 * where it reports an error, the probe fails (REQ: must be there with that
 * type; OPT: when the key is there, even as null, it must have that type);
 * where it reads a value leniently (a wrong type counts as absent), there
 * is no row.
 *
 * Paths: "" is the "return" value, "[]" each element of an array (a
 * container of another type: the row does not apply), "a.b" members. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "probe/answers.h"
#include "util/err.h"

enum shape { OBJECT, ARRAY, STRING, BOOL, INT32, UINT32, UINT64 };
enum need { REQ, OPT };

#define RAW 1u		/* only as QEMU sent it */
#define REDUCED 2u	/* only as the probe keeps it (a name set) */
#define NOT_S390 4u	/* libvirt lets s390 models go without props */

struct rule {
	enum cp_q q;
	const char *path;
	enum shape shape;
	enum need need;
	unsigned flags;
};

/* qom-list-types, qom-list-properties: named elements (reduced: names) */
#define NAMED_LIST(Q) \
	{ Q, "", ARRAY, REQ, 0 }, \
	{ Q, "[].name", STRING, REQ, RAW }, \
	{ Q, "[]", STRING, REQ, REDUCED }

/* query-cpu-model-expansion (qemuMonitorJSONParseCPUModelData) */
#define EXPANSION(Q, PROPS_FLAGS) \
	{ Q, "", OBJECT, REQ, 0 }, \
	{ Q, "model", OBJECT, REQ, 0 }, \
	{ Q, "model.name", STRING, REQ, 0 }, \
	{ Q, "model.props", OBJECT, REQ, PROPS_FLAGS }, \
	{ Q, "deprecated-props[]", STRING, OPT, 0 }

static const struct rule rules[] = {
	{ CP_Q_VERSION, "", OBJECT, REQ, 0 },
	{ CP_Q_VERSION, "qemu", OBJECT, REQ, 0 },
	{ CP_Q_VERSION, "qemu.major", INT32, REQ, 0 },
	{ CP_Q_VERSION, "qemu.minor", INT32, REQ, 0 },
	{ CP_Q_VERSION, "qemu.micro", INT32, REQ, 0 },
	{ CP_Q_VERSION, "package", STRING, REQ, 0 },

	{ CP_Q_TARGET, "", OBJECT, REQ, 0 },
	{ CP_Q_TARGET, "arch", STRING, REQ, 0 },

	{ CP_Q_KVM, "", OBJECT, REQ, 0 },
	{ CP_Q_KVM, "enabled", BOOL, REQ, 0 },
	{ CP_Q_KVM, "present", BOOL, REQ, 0 },

	/* virQEMUQAPISchemaConvert: every entry has its name (reduced: names) */
	NAMED_LIST(CP_Q_SCHEMA),

	NAMED_LIST(CP_Q_TYPES),
	NAMED_LIST(CP_Q_MAX_CPU_PROPS),
	NAMED_LIST(CP_Q_NONE_MACHINE_PROPS),
	NAMED_LIST(CP_Q_PC_MACHINE_PROPS),
	NAMED_LIST(CP_Q_VIRT_MACHINE_PROPS),

	/* hotpluggable-cpus is read leniently */
	{ CP_Q_MACHINES, "", ARRAY, REQ, 0 },
	{ CP_Q_MACHINES, "[].name", STRING, REQ, 0 },
	{ CP_Q_MACHINES, "[].is-default", BOOL, OPT, 0 },
	{ CP_Q_MACHINES, "[].alias", STRING, OPT, 0 },
	{ CP_Q_MACHINES, "[].cpu-max", UINT32, OPT, 0 },
	{ CP_Q_MACHINES, "[].default-cpu-type", STRING, OPT, 0 },
	{ CP_Q_MACHINES, "[].numa-mem-supported", BOOL, OPT, 0 },
	{ CP_Q_MACHINES, "[].default-ram-id", STRING, OPT, 0 },
	{ CP_Q_MACHINES, "[].deprecated", BOOL, OPT, 0 },
	{ CP_Q_MACHINES, "[].acpi", BOOL, OPT, 0 },

	/* typename is read leniently; unavailable-features only as an array */
	{ CP_Q_CPU_DEFS, "", ARRAY, REQ, 0 },
	{ CP_Q_CPU_DEFS, "[].name", STRING, REQ, 0 },
	{ CP_Q_CPU_DEFS, "[].unavailable-features[]", STRING, OPT, 0 },
	{ CP_Q_CPU_DEFS, "[].deprecated", BOOL, OPT, 0 },

	{ CP_Q_TPM_MODELS, "", ARRAY, REQ, 0 },
	{ CP_Q_TPM_MODELS, "[]", STRING, REQ, 0 },
	{ CP_Q_TPM_TYPES, "", ARRAY, REQ, 0 },
	{ CP_Q_TPM_TYPES, "[]", STRING, REQ, 0 },

	/* the parameters' names are read leniently */
	{ CP_Q_CMDLINE, "", ARRAY, REQ, 0 },
	{ CP_Q_CMDLINE, "[].option", STRING, REQ, RAW },
	{ CP_Q_CMDLINE, "[].parameters", ARRAY, REQ, RAW },
	{ CP_Q_CMDLINE, "[]", STRING, REQ, REDUCED },

	{ CP_Q_GIC, "", ARRAY, REQ, 0 },
	{ CP_Q_GIC, "[]", OBJECT, REQ, 0 },
	{ CP_Q_GIC, "[].version", INT32, REQ, 0 },
	{ CP_Q_GIC, "[].kernel", BOOL, REQ, 0 },
	{ CP_Q_GIC, "[].emulated", BOOL, REQ, 0 },

	/* cpu0-id is read leniently */
	{ CP_Q_SEV, "", OBJECT, REQ, 0 },
	{ CP_Q_SEV, "cbitpos", UINT32, REQ, 0 },
	{ CP_Q_SEV, "reduced-phys-bits", UINT32, REQ, 0 },
	{ CP_Q_SEV, "pdh", STRING, REQ, 0 },
	{ CP_Q_SEV, "cert-chain", STRING, REQ, 0 },

	/* sections only as an array */
	{ CP_Q_SGX, "", OBJECT, REQ, 0 },
	{ CP_Q_SGX, "flc", BOOL, REQ, 0 },
	{ CP_Q_SGX, "sgx1", BOOL, REQ, 0 },
	{ CP_Q_SGX, "sgx2", BOOL, REQ, 0 },
	{ CP_Q_SGX, "sections[].size", UINT64, REQ, 0 },
	{ CP_Q_SGX, "sections[].node", UINT32, REQ, 0 },
	{ CP_Q_SGX, "section-size", UINT64, OPT, 0 },

	/* virQEMUCapsProbeQMPHostCPU fails without props except on s390 */
	EXPANSION(CP_Q_EXPAND, NOT_S390),
	EXPANSION(CP_Q_EXPAND_FULL, NOT_S390),
	EXPANSION(CP_Q_EXPAND_NONMIG, NOT_S390),
	EXPANSION(CP_Q_EXPAND_NONMIG_FULL, NOT_S390),
	/* the hv-passthrough expansion reads props only when an object */
	{ CP_Q_HV_EXPAND, "", OBJECT, REQ, 0 },
	{ CP_Q_HV_EXPAND, "model", OBJECT, REQ, 0 },
	{ CP_Q_HV_EXPAND, "model.name", STRING, REQ, 0 },
	{ CP_Q_HV_EXPAND, "deprecated-props[]", STRING, OPT, 0 },
};

static const char *const shape_names[] = {
	[OBJECT] = "an object", [ARRAY] = "an array", [STRING] = "a string", [BOOL] = "a boolean",
	[INT32] = "a 32-bit integer", [UINT32] = "an unsigned 32-bit integer",
	[UINT64] = "an unsigned 64-bit integer",
};

static bool has_shape(json_object *v, enum shape s)
{
	int64_t n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;

	switch (s) {
	case OBJECT: return json_object_is_type(v, json_type_object);
	case ARRAY: return json_object_is_type(v, json_type_array);
	case STRING: return json_object_is_type(v, json_type_string);
	case BOOL: return json_object_is_type(v, json_type_boolean);
	case INT32:
		return json_object_is_type(v, json_type_int) && n >= INT32_MIN && n <= INT32_MAX;
	case UINT32: return n >= 0 && n <= UINT32_MAX;
	case UINT64: return n >= 0;	/* json-c gives INT64_MAX for larger */
	}
	return false;
}

/* Where a check is: the path walked so far, rendered for the message
 * ("return[2].name") only when the answer breaks a rule. */
struct where {
	struct {
		const char *key;	/* NULL: an index */
		size_t len, idx;
	} seg[8];
	int n;
};

static void where_render(const struct where *w, char *out, size_t size)
{
	size_t len = (size_t)snprintf(out, size, "return");

	for (int i = 0; i < w->n && len < size; i++)
		len += w->seg[i].key ? (size_t)snprintf(out + len, size - len, ".%.*s", (int)w->seg[i].len,
							w->seg[i].key)
				     : (size_t)snprintf(out + len, size - len, "[%zu]", w->seg[i].idx);
}

/* The rule r at path, below v (present: the key was there).  1 and *what
 * when the answer breaks it, w then says where. */
static int check_at(json_object *v, bool present, const char *path, const struct rule *r,
		    struct where *w, const char **what)
{
	const char *end;
	char key[64];
	size_t len;
	json_object *child = NULL;
	bool has;

	if (!*path) {
		if (!present)
			*what = r->need == REQ ? "is missing" : NULL;
		else
			*what = has_shape(v, r->shape) ? NULL : shape_names[r->shape];
		return *what != NULL;
	}
	if (path[0] == '[') {
		const char *rest = path[2] == '.' ? path + 3 : path + 2;
		size_t n;

		if (!present || !json_object_is_type(v, json_type_array) || w->n == 8)
			return 0;	/* its own row, if any, says what it must be */
		n = json_object_array_length(v);
		w->seg[w->n].key = NULL;
		w->n++;
		for (size_t i = 0; i < n; i++) {
			w->seg[w->n - 1].idx = i;
			if (check_at(json_object_array_get_idx(v, i), true, rest, r, w, what))
				return 1;
		}
		w->n--;
		return 0;
	}
	end = path + strcspn(path, ".[");
	len = (size_t)(end - path);
	if (!present || len >= sizeof(key) || w->n == 8)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		/* a member required of something that is not an object */
		*what = !*end && r->need == REQ ? "is not an object" : NULL;
		return *what != NULL;
	}
	memcpy(key, path, len);
	key[len] = '\0';
	has = json_object_object_get_ex(v, key, &child);
	w->seg[w->n].key = path;
	w->seg[w->n].len = len;
	w->n++;
	if (check_at(child, has, *end == '.' ? end + 1 : end, r, w, what))
		return 1;
	w->n--;
	return 0;
}

int cp_answer_check(enum cp_q q, json_object *ret, const char *arch, bool reduced,
		    const char *execute, const char *binary)
{
	bool s390 = arch && strncmp(arch, "s390", 4) == 0;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];
		struct where w = { .n = 0 };
		const char *what = NULL;
		char at[256];

		if (r->q != q || (r->flags & (reduced ? RAW : REDUCED)) || ((r->flags & NOT_S390) && s390))
			continue;
		if (!check_at(ret, true, r->path, r, &w, &what))
			continue;
		where_render(&w, at, sizeof(at));
		if (strncmp(what, "is ", 3) == 0)
			return cp_fail(-EPROTO, "malformed QMP reply from %s: %s: %s %s", binary, execute, at,
				       what);
		return cp_fail(-EPROTO, "malformed QMP reply from %s: %s: %s is not %s", binary, execute,
			       at, what);
	}
	return 0;
}
