#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "cpumap/x86_cpumap.h"
#include "domcaps/hostmodel.h"
#include "util/err.h"
#include "util/json.h"
#include "cpumap/x86_guestmap.h"
#include "cpu/x86.h"

/* Table T1: QEMU property names whose libvirt spelling differs, sorted by
 * QEMU name (strcmp): every blocker of every CPU model is looked up here. */
static const struct {
	const char *qemu, *libvirt;
} qemu_names[] = {
	{ "cmp-legacy", "cmp_legacy" },
	{ "ds-cpl", "ds_cpl" },
	{ "fxsr-opt", "fxsr_opt" },
	{ "kvm-pv-eoi", "kvm_pv_eoi" },
	{ "kvm-pv-unhalt", "kvm_pv_unhalt" },
	{ "lahf-lm", "lahf_lm" },
	{ "nodeid-msr", "nodeid_msr" },
	{ "pclmulqdq", "pclmuldq" },
	{ "perfctr-core", "perfctr_core" },
	{ "perfctr-nb", "perfctr_nb" },
	{ "tsc-adjust", "tsc_adjust" },
	{ "vmx-invept-single-context-noglobals", "vmx-invvpid-single-context-noglobals" },
};

const char *cp_x86_feature_from_qemu(const char *name)
{
	size_t lo = 0, hi = sizeof(qemu_names) / sizeof(qemu_names[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, qemu_names[mid].qemu);

		if (c == 0)
			return qemu_names[mid].libvirt;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return name;
}

struct host_cpu {
	cp_x86_fset features;
	int vendor;			/* index in cp_x86_vendors, -1: unknown */
	int64_t family, model, stepping;	/* -1: not reported */
};

static int64_t int_prop(json_object *props, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(props, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

static json_object *expansion_props(json_object *expand)
{
	json_object *model, *props;

	if (!json_object_object_get_ex(expand, "model", &model) ||
	    !json_object_object_get_ex(model, "props", &props) ||
	    !json_object_is_type(props, json_type_object))
		return NULL;
	return props;
}

/* Add every true boolean prop that names a map feature. */
static void add_true_props(json_object *props, uint64_t *set)
{
	json_object_object_foreach(props, key, val) {
		int f;

		if (!json_object_is_type(val, json_type_boolean) || !json_object_get_boolean(val))
			continue;
		f = cp_x86_feature_find(cp_x86_feature_from_qemu(key));
		if (f >= 0)
			cp_x86_fset_add(set, (unsigned)f);
	}
}

static int host_from_expansion(const struct cp_hm_input *in, struct host_cpu *h)
{
	json_object *props = expansion_props(in->expand), *v;

	memset(h, 0, sizeof(*h));
	h->vendor = -1;
	if (!props)
		return -ENOENT;
	add_true_props(props, h->features);
	/* A feature false in the migratable round but true without migratable
	 * is still available (non-migratable, e.g. invtsc). */
	if (in->expand_nonmig && expansion_props(in->expand_nonmig))
		add_true_props(expansion_props(in->expand_nonmig), h->features);
	if (json_object_object_get_ex(props, "vendor", &v) && json_object_is_type(v, json_type_string))
		for (size_t i = 0; i < cp_x86_nvendors; i++)
			if (strcmp(cp_x86_vendors[i].string, json_object_get_string(v)) == 0)
				h->vendor = (int)i;
	h->family = int_prop(props, "family");
	h->model = int_prop(props, "model");
	h->stepping = int_prop(props, "stepping");

	/* Intel parts whose TSX libvirt distrusts lose hle and rtm. */
	if (h->vendor >= 0 && strcmp(cp_x86_vendors[h->vendor].name, "Intel") == 0 &&
	    h->family >= 0 && h->model >= 0 &&
	    cp_x86_tsx_erratum((unsigned)h->family, (unsigned)h->model,
			       h->stepping < 0 ? 0 : (unsigned)h->stepping)) {
		int f;

		if ((f = cp_x86_feature_find("hle")) >= 0)
			cp_x86_fset_del(h->features, (unsigned)f);
		if ((f = cp_x86_feature_find("rtm")) >= 0)
			cp_x86_fset_del(h->features, (unsigned)f);
	}
	return 0;
}

static bool signature_matches(const struct cp_x86_model *m, const struct host_cpu *h)
{
	if (h->family < 0 || h->model < 0)
		return false;
	for (size_t i = 0; i < m->nsigs; i++) {
		const struct cp_x86_signature *s = &m->sigs[i];
		int64_t st = h->stepping < 0 ? 0 : h->stepping;

		if (s->family == h->family && s->model == h->model && st < 16 &&
		    (s->steppings >> st & 1))
			return true;
	}
	return false;
}

/* The CPU definitions by name, so that each candidate model finds its
 * own without a pass over all of them. */
struct named_def {
	const char *name;
	size_t order;
	json_object *def;
};

static int cmp_named_def(const void *a, const void *b)
{
	const struct named_def *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static struct named_def *index_defs(json_object *defs, size_t *count)
{
	size_t n = json_object_is_type(defs, json_type_array) ? json_object_array_length(defs) : 0, k = 0;
	struct named_def *v = cp_calloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(defs, i), *name;

		if (json_object_object_get_ex(d, "name", &name) &&
		    json_object_is_type(name, json_type_string))
			v[k++] = (struct named_def){ json_object_get_string(name), i, d };
	}
	qsort(v, k, sizeof(*v), cmp_named_def);
	*count = k;
	return v;
}

/* The first definition of that name, or NULL. */
static json_object *find_def(const struct named_def *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].name, name) == 0 ? v[lo].def : NULL;
}

/* The model's blockers (QEMU's unavailable-features of its definition) as
 * a feature set, and the guest decode's evaluation of it. */
static void evaluate(const struct host_cpu *h, size_t mi, json_object *def, struct cp_x86_candidate *c)
{
	cp_x86_fset blockers = { 0 };
	json_object *v;

	if (json_object_object_get_ex(def, "unavailable-features", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);

		for (size_t i = 0; i < n; i++) {
			json_object *b = json_object_array_get_idx(v, i);
			int f;

			if (!json_object_is_type(b, json_type_string))
				continue;
			f = cp_x86_feature_find(cp_x86_feature_from_qemu(json_object_get_string(b)));
			if (f >= 0)
				cp_x86_fset_add(blockers, (unsigned)f);
		}
	}
	cp_x86_candidate_eval(h->features, mi, blockers, signature_matches(&cp_x86_models[mi], h), c);
}

static void add_features(struct cp_dc_host_model *hm, const char *policy, const uint64_t *set,
			 const uint64_t *hide)
{
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (cp_x86_fset_has(set, (unsigned)i) && !cp_x86_fset_has(hide, (unsigned)i))
			cp_dc_host_model_add_feature(hm, policy, cp_x86_features[i].name);
}

int cp_x86_host_model(const struct cp_hm_input *in, struct cp_dc_host_model *hm)
{
	struct host_cpu h;
	struct cp_x86_candidate best, cur;
	bool have = false;
	cp_x86_fset hide = { 0 };
	struct named_def *defs;
	size_t ndefs;

	hm->supported = CP_DC_NO;
	if (cp_x86_guest_nmodels != cp_x86_nmodels)
		return cp_fail(-EINVAL, "x86 CPU map tables disagree (%zu vs %zu models)",
			       cp_x86_guest_nmodels, cp_x86_nmodels);
	if (!in->expand || host_from_expansion(in, &h) < 0)
		return 0;

	/* Newest first: the map lists models oldest first. */
	defs = index_defs(in->cpu_defs, &ndefs);
	for (size_t k = cp_x86_nmodels; k-- > 0;) {
		const struct cp_x86_model *m = &cp_x86_models[k];
		json_object *def;

		if (strcmp(cp_x86_guest_models[k].name, m->name) != 0) {
			free(defs);
			return cp_fail(-EINVAL, "x86 CPU map tables disagree at %s", m->name);
		}
		if (!cp_x86_guest_models[k].decode_guest)
			continue;
		if (!(def = find_def(defs, ndefs, m->name)))
			continue;
		if (m->vendor >= 0 && h.vendor >= 0 && m->vendor != h.vendor)
			continue;
		evaluate(&h, k, def, &cur);
		cp_verbose("host-model candidate %s: %u (%u, %u)%s", m->name, cur.total,
			   cur.total - cur.b, cur.b, cur.sig ? " signature" : "");
		if (!have || cp_x86_candidate_better(&cur, &best, false)) {
			best = cur;
			have = true;
		}
	}
	free(defs);
	if (!have)
		return 0;

	/* Without canonical names QEMU's answers cannot be trusted for MSR
	 * features: they count in the choice but are not printed. */
	if (!in->canonical_names)
		for (size_t i = 0; i < cp_x86_nfeatures; i++)
			if (cp_x86_features[i].msr)
				cp_x86_fset_add(hide, (unsigned)i);

	hm->supported = CP_DC_YES;
	hm->model = cp_strdup(cp_x86_models[best.model].name);
	hm->fallback = cp_strdup("forbid");
	if (h.vendor >= 0)
		hm->vendor = cp_strdup(cp_x86_vendors[h.vendor].name);
	if (in->maxphysaddr) {
		hm->maxphysaddr_mode = cp_strdup("passthrough");
		hm->maxphysaddr_limit = in->maxphysaddr;
	}
	add_features(hm, "require", best.require, hide);
	add_features(hm, "disable", best.disable, hide);
	for (size_t i = 0; i < best.nextra; i++)
		if (!cp_x86_fset_has(hide, best.extra[i]))
			cp_dc_host_model_add_feature(hm, "disable", cp_x86_features[best.extra[i]].name);
	return 0;
}

void cp_s390_host_model(json_object *expand, struct cp_dc_host_model *hm)
{
	json_object *model = cp_json_member(expand, "model");
	json_object *props = cp_json_member(model, "props");
	const char *name = cp_json_str(model, "name");

	hm->supported = CP_DC_NO;
	if (!name)
		return;
	hm->supported = CP_DC_YES;
	hm->model = cp_strdup(name);
	hm->fallback = cp_strdup("forbid");
	if (!json_object_is_type(props, json_type_object))
		return;	/* older models report no feature set */
	json_object_object_foreach(props, key, val)
		if (json_object_is_type(val, json_type_boolean))
			cp_dc_host_model_add_feature(hm, json_object_get_boolean(val) ? "require" : "disable", key);
}
