/* The generated CPU map tables (x86_cpumap.c, x86_guestmap.c, arm_cpumap.c,
 * ppc_cpumap.c) against libvirt 11.3's own cpu_map files, a verbatim copy of
 * which is the fixture tests/fixtures/libvirt/cpu_map (README there).  The
 * files are read here with libxml2 and the rules of libvirt's map loader
 * (src/cpu/cpu_x86.c, cpu_arm.c, cpu_ppc64.c), independently of the Python
 * generators; and the decoders are fed data built from the files, never
 * from the tables they decode with. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "host/cpu.h"
#include "host/cpuid.h"
#include "model/host.h"
#include "cpumap/nonx86_cpumap.h"
#include "cpumap/x86_cpumap.h"
#include "cpumap/x86_guestmap.h"

#define LV_MAX 1024

/* One bit of CPUID or MSR data, as a <feature> of x86_features.xml sets it. */
struct lv_bit {
	bool msr;
	uint32_t leaf, sub;	/* the MSR index in leaf */
	int reg;		/* CP_X86_E?X; 0 for an MSR */
	int bit;		/* 0-31, or 0-63 in an MSR */
};

struct lv_feature {
	char *name;
	struct lv_bit bits[4];
	size_t nbits;
};

struct lv_model {
	char *name;
	bool host, guest, changed, compat;
	int vendor, ancestor, canonical;	/* indices, -1: none */
	struct cp_x86_signature sigs[8];
	size_t nsigs;
	bool *data;				/* per feature: in the model's data */
	char *removed[16];
	size_t nremoved;
};

struct lv_x86 {
	char *vendor_name[8], *vendor_string[8];
	size_t nvendors;
	struct lv_feature features[LV_MAX];
	size_t nfeatures;
	struct lv_model models[LV_MAX];
	size_t nmodels;
};

struct lv_arm_model {
	char *name;
	unsigned pvr;
};

struct lv_ppc_pvr {
	char *model, *vendor;
	uint32_t value, mask;
};

struct lv_other {
	char *arm_vendor[32];
	unsigned arm_vendor_id[32];
	size_t narm_vendors;
	struct lv_arm_model arm[64];
	size_t narm;
	struct lv_ppc_pvr ppc[64];
	size_t nppc;
};

static struct lv_x86 x86;
static struct lv_other other;

static char *map_path(const char *file)
{
	const char *dir = getenv("FIXTURES");	/* set by make check */

	return cp_asprintf("%s/libvirt/cpu_map/%s", dir ? dir : "tests/fixtures", file);
}

static xmlDocPtr load(const char *file)
{
	char *path = map_path(file);
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);

	ck_assert_msg(doc != NULL, "cannot parse %s", path);
	free(path);
	return doc;
}

static bool is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static char *prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? cp_strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* libvirt reads these attributes as unsigned numbers in any C base. */
static unsigned long long num(xmlNodePtr n, const char *name, bool required)
{
	char *s = prop(n, name), *end;
	unsigned long long v;

	if (!s) {
		ck_assert_msg(!required, "<%s> without %s", n->name, name);
		return 0;
	}
	v = strtoull(s, &end, 0);
	ck_assert_msg(end != s && !*end, "<%s %s='%s'> is not a number", n->name, name, s);
	free(s);
	return v;
}

