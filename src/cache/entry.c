/* The probe cache's entry format (cache/entry.h): its writer, its one
 * reader, and the JSON form of a cp_qemu_probe. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/entry.h"
#include "host/arch.h"
#include "probe/answers.h"
#include "probe/schema.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonmem.h"
#include "util/str.h"

/* QMP answers nest at most CP_QMP_MAX_DEPTH (64) deep; an entry adds a few
 * levels around them. */
#define ENTRY_DEPTH 80

/* Stable names of the questions in serialized probes: an enum reordering
 * must not change them; a new question is just a new name. */
const char *const cp_q_names[CP_Q_COUNT] = {
	[CP_Q_VERSION] = "version",
	[CP_Q_TARGET] = "target",
	[CP_Q_SCHEMA] = "schema",
	[CP_Q_KVM] = "kvm",
	[CP_Q_TYPES] = "types",
	[CP_Q_MAX_CPU_PROPS] = "max_cpu_props",
	[CP_Q_MACHINES] = "machines",
	[CP_Q_NONE_MACHINE_PROPS] = "none_machine_props",
	[CP_Q_PC_MACHINE_PROPS] = "pc_machine_props",
	[CP_Q_VIRT_MACHINE_PROPS] = "virt_machine_props",
	[CP_Q_CPU_DEFS] = "cpu_defs",
	[CP_Q_TPM_MODELS] = "tpm_models",
	[CP_Q_TPM_TYPES] = "tpm_types",
	[CP_Q_CMDLINE] = "cmdline",
	[CP_Q_GIC] = "gic",
	[CP_Q_SEV] = "sev",
	[CP_Q_SGX] = "sgx",
	[CP_Q_EXPAND] = "expand",
	[CP_Q_EXPAND_FULL] = "expand_full",
	[CP_Q_EXPAND_NONMIG] = "expand_nonmig",
	[CP_Q_EXPAND_NONMIG_FULL] = "expand_nonmig_full",
	[CP_Q_HV_EXPAND] = "hv_expand",
};

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *pass_to_json(const struct cp_qemu_pass *ps)
{
	json_object *o = json_object_new_object(), *ans = json_object_new_object();

	json_object_object_add(o, "ran", json_object_new_boolean(ps->ran));
	add_str(o, "accel", ps->accel);
	json_object_object_add(o, "kvm", json_object_new_boolean(ps->kvm));
	for (int q = 0; q < CP_Q_COUNT; q++) {
		const struct cp_qanswer *a = &ps->a[q];
		json_object *e;

		if (!a->asked)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "ret", json_object_get(a->ret));
		if (a->err_class[0] || a->err_desc[0]) {
			add_str(e, "class", a->err_class);
			add_str(e, "desc", a->err_desc);
		}
		json_object_object_add(ans, cp_q_names[q], e);
	}
	json_object_object_add(o, "answers", ans);
	return o;
}

json_object *cp_probe_to_json(const struct cp_qemu_probe *p)
{
	json_object *o = json_object_new_object();

	add_str(o, "binary", p->binary);
	add_str(o, "arch", p->arch);
	json_object_object_add(o, "version", json_object_new_int64(p->version));
	add_str(o, "package", p->package);
	json_object_object_add(o, "kvm", json_object_new_boolean(p->kvm));
	json_object_object_add(o, "tcg", json_object_new_boolean(p->tcg));
	json_object_object_add(o, "pass1", pass_to_json(&p->pass1));
	json_object_object_add(o, "pass2", pass_to_json(&p->pass2));
	return o;
}

/* A string member, or NULL when absent or null (a non-string is an error). */
static int opt_str(json_object *o, const char *k, const char **out)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	if (v && !json_object_is_type(v, json_type_string))
		return -EBADMSG;
	*out = v ? json_object_get_string(v) : NULL;
	return 0;
}

static int copy_fixed(char *dst, size_t cap, json_object *o, const char *k)
{
	const char *s;

	if (opt_str(o, k, &s) < 0 || (s && strlen(s) >= cap))
		return -EBADMSG;
	snprintf(dst, cap, "%s", s ? s : "");
	return 0;
}

