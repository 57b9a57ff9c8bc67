#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpumap/nonx86_cpumap.h"
#include "host/arch.h"
#include "util/err.h"

/* The arches of libvirt 11.3's CPU drivers, and whether the driver lists
 * models (x86 and ppc64 do; the others take any). */
static const struct {
	const char *arch;
	char models;			/* 'x': x86 map, 'p': ppc64 map, 0: any */
} drivers[] = {
	{ "i686", 'x' }, { "x86_64", 'x' },
	{ "ppc64", 'p' }, { "ppc64le", 'p' },
	{ "armv6l", 0 }, { "armv7l", 0 }, { "armv7b", 0 }, { "aarch64", 0 },
	{ "s390", 0 }, { "s390x", 0 },
	{ "riscv64", 0 },
	{ "loongarch64", 0 },
};

static int driver_of(const char *arch)
{
	if (!cp_arch_find(arch))
		return cp_fail(-EINVAL, "cannot find architecture %s", arch);
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i].arch, arch) == 0)
			return (int)i;
	return cp_fail(-ENOTSUP, "'%s' architecture is not supported by CPU driver", arch);
}

static bool is_x86(const char *arch)
{
	return arch && (strcmp(arch, "i686") == 0 || strcmp(arch, "x86_64") == 0);
}

int cp_cpu_models(const char *arch, struct cp_strv *names, bool *any)
{
	int d = driver_of(arch);

	*any = false;
	if (d < 0)
		return d;
	switch (drivers[d].models) {
	case 'x':
		for (size_t i = 0; i < cp_x86_nmodels; i++)
			cp_strv_push(names, cp_strdup(cp_x86_models[i].name));
		break;
	case 'p':
		/* one row per PVR: each model once, in map order */
		for (size_t i = 0; i < cp_ppc_npvrs; i++)
			if (i == 0 || strcmp(cp_ppc_pvrs[i - 1].model, cp_ppc_pvrs[i].model) != 0)
				cp_strv_push(names, cp_strdup(cp_ppc_pvrs[i].model));
		break;
	default:
		*any = true;
	}
	return 0;
}

/* QEMU never had these (or dropped them): the QEMU driver leaves them out
 * of every baseline it returns (virQEMUCapsCPUFilterFeatures). */
static const char *const qemu_ignored[] = {
	"cmt", "mbm_total", "mbm_local", "osxsave", "ospke",
	"vmx-ept-uc", "vmx-ept-wb", "vmx-invvpid-single-context",
};

static void drop_qemu_ignored(struct cp_cpu_def *d)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nfeatures; i++) {
		bool drop = false;

		for (size_t j = 0; j < sizeof(qemu_ignored) / sizeof(qemu_ignored[0]); j++)
			drop |= strcmp(d->features[i].name, qemu_ignored[j]) == 0;
		if (drop)
			free(d->features[i].name);
		else
			d->features[k++] = d->features[i];
	}
	d->nfeatures = k;
}

int cp_cpu_baseline(struct cp_cpu_def *cpus, size_t n, const char *default_arch, bool expand,
		    bool migratable, struct cp_cpu_def *out)
{
	struct cp_cpu_def **v;
	const char *arch = NULL;
	int rc;

	*out = (struct cp_cpu_def){ 0 };
	if (n == 0)
		return cp_fail(-EINVAL, "no CPUs given");
	for (size_t i = 0; i < n; i++) {
		if (!cpus[i].model)
			return cp_fail(-EINVAL, "no CPU model specified at index %zu", i);
		if (!arch && cpus[i].arch)
			arch = cpus[i].arch;
	}
	if (!arch)
		arch = default_arch;
	if (!arch)
		return cp_fail(-EINVAL, "undefined hardware architecture");
	if ((rc = driver_of(arch)) < 0)
		return rc;
	if (!is_x86(arch))
		return cp_fail(-ENOTSUP, "computing a baseline of %s CPUs is not supported (x86 only)", arch);
	/* libvirt takes the first CPU's arch and checks the others' only
	 * against their model's features: a model of another arch is unknown */
	v = cp_calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = &cpus[i];
	rc = cp_x86_baseline(v, n, NULL, migratable, out);
	free(v);
	if (rc < 0)
		return rc;
	drop_qemu_ignored(out);
	if (expand && (rc = cp_x86_expand(out)) < 0)
		cp_cpu_def_free(out);
	return rc;
}