static int x86_feature(const char *name)
{
	for (size_t i = 0; i < x86.nfeatures; i++)
		if (strcmp(x86.features[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("feature %s is not in libvirt's map", name);
	return -1;
}

static int x86_model(const char *name)
{
	for (size_t i = 0; i < x86.nmodels; i++)
		if (strcmp(x86.models[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void add_bits(struct lv_feature *f, bool msr, uint32_t leaf, uint32_t sub, int reg, uint64_t v)
{
	for (int b = 0; b < 64; b++) {
		if (!((v >> b) & 1))
			continue;
		ck_assert_uint_lt(f->nbits, 4);
		f->bits[f->nbits++] = (struct lv_bit){ msr, leaf, sub, reg, b };
	}
}

static void parse_feature(xmlNodePtr el)
{
	struct lv_feature *f = &x86.features[x86.nfeatures];

	ck_assert_uint_lt(x86.nfeatures, LV_MAX);
	f->name = prop(el, "name");
	for (size_t i = 0; i < x86.nfeatures; i++)
		ck_assert_msg(strcmp(x86.features[i].name, f->name), "feature %s twice", f->name);
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is(c, "alias"))
			continue;
		if (is(c, "cpuid")) {
			static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
			uint32_t leaf = num(c, "eax_in", true), sub = num(c, "ecx_in", false);

			for (int r = 0; r < 4; r++)
				add_bits(f, false, leaf, sub, r, num(c, regs[r], false));
		} else {
			/* anything else is an <msr> to libvirt */
			add_bits(f, true, num(c, "index", true), 0, 0,
				 num(c, "edx", true) << 32 | num(c, "eax", true));
		}
	}
	x86.nfeatures++;
}

/* libvirt's virBitmapParse of 16 bits: "N", "N-M", comma lists. */
static uint16_t steppings(const char *s)
{
	uint16_t mask = 0;
	char *copy = cp_strdup(s), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned lo, hi;
		int n = 0;

		if (sscanf(t, " %u-%u %n", &lo, &hi, &n) == 2 && !t[n]) {
		} else if (sscanf(t, " %u %n", &lo, &n) == 1 && !t[n]) {
			hi = lo;
		} else {
			ck_abort_msg("stepping set '%s' not understood", s);
		}
		ck_assert_msg(lo <= hi && hi < 16, "stepping set '%s'", s);
		for (unsigned k = lo; k <= hi; k++)
			mask |= 1u << k;
	}
	free(copy);
	return mask;
}

/* x86ModelParse: ancestor (its data less its removed features, its vendor
 * and signatures), then own signatures, vendor and features. */
static void parse_model(xmlNodePtr el)
{
	struct lv_model *m = &x86.models[x86.nmodels];
	bool have_sig = false;

	ck_assert_uint_lt(x86.nmodels, LV_MAX);
	*m = (struct lv_model){ .name = prop(el, "name"), .vendor = -1, .ancestor = -1, .canonical = -1 };
	m->data = cp_calloc(LV_MAX, sizeof(bool));
	ck_assert_msg(x86_model(m->name) < 0, "model %s twice", m->name);
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (is(c, "decode")) {
			char *h = prop(c, "host"), *g = prop(c, "guest");

			ck_assert_msg(h && g, "model %s: decode without host or guest", m->name);
			m->host = strcmp(h, "on") == 0;
			m->guest = strcmp(g, "on") == 0;
			free(h);
			free(g);
		} else if (is(c, "check")) {
			/* x86ModelParseCheck: partial='compat' is the one value */
			char *p = prop(c, "partial");

			ck_assert_msg(p && strcmp(p, "compat") == 0, "model %s: <check partial=%s>", m->name, p);
			m->compat = true;
			free(p);
		} else if (is(c, "model")) {
			char *a = prop(c, "name");
			const struct lv_model *anc;

			m->ancestor = x86_model(a);
			ck_assert_msg(m->ancestor >= 0, "model %s: ancestor %s unknown", m->name, a);
			free(a);
			anc = &x86.models[m->ancestor];
			m->vendor = anc->vendor;
			memcpy(m->sigs, anc->sigs, sizeof(m->sigs));
			m->nsigs = anc->nsigs;
			memcpy(m->data, anc->data, LV_MAX * sizeof(bool));
			for (size_t k = 0; k < anc->nremoved; k++)
				m->data[x86_feature(anc->removed[k])] = false;
		}
	}
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (is(c, "signature")) {
			char *st = prop(c, "stepping");

			if (!have_sig)
				m->nsigs = 0;	/* own signatures replace inherited ones */
			have_sig = true;
			ck_assert_uint_lt(m->nsigs, 8);
			m->sigs[m->nsigs++] = (struct cp_x86_signature){ num(c, "family", true), num(c, "model", true),
									 st ? steppings(st) : 0xffff };
			free(st);
			m->changed = true;
		}
	}
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (is(c, "vendor")) {
			char *v = prop(c, "name");

			m->vendor = -1;
			for (size_t k = 0; k < x86.nvendors; k++)
				if (strcmp(x86.vendor_name[k], v) == 0)
					m->vendor = (int)k;
			ck_assert_msg(m->vendor >= 0, "model %s: vendor %s unknown", m->name, v);
			free(v);
			m->changed = true;
		}
	}
	for (xmlNodePtr c = el->children; c; c = c->next) {
		char *fname, *rem, *add;

		if (!is(c, "feature"))
			continue;
		fname = prop(c, "name");
		rem = prop(c, "removed");
		add = prop(c, "added");
		m->changed = true;
		if (rem && strcmp(rem, "yes") == 0) {
			ck_assert_uint_lt(m->nremoved, 16);
			m->removed[m->nremoved++] = cp_strdup(fname);
		} else if (!add || strcmp(add, "yes") != 0) {
			m->data[x86_feature(fname)] = true;
		}
		free(fname);
		free(rem);
		free(add);
	}
	/* a model that only names its ancestor is the ancestor's canonical name */
	if (m->ancestor >= 0 && !m->changed && x86.models[m->ancestor].canonical < 0)
		x86.models[m->ancestor].canonical = (int)x86.nmodels;
	x86.nmodels++;
}

static void parse_x86_file(const char *file)
{
	xmlDocPtr doc = load(file);

	for (xmlNodePtr el = xmlDocGetRootElement(doc)->children; el; el = el->next) {
		if (is(el, "vendor")) {
			ck_assert_uint_lt(x86.nvendors, 8);
			x86.vendor_name[x86.nvendors] = prop(el, "name");
			x86.vendor_string[x86.nvendors++] = prop(el, "string");
		} else if (is(el, "feature")) {
			parse_feature(el);
		} else if (is(el, "model")) {
			parse_model(el);
		}
	}
	xmlFreeDoc(doc);
}

static void parse_arm_file(const char *file)
{
	xmlDocPtr doc = load(file);

	for (xmlNodePtr el = xmlDocGetRootElement(doc)->children; el; el = el->next) {
		if (is(el, "vendor")) {
			ck_assert_uint_lt(other.narm_vendors, 32);
			other.arm_vendor[other.narm_vendors] = prop(el, "name");
			other.arm_vendor_id[other.narm_vendors++] = num(el, "value", true);
		} else if (is(el, "model")) {
			for (xmlNodePtr c = el->children; c; c = c->next) {
				if (!is(c, "pvr"))
					continue;
				ck_assert_uint_lt(other.narm, 64);
				other.arm[other.narm].name = prop(el, "name");
				other.arm[other.narm++].pvr = num(c, "value", true);
			}
		}
	}
	xmlFreeDoc(doc);
}

static void parse_ppc_file(const char *file)
{
	xmlDocPtr doc = load(file);

	for (xmlNodePtr el = xmlDocGetRootElement(doc)->children; el; el = el->next) {
		char *vendor = NULL;

		if (!is(el, "model"))
			continue;
		for (xmlNodePtr c = el->children; c; c = c->next)
			if (is(c, "vendor"))
				vendor = prop(c, "name");
		for (xmlNodePtr c = el->children; c; c = c->next) {
			if (!is(c, "pvr"))
				continue;
			ck_assert_uint_lt(other.nppc, 64);
			other.ppc[other.nppc++] = (struct lv_ppc_pvr){ prop(el, "name"), vendor ? cp_strdup(vendor) : NULL,
								       num(c, "value", true), num(c, "mask", true) };
		}
		free(vendor);
	}
	xmlFreeDoc(doc);
}

/* The <include>s of one <arch> of index.xml, groups included, in order. */
static void includes(xmlNodePtr n, void (*fn)(const char *))
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (is(c, "include")) {
			char *f = prop(c, "filename");

			fn(f);
			free(f);
		} else if (c->type == XML_ELEMENT_NODE) {
			includes(c, fn);
		}
	}
}

