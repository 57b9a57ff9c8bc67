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

/* Feature indices sorted by name, built on first use. */
static uint16_t *by_name;

static int cmp_index(const void *a, const void *b)
{
	return strcmp(cp_x86_features[*(const uint16_t *)a].name,
		      cp_x86_features[*(const uint16_t *)b].name);
}

int cp_x86_feature_find(const char *name)
{
	size_t lo = 0, hi = cp_x86_nfeatures;

	if (!by_name) {
		uint16_t *v = cp_malloc(cp_x86_nfeatures * sizeof(*v));

		for (size_t i = 0; i < cp_x86_nfeatures; i++)
			v[i] = (uint16_t)i;
		qsort(v, cp_x86_nfeatures, sizeof(*v), cmp_index);
		by_name = v;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, cp_x86_features[by_name[mid]].name);

		if (c == 0)
			return by_name[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Free the lazily built index at exit so leak checkers stay quiet. */
__attribute__((destructor)) static void free_index(void)
{
	free(by_name);
	by_name = NULL;
}

const struct cp_x86_guest_model *cp_x86_guest_find(const char *name, int *index)
{
	for (size_t i = 0; i < cp_x86_guest_nmodels; i++)
		if (strcmp(cp_x86_guest_models[i].name, name) == 0) {
			if (index)
				*index = (int)i;
			return &cp_x86_guest_models[i];
		}
	return NULL;
}

typedef uint64_t fset[CP_X86_FEATURE_WORDS];

static void fset_add(uint64_t *s, unsigned i)
{
	s[i / 64] |= UINT64_C(1) << (i % 64);
}

static void fset_del(uint64_t *s, unsigned i)
{
	s[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static bool fset_has(const uint64_t *s, unsigned i)
{
	return s[i / 64] >> (i % 64) & 1;
}

static unsigned fset_count(const uint64_t *s)
{
	unsigned n = 0;

	for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
		n += (unsigned)__builtin_popcountll(s[w]);
	return n;
}

struct host_cpu {
	fset features;
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
			fset_add(set, (unsigned)f);
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
			fset_del(h->features, (unsigned)f);
		if ((f = cp_x86_feature_find("rtm")) >= 0)
			fset_del(h->features, (unsigned)f);
	}
	return 0;
}

struct candidate {
	size_t model;			/* index in cp_x86_models */
	fset require, disable;
	uint16_t extra[16];		/* removed='yes' features appended to disable */
	size_t nextra;
	unsigned total, b;
	bool sig;
};

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

static void evaluate(const struct host_cpu *h, size_t mi, json_object *def, struct candidate *c)
{
	const struct cp_x86_model *m = &cp_x86_models[mi];
	const struct cp_x86_guest_model *g = &cp_x86_guest_models[mi];
	fset model = { 0 };
	json_object *blockers;
	unsigned r, d, half;

	memset(c, 0, sizeof(*c));
	c->model = mi;
	for (size_t i = 0; i < m->nfeatures; i++)
		fset_add(model, m->features[i]);
	for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++) {
		c->require[w] = h->features[w] & ~model[w];
		c->disable[w] = model[w] & ~h->features[w];
	}
	if (json_object_object_get_ex(def, "unavailable-features", &blockers) &&
	    json_object_is_type(blockers, json_type_array)) {
		size_t n = json_object_array_length(blockers);

		for (size_t i = 0; i < n; i++) {
			json_object *b = json_object_array_get_idx(blockers, i);
			int f;

			if (!json_object_is_type(b, json_type_string))
				continue;
			f = cp_x86_feature_find(cp_x86_feature_from_qemu(json_object_get_string(b)));
			if (f >= 0 && !fset_has(c->require, (unsigned)f))
				fset_add(c->disable, (unsigned)f);
		}
	}
	for (size_t i = 0; g->removed && g->removed[i]; i++) {
		int f = cp_x86_feature_find(g->removed[i]);

		if (f < 0 || fset_has(c->require, (unsigned)f) || fset_has(c->disable, (unsigned)f))
			continue;
		if (c->nextra < sizeof(c->extra) / sizeof(c->extra[0]))
			c->extra[c->nextra++] = (uint16_t)f;
	}

	/* Every second disabled feature costs 2, 3, 4, ... instead of 1. */
	r = fset_count(c->require);
	d = fset_count(c->disable) + (unsigned)c->nextra;
	half = (d + 1) / 2;
	c->b = d ? (half + 1) * (half + 2) / 2 - 1 : 0;
	c->total = r + d / 2 + c->b;
	c->sig = signature_matches(m, h);
}

static bool better(const struct candidate *c, const struct candidate *best)
{
	if (best->sig != c->sig)
		return c->sig;
	return c->total < best->total || (c->total == best->total && c->b < best->b);
}

static void add_features(struct cp_dc_host_model *hm, const char *policy, const uint64_t *set,
			 const uint64_t *hide)
{
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (fset_has(set, (unsigned)i) && !fset_has(hide, (unsigned)i))
			cp_dc_host_model_add_feature(hm, policy, cp_x86_features[i].name);
}

int cp_x86_host_model(const struct cp_hm_input *in, struct cp_dc_host_model *hm)
{
	struct host_cpu h;
	struct candidate best, cur;
	bool have = false;
	fset hide = { 0 };
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
		if (!have || better(&cur, &best)) {
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
				fset_add(hide, (unsigned)i);

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
		if (!fset_has(hide, best.extra[i]))
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