void cp_cpu_def_from_host(const struct cp_host_cpu *h, struct cp_cpu_def *d)
{
	*d = (struct cp_cpu_def){ .type = CP_CPU_HOST };
	d->arch = h->arch ? cp_strdup(h->arch) : NULL;
	d->model = h->model ? cp_strdup(h->model) : NULL;
	d->vendor = h->vendor ? cp_strdup(h->vendor) : NULL;
	for (size_t i = 0; i < h->features.n; i++)
		cp_cpu_def_add_feature(d, h->features.v[i], CP_POLICY_NONE);
}

int cp_cpu_compare(const struct cp_cpu_def *host, const struct cp_cpu_def *cpu, int *verdict, char **why)
{
	int rc;

	*verdict = CP_CPU_INCOMPATIBLE;
	*why = NULL;
	if (!host->arch)
		return cp_fail(-ENOTSUP, "the host's architecture is unknown");
	if ((rc = driver_of(host->arch)) < 0)
		return rc;
	if (!is_x86(host->arch))
		return cp_fail(-ENOTSUP, "comparing CPUs on a %s host is not supported (x86 only)", host->arch);
	if (!host->model) {
		*why = cp_strdup("unknown host CPU");
		return 0;
	}
	return cp_x86_compare(host, cpu, verdict, why);
}

static const struct cp_dc_cpu_model *hv_model(const struct cp_dc_cpu *c, const char *name)
{
	for (size_t i = 0; i < c->nhv_models; i++)
		if (strcmp(c->hv_models[i].name, name) == 0)
			return &c->hv_models[i];
	return NULL;
}

/* The host-model CPU as a guest definition (virQEMUCapsGetHostModel's
 * reported CPU); -ENOTSUP with libvirt's message when QEMU reported none. */
static int hv_host_cpu(const struct cp_domcaps *dc, struct cp_cpu_def *d)
{
	const struct cp_dc_host_model *hm = &dc->cpu.host_model;

	*d = (struct cp_cpu_def){ .type = CP_CPU_GUEST, .mode = CP_MODE_CUSTOM, .match = CP_MATCH_EXACT };
	if (hm->supported != CP_DC_YES || !hm->model || !hm->fallback || strcmp(hm->fallback, "forbid") != 0)
		return cp_fail(-ENOTSUP, "QEMU '%s' does not support reporting CPU model for virttype '%s'",
			       dc->path ? dc->path : "", dc->domain ? dc->domain : "");
	d->fallback = CP_FALLBACK_FORBID;
	d->model = cp_strdup(hm->model);
	d->vendor = hm->vendor ? cp_strdup(hm->vendor) : NULL;
	for (size_t i = 0; i < hm->nfeatures; i++)
		cp_cpu_def_add_feature(d, hm->features[i].name,
				       strcmp(hm->features[i].policy, "disable") == 0 ? CP_POLICY_DISABLE
										 : CP_POLICY_REQUIRE);
	return 0;
}

/* virCPUCompareUnusable: the blockers cpu does not disable, then the
 * features it requires that the expanded host-model does not. */
static int compare_unusable(const struct cp_cpu_def *host, const struct cp_cpu_def *cpu,
			    const struct cp_strv *blockers, int *verdict, char **why)
{
	struct cp_cpu_def x = { 0 };
	struct cp_buf b = { 0 };
	struct cp_cpu_feature *f;
	int rc;

	for (size_t i = 0; i < blockers->n; i++)
		if (!(f = cp_cpu_def_find_feature(cpu, blockers->v[i])) || f->policy != CP_POLICY_DISABLE)
			cp_buf_printf(&b, "%s%s", b.len ? ", " : "", blockers->v[i]);
	x.type = host->type;
	x.model = cp_strdup(host->model);
	for (size_t i = 0; i < host->nfeatures; i++)
		cp_cpu_def_add_feature(&x, host->features[i].name, host->features[i].policy);
	if ((rc = cp_x86_expand(&x)) < 0) {
		cp_cpu_def_free(&x);
		free(cp_buf_steal(&b));
		return rc;
	}
	for (size_t i = 0; i < cpu->nfeatures; i++) {
		if (cpu->features[i].policy != CP_POLICY_REQUIRE)
			continue;
		if (!(f = cp_cpu_def_find_feature(&x, cpu->features[i].name)) || f->policy != CP_POLICY_REQUIRE)
			cp_buf_printf(&b, "%s%s", b.len ? ", " : "", cpu->features[i].name);
	}
	cp_cpu_def_free(&x);
	if (b.len) {
		char *list = cp_buf_steal(&b);

		*verdict = CP_CPU_INCOMPATIBLE;
		*why = cp_asprintf("Host CPU does not provide required features: %s", list);
		free(list);
	} else {
		*verdict = CP_CPU_SUPERSET;
	}
	return 0;
}