static void load_maps(void)
{
	static bool done;
	xmlDocPtr index;
	int seen = 0;

	if (done)
		return;
	index = load("index.xml");
	for (xmlNodePtr a = xmlDocGetRootElement(index)->children; a; a = a->next) {
		char *name;

		if (!is(a, "arch"))
			continue;
		name = prop(a, "name");
		if (strcmp(name, "x86") == 0)
			includes(a, parse_x86_file), seen |= 1;
		else if (strcmp(name, "arm") == 0)
			includes(a, parse_arm_file), seen |= 2;
		else if (strcmp(name, "ppc64") == 0)
			includes(a, parse_ppc_file), seen |= 4;
		free(name);
	}
	xmlFreeDoc(index);
	ck_assert_int_eq(seen, 7);
	done = true;
}

/* --- the tables against the files ---------------------------------------- */

START_TEST(x86_features_match)
{
	load_maps();
	ck_assert_uint_eq(cp_x86_nfeatures, x86.nfeatures);
	for (size_t i = 0; i < x86.nfeatures; i++) {
		const struct lv_feature *f = &x86.features[i];
		const struct cp_x86_feature *t = &cp_x86_features[i];

		ck_assert_str_eq(t->name, f->name);
		/* the decoder holds one bit per feature: so must libvirt's map */
		ck_assert_msg(f->nbits == 1, "%s has %zu bits in libvirt's map", f->name, f->nbits);
		ck_assert_msg(t->msr == f->bits[0].msr && t->leaf == f->bits[0].leaf && t->bit == f->bits[0].bit &&
			      (t->msr || (t->subleaf == f->bits[0].sub && t->reg == f->bits[0].reg)),
			      "%s: table has %s 0x%x/0x%x reg %d bit %d, libvirt %s 0x%x/0x%x reg %d bit %d", f->name,
			      t->msr ? "MSR" : "CPUID", t->leaf, t->subleaf, t->reg, t->bit,
			      f->bits[0].msr ? "MSR" : "CPUID", f->bits[0].leaf, f->bits[0].sub, f->bits[0].reg,
			      f->bits[0].bit);
	}
}
END_TEST

