#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#define CP_HAVE_CPUID 1
#endif

#include "host/cpuid.h"
#include "util/hostdev.h"

/* Bounds no real CPU comes near (basic ranges end near 0x24, extended near
 * 0x80000028, subleaf counts are small); they only stop a garbage recording
 * from asking billions of questions. */
#define CP_CPUID_RANGE_MAX 0x400u
#define CP_CPUID_SUB_MAX 0x400u


bool cp_cpuid_live_ok(void)
{
#ifdef CP_HAVE_CPUID
	return true;
#else
	return false;
#endif
}

void cp_cpuid_live(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	(void)ctx;
#ifdef CP_HAVE_CPUID
	unsigned a, b, c, d;

	__cpuid_count(leaf, subleaf, a, b, c, d);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
#else
	(void)leaf;
	(void)subleaf;
	out[0] = out[1] = out[2] = out[3] = 0;
#endif
}

static int leaf_cmp(uint32_t la, uint32_t sa, uint32_t lb, uint32_t sb)
{
	if (la != lb)
		return la < lb ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return 0;
}

/* Index of the pair, or of where it would be inserted (binary search). */
static size_t cpuid_find(const struct cp_cpuid_table *t, uint32_t leaf, uint32_t subleaf, bool *found)
{
	size_t lo = 0, hi = t->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = leaf_cmp(t->v[mid].leaf, t->v[mid].subleaf, leaf, subleaf);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct cp_cpuid_leaf *cp_cpuid_get(const struct cp_cpuid_table *t, uint32_t leaf, uint32_t subleaf)
{
	bool found;
	size_t i = cpuid_find(t, leaf, subleaf, &found);

	return found ? &t->v[i] : NULL;
}

void cp_cpuid_add(struct cp_cpuid_table *t, const struct cp_cpuid_leaf *l)
{
	bool found;
	size_t i = cpuid_find(t, l->leaf, l->subleaf, &found);

	if (found) {
		t->v[i].eax |= l->eax;
		t->v[i].ebx |= l->ebx;
		t->v[i].ecx |= l->ecx;
		t->v[i].edx |= l->edx;
		return;
	}
	t->v = cp_realloc(t->v, (t->n + 1) * sizeof(*t->v));
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = *l;
	t->n++;
}

void cp_cpuid_table_free(struct cp_cpuid_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void cp_cpuid_from_table(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	const struct cp_cpuid_leaf *l = cp_cpuid_get(ctx, leaf, subleaf);

	out[0] = l ? l->eax : 0;
	out[1] = l ? l->ebx : 0;
	out[2] = l ? l->ecx : 0;
	out[3] = l ? l->edx : 0;
}

/* One query; the result is also left in *l. */
struct walk {
	cp_cpuid_fn fn;
	void *ctx;
	struct cp_cpuid_table *out;
};

static void query(struct walk *w, struct cp_cpuid_leaf *l, uint32_t leaf, uint32_t subleaf)
{
	uint32_t r[4];

	w->fn(w->ctx, leaf, subleaf, r);
	*l = (struct cp_cpuid_leaf){ leaf, subleaf, r[0], r[1], r[2], r[3] };
}

/* libvirt keeps all-zero results out of its data; so do we. */
static void keep(struct walk *w, const struct cp_cpuid_leaf *l)
{
	if (l->eax | l->ebx | l->ecx | l->edx)
		cp_cpuid_add(w->out, l);
}

static uint32_t sub_limit(uint32_t n)
{
	return n < CP_CPUID_SUB_MAX ? n : CP_CPUID_SUB_MAX;
}

/* The subleaves of a leaf that has them, each leaf by its own rule of
 * which subleaves exist (below); sub0 is subleaf 0, already asked. */
static void walk_leaf(struct walk *w, const struct cp_cpuid_leaf *sub0)
{
	struct cp_cpuid_leaf l = *sub0;
	uint32_t leaf = sub0->leaf;

	switch (leaf) {
	case 0x4:
		/* the subleaf after one with EAX[4:0] = 0 is not asked */
		keep(w, &l);
		for (uint32_t s = 1; (l.eax & 0x1f) && s < CP_CPUID_SUB_MAX; s++) {
			query(w, &l, leaf, s);
			keep(w, &l);
		}
		break;
	case 0x7:
	case 0x14:
		/* sub 0 EAX is the last valid subleaf */
		keep(w, sub0);
		for (uint32_t s = 1; s <= sub_limit(sub0->eax); s++) {
			query(w, &l, leaf, s);
			keep(w, &l);
		}
		break;
	case 0xb:
		/* valid while ECX[15:8] (level type) is non-zero; the first
		 * invalid one, even subleaf 0, is not kept */
		for (uint32_t s = 1; (l.ecx & 0xff00) && s <= CP_CPUID_SUB_MAX; s++) {
			keep(w, &l);
			query(w, &l, leaf, s);
		}
		break;
	case 0xd: {
		struct cp_cpuid_leaf sub1;

		keep(w, sub0);
		query(w, &sub1, leaf, 1);
		keep(w, &sub1);
		for (uint32_t s = 2; s < 64; s++) {
			bool valid = s < 32 ? ((sub0->eax | sub1.ecx) >> s) & 1 : ((sub0->edx | sub1.edx) >> (s - 32)) & 1;

			if (!valid)
				continue;
			query(w, &l, leaf, s);
			keep(w, &l);
		}
		break;
	}
	case 0xf:
	case 0x10: {
		/* resource-id bitmaps: 0xF in sub 0 EDX, 0x10 in sub 0 EBX */
		uint32_t res = leaf == 0xf ? sub0->edx : sub0->ebx;

		keep(w, sub0);
		for (uint32_t s = 1; s < 32; s++) {
			if (!((res >> s) & 1))
				continue;
			query(w, &l, leaf, s);
			keep(w, &l);
		}
		break;
	}
	case 0x12: {
		/* SGX leaves exist only with leaf 7 EBX bit 2 */
		const struct cp_cpuid_leaf *l7 = cp_cpuid_get(w->out, 0x7, 0);

		if (!l7 || !(l7->ebx & (1u << 2)))
			break;
		keep(w, sub0);
		query(w, &l, leaf, 1);
		keep(w, &l);
		query(w, &l, leaf, 2);
		for (uint32_t s = 3; (l.eax & 0xf) && s <= CP_CPUID_SUB_MAX; s++) {
			keep(w, &l);
			query(w, &l, leaf, s);
		}
		break;
	}
	case 0x17:
		/* valid only when sub 0 EAX (the last subleaf) is at least 3 */
		if (sub0->eax < 3)
			break;
		keep(w, sub0);
		for (uint32_t s = 1; s <= sub_limit(sub0->eax); s++) {
			query(w, &l, leaf, s);
			keep(w, &l);
		}
		break;
	default:
		keep(w, sub0);
		break;
	}
}

static void walk_range(struct walk *w, uint32_t base)
{
	struct cp_cpuid_leaf l;
	uint32_t max;

	query(w, &l, base, 0);
	max = l.eax;
	if (max < base)
		return;
	if (max - base >= CP_CPUID_RANGE_MAX)
		max = base + CP_CPUID_RANGE_MAX - 1;
	for (uint32_t leaf = base; leaf <= max; leaf++) {
		query(w, &l, leaf, 0);
		walk_leaf(w, &l);
	}
}

void cp_cpuid_walk(cp_cpuid_fn fn, void *ctx, struct cp_cpuid_table *out)
{
	struct walk w = { fn, ctx, out };

	walk_range(&w, 0);
	walk_range(&w, 0x80000000u);
}

char *cp_cpuid_format(const struct cp_cpuid_table *t)
{
	struct cp_buf b = { 0 };

	cp_buf_puts(&b, "# leaf subleaf eax ebx ecx edx\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct cp_cpuid_leaf *l = &t->v[i];

		cp_buf_printf(&b, "0x%08x 0x%08x 0x%08x 0x%08x 0x%08x 0x%08x\n",
			      l->leaf, l->subleaf, l->eax, l->ebx, l->ecx, l->edx);
	}
	return cp_buf_steal(&b);
}

/* "0x" and 1-16 hex digits, at most max. */
static int parse_hex(const char *tok, uint64_t max, uint64_t *out)
{
	const char *p;
	size_t n = 0;

	if (tok[0] != '0' || (tok[1] != 'x' && tok[1] != 'X'))
		return -EINVAL;
	for (p = tok + 2; *p; p++, n++)
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	if (n == 0)
		return -EINVAL;
	if (cp_parse_u64(tok + 2, 16, false, out) < 0 || *out > max)
		return -ERANGE;
	return 0;
}

/* Only plain text is quoted back in messages. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (!isprint((unsigned char)*s))
			return false;
	return true;
}

/* Split the fact into lines of exactly nfield hex numbers, skipping blank
 * and '#' lines; cb stores one line.  Errors (-EBADMSG) name the source
 * and the line. */
static int parse_lines(const char *text, const char *what, size_t nfield, const uint64_t *max,
		       void (*cb)(void *, const uint64_t *), void *ctx)
{
	size_t lineno = 0;
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *line = cp_strndup(p, len), *save = NULL, *tok;
		uint64_t v[8];
		size_t n = 0;
		int rc = 0;

		lineno++;
		p += len + (end ? 1 : 0);
		for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
			if (n == 0 && tok[0] == '#')
				break;
			if (n == nfield) {
				rc = cp_fail(-EBADMSG, "%s line %zu: more than %zu fields", what, lineno, nfield);
				break;
			}
			if ((rc = parse_hex(tok, max[n], &v[n])) < 0) {
				rc = cp_fail(-EBADMSG, "%s line %zu: field %zu%s%.20s%s is not a %s hex number", what,
					     lineno, n + 1, printable(tok) ? " '" : "", printable(tok) ? tok : "",
					     printable(tok) ? "'" : "", max[n] > UINT32_MAX ? "64-bit" : "32-bit");
				break;
			}
			n++;
		}
		free(line);
		if (rc < 0)
			return rc;
		if (n == 0)
			continue;
		if (n != nfield)
			return cp_fail(-EBADMSG, "%s line %zu: %zu fields, expected %zu", what, lineno, n, nfield);
		cb(ctx, v);
	}
	return 0;
}