int cp_cpu_hv_compare(const struct cp_domcaps *dc, const struct cp_cpu_def *cpu, int *verdict, char **why)
{
	const struct cp_dc_cpu_model *m = cpu->model ? hv_model(&dc->cpu, cpu->model) : NULL;
	const struct cp_x86_guest_model *g;
	struct cp_cpu_def host;
	bool usable = m && m->usable == CP_DC_USABLE_YES;
	int rc;

	*verdict = CP_CPU_INCOMPATIBLE;
	*why = NULL;
	if ((rc = hv_host_cpu(dc, &host)) < 0)
		return rc;
	if (!is_x86(dc->arch)) {
		cp_cpu_def_free(&host);
		return cp_fail(-ENOTSUP, "comparing with the hypervisor CPU is not supported for arch %s",
			       dc->arch ? dc->arch : "");
	}
	/* QEMU's word for a model asked without features (or only with
	 * disabled ones) */
	for (size_t i = 0; usable && i < cpu->nfeatures; i++)
		usable = cpu->features[i].policy == CP_POLICY_DISABLE;
	if (usable) {
		*verdict = CP_CPU_SUPERSET;
	} else if (!m) {
		rc = cp_x86_compare(&host, cpu, verdict, why);
	} else if (!(g = cp_x86_guest_find(cpu->model, NULL))) {
		rc = cp_fail(-EINVAL, "unknown CPU model %s", cpu->model);
	} else if (g->compat_check) {
		rc = cp_x86_compare(&host, cpu, verdict, why);
	} else {
		rc = compare_unusable(&host, cpu, &m->blockers, verdict, why);
	}
	cp_cpu_def_free(&host);
	return rc;
}

int cp_cpu_hv_baseline(const struct cp_domcaps *dc, struct cp_cpu_def *cpus, size_t n, bool expand,
		       bool migratable, struct cp_cpu_def *out)
{
	const struct cp_dc_cpu *c = &dc->cpu;
	struct cp_x86_hv hv = { .models = c->hv_models, .nmodels = c->nhv_models };
	cp_x86_fset features = { 0 };
	struct cp_cpu_def **v;
	int rc;

	*out = (struct cp_cpu_def){ 0 };
	if (!c->nhv_models)
		return cp_fail(-ENOTSUP, "QEMU '%s' does not support any CPU models for virttype '%s'",
			       dc->path ? dc->path : "", dc->domain ? dc->domain : "");
	if (!is_x86(dc->arch))
		return cp_fail(-ENOTSUP, "computing baseline hypervisor CPU is not supported for arch %s",
			       dc->arch ? dc->arch : "");
	/* the features QEMU knows; asked for migratable ones, those it can
	 * migrate, and then the map's migratable='no' is not consulted */
	if (c->hv_props) {
		for (size_t i = 0; i < c->hv_features.n; i++) {
			int f = cp_x86_feature_find(c->hv_features.v[i]);
			bool nonmig = false;

			for (size_t j = 0; migratable && j < c->hv_nonmigratable.n; j++)
				nonmig |= strcmp(c->hv_nonmigratable.v[j], c->hv_features.v[i]) == 0;
			if (f >= 0 && !nonmig)
				cp_x86_fset_add(features, (unsigned)f);
		}
		hv.features = features;
		if (c->hv_migratability)
			migratable = false;
	}
	if (n == 0)
		return cp_fail(-EINVAL, "no CPUs given");
	for (size_t i = 0; i < n; i++)
		if (!cpus[i].model)
			return cp_fail(-EINVAL, "no CPU model specified at index %zu", i);
	v = cp_calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = &cpus[i];
	rc = cp_x86_baseline(v, n, &hv, migratable, out);
	free(v);
	if (rc < 0)
		return rc;
	out->fallback = CP_FALLBACK_FORBID;
	if (expand && (rc = cp_x86_expand(out)) < 0) {
		cp_cpu_def_free(out);
		return rc;
	}
	/* the smallest address limit, when every CPU has one */
	for (size_t i = 0; i < n; i++) {
		if (!cpus[i].addr_limit) {
			out->addr_limit = 0;
			break;
		}
		if (i == 0 || cpus[i].addr_limit < out->addr_limit)
			out->addr_limit = cpus[i].addr_limit;
	}
	return 0;
}