static int pass_from_json(json_object *o, struct cp_qemu_pass *ps)
{
	json_object *ran = cp_json_typed(o, "ran", json_type_boolean), *kvm = cp_json_typed(o, "kvm", json_type_boolean);
	json_object *ans = cp_json_typed(o, "answers", json_type_object);

	if (!ran || !kvm || !ans || copy_fixed(ps->accel, sizeof(ps->accel), o, "accel") < 0)
		return -EBADMSG;
	ps->ran = json_object_get_boolean(ran);
	ps->kvm = json_object_get_boolean(kvm);
	json_object_object_foreach(ans, name, e) {
		struct cp_qanswer *a = NULL;
		json_object *ret;

		for (int q = 0; q < CP_Q_COUNT && !a; q++)
			if (strcmp(cp_q_names[q], name) == 0)
				a = &ps->a[q];
		if (!a || a->asked || !json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "ret", &ret) ||
		    copy_fixed(a->err_class, sizeof(a->err_class), e, "class") < 0 ||
		    copy_fixed(a->err_desc, sizeof(a->err_desc), e, "desc") < 0)
			return -EBADMSG;
		a->asked = true;
		a->ret = json_object_get(ret);
		cp_answer_reduce((enum cp_q)(a - ps->a), &a->ret);
	}
	return 0;
}

/* A probe always has its arch (the prober fails without a known one), and
 * everything after a load relies on it: without one the entry is corrupt
 * (found by tests/fuzz/fuzz_domcaps.c: a NULL arch crashed `domain`). */
int cp_probe_from_json(json_object *o, struct cp_qemu_probe *out)
{
	json_object *ver = cp_json_typed(o, "version", json_type_int);
	json_object *kvm = cp_json_typed(o, "kvm", json_type_boolean), *tcg = cp_json_typed(o, "tcg", json_type_boolean);
	json_object *p1 = cp_json_typed(o, "pass1", json_type_object), *p2 = cp_json_typed(o, "pass2", json_type_object);
	const char *binary = NULL, *arch = NULL, *package = NULL;
	const struct cp_arch *a = NULL;
	int64_t v = ver ? json_object_get_int64(ver) : -1;

	memset(out, 0, sizeof(*out));
	if (!ver || v < 0 || v > UINT32_MAX || !kvm || !tcg || !p1 || !p2 ||
	    opt_str(o, "binary", &binary) < 0 || !binary || opt_str(o, "arch", &arch) < 0 ||
	    opt_str(o, "package", &package) < 0 || !arch || !(a = cp_arch_find(arch)))
		return cp_fail(-EBADMSG, "malformed serialized probe");
	out->binary = cp_strdup(binary);
	out->arch = a ? a->name : NULL;
	out->version = (unsigned)v;
	out->package = package ? cp_strdup(package) : NULL;
	out->kvm = json_object_get_boolean(kvm);
	out->tcg = json_object_get_boolean(tcg);
	if (pass_from_json(p1, &out->pass1) < 0 || pass_from_json(p2, &out->pass2) < 0) {
		cp_qemu_probe_free(out);
		return cp_fail(-EBADMSG, "malformed serialized probe answers");
	}
	return 0;
}

/* ---- writing ---- */

static const char *plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static size_t count_answers(const struct cp_qemu_pass *ps)
{
	size_t n = 0;

	for (int q = 0; q < CP_Q_COUNT; q++)
		n += ps->a[q].asked;
	return n;
}

static void answer_lines(struct cp_buf *b, int n, const struct cp_qemu_pass *ps)
{
	for (int q = 0; q < CP_Q_COUNT; q++) {
		const struct cp_qanswer *a = &ps->a[q];
		json_object *o;

		if (!a->asked)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "p", json_object_new_int(n));
		add_str(o, "q", cp_q_names[q]);
		json_object_object_add(o, "ret", json_object_get(a->ret));
		if (a->err_class[0] || a->err_desc[0]) {
			add_str(o, "class", a->err_class);
			add_str(o, "desc", a->err_desc);
		}
		cp_buf_printf(b, "%s\n", plain(o));
		json_object_put(o);
	}
}

