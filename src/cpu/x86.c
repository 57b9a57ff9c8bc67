#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86.h"
#include "util/err.h"
#include "util/str.h"

void cp_x86_fset_add(uint64_t *s, unsigned i)
{
	s[i / 64] |= UINT64_C(1) << (i % 64);
}

void cp_x86_fset_del(uint64_t *s, unsigned i)
{
	s[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

bool cp_x86_fset_has(const uint64_t *s, unsigned i)
{
	return s[i / 64] >> (i % 64) & 1;
}

unsigned cp_x86_fset_count(const uint64_t *s)
{
	unsigned n = 0;

	for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
		n += (unsigned)__builtin_popcountll(s[w]);
	return n;
}

bool cp_x86_fset_empty(const uint64_t *s)
{
	return cp_x86_fset_count(s) == 0;
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

int cp_x86_model_find(const char *name)
{
	for (size_t i = 0; i < cp_x86_nmodels; i++)
		if (strcmp(cp_x86_models[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cp_x86_vendor_find(const char *name)
{
	for (size_t i = 0; i < cp_x86_nvendors; i++)
		if (strcmp(cp_x86_vendors[i].name, name) == 0)
			return (int)i;
	return -1;
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

void cp_x86_candidate_eval(const uint64_t *data, size_t mi, const uint64_t *blockers, bool sig,
			   struct cp_x86_candidate *c)
{
	const struct cp_x86_model *m = &cp_x86_models[mi];
	const struct cp_x86_guest_model *g = &cp_x86_guest_models[mi];
	cp_x86_fset model = { 0 };
	unsigned r, d, half;

	memset(c, 0, sizeof(*c));
	c->model = mi;
	for (size_t i = 0; i < m->nfeatures; i++)
		cp_x86_fset_add(model, m->features[i]);
	for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++) {
		c->require[w] = data[w] & ~model[w];
		c->disable[w] = model[w] & ~data[w];
		if (blockers)
			c->disable[w] |= blockers[w] & ~c->require[w];
	}
	for (size_t i = 0; g->removed && g->removed[i]; i++) {
		int f = cp_x86_feature_find(g->removed[i]);

		if (f < 0 || cp_x86_fset_has(c->require, (unsigned)f) || cp_x86_fset_has(c->disable, (unsigned)f))
			continue;
		if (c->nextra < sizeof(c->extra) / sizeof(c->extra[0]))
			c->extra[c->nextra++] = (uint16_t)f;
	}

	/* libvirt walks the feature list (required first, then disabled)
	 * while shrinking its bound at each disabled one, so only every
	 * second disabled feature is counted, at a rising cost of 2, 3, 4,
	 * ... instead of 1. */
	r = cp_x86_fset_count(c->require);
	d = cp_x86_fset_count(c->disable) + (unsigned)c->nextra;
	half = (d + 1) / 2;
	c->b = d ? (half + 1) * (half + 2) / 2 - 1 : 0;
	c->total = r + d / 2 + c->b;
	c->sig = sig;
}

bool cp_x86_candidate_better(const struct cp_x86_candidate *c, const struct cp_x86_candidate *best,
			     bool preferred)
{
	/* once a model with the CPU's signature is found, only such models */
	if (best->sig != c->sig)
		return c->sig;
	if (c->total < best->total || (c->total == best->total && c->b < best->b))
		return true;
	return preferred && c->b < best->b;
}

/* x86ModelFromCPU's policy -1: every feature the definition gives the
 * CPU (model, required and forced ones, less disabled and forbidden). */
#define ALL_POLICIES (-2)

/* The features cpu names with policy (or ALL_POLICIES), its model's
 * included where that policy takes them; *model_index the model. */
static int cpu_data(const struct cp_cpu_def *cpu, int policy, uint64_t *set, int *model_index)
{
	memset(set, 0, sizeof(cp_x86_fset));
	if (model_index)
		*model_index = -1;
	/* a host CPU lists only what it has */
	if (cpu->type == CP_CPU_HOST && policy != CP_POLICY_REQUIRE && policy != ALL_POLICIES)
		return 0;
	if (cpu->model && (policy == CP_POLICY_REQUIRE || policy == ALL_POLICIES)) {
		int m = cp_x86_model_find(cpu->model);

		if (m < 0)
			return cp_fail(-EINVAL, "Unknown CPU model %s", cpu->model);
		for (size_t i = 0; i < cp_x86_models[m].nfeatures; i++)
			cp_x86_fset_add(set, cp_x86_models[m].features[i]);
		if (model_index)
			*model_index = m;
	}
	for (size_t i = 0; i < cpu->nfeatures; i++) {
		int fpol = cpu->features[i].policy == CP_POLICY_NONE ? CP_POLICY_REQUIRE : cpu->features[i].policy;
		int f;

		if ((policy == ALL_POLICIES && fpol == CP_POLICY_OPTIONAL) ||
		    (policy != ALL_POLICIES && fpol != policy))
			continue;
		if ((f = cp_x86_feature_find(cpu->features[i].name)) < 0)
			return cp_fail(-EINVAL, "Unknown CPU feature %s", cpu->features[i].name);
		if (policy == ALL_POLICIES && (fpol == CP_POLICY_DISABLE || fpol == CP_POLICY_FORBID))
			cp_x86_fset_del(set, (unsigned)f);
		else
			cp_x86_fset_add(set, (unsigned)f);
	}
	return 0;
}

/* The features of set in map order, ", " between them. */
static char *feature_names(const uint64_t *set)
{
	struct cp_buf b = { 0 };

	cp_buf_add(&b, "", 0);
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (cp_x86_fset_has(set, (unsigned)i))
			cp_buf_printf(&b, "%s%s", b.len ? ", " : "", cp_x86_features[i].name);
	return cp_buf_steal(&b);
}

static void set_minus(uint64_t *a, const uint64_t *b)
{
	for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
		a[w] &= ~b[w];
}

static char *incompatible(const char *what, const uint64_t *set)
{
	char *names = feature_names(set), *s = cp_asprintf("%s: %s", what, names);

	free(names);
	return s;
}

int cp_x86_compare(const struct cp_cpu_def *host, const struct cp_cpu_def *cpu, int *verdict, char **why)
{
	cp_x86_fset host_set, force, require, optional, disable, forbid, diff;
	int rc;

	*why = NULL;
	*verdict = CP_CPU_INCOMPATIBLE;
	if (cpu->arch && strcmp(cpu->arch, "i686") != 0 && strcmp(cpu->arch, "x86_64") != 0) {
		*why = cp_asprintf("CPU arch %s does not match host arch", cpu->arch);
		return 0;
	}
	if (cpu->vendor && (!host->vendor || strcmp(cpu->vendor, host->vendor) != 0)) {
		*why = cp_asprintf("host CPU vendor does not match required CPU vendor %s", cpu->vendor);
		return 0;
	}
	if ((rc = cpu_data(host, ALL_POLICIES, host_set, NULL)) < 0 ||
	    (rc = cpu_data(cpu, CP_POLICY_FORCE, force, NULL)) < 0 ||
	    (rc = cpu_data(cpu, CP_POLICY_REQUIRE, require, NULL)) < 0 ||
	    (rc = cpu_data(cpu, CP_POLICY_OPTIONAL, optional, NULL)) < 0 ||
	    (rc = cpu_data(cpu, CP_POLICY_DISABLE, disable, NULL)) < 0 ||
	    (rc = cpu_data(cpu, CP_POLICY_FORBID, forbid, NULL)) < 0)
		return rc;

	for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
		forbid[w] &= host_set[w];
	if (!cp_x86_fset_empty(forbid)) {
		*why = incompatible("Host CPU provides forbidden features", forbid);
		return 0;
	}
	/* the model's features that were forced, disabled or made optional
	 * are not required as such */
	set_minus(require, force);
	set_minus(require, optional);
	set_minus(require, disable);
	memcpy(diff, require, sizeof(diff));
	set_minus(diff, host_set);
	if (!cp_x86_fset_empty(diff)) {
		*why = incompatible("Host CPU does not provide required features", diff);
		return 0;
	}
	memcpy(diff, host_set, sizeof(diff));
	set_minus(diff, optional);
	set_minus(diff, require);
	set_minus(diff, disable);
	set_minus(diff, force);
	if (cp_x86_fset_empty(diff)) {
		*verdict = CP_CPU_IDENTICAL;
	} else if (cpu->type == CP_CPU_GUEST && cpu->match == CP_MATCH_STRICT) {
		*why = incompatible("Host CPU does not strictly match guest CPU: Extra features", diff);
	} else {
		*verdict = CP_CPU_SUPERSET;
	}
	return 0;
}

static bool in_list(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* x86Decode for a guest CPU: the model that describes data best, newest
 * first; a single preferred model wins outright, several only break ties. */
static int decode_guest(const uint64_t *data, int vendor, const char *const *pref, size_t npref,
			const struct cp_x86_hv *hv, bool migratable, struct cp_cpu_def *out)
{
	struct cp_x86_candidate best, cur;
	bool have = false;

	for (size_t k = cp_x86_nmodels; k-- > 0;) {
		const struct cp_x86_model *m = &cp_x86_models[k];
		const struct cp_dc_cpu_model *hm = NULL;
		cp_x86_fset blockers = { 0 };
		bool preferred;

		/* a model the hypervisor does not list is never chosen (libvirt
		 * only warns when it is the one preferred: the baseline's
		 * fallback is 'allow'); one it lists drops its blockers */
		if (hv && hv->models) {
			for (size_t i = 0; i < hv->nmodels && !hm; i++)
				if (strcmp(hv->models[i].name, m->name) == 0)
					hm = &hv->models[i];
			if (!hm)
				continue;
			for (size_t i = 0; i < hm->blockers.n; i++) {
				int f = cp_x86_feature_find(hm->blockers.v[i]);

				if (f >= 0)
					cp_x86_fset_add(blockers, (unsigned)f);
			}
		}

		if (vendor >= 0 && m->vendor >= 0 && m->vendor != vendor)
			continue;
		if (!cp_x86_guest_models[k].decode_guest)
			continue;
		preferred = in_list(pref, npref, m->name);
		cp_x86_candidate_eval(data, k, hm ? blockers : NULL, false, &cur);
		if (preferred && npref == 1) {
			best = cur;
			have = true;
			break;
		}
		if (!have || cp_x86_candidate_better(&cur, &best, preferred)) {
			best = cur;
			have = true;
		}
	}
	if (!have)
		return cp_fail(-EINVAL, "Cannot find suitable CPU model for given data");

	*out = (struct cp_cpu_def){ .type = CP_CPU_GUEST, .mode = CP_MODE_CUSTOM, .match = CP_MATCH_EXACT };
	out->model = cp_strdup(cp_x86_models[best.model].name);
	if (vendor >= 0)
		out->vendor = cp_strdup(cp_x86_vendors[vendor].name);
	for (int pass = 0; pass < 2; pass++) {
		const uint64_t *set = pass ? best.disable : best.require;

		for (size_t i = 0; i < cp_x86_nfeatures; i++)
			if (cp_x86_fset_has(set, (unsigned)i))
				cp_cpu_def_add_feature(out, cp_x86_features[i].name,
						       pass ? CP_POLICY_DISABLE : CP_POLICY_REQUIRE);
	}
	for (size_t i = 0; i < best.nextra; i++)
		cp_cpu_def_add_feature(out, cp_x86_features[best.extra[i]].name, CP_POLICY_DISABLE);

	/* only features that block migration go; the choice stands */
	if (migratable) {
		size_t k = 0;

		for (size_t i = 0; i < out->nfeatures; i++) {
			bool blocks = false;

			for (size_t j = 0; cp_x86_nonmigratable[j]; j++)
				blocks |= strcmp(out->features[i].name, cp_x86_nonmigratable[j]) == 0;
			if (blocks)
				free(out->features[i].name);
			else
				out->features[k++] = out->features[i];
		}
		out->nfeatures = k;
	}
	return 0;
}

int cp_x86_baseline(struct cp_cpu_def *const *cpus, size_t n, const struct cp_x86_hv *hv, bool migratable,
		    struct cp_cpu_def *out)
{
	cp_x86_fset base, set;
	const char **names = cp_calloc(n + 1, sizeof(*names));
	size_t nnames = 0;
	int vendor = -1, rc;
	bool output_vendor = true;

	if ((rc = cpu_data(cpus[0], ALL_POLICIES, base, NULL)) < 0)
		goto out;
	if (!cpus[0]->vendor) {
		output_vendor = false;
	} else if ((vendor = cp_x86_vendor_find(cpus[0]->vendor)) < 0) {
		rc = cp_fail(-EINVAL, "Unknown CPU vendor %s", cpus[0]->vendor);
		goto out;
	}
	if (cpus[0]->model)
		names[nnames++] = cpus[0]->model;
	for (size_t i = 1; i < n; i++) {
		const char *vn = NULL;
		int mi, mvendor;

		if (cpus[i]->model && !in_list(names, nnames, cpus[i]->model))
			names[nnames++] = cpus[i]->model;
		if ((rc = cpu_data(cpus[i], ALL_POLICIES, set, &mi)) < 0)
			goto out;
		mvendor = mi >= 0 ? cp_x86_models[mi].vendor : -1;
		if (cpus[i]->vendor && mvendor >= 0 && strcmp(cpus[i]->vendor, cp_x86_vendors[mvendor].name) != 0) {
			rc = cp_fail(-EINVAL, "CPU vendor %s of model %s differs from vendor %s",
				     cp_x86_vendors[mvendor].name, cpus[i]->model, cpus[i]->vendor);
			goto out;
		}
		if (cpus[i]->vendor) {
			vn = cpus[i]->vendor;
		} else {
			output_vendor = false;
			if (mvendor >= 0)
				vn = cp_x86_vendors[mvendor].name;
		}
		if (vn && vendor < 0 && (vendor = cp_x86_vendor_find(vn)) < 0) {
			rc = cp_fail(-EINVAL, "Unknown CPU vendor %s", vn);
			goto out;
		} else if (vn && strcmp(cp_x86_vendors[vendor].name, vn) != 0) {
			rc = cp_fail(-EINVAL, "CPU vendors do not match");
			goto out;
		}
		for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
			base[w] &= set[w];
	}
	if (hv && hv->features)
		for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
			base[w] &= hv->features[w];
	if (cp_x86_fset_empty(base)) {
		rc = cp_fail(-EINVAL, "CPUs are incompatible");
		goto out;
	}
	if ((rc = decode_guest(base, vendor, names, nnames, hv, migratable, out)) < 0)
		goto out;
	if (nnames == 1 && strcmp(out->model, names[0]) == 0)
		out->fallback = CP_FALLBACK_FORBID;
	if (!output_vendor) {
		free(out->vendor);
		out->vendor = NULL;
	}
out:
	free(names);
	return rc;
}

static int cmp_feature(const void *a, const void *b)
{
	return strcmp(((const struct cp_cpu_feature *)a)->name, ((const struct cp_cpu_feature *)b)->name);
}

int cp_x86_expand(struct cp_cpu_def *cpu)
{
	bool host = cpu->type == CP_CPU_HOST;
	struct cp_cpu_def x = { .type = cpu->type };
	int m = cpu->model ? cp_x86_model_find(cpu->model) : -1;

	if (m < 0)
		return cp_fail(-EINVAL, "unknown CPU model %s", cpu->model ? cpu->model : "(none)");
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		for (size_t k = 0; k < cp_x86_models[m].nfeatures; k++)
			if (cp_x86_models[m].features[k] == i)
				cp_cpu_def_add_feature(&x, cp_x86_features[i].name,
						       host ? CP_POLICY_NONE : CP_POLICY_REQUIRE);
	for (size_t i = 0; i < cpu->nfeatures; i++) {
		const struct cp_cpu_feature *f = &cpu->features[i];
		struct cp_cpu_feature *have;
		int policy = host ? CP_POLICY_NONE : f->policy;

		if (!host && f->policy != CP_POLICY_REQUIRE && f->policy != CP_POLICY_DISABLE)
			continue;
		if ((have = cp_cpu_def_find_feature(&x, f->name)))
			have->policy = policy;
		else
			cp_cpu_def_add_feature(&x, f->name, policy);
	}
	if (!host) {
		const char *const *removed = cp_x86_guest_models[m].removed;

		for (size_t i = 0; removed && removed[i]; i++)
			if (!cp_cpu_def_find_feature(&x, removed[i]))
				cp_cpu_def_add_feature(&x, removed[i], CP_POLICY_DISABLE);
	}
	qsort(x.features, x.nfeatures, sizeof(*x.features), cmp_feature);
	for (size_t i = 0; i < cpu->nfeatures; i++)
		free(cpu->features[i].name);
	free(cpu->features);
	cpu->features = x.features;
	cpu->nfeatures = x.nfeatures;
	return 0;
}