/* virCPUx86ListMSRs: each MSR index of the feature map once, first seen first. */
START_TEST(x86_msr_list_matches)
{
	uint32_t want[64];
	size_t n = 0;

	load_maps();
	for (size_t i = 0; i < x86.nfeatures; i++) {
		const struct lv_bit *b = &x86.features[i].bits[0];
		bool seen = false;

		if (!b->msr)
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= want[k] == b->leaf;
		if (!seen) {
			ck_assert_uint_lt(n, 64);
			want[n++] = b->leaf;
		}
	}
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(cp_x86_nmsr_indices, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_uint_eq(cp_x86_msr_indices[k], want[k]);
}
END_TEST

START_TEST(x86_vendors_match)
{
	load_maps();
	ck_assert_uint_eq(cp_x86_nvendors, x86.nvendors);
	for (size_t i = 0; i < x86.nvendors; i++) {
		ck_assert_str_eq(cp_x86_vendors[i].name, x86.vendor_name[i]);
		ck_assert_str_eq(cp_x86_vendors[i].string, x86.vendor_string[i]);
	}
}
END_TEST

START_TEST(x86_models_match)
{
	load_maps();
	ck_assert_uint_eq(cp_x86_nmodels, x86.nmodels);
	for (size_t i = 0; i < x86.nmodels; i++) {
		const struct lv_model *m = &x86.models[i];
		const struct cp_x86_model *t = &cp_x86_models[i];
		size_t n = 0;

		ck_assert_str_eq(t->name, m->name);
		ck_assert_msg(t->decode_host == m->host, "%s: decode host", m->name);
		ck_assert_msg(t->vendor == m->vendor, "%s: vendor %d, libvirt %d", m->name, t->vendor, m->vendor);
		ck_assert_msg(t->nsigs == m->nsigs, "%s: %zu signatures, libvirt %zu", m->name, t->nsigs, m->nsigs);
		for (size_t k = 0; k < m->nsigs; k++)
			ck_assert_msg(t->sigs[k].family == m->sigs[k].family && t->sigs[k].model == m->sigs[k].model &&
				      t->sigs[k].steppings == m->sigs[k].steppings,
				      "%s: signature %zu is %u/%u/0x%x, libvirt %u/%u/0x%x", m->name, k, t->sigs[k].family,
				      t->sigs[k].model, t->sigs[k].steppings, m->sigs[k].family, m->sigs[k].model,
				      m->sigs[k].steppings);
		for (size_t f = 0; f < x86.nfeatures; f++) {
			bool in = false;

			for (size_t k = 0; k < t->nfeatures; k++)
				in |= t->features[k] == f;
			ck_assert_msg(in == m->data[f], "%s: feature %s %s in the table, %s in libvirt's data", m->name,
				      x86.features[f].name, in ? "is" : "is not", m->data[f] ? "is" : "is not");
			n += in;
		}
		ck_assert_uint_eq(n, t->nfeatures);
	}
}
END_TEST

START_TEST(x86_guest_map_matches)
{
	load_maps();
	ck_assert_uint_eq(cp_x86_guest_nmodels, x86.nmodels);
	for (size_t i = 0; i < x86.nmodels; i++) {
		const struct lv_model *m = &x86.models[i];
		const struct cp_x86_guest_model *g = &cp_x86_guest_models[i];
		size_t n = 0;

		ck_assert_str_eq(g->name, m->name);
		ck_assert_msg(g->decode_guest == m->guest, "%s: decode guest", m->name);
		ck_assert_msg(g->compat_check == m->compat, "%s: compat check %d, libvirt %d", m->name,
			      g->compat_check, m->compat);
		if (m->canonical < 0)
			ck_assert_msg(g->canonical == NULL, "%s: canonical %s, libvirt none", m->name, g->canonical);
		else
			ck_assert_msg(g->canonical && strcmp(g->canonical, x86.models[m->canonical].name) == 0,
				      "%s: canonical %s, libvirt %s", m->name, g->canonical ? g->canonical : "none",
				      x86.models[m->canonical].name);
		for (; g->removed && g->removed[n]; n++) {
			ck_assert_msg(n < m->nremoved, "%s: %s removed in the table only", m->name, g->removed[n]);
			ck_assert_str_eq(g->removed[n], m->removed[n]);
		}
		ck_assert_msg(n == m->nremoved, "%s: %zu removed features, libvirt %zu", m->name, n, m->nremoved);
	}
}
END_TEST

START_TEST(arm_map_matches)
{
	load_maps();
	ck_assert_uint_eq(cp_arm_nvendors, other.narm_vendors);
	for (size_t i = 0; i < other.narm_vendors; i++) {
		ck_assert_str_eq(cp_arm_vendors[i].name, other.arm_vendor[i]);
		ck_assert_uint_eq(cp_arm_vendors[i].implementer, other.arm_vendor_id[i]);
	}
	ck_assert_uint_eq(cp_arm_nmodels, other.narm);
	for (size_t i = 0; i < other.narm; i++) {
		ck_assert_str_eq(cp_arm_models[i].name, other.arm[i].name);
		ck_assert_msg(cp_arm_models[i].part == other.arm[i].pvr, "%s: part 0x%03x, libvirt 0x%03x",
			      other.arm[i].name, cp_arm_models[i].part, other.arm[i].pvr);
	}
}
END_TEST

START_TEST(ppc_map_matches)
{
	load_maps();
	ck_assert_uint_eq(cp_ppc_npvrs, other.nppc);
	for (size_t i = 0; i < other.nppc; i++) {
		const struct lv_ppc_pvr *p = &other.ppc[i];

		ck_assert_str_eq(cp_ppc_pvrs[i].model, p->model);
		ck_assert_msg((cp_ppc_pvrs[i].vendor == NULL) == (p->vendor == NULL), "%s: vendor", p->model);
		if (p->vendor)
			ck_assert_str_eq(cp_ppc_pvrs[i].vendor, p->vendor);
		ck_assert_uint_eq(cp_ppc_pvrs[i].value, p->value);
		ck_assert_uint_eq(cp_ppc_pvrs[i].mask, p->mask);
	}
}
END_TEST

/* --- decoding data built from libvirt's files ----------------------------- */

static void set_bit(struct cp_cpuid_table *cpuid, struct cp_msr_table *msr, const struct lv_bit *b)
{
	struct cp_cpuid_leaf l = { b->leaf, b->sub, 0, 0, 0, 0 };
	uint32_t *regs[4] = { &l.eax, &l.ebx, &l.ecx, &l.edx };

	if (b->msr) {
		cp_msr_add(msr, b->leaf, UINT64_C(1) << b->bit);
		return;
	}
	*regs[b->reg] = UINT32_C(1) << b->bit;
	cp_cpuid_add(cpuid, &l);
}

static bool sig_matches(const struct lv_model *m, unsigned fam, unsigned mod, unsigned st)
{
	for (size_t k = 0; k < m->nsigs; k++)
		if (m->sigs[k].family == fam && m->sigs[k].model == mod && ((m->sigs[k].steppings >> st) & 1))
			return true;
	return false;
}

static bool tsx_erratum(unsigned fam, unsigned mod, unsigned st)
{
	return fam == 6 && (mod == 60 || mod == 69 || mod == 70 || (mod == 63 && st < 4));
}

/* Every host-decodable model of libvirt's map, given as CPUID/MSR data set
 * from x86_features.xml's bits for exactly the model's features, with its
 * vendor's string and one of its signatures outside the TSX erratum, must
 * decode to the last model of the map with that very data, vendor and
 * signature (libvirt's walk goes newest first, prefers a matching
 * signature, then strictly fewer extra features) and no extra feature. */
START_TEST(decode_every_model)
{
	size_t checked = 0;

	load_maps();
	for (size_t i = 0; i < x86.nmodels; i++) {
		const struct lv_model *m = &x86.models[i];
		struct cp_cpuid_table cpuid = { 0 };
		struct cp_msr_table msr = { 0 };
		struct cp_x86_decoded out;
		unsigned fam = 0, mod = 0, st = 0;
		int want = -1, rc;

		if (!m->host)
			continue;
		for (size_t f = 0; f < x86.nfeatures; f++)
			if (m->data[f])
				set_bit(&cpuid, &msr, &x86.features[f].bits[0]);
		if (m->vendor >= 0) {
			const unsigned char *s = (const unsigned char *)x86.vendor_string[m->vendor];
			uint32_t w[3];

			for (int k = 0; k < 3; k++)
				w[k] = s[4 * k] | (uint32_t)s[4 * k + 1] << 8 | (uint32_t)s[4 * k + 2] << 16 |
				       (uint32_t)s[4 * k + 3] << 24;
			cp_cpuid_add(&cpuid, &(struct cp_cpuid_leaf){ 0, 0, 0xd, w[0], w[2], w[1] });
		}
		for (size_t k = 0; k < m->nsigs && !fam; k++) {
			for (unsigned s = 0; s < 16; s++) {
				if (!((m->sigs[k].steppings >> s) & 1) || tsx_erratum(m->sigs[k].family, m->sigs[k].model, s))
					continue;
				fam = m->sigs[k].family;
				mod = m->sigs[k].model;
				st = s;
				break;
			}
		}
		if (fam) {
			/* leaf 1 EAX: base family 0xf plus the extended family */
			uint32_t eax = (mod >> 4) << 16 | (mod & 0xf) << 4 | st;

			eax |= fam > 0xf ? (0xfu << 8 | (fam - 0xf) << 20) : fam << 8;
			cp_cpuid_add(&cpuid, &(struct cp_cpuid_leaf){ 1, 0, eax, 0, 0, 0 });
		}
		for (size_t j = 0; j < x86.nmodels; j++) {
			const struct lv_model *o = &x86.models[j];

			if (o->host && memcmp(o->data, m->data, LV_MAX * sizeof(bool)) == 0 &&
			    (o->vendor < 0 || m->vendor < 0 || o->vendor == m->vendor) &&
			    (!fam || sig_matches(o, fam, mod, st)))
				want = (int)j;
		}
		ck_assert_int_ge(want, (int)i);
		rc = cp_x86_decode(&cpuid, &msr, &out);
		ck_assert_msg(rc == 0, "%s: %s", m->name, cp_last_error());
		ck_assert_msg(strcmp(cp_x86_models[out.model].name, x86.models[want].name) == 0,
			      "libvirt's %s data decoded as %s, want %s", m->name, cp_x86_models[out.model].name,
			      x86.models[want].name);
		ck_assert_msg(out.features.n == 0, "%s: %zu extra features, the first %s", m->name, out.features.n,
			      out.features.v[0]);
		if (m->vendor >= 0)
			ck_assert_str_eq(cp_x86_vendors[out.vendor].name, x86.vendor_name[m->vendor]);
		cp_x86_decoded_free(&out);
		cp_cpuid_table_free(&cpuid);
		cp_msr_table_free(&msr);
		checked++;
	}
	/* all but the two decode host='off' models of 11.3 */
	ck_assert_uint_eq(checked, x86.nmodels - 2);
}
END_TEST

/* Each feature set alone on top of a model's data is seen where libvirt's
 * x86_features.xml puts it: it comes out as an extra feature by its libvirt
 * name, or inside the chosen model's libvirt data. */
START_TEST(decode_every_feature)
{
	size_t checked = 0;
	int base;

	load_maps();
	base = x86_model("486-v1");
	ck_assert_int_ge(base, 0);
	for (size_t f = 0; f < x86.nfeatures; f++) {
		struct cp_cpuid_table cpuid = { 0 };
		struct cp_msr_table msr = { 0 };
		struct cp_x86_decoded out;
		bool seen = false;
		int chosen;

		if (x86.models[base].data[f])
			continue;
		for (size_t k = 0; k < x86.nfeatures; k++)
			if (x86.models[base].data[k])
				set_bit(&cpuid, &msr, &x86.features[k].bits[0]);
		set_bit(&cpuid, &msr, &x86.features[f].bits[0]);
		ck_assert_int_eq(cp_x86_decode(&cpuid, &msr, &out), 0);
		for (size_t k = 0; k < out.features.n; k++)
			seen |= strcmp(out.features.v[k], x86.features[f].name) == 0;
		chosen = x86_model(cp_x86_models[out.model].name);
		ck_assert_int_ge(chosen, 0);
		seen |= x86.models[chosen].data[f];
		ck_assert_msg(seen, "%s, set where libvirt's map has it, is not seen", x86.features[f].name);
		cp_x86_decoded_free(&out);
		cp_cpuid_table_free(&cpuid);
		cp_msr_table_free(&msr);
		checked++;
	}
	ck_assert_uint_gt(checked, x86.nfeatures / 2);
}
END_TEST

/* libvirt's arm decode: the first model of the map with the MIDR part
 * number, the vendor with its implementer id. */
START_TEST(arm_decode_every_model)
{
	load_maps();
	for (size_t i = 0; i < other.narm; i++) {
		size_t first = 0;

		while (other.arm[first].pvr != other.arm[i].pvr)
			first++;
		for (size_t v = 0; v < other.narm_vendors; v++) {
			uint64_t midr = (uint64_t)other.arm_vendor_id[v] << 24 | 0xf << 16 | (uint64_t)other.arm[i].pvr << 4 | 1;
			struct cp_host_cpu cpu = { 0 };

			int rc = cp_arm_decode(midr, 1u << 11, &cpu);

			ck_assert_msg(rc == 0, "MIDR 0x%08llx (libvirt's %s): %s", (unsigned long long)midr,
				      other.arm[first].name, cp_last_error());
			ck_assert_msg(cpu.model && strcmp(cpu.model, other.arm[first].name) == 0,
				      "MIDR 0x%08llx: %s, libvirt's map says %s", (unsigned long long)midr,
				      cpu.model ? cpu.model : "none", other.arm[first].name);
			ck_assert_str_eq(cpu.vendor, other.arm_vendor[v]);
			cp_host_free(&(struct cp_host){ .cpu = cpu });
		}
	}
}
END_TEST

/* libvirt's ppc64 decode: the first model with a PVR that matches under
 * its mask; probed with each PVR value and with the bits the mask ignores
 * all set. */
START_TEST(ppc_decode_every_pvr)
{
	load_maps();
	for (size_t i = 0; i < other.nppc; i++) {
		uint32_t probe[2] = { other.ppc[i].value, other.ppc[i].value | ~other.ppc[i].mask };

		for (int k = 0; k < 2; k++) {
			struct cp_host_cpu cpu = { 0 };
			size_t first = 0;

			while ((probe[k] & other.ppc[first].mask) != other.ppc[first].value)
				first++;
			ck_assert_msg(cp_ppc_decode(probe[k], &cpu) == 0, "PVR 0x%08x (libvirt's %s): %s", probe[k],
				      other.ppc[first].model, cp_last_error());
			ck_assert_msg(strcmp(cpu.model, other.ppc[first].model) == 0, "PVR 0x%08x: %s, libvirt's map says %s",
				      probe[k], cpu.model, other.ppc[first].model);
			ck_assert_msg((cpu.vendor == NULL) == (other.ppc[first].vendor == NULL), "PVR 0x%08x: vendor", probe[k]);
			if (cpu.vendor)
				ck_assert_str_eq(cpu.vendor, other.ppc[first].vendor);
			free(cpu.model);
			free(cpu.vendor);
		}
	}
}
END_TEST

/* cputest.c decodes each dump as it is; a real host's data is what the CPUID
 * walk keeps.  On all 61 real CPUs of libvirt's cputestdata the walk (the
 * dump answering its questions) must keep every leaf a feature is read from:
 * both decode alike. */
static void load_dump(const char *path, struct cp_cpuid_table *cpuid, struct cp_msr_table *msr)
{
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);

	ck_assert_msg(doc != NULL, "cannot parse %s", path);
	for (xmlNodePtr c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (is(c, "cpuid")) {
			struct cp_cpuid_leaf l = { num(c, "eax_in", true), num(c, "ecx_in", false), num(c, "eax", false),
						   num(c, "ebx", false), num(c, "ecx", false), num(c, "edx", false) };

			cp_cpuid_add(cpuid, &l);
		} else if (is(c, "msr")) {
			cp_msr_add(msr, num(c, "index", true), num(c, "edx", true) << 32 | num(c, "eax", true));
		}
	}
	xmlFreeDoc(doc);
}