/* A probe entry's header: what every entry has, and the key. */
static json_object *keyed_header(const struct cp_cache_key *key)
{
	json_object *doc = json_object_new_object(), *k = json_object_new_object();

	for (int i = 0; i < CP_CK_COUNT; i++)
		add_str(k, cp_cache_key_names[i], key->f[i]);
	json_object_object_add(doc, "format", json_object_new_int(CP_CACHE_FORMAT));
	json_object_object_add(doc, "written", json_object_new_int64((int64_t)time(NULL)));
	add_str(doc, "emulator", key->f[CP_CK_BINARY]);
	json_object_object_add(doc, "key", k);
	return doc;
}

char *cp_entry_text(const struct cp_cache_key *key, const struct cp_qemu_probe *p, size_t *len)
{
	json_object *doc = keyed_header(key), *probe;
	struct cp_buf b = { 0 };
	char ver[32];

	snprintf(ver, sizeof(ver), "%u.%u.%u", p->version / 1000000, p->version / 1000 % 1000,
		 p->version % 1000);
	add_str(doc, "qemu_version", ver);
	/* the probe without its answers: those are the lines that follow */
	probe = cp_probe_to_json(p);
	json_object_object_add(json_object_object_get(probe, "pass1"), "answers", json_object_new_object());
	json_object_object_add(json_object_object_get(probe, "pass2"), "answers", json_object_new_object());
	json_object_object_add(doc, "probe", probe);
	json_object_object_add(doc, "answers",
			       json_object_new_int64((int64_t)(count_answers(&p->pass1) + count_answers(&p->pass2))));
	cp_buf_printf(&b, "%s\n", plain(doc));
	json_object_put(doc);
	answer_lines(&b, 1, &p->pass1);
	answer_lines(&b, 2, &p->pass2);
	*len = b.len;
	return cp_buf_steal(&b);
}

char *cp_entry_refused_text(const struct cp_cache_key *key, const char *message, size_t *len)
{
	json_object *doc = keyed_header(key);
	char *s;

	add_str(doc, "refused", message);
	s = cp_asprintf("%s\n", plain(doc));
	json_object_put(doc);
	*len = strlen(s);
	return s;
}

char *cp_entry_small_text(json_object *doc, size_t *len)
{
	char *s;

	json_object_object_add(doc, "format", json_object_new_int(CP_CACHE_FORMAT));
	json_object_object_add(doc, "written", json_object_new_int64((int64_t)time(NULL)));
	s = cp_asprintf("%s\n", plain(doc));
	*len = strlen(s);
	return s;
}

/* ---- reading ---- */

const char *cp_entry_refusal(const struct cp_entry_charge *ch)
{
	return ch->why == -E2BIG ? "too large (its JSON would take too much memory)" :
	       ch->why == -ENOBUFS ? "not loaded (the memory budget for JSON is used up)" : NULL;
}

/* Parse exactly len bytes as one JSON value, priced and charged.  NULL
 * when refused or not JSON (a JSON null is NULL too: callers that take
 * null look for it first). */
static json_object *parse_exact(const char *s, size_t len, struct cp_entry_charge *ch)
{
	uint64_t cost;
	int why = 0;
	json_object *o = cp_json_parse_priced(s, len, ENTRY_DEPTH, ch->max - ch->cost, &cost, &why);

	if (o)
		ch->cost += cost;
	else if (why != -EBADMSG && !ch->why)
		ch->why = why;
	return o;
}

static json_object *parse_scanned(const char *s, size_t len, const struct cp_json_scan *sc,
				  struct cp_entry_charge *ch)
{
	uint64_t cost;
	int why = 0;
	json_object *o = cp_json_parse_scanned(s, len, ENTRY_DEPTH, sc, ch->max - ch->cost, &cost, &why);

	if (o)
		ch->cost += cost;
	else if (why != -EBADMSG && !ch->why)
		ch->why = why;
	return o;
}

