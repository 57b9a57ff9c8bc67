#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cpu.h"
#include "util/hostdev.h"

/* Feature sets: bit i = cp_x86_features[i].  The generator guarantees one
 * bit per feature and no shared bits, so libvirt's "subtract the model data,
 * then name what is left in map order" is set difference here. */
typedef uint64_t cp_fset[CP_X86_FEATURE_WORDS];

static void fset_set(cp_fset s, size_t i)
{
	s[i / 64] |= UINT64_C(1) << (i % 64);
}

static bool fset_has(const cp_fset s, size_t i)
{
	return (s[i / 64] >> (i % 64)) & 1;
}

static int feature_index(const char *name)
{
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (strcmp(cp_x86_features[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool feature_in_data(const struct cp_x86_feature *f, const struct cp_cpuid_table *cpuid,
			    const struct cp_msr_table *msr)
{
	if (f->msr) {
		const struct cp_msr_value *m = msr ? cp_msr_get(msr, f->leaf) : NULL;

		return m && ((m->value >> f->bit) & 1);
	} else {
		const struct cp_cpuid_leaf *l = cp_cpuid_get(cpuid, f->leaf, f->subleaf);
		uint32_t regs[4];

		if (!l)
			return false;
		regs[CP_X86_EAX] = l->eax;
		regs[CP_X86_EBX] = l->ebx;
		regs[CP_X86_ECX] = l->ecx;
		regs[CP_X86_EDX] = l->edx;
		return (regs[f->reg] >> f->bit) & 1;
	}
}

/* Leaf 0 holds the vendor string in EBX, EDX, ECX.  libvirt matches it as a
 * bit mask (every bit of the string set), first vendor in map order. */
static int find_vendor(const struct cp_cpuid_table *cpuid)
{
	const struct cp_cpuid_leaf *l0 = cp_cpuid_get(cpuid, 0, 0);

	if (!l0)
		return -1;
	for (size_t i = 0; i < cp_x86_nvendors; i++) {
		const unsigned char *s = (const unsigned char *)cp_x86_vendors[i].string;
		uint32_t w[3];

		for (int k = 0; k < 3; k++)
			w[k] = s[4 * k] | (uint32_t)s[4 * k + 1] << 8 | (uint32_t)s[4 * k + 2] << 16 |
			       (uint32_t)s[4 * k + 3] << 24;
		if ((l0->ebx & w[0]) == w[0] && (l0->edx & w[1]) == w[1] && (l0->ecx & w[2]) == w[2])
			return (int)i;
	}
	return -1;
}

/* The extended family is always added and the extended model always used,
 * whatever the base family (libvirt's reading of leaf 1 EAX). */
static void split_signature(uint32_t sig, unsigned *family, unsigned *model, unsigned *stepping)
{
	*family = ((sig >> 20) & 0xff) + ((sig >> 8) & 0xf);
	*model = ((sig >> 12) & 0xf0) + ((sig >> 4) & 0xf);
	*stepping = sig & 0xf;
}

static bool model_matches_signature(const struct cp_x86_model *m, unsigned family, unsigned model,
				    unsigned stepping)
{
	for (size_t i = 0; i < m->nsigs; i++)
		if (m->sigs[i].family == family && m->sigs[i].model == model &&
		    ((m->sigs[i].steppings >> stepping) & 1))
			return true;
	return false;
}

bool cp_x86_tsx_erratum(unsigned family, unsigned model, unsigned stepping)
{
	return family == 6 && ((model == 63 && stepping < 4) || model == 60 || model == 69 || model == 70);
}

int cp_x86_decode(const struct cp_cpuid_table *cpuid, const struct cp_msr_table *msr, struct cp_x86_decoded *out)
{
	const struct cp_cpuid_leaf *l1 = cp_cpuid_get(cpuid, 1, 0);
	uint32_t sig = l1 ? l1->eax & 0x0fff3fff : 0;	/* reserved bits masked */
	cp_fset data = { 0 }, best_set = { 0 };
	int vendor = find_vendor(cpuid), best = -1;
	size_t best_extra = 0;
	bool best_sig = false;

	*out = (struct cp_x86_decoded){ .model = -1, .vendor = -1 };
	split_signature(sig, &out->family, &out->model_id, &out->stepping);
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (feature_in_data(&cp_x86_features[i], cpuid, msr))
			fset_set(data, i);

	/* Intel parts with broken TSX report hle/rtm; libvirt drops them. */
	if (vendor >= 0 && strcmp(cp_x86_vendors[vendor].name, "Intel") == 0 &&
	    cp_x86_tsx_erratum(out->family, out->model_id, out->stepping)) {
		static const char *const tsx[] = { "hle", "rtm" };

		for (size_t k = 0; k < 2; k++) {
			int f = feature_index(tsx[k]);

			if (f >= 0)
				data[f / 64] &= ~(UINT64_C(1) << (f % 64));
		}
	}

	/* Newest first; a model is a candidate only if the host has all of its
	 * features (a host CPU never lists disabled ones).  A signature match
	 * beats any count; otherwise strictly fewer extras win, so ties keep
	 * the model visited first, i.e. the later one in the map. */
	for (size_t i = cp_x86_nmodels; i-- > 0;) {
		const struct cp_x86_model *m = &cp_x86_models[i];
		cp_fset mset = { 0 };
		size_t extra = 0;
		bool missing = false, sig_ok;

		if (vendor >= 0 && m->vendor >= 0 && m->vendor != vendor)
			continue;
		if (!m->decode_host)
			continue;
		for (size_t k = 0; k < m->nfeatures; k++) {
			fset_set(mset, m->features[k]);
			if (!fset_has(data, m->features[k]))
				missing = true;
		}
		if (missing)
			continue;
		for (size_t w = 0; w < CP_X86_FEATURE_WORDS; w++)
			extra += (size_t)__builtin_popcountll(data[w] & ~mset[w]);
		sig_ok = sig && model_matches_signature(m, out->family, out->model_id, out->stepping);
		if (best >= 0) {
			if (sig && best_sig && !sig_ok)
				continue;
			if (!(sig && !best_sig && sig_ok) && extra >= best_extra)
				continue;
		}
		best = (int)i;
		best_extra = extra;
		best_sig = sig_ok;
		memcpy(best_set, mset, sizeof(cp_fset));
	}
	if (best < 0)
		return cp_fail(-ENOENT, "no x86 CPU model in the map fits the host CPUID data");

	out->model = best;
	out->vendor = vendor;
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (fset_has(data, i) && !fset_has(best_set, i))
			cp_strv_push(&out->features, cp_strdup(cp_x86_features[i].name));
	return 0;
}

void cp_x86_decoded_free(struct cp_x86_decoded *d)
{
	cp_strv_free(&d->features);
}

/* libvirt's unsigned-int number reading: leading blanks and a sign allowed,
 * "-N" wraps to 2^32 - N, text after the number ignored, 32-bit range. */
static int parse_uint(const char *s, int base, unsigned *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, base);
	if (end == s || errno)
		return -EINVAL;
	if (memchr(s, '-', (size_t)(end - s))) {
		if (-v > UINT_MAX)
			return -EINVAL;
		v &= UINT_MAX;
	}
	if (v > UINT_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int cp_x86_parse_microcode(const char *head, unsigned *version)
{
	const char *p = strstr(head, "microcode");

	if (!p || !(p = strchr(p, ':')))
		return -EINVAL;
	return parse_uint(p + 1, 0, version);
}

/* Lines are taken the way fgets() with a 1024-byte buffer cuts them. */
int cp_x86_parse_physaddr(const char *cpuinfo, unsigned *bits)
{
	const char *p = cpuinfo;

	while (*p) {
		char line[1024];
		size_t n = 0;
		char *colon;

		while (p[n] && n < sizeof(line) - 1) {
			if (p[n++] == '\n')
				break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n;
		if (!cp_startswith(line, "address sizes"))
			continue;
		colon = strchr(line + strlen("address sizes"), ':');
		if (!colon)
			return -EINVAL;
		return parse_uint(colon + 1, 10, bits);
	}
	return -EINVAL;
}

/* The TSC frequency KVM gives a fresh vCPU and whether it can scale it,
 * recorded as "HZ yes|no"; -ENOENT (or another -errno) means no <counter>,
 * -EBADMSG a malformed fact. */
static int tsc_probe(const struct cp_root *r, uint64_t *hz, bool *scaling)
{
	char *text = NULL, *sp, *nl;
	int rc = cp_fact(r, "tsc", cp_hostdev_kvm_tsc, NULL, &text);

	if (rc < 0)
		return rc;
	cp_rstrip(text);
	sp = strchr(text, ' ');
	nl = strchr(text, '\n');
	rc = -EBADMSG;
	if (sp && !nl) {
		uint64_t v;

		*sp = '\0';
		if (cp_parse_u64(text, 10, false, &v) == 0 && v > 0 &&
		    (strcmp(sp + 1, "yes") == 0 || strcmp(sp + 1, "no") == 0)) {
			*hz = v;
			*scaling = strcmp(sp + 1, "yes") == 0;
			rc = 0;
		}
	}
	free(text);
	if (rc < 0)
		return cp_fail(rc, "the TSC fact (tsc) line 1: expected \"HZ yes|no\"");
	return 0;
}

/* libvirt's x86 getHost: decode, then microcode, TSC and address size.  The
 * last three are kept even when no model fits (getHost still fails). */
int cp_cpu_x86(const struct cp_root *r, struct cp_host_cpu *cpu)
{
	struct cp_cpuid_table cpuid = { 0 };
	struct cp_msr_table msr = { 0 };
	struct cp_x86_decoded d;
	const char *info = NULL;
	size_t len = 0;
	unsigned v;
	int rc, ret;

	if ((rc = cp_cpuid_collect(r, &cpuid)) < 0) {
		if (rc == -ENOENT)
			rc = cp_fail(rc, "no CPUID data (not an x86 build, or not recorded)");
		return rc;
	}
	/* 11.3 reads every MSR the map mentions, without a CPUID gate. */
	if ((rc = cp_msr_collect(r, cp_x86_msr_indices, cp_x86_nmsr_indices, &msr)) < 0) {
		cp_cpuid_table_free(&cpuid);
		return rc;
	}

	ret = cp_x86_decode(&cpuid, &msr, &d);
	if (ret == 0) {
		cpu->model = cp_strdup(cp_x86_models[d.model].name);
		if (d.vendor >= 0)
			cpu->vendor = cp_strdup(cp_x86_vendors[d.vendor].name);
		cpu->family = d.family;
		cpu->model_id = d.model_id;
		cpu->stepping = d.stepping;
		cpu->features = d.features;
		d.features = (struct cp_strv){ 0 };
		cp_x86_decoded_free(&d);
	}

	/* Only the first 4 KiB of cpuinfo are searched for the microcode. */
	if (cp_read_shared(r, &info, &len, "/proc/cpuinfo") == 0) {
		char *head = cp_asprintf("%.*s", (int)(len < 4096 ? len : 4096), info);

		if (cp_x86_parse_microcode(head, &v) == 0)
			cpu->microcode = v;
		free(head);
	}

	{
		int f = feature_index("invtsc");

		if (f >= 0 && feature_in_data(&cp_x86_features[f], &cpuid, NULL)) {
			rc = tsc_probe(r, &cpu->tsc_hz, &cpu->tsc_scaling);
			if (rc == -EBADMSG)
				ret = rc;
			else if (rc < 0)
				cp_verbose("no TSC counter: %s", strerror(-rc));
		}
	}

	if (info && cp_x86_parse_physaddr(info, &v) == 0)
		cpu->maxphysaddr = v;

	cp_msr_table_free(&msr);
	cp_cpuid_table_free(&cpuid);
	return ret;
}
