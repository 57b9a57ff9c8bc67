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
	rc = cp_x86_baseline(v, n, migratable, out);
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
