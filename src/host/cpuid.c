#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#define CP_HAVE_CPUID 1
#endif
#ifdef __linux__
#include <linux/kvm.h>
#endif

#include "cpuid.h"

/* Bounds no real CPU comes near (basic ranges end near 0x24, extended near
 * 0x80000028, subleaf counts are small); they only stop a garbage recording
 * from asking billions of questions. */
#define CP_CPUID_RANGE_MAX 0x400u
#define CP_CPUID_SUB_MAX 0x400u

#define MSR_DEVICE "/dev/cpu/0/msr"
#define KVM_DEVICE "/dev/kvm"

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

/* Subleaves that exist while the previous one says so (leaves 0x4, 0xB,
 * 0x12 from 2): stop is the register mask that must stay non-zero. */
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

int cp_cpuid_collect(const struct cp_root *r, struct cp_cpuid_table *out)
{
	char *text = NULL;
	int rc;

	rc = cp_fact_read(r, "cpuid", &text);
	if (rc == 0) {
		rc = cp_cpuid_parse(text, "recorded " CP_FACTS_DIR "/cpuid", out);
		free(text);
		return rc;
	}
	if (rc != -ENOENT)
		return cp_fail(rc, "cannot read recorded " CP_FACTS_DIR "/cpuid");
	if (!cp_root_live(r) || !cp_cpuid_live_ok())
		return -ENOENT;
	cp_cpuid_walk(cp_cpuid_live, NULL, out);
	if (cp_root_recording(r)) {
		text = cp_cpuid_format(out);
		cp_fact_write(r, "cpuid", text);
		free(text);
	}
	return 0;
}

/* The live readers share lazily opened descriptors; -1 not tried yet,
 * -2 failed to open. */
struct msr_dev {
	int msr_fd;
	int kvm_fd;
};

/* *fd, opened on first use; a failed open is not tried again. */
static int lazy_open(int *fd, const char *path)
{
	if (*fd == -1) {
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			*fd = -2;
	}
	return *fd;
}

/* 0 read, 1 the CPU lacks it (EIO: no fallback), -1 try KVM instead. */
static int msr_read_dev(struct msr_dev *d, uint32_t index, uint64_t *val)
{
	ssize_t n;

	if (lazy_open(&d->msr_fd, MSR_DEVICE) < 0)
		return -1;
	n = pread(d->msr_fd, val, sizeof(*val), index);
	if (n == (ssize_t)sizeof(*val))
		return 0;
	if (n < 0 && errno == EIO)
		return 1;
	return -1;
}

/* KVM's feature-MSR query on the system fd: its answer for a host-level
 * MSR, zero-filled when KVM does not know it, as libvirt reads it. */
static int msr_read_kvm(struct msr_dev *d, uint32_t index, uint64_t *val)
{
#if defined(__linux__) && defined(KVM_GET_MSRS) && (defined(__i386__) || defined(__x86_64__))
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} q;

	if (lazy_open(&d->kvm_fd, KVM_DEVICE) < 0)
		return -1;
	memset(&q, 0, sizeof(q));
	q.hdr.nmsrs = 1;
	q.entry.index = index;
	if (ioctl(d->kvm_fd, KVM_GET_MSRS, &q) < 0)
		return -1;
	*val = q.entry.data;
	return 0;
#else
	(void)d;
	(void)index;
	(void)val;
	return -1;
#endif
}

int cp_msr_collect(const struct cp_root *r, const uint32_t *indices, size_t n, struct cp_msr_table *out)
{
	struct msr_dev d = { -1, -1 };
	char *text = NULL;
	int rc;

	rc = cp_fact_read(r, "msr", &text);
	if (rc == 0) {
		rc = cp_msr_parse(text, "recorded " CP_FACTS_DIR "/msr", out);
		free(text);
		return rc;
	}
	if (rc != -ENOENT)
		return cp_fail(rc, "cannot read recorded " CP_FACTS_DIR "/msr");
	if (!cp_root_live(r))
		return 0;	/* recorded without MSR access: none */
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;

		rc = msr_read_dev(&d, indices[i], &v);
		if (rc < 0)
			rc = msr_read_kvm(&d, indices[i], &v);
		if (rc == 0)
			cp_msr_add(out, indices[i], v);
	}
	if (d.msr_fd >= 0)
		close(d.msr_fd);
	if (d.kvm_fd >= 0)
		close(d.kvm_fd);
	if (cp_root_recording(r)) {
		text = cp_msr_format(out);
		cp_fact_write(r, "msr", text);
		free(text);
	}
	return 0;
}