START_TEST(walk_keeps_feature_leaves)
{
	const char *fx = getenv("FIXTURES");
	char *dir = cp_asprintf("%s/libvirt/cputestdata", fx ? fx : "tests/fixtures");
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t checked = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d))) {
		struct cp_cpuid_table raw = { 0 }, walked = { 0 };
		struct cp_msr_table msr = { 0 };
		struct cp_x86_decoded a, b;
		size_t len = strlen(e->d_name);
		char *path;

		if (strncmp(e->d_name, "x86_64-cpuid-", 13) || len < 9 || strcmp(e->d_name + len - 9, "-host.xml") == 0 ||
		    strcmp(e->d_name + len - 4, ".xml"))
			continue;
		path = cp_asprintf("%s/%s", dir, e->d_name);
		load_dump(path, &raw, &msr);
		cp_cpuid_walk(cp_cpuid_from_table, &raw, &walked);
		ck_assert_int_eq(cp_x86_decode(&raw, &msr, &a), 0);
		ck_assert_int_eq(cp_x86_decode(&walked, &msr, &b), 0);
		ck_assert_msg(a.model == b.model, "%s: walked data decodes as %s, the dump as %s", e->d_name,
			      cp_x86_models[b.model].name, cp_x86_models[a.model].name);
		ck_assert_msg(a.features.n == b.features.n, "%s: %zu features walked, %zu in the dump", e->d_name,
			      b.features.n, a.features.n);
		for (size_t k = 0; k < a.features.n; k++)
			ck_assert_str_eq(a.features.v[k], b.features.v[k]);
		cp_x86_decoded_free(&a);
		cp_x86_decoded_free(&b);
		cp_cpuid_table_free(&raw);
		cp_cpuid_table_free(&walked);
		cp_msr_table_free(&msr);
		free(path);
		checked++;
	}
	closedir(d);
	free(dir);
	ck_assert_uint_eq(checked, 61);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cpumap");
	TCase *tc = tcase_create("cpumap");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, x86_features_match);
	tcase_add_test(tc, x86_msr_list_matches);
	tcase_add_test(tc, x86_vendors_match);
	tcase_add_test(tc, x86_models_match);
	tcase_add_test(tc, x86_guest_map_matches);
	tcase_add_test(tc, arm_map_matches);
	tcase_add_test(tc, ppc_map_matches);
	tcase_add_test(tc, decode_every_model);
	tcase_add_test(tc, decode_every_feature);
	tcase_add_test(tc, arm_decode_every_model);
	tcase_add_test(tc, ppc_decode_every_pvr);
	tcase_add_test(tc, walk_keeps_feature_leaves);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