int cp_entry_read(const char *text, size_t len, struct cp_entry *e, struct cp_entry_charge *ch,
		  const char **why)
{
	const char *nl = memchr(text, '\n', len);
	json_object *f, *n = NULL;
	int64_t count = 0;

	memset(e, 0, sizeof(*e));
	*why = "truncated";
	if (len == 0 || text[len - 1] != '\n')
		return -EBADMSG;
	*why = "corrupt";
	if (!(e->header = parse_exact(text, (size_t)(nl - text), ch)))
		return -EBADMSG;
	f = cp_json_typed(e->header, "format", json_type_int);
	if (json_object_object_get_ex(e->header, "answers", &n))
		count = json_object_is_type(n, json_type_int) ? json_object_get_int64(n) : -1;
	if (json_object_is_type(e->header, json_type_object) && f && json_object_get_int(f) != CP_CACHE_FORMAT)
		*why = "another format";
	else if (json_object_is_type(e->header, json_type_object) && f && count >= 0 && (uint64_t)count <= len)
		*why = NULL;
	if (*why) {
		json_object_put(e->header);
		e->header = NULL;
		return -EBADMSG;
	}
	e->body = nl + 1;
	e->end = text + len;
	e->answers = (size_t)count;
	return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Past the string at p when it has no escapes (member names and question
 * names never do); its contents in *s, *n.  NULL otherwise. */
static const char *plain_string(const char *p, const char *end, const char **s, size_t *n)
{
	const char *e;

	if (p >= end || *p != '"' || !(e = cp_json_skip(p, end)) || memchr(p + 1, '\\', (size_t)(e - p - 1)))
		return NULL;
	*s = p + 1;
	*n = (size_t)(e - p - 2);
	return e;
}

static bool is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(s, name, n) == 0;
}

/* An answer line's members, as spans of its text. */
struct answer_fields {
	int pass;			/* 0 until seen */
	int q;				/* -1 until seen */
	const char *ret, *ret_end;	/* ret NULL until seen */
	struct cp_json_scan ret_scan;	/* its price */
	const char *cls, *cls_end, *desc, *desc_end;
};

/* 0 with every member in *f; 1 as soon as "p" and "q" (first, as written)
 * show that need() does not want the line; -EBADMSG when malformed. */
static int answer_fields(const char *p, const char *end, struct answer_fields *f,
			 bool (*need)(const struct answer_fields *f, const void *arg), const void *arg)
{
	memset(f, 0, sizeof(*f));
	f->q = -1;
	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return -EBADMSG;
	p = skip_ws(p + 1, end);
	while (p < end && *p != '}') {
		const char *k, *v, *ve, *s;
		size_t kn, n;

		if (!(p = plain_string(p, end, &k, &kn)) || (p = skip_ws(p, end)) >= end || *p != ':')
			return -EBADMSG;
		v = skip_ws(p + 1, end);
		if (v >= end || *v == '}' || *v == ']' || *v == ',' || *v == ':')
			return -EBADMSG;
		if (is(k, kn, "ret") && !f->ret) {
			/* most of an entry's bytes: priced and skipped in one pass */
			cp_json_scan_init(&f->ret_scan);
			ve = v + cp_json_scan(&f->ret_scan, v, (size_t)(end - v));
			if (!f->ret_scan.done)
				return -EBADMSG;
			f->ret = v;
			f->ret_end = ve;
		} else if (!(ve = cp_json_skip(v, end)) || ve == v) {
			return -EBADMSG;
		} else if (is(k, kn, "p") && !f->pass && ve - v == 1 && (*v == '1' || *v == '2')) {
			f->pass = *v - '0';
		} else if (is(k, kn, "q") && f->q < 0 && plain_string(v, ve, &s, &n) == ve) {
			for (f->q = 0; f->q < CP_Q_COUNT && !is(s, n, cp_q_names[f->q]); f->q++)
				;
			if (f->q == CP_Q_COUNT)
				return -EBADMSG;
		} else if (is(k, kn, "class") && !f->cls) {
			f->cls = v;
			f->cls_end = ve;
		} else if (is(k, kn, "desc") && !f->desc) {
			f->desc = v;
			f->desc_end = ve;
		} else {
			return -EBADMSG;	/* unknown, repeated or malformed */
		}
		if (f->pass && f->q >= 0 && !need(f, arg))
			return 1;
		p = skip_ws(ve, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			if (p >= end || *p == '}')
				return -EBADMSG;
		} else if (p >= end || *p != '}') {
			return -EBADMSG;
		}
	}
	if (p >= end || skip_ws(p + 1, end) != end || !f->pass || f->q < 0 || !f->ret)
		return -EBADMSG;
	return 0;
}