static void cpuid_line(void *ctx, const uint64_t *v)
{
	struct cp_cpuid_leaf l = { v[0], v[1], v[2], v[3], v[4], v[5] };

	cp_cpuid_add(ctx, &l);
}

int cp_cpuid_parse(const char *text, const char *what, struct cp_cpuid_table *out)
{
	static const uint64_t max[6] = { UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX };
	int rc = parse_lines(text, what, 6, max, cpuid_line, out);

	if (rc < 0)
		cp_cpuid_table_free(out);
	return rc;
}

const struct cp_msr_value *cp_msr_get(const struct cp_msr_table *t, uint32_t index)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].index == index)
			return &t->v[i];
	return NULL;
}

void cp_msr_add(struct cp_msr_table *t, uint32_t index, uint64_t value)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].index == index) {
			t->v[i].value |= value;
			return;
		}
	}
	t->v = cp_realloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n++] = (struct cp_msr_value){ index, value };
}

void cp_msr_table_free(struct cp_msr_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

char *cp_msr_format(const struct cp_msr_table *t)
{
	struct cp_buf b = { 0 };

	cp_buf_puts(&b, "# index value (MSRs that could be read)\n");
	for (size_t i = 0; i < t->n; i++)
		cp_buf_printf(&b, "0x%08x 0x%016llx\n", t->v[i].index, (unsigned long long)t->v[i].value);
	return cp_buf_steal(&b);
}

static void msr_line(void *ctx, const uint64_t *v)
{
	cp_msr_add(ctx, (uint32_t)v[0], v[1]);
}

int cp_msr_parse(const char *text, const char *what, struct cp_msr_table *out)
{
	static const uint64_t max[2] = { UINT32_MAX, UINT64_MAX };
	int rc = parse_lines(text, what, 2, max, msr_line, out);

	if (rc < 0)
		cp_msr_table_free(out);
	return rc;
}

/* The live CPUID walk, as the recorded fact's text. */
static int cpuid_live(void *arg, char **text)
{
	struct cp_cpuid_table t = { 0 };

	(void)arg;
	if (!cp_cpuid_live_ok())
		return -ENOENT;
	cp_cpuid_walk(cp_cpuid_live, NULL, &t);
	*text = cp_cpuid_format(&t);
	cp_cpuid_table_free(&t);
	return 0;
}

int cp_cpuid_collect(const struct cp_root *r, struct cp_cpuid_table *out)
{
	char *text = NULL;
	int rc = cp_fact(r, "cpuid", cpuid_live, NULL, &text);

	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return cp_fail(rc, "cannot read the recorded CPUID (fact cpuid): %s", strerror(-rc));
	rc = cp_cpuid_parse(text, "the CPUID fact", out);
	free(text);
	return rc;
}

struct msr_live {
	const uint32_t *indices;
	size_t n;
};

/* The MSRs the live host lets us read (none without the MSR device or
 * KVM), as the recorded fact's text. */
static int msr_live(void *arg, char **text)
{
	struct cp_hostdev_msr d = CP_HOSTDEV_MSR_INIT;
	struct msr_live *q = arg;
	struct cp_msr_table t = { 0 };

	for (size_t i = 0; i < q->n; i++) {
		uint64_t v = 0;

		if (cp_hostdev_msr_read(&d, q->indices[i], &v) == 0)
			cp_msr_add(&t, q->indices[i], v);
	}
	cp_hostdev_msr_close(&d);
	*text = cp_msr_format(&t);
	cp_msr_table_free(&t);
	return 0;
}

int cp_msr_collect(const struct cp_root *r, const uint32_t *indices, size_t n, struct cp_msr_table *out)
{
	struct msr_live q = { indices, n };
	char *text = NULL;
	int rc = cp_fact(r, "msr", msr_live, &q, &text);

	if (rc == -ENOENT)
		return 0;	/* recorded without MSR access: none */
	if (rc < 0)
		return cp_fail(rc, "cannot read the recorded MSRs (fact msr): %s", strerror(-rc));
	rc = cp_msr_parse(text, "the MSR fact", out);
	free(text);
	return rc;
}
