#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "host/cpuid.h"
#include "cpumap/x86_cpumap.h"
#include "check_skip.h"

/* Synthetic CPUID/MSR data built from the map itself: these tests pin the
 * decoder's rules; check_cpumap.c checks the map against libvirt's files and
 * decodes data built from those files instead. */
struct data {
	struct cp_cpuid_table cpuid;
	struct cp_msr_table msr;
};

static void data_free(struct data *d)
{
	cp_cpuid_table_free(&d->cpuid);
	cp_msr_table_free(&d->msr);
}

static int model_index(const char *name)
{
	for (size_t i = 0; i < cp_x86_nmodels; i++)
		if (strcmp(cp_x86_models[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("model %s not in the map", name);
	return -1;
}

static int feature_index(const char *name)
{
	for (size_t i = 0; i < cp_x86_nfeatures; i++)
		if (strcmp(cp_x86_features[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("feature %s not in the map", name);
	return -1;
}

static int vendor_index(const char *name)
{
	for (size_t i = 0; i < cp_x86_nvendors; i++)
		if (strcmp(cp_x86_vendors[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("vendor %s not in the map", name);
	return -1;
}

static void add_regs(struct data *d, uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t e)
{
	struct cp_cpuid_leaf l = { leaf, sub, a, b, c, e };

	cp_cpuid_add(&d->cpuid, &l);
}

static void add_feature(struct data *d, size_t fi)
{
	const struct cp_x86_feature *f = &cp_x86_features[fi];
	uint32_t r[4] = { 0 };

	if (f->msr) {
		cp_msr_add(&d->msr, f->leaf, UINT64_C(1) << f->bit);
		return;
	}
	r[f->reg] = UINT32_C(1) << f->bit;
	add_regs(d, f->leaf, f->subleaf, r[0], r[1], r[2], r[3]);
}

static void remove_feature(struct data *d, size_t fi)
{
	const struct cp_x86_feature *f = &cp_x86_features[fi];

	if (f->msr) {
		for (size_t i = 0; i < d->msr.n; i++)
			if (d->msr.v[i].index == f->leaf)
				d->msr.v[i].value &= ~(UINT64_C(1) << f->bit);
		return;
	}
	for (size_t i = 0; i < d->cpuid.n; i++) {
		struct cp_cpuid_leaf *l = &d->cpuid.v[i];
		uint32_t *regs[4] = { &l->eax, &l->ebx, &l->ecx, &l->edx };

		if (l->leaf == f->leaf && l->subleaf == f->subleaf)
			*regs[f->reg] &= ~(UINT32_C(1) << f->bit);
	}
}

static void add_vendor(struct data *d, int v)
{
	const unsigned char *s = (const unsigned char *)cp_x86_vendors[v].string;
	uint32_t w[3];

	for (int k = 0; k < 3; k++)
		w[k] = s[4 * k] | (uint32_t)s[4 * k + 1] << 8 | (uint32_t)s[4 * k + 2] << 16 |
		       (uint32_t)s[4 * k + 3] << 24;
	add_regs(d, 0, 0, 0xd, w[0], w[2], w[1]);
}

/* Leaf 1 EAX the way libvirt composes a signature. */
static void add_signature(struct data *d, unsigned family, unsigned model, unsigned stepping)
{
	uint32_t sig = 0;

	if (family > 0xf) {
		sig |= (family - 0xf) << 20;
		family = 0xf;
	}
	sig |= (model >> 4) << 16 | family << 8 | (model & 0xf) << 4 | (stepping & 0xf);
	add_regs(d, 1, 0, sig, 0, 0, 0);
}

static void add_model(struct data *d, int mi)
{
	const struct cp_x86_model *m = &cp_x86_models[mi];

	for (size_t k = 0; k < m->nfeatures; k++)
		add_feature(d, m->features[k]);
	if (m->vendor >= 0)
		add_vendor(d, m->vendor);
}

static bool same_features(const struct cp_x86_model *a, const struct cp_x86_model *b)
{
	return a->nfeatures == b->nfeatures && memcmp(a->features, b->features, a->nfeatures * sizeof(uint16_t)) == 0;
}

static const char *decode_name(struct data *d, struct cp_x86_decoded *out)
{
	int rc = cp_x86_decode(&d->cpuid, &d->msr, out);

	ck_assert_msg(rc == 0, "decode failed: %s", cp_last_error());
	return cp_x86_models[out->model].name;
}

/* Decode a model's own data with the given signature (0: none). */
static char *decode_model(const char *name, unsigned family, unsigned model, unsigned stepping, size_t *nextra)
{
	struct data d = { 0 };
	struct cp_x86_decoded out;
	char *res;

	add_model(&d, model_index(name));
	if (family)
		add_signature(&d, family, model, stepping);
	res = strdup(decode_name(&d, &out));
	if (nextra)
		*nextra = out.features.n;
	cp_x86_decoded_free(&out);
	data_free(&d);
	return res;
}

START_TEST(map_shape)
{
	/* what libvirt 11.3's map (src/cpu_map/x86_*.xml) is known to hold */
	ck_assert_uint_eq(cp_x86_nvendors, 3);
	ck_assert_uint_eq(cp_x86_nfeatures, 364);
	ck_assert_uint_eq(cp_x86_nmodels, 150);
	ck_assert_str_eq(cp_x86_models[0].name, "486");
	ck_assert_str_eq(cp_x86_models[cp_x86_nmodels - 1].name, "Dhyana-v2");
	ck_assert_uint_eq(cp_x86_nmsr_indices, 11);
	ck_assert_uint_eq(cp_x86_msr_indices[0], 0xcf);
	ck_assert_uint_eq(cp_x86_msr_indices[1], 0x10a);
	ck_assert_uint_eq(cp_x86_msr_indices[10], 0x491);
	/* alias form copies the base; added='yes' and removed='yes' are not data */
	ck_assert(same_features(&cp_x86_models[model_index("kvm64-v1")], &cp_x86_models[model_index("kvm64")]));
	ck_assert_uint_eq(cp_x86_models[model_index("kvm64")].nfeatures, 26);
	ck_assert_uint_eq(cp_x86_models[model_index("Skylake-Server")].nfeatures, 69);
	ck_assert_uint_eq(cp_x86_models[model_index("Skylake-Server")].sigs[0].steppings, 0x1f);
	ck_assert_uint_eq(cp_x86_models[model_index("Haswell-v2")].nsigs, 4);
	ck_assert_int_eq(cp_x86_models[model_index("EPYC-v2")].vendor, vendor_index("AMD"));
	ck_assert(!cp_x86_models[model_index("cpu64-rhel5")].decode_host);
	/* output order: leaf 1 ECX before EDX, 0x80000001 ECX before EDX */
	ck_assert_int_lt(feature_index("hypervisor"), feature_index("fpu"));
	ck_assert_int_lt(feature_index("topoext"), feature_index("syscall"));
	ck_assert_int_lt(feature_index("perfmon-v2"), feature_index("split-lock-detect"));
	ck_assert(cp_x86_features[feature_index("gds-no")].msr);
	ck_assert_uint_eq(cp_x86_features[feature_index("gds-no")].bit, 26);
	ck_assert_uint_eq(cp_x86_features[feature_index("vmx-invvpid")].bit, 32);
}
END_TEST

START_TEST(decode_picks_last_twin)
{
	static const struct {
		const char *data, *want;
		unsigned f, m, s;
	} cases[] = {
		{ "Haswell", "Haswell-v1", 6, 63, 4 },
		{ "Haswell", "Haswell-v2", 6, 60, 3 },		/* TSX erratum: hle/rtm dropped */
		{ "EPYC-IBPB", "EPYC-v2", 23, 1, 2 },
		{ "EPYC-v3", "EPYC-v4", 23, 1, 2 },
		{ "Cascadelake-Server-noTSX", "Cascadelake-Server-v3", 6, 85, 6 },
		{ "Nehalem-IBRS", "Nehalem-v2", 6, 26, 0 },
		{ "cpu64-rhel6", "kvm64-v1", 0, 0, 0 },
		{ "kvm64", "kvm64-v1", 0, 0, 0 },
		{ "pentiumpro", "pentiumpro", 0, 0, 0 },
		{ "Icelake-Client", "Icelake-Client", 6, 126, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t nextra = 99;
		char *got = decode_model(cases[i].data, cases[i].f, cases[i].m, cases[i].s, &nextra);

		ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s data gave %s, want %s", cases[i].data, got,
			      cases[i].want);
		ck_assert_msg(nextra == 0 || strcmp(cases[i].data, "cpu64-rhel6") == 0, "%s: %zu extras",
			      cases[i].data, nextra);
		free(got);
	}
}
END_TEST

START_TEST(decode_vendor_mismatch_skips)
{
	struct data d = { 0 };
	struct cp_x86_decoded out;
	int amd = vendor_index("AMD");

	/* Intel-only model data on an AMD CPU: no Intel model may be chosen */
	add_model(&d, model_index("Haswell-noTSX"));
	data_free(&d);
	d = (struct data){ 0 };
	for (size_t k = 0; k < cp_x86_models[model_index("Haswell-noTSX")].nfeatures; k++)
		add_feature(&d, cp_x86_models[model_index("Haswell-noTSX")].features[k]);
	add_vendor(&d, amd);
	add_signature(&d, 6, 63, 4);
	decode_name(&d, &out);
	ck_assert_int_eq(out.vendor, amd);
	ck_assert_int_ne(cp_x86_models[out.model].vendor, vendor_index("Intel"));
	ck_assert_uint_gt(out.features.n, 0);
	cp_x86_decoded_free(&out);
	data_free(&d);

	/* no vendor string at all: vendor-specific models compete too */
	d = (struct data){ 0 };
	for (size_t k = 0; k < cp_x86_models[model_index("Haswell-noTSX")].nfeatures; k++)
		add_feature(&d, cp_x86_models[model_index("Haswell-noTSX")].features[k]);
	add_signature(&d, 6, 63, 4);
	ck_assert_str_eq(decode_name(&d, &out), "Haswell-v2");
	ck_assert_int_eq(out.vendor, -1);
	cp_x86_decoded_free(&out);
	data_free(&d);
}
END_TEST

START_TEST(decode_signature_preferred)
{
	const struct cp_x86_model *conroe = &cp_x86_models[model_index("Conroe")];
	const struct cp_x86_model *penryn = &cp_x86_models[model_index("Penryn")];
	struct data d = { 0 };
	struct cp_x86_decoded out;
	size_t extra;

	/* precondition: Conroe's data is inside Penryn's */
	for (size_t k = 0; k < conroe->nfeatures; k++) {
		bool in = false;

		for (size_t j = 0; j < penryn->nfeatures; j++)
			in |= penryn->features[j] == conroe->features[k];
		ck_assert(in);
	}
	/* Penryn data with Penryn's signature: the exact model */
	add_model(&d, model_index("Penryn"));
	add_signature(&d, 6, 23, 0);
	ck_assert_str_eq(decode_name(&d, &out), "Penryn-v1");
	cp_x86_decoded_free(&out);
	data_free(&d);

	/* the same data with Conroe's signature: the signature beats the count */
	d = (struct data){ 0 };
	add_model(&d, model_index("Penryn"));
	add_signature(&d, 6, 15, 0);
	ck_assert_str_eq(decode_name(&d, &out), "Conroe-v1");
	extra = out.features.n;
	ck_assert_uint_eq(extra, penryn->nfeatures - conroe->nfeatures);
	cp_x86_decoded_free(&out);
	data_free(&d);
}
END_TEST

START_TEST(decode_tsx_filter)
{
	struct data d = { 0 };
	struct cp_x86_decoded out;

	/* 6/63 stepping 3 is in the erratum list too; 6/63/4 is not */
	add_model(&d, model_index("Haswell"));
	add_signature(&d, 6, 63, 3);
	ck_assert_str_eq(decode_name(&d, &out), "Haswell-v2");
	for (size_t i = 0; i < out.features.n; i++)
		ck_assert(strcmp(out.features.v[i], "hle") && strcmp(out.features.v[i], "rtm"));
	cp_x86_decoded_free(&out);
	data_free(&d);

	/* only Intel is filtered */
	d = (struct data){ 0 };
	for (size_t k = 0; k < cp_x86_models[model_index("Haswell")].nfeatures; k++)
		add_feature(&d, cp_x86_models[model_index("Haswell")].features[k]);
	add_vendor(&d, vendor_index("AMD"));
	add_signature(&d, 6, 60, 1);
	decode_name(&d, &out);
	{
		bool hle = false;

		for (size_t i = 0; i < out.features.n; i++)
			hle |= strcmp(out.features.v[i], "hle") == 0;
		ck_assert(hle);
	}
	cp_x86_decoded_free(&out);
	data_free(&d);
}
END_TEST

START_TEST(decode_missing_rejects)
{
	struct data d = { 0 };
	struct cp_x86_decoded out;
	const struct cp_x86_model *m;

	add_model(&d, model_index("Skylake-Server-v1"));
	add_signature(&d, 6, 85, 4);
	remove_feature(&d, feature_index("avx512f"));
	decode_name(&d, &out);
	m = &cp_x86_models[out.model];
	ck_assert_msg(strncmp(m->name, "Skylake-Server", 14) != 0, "got %s", m->name);
	/* whatever won needs nothing the data lacks */
	for (size_t k = 0; k < m->nfeatures; k++)
		ck_assert_int_ne(m->features[k], feature_index("avx512f"));
	cp_x86_decoded_free(&out);
	data_free(&d);

	/* nothing fits empty data but models without features, and there
	 * are none: decoding fails cleanly */
	d = (struct data){ 0 };
	add_vendor(&d, vendor_index("Intel"));
	ck_assert_int_eq(cp_x86_decode(&d.cpuid, &d.msr, &out), -ENOENT);
	ck_assert_int_eq(out.model, -1);
	data_free(&d);
}
END_TEST

START_TEST(decode_feature_order)
{
	static const char *const extra[] = { "mmxext", "rdctl-no", "ht", "lahf_lm", "monitor", "vme", "gds-no" };
	static const char *const want[] = { "monitor", "vme", "ht", "lahf_lm", "mmxext", "rdctl-no", "gds-no" };
	struct data d = { 0 };
	struct cp_x86_decoded out;

	add_model(&d, model_index("kvm64"));
	add_vendor(&d, vendor_index("AMD"));
	add_signature(&d, 25, 1, 1);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		add_feature(&d, feature_index(extra[i]));
	ck_assert_str_eq(decode_name(&d, &out), "kvm64-v1");
	ck_assert_str_eq(cp_x86_vendors[out.vendor].name, "AMD");
	ck_assert_uint_eq(out.family, 25);
	ck_assert_uint_eq(out.model_id, 1);
	ck_assert_uint_eq(out.stepping, 1);
	ck_assert_uint_eq(out.features.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < out.features.n; i++)
		ck_assert_str_eq(out.features.v[i], want[i]);
	cp_x86_decoded_free(&out);
	data_free(&d);
}
END_TEST

START_TEST(signature_fields)
{
	struct data d = { 0 };
	struct cp_x86_decoded out;

	/* extended family is added and extended model used even for family 6;
	 * reserved bits (31:28, 15:14) are ignored */
	add_model(&d, model_index("486"));
	add_regs(&d, 1, 0, 0xf0a5c6f3u, 0, 0, 0);
	decode_name(&d, &out);
	ck_assert_uint_eq(out.family, 0x0a + 6);
	ck_assert_uint_eq(out.model_id, 0x5f);
	ck_assert_uint_eq(out.stepping, 3);
	cp_x86_decoded_free(&out);
	data_free(&d);
}
END_TEST

START_TEST(parse_cpuid_fact)
{
	struct cp_cpuid_table t = { 0 };
	const struct cp_cpuid_leaf *l;
	char *text;

	ck_assert_int_eq(cp_cpuid_parse("# comment\n\n0x00000007 0x00000000 0x00000001 0xf1bf07ab 0x00405fc6 0x00000010\n"
					"0x00000001 0x00000000 0x00a00f11 0x00000800 0xfed83203 0x178bfbff",
					"t", &t), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_uint_eq(t.v[0].leaf, 1);	/* kept sorted */
	l = cp_cpuid_get(&t, 7, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->ebx, 0xf1bf07ab);
	ck_assert_uint_eq(l->edx, 0x10);
	ck_assert_ptr_null(cp_cpuid_get(&t, 7, 1));
	text = cp_cpuid_format(&t);
	cp_cpuid_table_free(&t);
	ck_assert_int_eq(cp_cpuid_parse(text, "t", &t), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_uint_eq(cp_cpuid_get(&t, 1, 0)->ecx, 0xfed83203);
	free(text);
	cp_cpuid_table_free(&t);

	static const struct { const char *text; const char *where; } bad[] = {
		{ "garbage\n", "t line 1:" },
		{ "0x1 0x0 0x1 0x2 0x3\n", "t line 1:" },				/* truncated */
		{ "# ok\n0x1 0x0 0x1 0x2 0x3 0x4 0x5\n", "t line 2:" },		/* extra field */
		{ "0x1 0x0 0x100000000 0x2 0x3 0x4\n", "t line 1:" },		/* > 32 bits */
		{ "0x1 0x0 0xffffffffffffffffffffff 0x2 0x3 0x4\n", "t line 1:" },
		{ "1 0 1 2 3 4\n", "t line 1:" },					/* no 0x */
		{ "0x1 0x0 0x 0x2 0x3 0x4\n", "t line 1:" },
		{ "0x1 0x0 -0x1 0x2 0x3 0x4\n", "t line 1:" },
		{ "\n\n0x1 0x0 0x1g 0x2 0x3 0x4\n", "t line 3:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cp_cpuid_parse(bad[i].text, "t", &t) == -EBADMSG, "accepted: %s", bad[i].text);
		ck_assert_msg(strstr(cp_last_error(), bad[i].where), "'%s' for %s", cp_last_error(), bad[i].text);
		ck_assert_ptr_null(t.v);
	}
}
END_TEST

START_TEST(parse_msr_fact)
{
	struct cp_msr_table t = { 0 };
	char *text;

	ck_assert_int_eq(cp_msr_parse("0x0000010a 0x400000000c000069\n0x000000cf 0xffffffffffffffff\n", "m", &t), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_uint_eq(cp_msr_get(&t, 0x10a)->value, UINT64_C(0x400000000c000069));
	ck_assert_uint_eq(cp_msr_get(&t, 0xcf)->value, UINT64_MAX);
	ck_assert_ptr_null(cp_msr_get(&t, 0x480));
	text = cp_msr_format(&t);
	ck_assert_ptr_nonnull(strstr(text, "0x0000010a 0x400000000c000069\n"));
	cp_msr_table_free(&t);
	ck_assert_int_eq(cp_msr_parse(text, "m", &t), 0);
	ck_assert_uint_eq(t.n, 2);
	free(text);
	cp_msr_table_free(&t);
	ck_assert_int_eq(cp_msr_parse("", "m", &t), 0);
	ck_assert_uint_eq(t.n, 0);

	ck_assert_int_eq(cp_msr_parse("0x10a 0x10000000000000000\n", "m", &t), -EBADMSG);
	ck_assert_int_eq(cp_msr_parse("0x100000000 0x1\n", "m", &t), -EBADMSG);
	ck_assert_int_eq(cp_msr_parse("0x10a\n", "m", &t), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(cp_last_error(), "m line 1:"));
	ck_assert_int_eq(cp_msr_parse("0x10a 0x1 0x2\n", "m", &t), -EBADMSG);
	ck_assert_int_eq(cp_msr_parse("\x01\x02\xff\n", "m", &t), -EBADMSG);
	ck_assert_ptr_null(t.v);
}
END_TEST

START_TEST(msr_features_decode)
{
	struct data d = { 0 };
	struct cp_x86_decoded out;
	size_t n = 0;

	/* low half -> bits 0-31, high half -> 32-63: KVM's emulated value */
	add_model(&d, model_index("kvm64"));
	cp_msr_add(&d.msr, 0x10a, UINT64_C(0x400000000c000069));
	decode_name(&d, &out);
	static const char *const want[] = { "rdctl-no", "skip-l1dfl-vmentry", "mds-no", "pschange-mc-no", "gds-no", "rfds-no" };
	for (size_t i = 0; i < out.features.n; i++)
		if (n < 6 && strcmp(out.features.v[i], want[n]) == 0)
			n++;
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(out.features.n, 6);
	cp_x86_decoded_free(&out);
	data_free(&d);
}
END_TEST

START_TEST(microcode_and_physaddr)
{
	unsigned v = 0;

	ck_assert_int_eq(cp_x86_parse_microcode("processor\t: 0\nmicrocode\t: 0x1000065\ncpu MHz : 1\n", &v), 0);
	ck_assert_uint_eq(v, 16777317);
	ck_assert_int_eq(cp_x86_parse_microcode("microcode : 250\n", &v), 0);
	ck_assert_uint_eq(v, 250);
	ck_assert_int_eq(cp_x86_parse_microcode("microcode : 010\n", &v), 0);	/* auto base: octal */
	ck_assert_uint_eq(v, 8);
	ck_assert_int_eq(cp_x86_parse_microcode("processor : 0\nflags : fpu\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_microcode("microcode\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_microcode("microcode : none\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_microcode("microcode : 0x100000000\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_microcode("microcode : 99999999999999999999999\n", &v), -EINVAL);

	ck_assert_int_eq(cp_x86_parse_physaddr("flags : x\naddress sizes\t: 48 bits physical, 48 bits virtual\n", &v), 0);
	ck_assert_uint_eq(v, 48);
	ck_assert_int_eq(cp_x86_parse_physaddr("address sizes : 52 bits physical\naddress sizes : 40\n", &v), 0);
	ck_assert_uint_eq(v, 52);
	ck_assert_int_eq(cp_x86_parse_physaddr("flags : x\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_physaddr(" address sizes : 48\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_physaddr("address sizes 48\nx : 1\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_physaddr("address sizes : lots\n", &v), -EINVAL);
	ck_assert_int_eq(cp_x86_parse_physaddr("", &v), -EINVAL);
}
END_TEST

static bool has(const struct cp_cpuid_table *t, uint32_t leaf, uint32_t sub)
{
	return cp_cpuid_get(t, leaf, sub) != NULL;
}

/* A recorded table with more answers than libvirt would ask for: the walk
 * must keep exactly the subleaves its rules reach. */
START_TEST(walk_subleaf_rules)
{
	struct data src = { 0 };
	struct cp_cpuid_table out = { 0 };

	add_regs(&src, 0, 0, 0x17, 1, 1, 1);
	add_regs(&src, 2, 0, 1, 0, 0, 0);
	add_regs(&src, 2, 1, 1, 0, 0, 0);			/* plain leaf: sub 0 only */
	add_regs(&src, 4, 0, 0x21, 0, 0, 0);
	add_regs(&src, 4, 1, 0x22, 0, 0, 0);
	add_regs(&src, 4, 2, 0x40, 5, 0, 0);			/* EAX[4:0] = 0: last one kept */
	add_regs(&src, 4, 3, 0x21, 0, 0, 0);			/* never asked */
	add_regs(&src, 7, 0, 2, 1, 0, 0);
	add_regs(&src, 7, 1, 0, 0, 0, 1);
	add_regs(&src, 7, 2, 0, 0, 0, 1);
	add_regs(&src, 7, 3, 0, 0, 0, 1);			/* beyond sub 0 EAX */
	add_regs(&src, 0xb, 0, 0, 0, 0x100, 0);
	add_regs(&src, 0xb, 1, 0, 0, 0x201, 0);
	add_regs(&src, 0xb, 2, 0, 7, 0x2, 0);			/* ECX[15:8] = 0: dropped */
	add_regs(&src, 0xb, 3, 0, 0, 0x301, 0);
	add_regs(&src, 0xd, 0, 0x7, 0, 0, 1);			/* EAX bits 0-2, EDX bit 0 */
	add_regs(&src, 0xd, 1, 0, 0, 0x800, 0);		/* ECX bit 11 */
	add_regs(&src, 0xd, 2, 1, 0, 0, 0);
	add_regs(&src, 0xd, 5, 1, 0, 0, 0);			/* bit 5 not set */
	add_regs(&src, 0xd, 11, 1, 0, 0, 0);
	add_regs(&src, 0xd, 32, 1, 0, 0, 0);
	add_regs(&src, 0xf, 0, 0, 0, 0, 0x2);
	add_regs(&src, 0xf, 1, 1, 0, 0, 0);
	add_regs(&src, 0xf, 2, 1, 0, 0, 0);
	add_regs(&src, 0x10, 0, 0, 0x8, 0, 0);
	add_regs(&src, 0x10, 1, 1, 0, 0, 0);
	add_regs(&src, 0x10, 3, 1, 0, 0, 0);
	add_regs(&src, 0x12, 0, 1, 0, 0, 0);			/* no SGX in leaf 7 */
	add_regs(&src, 0x12, 1, 1, 0, 0, 0);
	add_regs(&src, 0x14, 0, 1, 0, 0, 0);
	add_regs(&src, 0x14, 1, 1, 0, 0, 0);
	add_regs(&src, 0x14, 2, 1, 0, 0, 0);
	add_regs(&src, 0x17, 0, 2, 0, 0, 0);			/* < 3: not even sub 0 */
	add_regs(&src, 0x17, 1, 2, 0, 0, 0);
	add_regs(&src, 0x18, 0, 2, 0, 0, 0);			/* beyond the basic max */
	add_regs(&src, 0x40000000, 0, 0x40000001, 0, 0, 0);	/* hypervisor range: never */
	add_regs(&src, 0x80000000, 0, 0x80000008, 0, 0, 0);
	add_regs(&src, 0x80000001, 0, 0, 0, 1, 1);
	add_regs(&src, 0x80000001, 1, 0, 0, 1, 1);
	add_regs(&src, 0x80000008, 0, 0x3030, 0, 0, 0);
	add_regs(&src, 0x80000009, 0, 1, 0, 0, 0);

	cp_cpuid_walk(cp_cpuid_from_table, &src.cpuid, &out);
	ck_assert(has(&out, 0, 0) && has(&out, 2, 0) && !has(&out, 2, 1));
	ck_assert(has(&out, 4, 0) && has(&out, 4, 1) && has(&out, 4, 2) && !has(&out, 4, 3));
	ck_assert(has(&out, 7, 0) && has(&out, 7, 1) && has(&out, 7, 2) && !has(&out, 7, 3));
	ck_assert(has(&out, 0xb, 0) && has(&out, 0xb, 1) && !has(&out, 0xb, 2) && !has(&out, 0xb, 3));
	ck_assert(has(&out, 0xd, 0) && has(&out, 0xd, 1) && has(&out, 0xd, 2) && !has(&out, 0xd, 5));
	ck_assert(has(&out, 0xd, 11) && has(&out, 0xd, 32));
	ck_assert(has(&out, 0xf, 0) && has(&out, 0xf, 1) && !has(&out, 0xf, 2));
	ck_assert(has(&out, 0x10, 0) && !has(&out, 0x10, 1) && has(&out, 0x10, 3));
	ck_assert(!has(&out, 0x12, 0) && !has(&out, 0x12, 1));
	ck_assert(has(&out, 0x14, 0) && has(&out, 0x14, 1) && !has(&out, 0x14, 2));
	ck_assert(!has(&out, 0x17, 0) && !has(&out, 0x17, 1) && !has(&out, 0x18, 0));
	ck_assert(!has(&out, 0x40000000, 0));
	ck_assert(has(&out, 0x80000000, 0) && has(&out, 0x80000001, 0) && !has(&out, 0x80000001, 1));
	ck_assert(has(&out, 0x80000008, 0) && !has(&out, 0x80000009, 0));
	ck_assert_uint_eq(out.n, 24);
	cp_cpuid_table_free(&out);

	/* with SGX (leaf 7 EBX bit 2): 0x12 subs 0, 1, then while EAX[3:0] */
	add_regs(&src, 7, 0, 0, 4, 0, 0);
	add_regs(&src, 0x12, 2, 1, 0, 0, 0);
	add_regs(&src, 0x12, 3, 0x10, 9, 0, 0);
	add_regs(&src, 0x12, 4, 1, 0, 0, 0);
	add_regs(&src, 0x17, 0, 3, 0, 0, 0);			/* now 3: subs 0-3 */
	add_regs(&src, 0x17, 3, 3, 0, 0, 0);
	cp_cpuid_walk(cp_cpuid_from_table, &src.cpuid, &out);
	ck_assert(has(&out, 0x12, 0) && has(&out, 0x12, 1) && has(&out, 0x12, 2));
	ck_assert(!has(&out, 0x12, 3) && !has(&out, 0x12, 4));
	ck_assert(has(&out, 0x17, 0) && has(&out, 0x17, 1) && !has(&out, 0x17, 2) && has(&out, 0x17, 3));
	cp_cpuid_table_free(&out);
	data_free(&src);
}
END_TEST

/* Absurd maxima in a recording must not make the walk run away. */
START_TEST(walk_bounded)
{
	struct data src = { 0 };
	struct cp_cpuid_table out = { 0 };

	add_regs(&src, 0, 0, 0xffffffffu, 0, 0, 0);
	add_regs(&src, 7, 0, 0xffffffffu, 0, 0, 0);
	add_regs(&src, 0x80000000u, 0, 0xffffffffu, 0, 0, 0);
	cp_cpuid_walk(cp_cpuid_from_table, &src.cpuid, &out);
	ck_assert(has(&out, 0, 0) && has(&out, 7, 0) && has(&out, 0x80000000u, 0));
	ck_assert_uint_eq(out.n, 3);
	cp_cpuid_table_free(&out);
	data_free(&src);
}
END_TEST

/* On an x86 build the live walk, written as the fact and read back, walks
 * to the same table: record and replay agree. */
START_TEST(walk_live_roundtrip)
{
	struct cp_cpuid_table live = { 0 }, parsed = { 0 }, replay = { 0 };
	char *text;

	if (!cp_cpuid_live_ok())
		SKIP_TEST("no live CPUID here (not an x86 build or machine)");
	cp_cpuid_walk(cp_cpuid_live, NULL, &live);
	ck_assert_uint_gt(live.n, 0);
	text = cp_cpuid_format(&live);
	ck_assert_int_eq(cp_cpuid_parse(text, "live", &parsed), 0);
	cp_cpuid_walk(cp_cpuid_from_table, &parsed, &replay);
	ck_assert_uint_eq(replay.n, live.n);
	ck_assert_mem_eq(replay.v, live.v, live.n * sizeof(*live.v));
	free(text);
	cp_cpuid_table_free(&live);
	cp_cpuid_table_free(&parsed);
	cp_cpuid_table_free(&replay);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("x86");
	TCase *tc = tcase_create("x86");

	tcase_add_test(tc, map_shape);
	tcase_add_test(tc, decode_picks_last_twin);
	tcase_add_test(tc, decode_vendor_mismatch_skips);
	tcase_add_test(tc, decode_signature_preferred);
	tcase_add_test(tc, decode_tsx_filter);
	tcase_add_test(tc, decode_missing_rejects);
	tcase_add_test(tc, decode_feature_order);
	tcase_add_test(tc, signature_fields);
	tcase_add_test(tc, parse_cpuid_fact);
	tcase_add_test(tc, parse_msr_fact);
	tcase_add_test(tc, msr_features_decode);
	tcase_add_test(tc, microcode_and_physaddr);
	tcase_add_test(tc, walk_subleaf_rules);
	tcase_add_test(tc, walk_bounded);
	tcase_add_test(tc, walk_live_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