static bool is_null(const char *v, const char *ve)
{
	return ve - v == 4 && memcmp(v, "null", 4) == 0;
}

/* A string member into dst[cap] ("" when absent or null). */
static int fixed_string(char *dst, size_t cap, const char *v, const char *ve, struct cp_entry_charge *ch)
{
	json_object *o;
	int rc = 0;

	dst[0] = '\0';
	if (!v || is_null(v, ve))
		return 0;
	if (!(o = parse_exact(v, (size_t)(ve - v), ch)))
		return -EBADMSG;
	if (!json_object_is_type(o, json_type_string) || (size_t)json_object_get_string_len(o) >= cap)
		rc = -EBADMSG;
	else
		memcpy(dst, json_object_get_string(o), (size_t)json_object_get_string_len(o) + 1);
	json_object_put(o);
	return rc;
}

/* Which answers a load keeps. */
struct wanted {
	bool light, pass2;
};

static bool needed(const struct answer_fields *f, const void *arg)
{
	const struct wanted *w = arg;

	return (!w->light || cp_q_light((enum cp_q)f->q)) && (f->pass == 1 || w->pass2);
}

static int answer_line(const char *line, const char *end, struct cp_qemu_probe *out, const struct wanted *w,
		       struct cp_entry_charge *ch)
{
	struct answer_fields f;
	struct cp_qanswer *a;
	json_object *ret = NULL;
	size_t n;
	int rc = answer_fields(line, end, &f, needed, w);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (!needed(&f, w))
		return 0;
	a = &(f.pass == 1 ? &out->pass1 : &out->pass2)->a[f.q];
	n = (size_t)(f.ret_end - f.ret);
	if (a->asked || fixed_string(a->err_class, sizeof(a->err_class), f.cls, f.cls_end, ch) < 0 ||
	    fixed_string(a->err_desc, sizeof(a->err_desc), f.desc, f.desc_end, ch) < 0)
		return -EBADMSG;
	if (a->err_class[0] || a->err_desc[0]) {
		if (!is_null(f.ret, f.ret_end))
			return -EBADMSG;
		a->asked = true;
		return 0;
	}
	/* an answer that is not an error has the shape QEMU's had */
	if (!(ret = parse_scanned(f.ret, n, &f.ret_scan, ch)) ||
	    cp_answer_check((enum cp_q)f.q, ret, out->arch, true, cp_q_names[f.q], out->binary) < 0) {
		json_object_put(ret);
		return -EBADMSG;
	}
	a->asked = true;
	a->ret = ret;
	cp_answer_reduce((enum cp_q)f.q, &a->ret);
	return 0;
}

int cp_entry_probe(const struct cp_entry *e, const struct cp_probe_req *req, struct cp_qemu_probe *out,
		   struct cp_entry_charge *ch)
{
	json_object *probe = cp_json_typed(e->header, "probe", json_type_object);
	const char *line = e->body;
	struct wanted w = { .light = req && req->light };

	memset(out, 0, sizeof(*out));
	if (!probe || cp_probe_from_json(probe, out) < 0)
		return -EBADMSG;
	/* what a probe for this request would have: pass 2 only for TCG */
	w.pass2 = out->pass2.ran && (!req || req->need_tcg);
	if (!w.pass2)
		out->pass2.ran = false;
	for (size_t i = 0; i < e->answers; i++) {
		const char *nl = memchr(line, '\n', (size_t)(e->end - line));

		if (!nl || answer_line(line, nl, out, &w, ch) < 0)
			return -EBADMSG;
		line = nl + 1;
	}
	return line == e->end ? 0 : -EBADMSG;
}
