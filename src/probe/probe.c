/* The prober: a table of QMP questions, asked of one or two emulator
 * processes at once.  Pass 1 runs in the calling thread; pass 2 (TCG), when
 * needed, runs in a second thread and waits only for the pass-1 answers its
 * own questions depend on (schema, target, types), so its process start and
 * handshake overlap pass 1 entirely. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/arch.h"
#include "probe/answers.h"
#include "probe/probe.h"
#include "probe/schema.h"
#include "qmp/replay.h"
#include "qmp/session.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonmem.h"
#include "util/path.h"

#define MIN_VERSION 6002000	/* libvirt 11.3 refuses anything older */

#define BIT(q) (1u << (q))
#define P1 1u
#define P2 2u

/* QMP error classes that mean "not supported here": the answer is absent. */
#define TOL_NONE 0u
#define TOL_ABSENT 1u		/* DeviceNotFound, GenericError */

struct run;

/* What a condition or an argument builder may look at. */
struct ctx {
	struct run *run;
	int pass;			/* 1 or 2 */
	struct cp_qemu_pass *self;	/* this pass's answers */
	const struct cp_qemu_pass *p1;	/* binary-wide answers */
};

struct question {
	enum cp_q q;
	const char *execute;
	unsigned passes;		/* P1, P2 */
	bool light;			/* also asked by a light probe */
	bool record_only;		/* no output depends on it: asked only when recording */
	unsigned tolerate;
	unsigned deps;			/* pass-1 answers `when`/`args` read (pass 2 waits for them) */
	bool (*when)(const struct ctx *c);
	json_object *(*args)(const struct ctx *c);
};

struct run {
	const struct cp_probe_req *req;
	struct cp_qemu_probe *out;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned settled;		/* pass-1 questions asked or skipped */
	bool p1_done;
	bool cancel2;			/* pass 2 is not needed (or pass 1 failed) */
	int rc2;
	char err2[1024];
	bool refused;		/* pass 1 refused the binary's version or arch */
	char *rec_tmp[2];	/* recording: the passes' temporary names, */
	FILE *rec[2];		/* their files, */
	struct rec_out {	/* and what is below each FILE */
		int fd;
		int err;	/* the first write error (stdio forgets which) */
	} rec_out[2];
};

/* ---- reading earlier answers ---- */

static json_object *p1_ret(const struct ctx *c, enum cp_q q)
{
	return c->p1->a[q].ret;
}

/* The schema is kept reduced (cp_schema_reduce) as soon as it is answered. */
static bool has_command(const struct ctx *c, const char *name)
{
	return cp_json_name_set_has(p1_ret(c, CP_Q_SCHEMA), name);
}

static bool has_type(const struct ctx *c, const char *name)
{
	return cp_json_name_set_has(p1_ret(c, CP_Q_TYPES), name);
}

/* libvirt's name for QEMU's target arch, NULL if libvirt has none. */
static const char *arch_from_target(const char *t)
{
	const struct cp_arch *a;

	if (!t)
		return NULL;
	if (strcmp(t, "i386") == 0)
		return "i686";
	if (strcmp(t, "arm") == 0)
		return "armv7l";
	a = cp_arch_find(t);
	return a ? a->name : NULL;
}

static const char *arch_of(const struct ctx *c)
{
	const char *a = arch_from_target(cp_json_str(p1_ret(c, CP_Q_TARGET), "arch"));

	return a ? a : "";
}

static bool is_x86(const struct ctx *c)
{
	const char *a = arch_of(c);

	return !strcmp(a, "x86_64") || !strcmp(a, "i686");
}

static bool is_arm(const struct ctx *c)
{
	const char *a = arch_of(c);

	return !strcmp(a, "aarch64") || !strcmp(a, "armv7l") || !strcmp(a, "armv6l");
}

static bool is_s390(const struct ctx *c)
{
	return strncmp(arch_of(c), "s390", 4) == 0;
}

/* QEMU reports canonical feature names (max-x86_64-cpu has the
 * unavailable-features property); without them libvirt follows each static
 * expansion with a full one. */
static bool canonical_names(const struct ctx *c)
{
	return cp_json_name_set_has(p1_ret(c, CP_Q_MAX_CPU_PROPS), "unavailable-features");
}

/* The machine a <virt|pseries>-machine property probe is about, if any. */
static const char *virt_machine(const struct ctx *c)
{
	json_object *m = p1_ret(c, CP_Q_MACHINES);
	size_t n = m && json_object_is_type(m, json_type_array) ? json_object_array_length(m) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(m, i);
		const char *name = cp_json_str(e, "name"), *alias = cp_json_str(e, "alias");

		for (const char *const *w = (const char *const[]){ "virt", "pseries", NULL }; *w; w++)
			if ((name && !strcmp(name, *w)) || (alias && !strcmp(alias, *w)))
				return name;
	}
	return NULL;
}

/* ---- conditions ---- */

static bool when_max_cpu(const struct ctx *c)
{
	return has_type(c, "max-x86_64-cpu") || has_type(c, "max-arm-cpu");
}

static bool when_s390(const struct ctx *c) { return is_s390(c); }
static bool when_x86(const struct ctx *c) { return is_x86(c); }
static bool when_arm(const struct ctx *c) { return is_arm(c); }
static bool when_virt_machine(const struct ctx *c) { return virt_machine(c) != NULL; }
static bool when_cpu_defs(const struct ctx *c) { return has_command(c, "query-cpu-definitions"); }
static bool when_tpm_models(const struct ctx *c) { return has_command(c, "query-tpm-models"); }
static bool when_tpm_types(const struct ctx *c) { return has_command(c, "query-tpm-types"); }
static bool when_cmdline(const struct ctx *c) { return has_command(c, "query-command-line-options"); }
static bool when_sev(const struct ctx *c) { return has_type(c, "sev-guest"); }
static bool when_sgx(const struct ctx *c) { return has_type(c, "sgx-epc"); }

static bool when_expand(const struct ctx *c)
{
	return has_command(c, "query-cpu-model-expansion");
}

static bool when_expand_x86(const struct ctx *c)
{
	return is_x86(c) && when_expand(c);
}

static bool when_expand_full(const struct ctx *c)
{
	return is_x86(c) && !canonical_names(c) && cp_json_member(c->self->a[CP_Q_EXPAND].ret, "model");
}

static bool when_nonmig_full(const struct ctx *c)
{
	return is_x86(c) && !canonical_names(c) && cp_json_member(c->self->a[CP_Q_EXPAND_NONMIG].ret, "model");
}

static bool when_hv(const struct ctx *c)
{
	return (is_x86(c) || is_arm(c)) && when_expand(c);
}

/* ---- arguments ---- */

static json_object *typename_args(const char *name)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "typename", json_object_new_string(name));
	return a;
}

static json_object *args_max_cpu(const struct ctx *c)
{
	return typename_args(has_type(c, "max-x86_64-cpu") ? "max-x86_64-cpu" : "max-arm-cpu");
}

static json_object *args_none_machine(const struct ctx *c) { (void)c; return typename_args("none-machine"); }
static json_object *args_pc_machine(const struct ctx *c) { (void)c; return typename_args("generic-pc-machine"); }

static json_object *args_virt_machine(const struct ctx *c)
{
	char name[128];

	snprintf(name, sizeof(name), "%s-machine", virt_machine(c));
	return typename_args(name);
}

/* {"type": type, "model": model} */
static json_object *expansion(const char *type, json_object *model)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "type", json_object_new_string(type));
	json_object_object_add(a, "model", model);
	return a;
}

/* The model libvirt expands: "host" in pass 1 even without KVM (libvirt
 * decides before it knows TCG exists; on x86 TCG this equals "max"),
 * "max" in the TCG pass. */
static json_object *host_model(const struct ctx *c, bool nonmig, bool hv)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "name", json_object_new_string(c->pass == 1 ? "host" : "max"));
	if (nonmig || hv) {
		json_object *props = json_object_new_object();

		json_object_object_add(props, "migratable", json_object_new_boolean(false));
		if (hv)
			json_object_object_add(props, "hv-passthrough", json_object_new_boolean(true));
		json_object_object_add(m, "props", props);
	}
	return m;
}

static json_object *args_expand(const struct ctx *c)
{
	return expansion(is_arm(c) ? "full" : "static", host_model(c, false, false));
}

static json_object *args_expand_nonmig(const struct ctx *c)
{
	return expansion("static", host_model(c, true, false));
}

static json_object *args_hv(const struct ctx *c)
{
	return expansion("full", host_model(c, false, true));
}

/* A full expansion of what a static one returned (name + props). */
static json_object *full_of(const struct ctx *c, enum cp_q q)
{
	json_object *m = NULL;

	if (json_object_deep_copy(cp_json_member(c->self->a[q].ret, "model"), &m, NULL) < 0)
		cp_oom();
	return expansion("full", m);
}

static json_object *args_expand_full(const struct ctx *c) { return full_of(c, CP_Q_EXPAND); }
static json_object *args_nonmig_full(const struct ctx *c) { return full_of(c, CP_Q_EXPAND_NONMIG); }

/* ---- the table, in the order libvirt asks ---- */

#define DEP_SCHEMA (BIT(CP_Q_SCHEMA) | BIT(CP_Q_TARGET))
#define DEP_TYPES (BIT(CP_Q_TYPES) | BIT(CP_Q_TARGET))
#define DEP_CANON (DEP_SCHEMA | BIT(CP_Q_MAX_CPU_PROPS))

static const struct question questions[] = {
	{ CP_Q_VERSION, "query-version", P1, true, false, TOL_NONE, 0, NULL, NULL },
	{ CP_Q_TARGET, "query-target", P1, true, false, TOL_NONE, 0, NULL, NULL },
	{ CP_Q_SCHEMA, "query-qmp-schema", P1, false, false, TOL_NONE, 0, NULL, NULL },
	{ CP_Q_KVM, "query-kvm", P1, true, false, TOL_NONE, 0, NULL, NULL },
	{ CP_Q_TYPES, "qom-list-types", P1, true, false, TOL_NONE, 0, NULL, NULL },
	{ CP_Q_MAX_CPU_PROPS, "qom-list-properties", P1, false, false, TOL_ABSENT, DEP_TYPES,
	  when_max_cpu, args_max_cpu },
	{ CP_Q_MACHINES, "query-machines", P1 | P2, true, false, TOL_NONE, 0, NULL, NULL },
	/* only s390-pv reads it */
	{ CP_Q_NONE_MACHINE_PROPS, "qom-list-properties", P1, false, false, TOL_ABSENT, DEP_TYPES,
	  when_s390, args_none_machine },
	{ CP_Q_PC_MACHINE_PROPS, "qom-list-properties", P1, false, false, TOL_ABSENT, DEP_TYPES,
	  when_x86, args_pc_machine },
	{ CP_Q_VIRT_MACHINE_PROPS, "qom-list-properties", P1, false, true, TOL_ABSENT, DEP_TYPES,
	  when_virt_machine, args_virt_machine },
	{ CP_Q_CPU_DEFS, "query-cpu-definitions", P1 | P2, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_cpu_defs, NULL },
	{ CP_Q_TPM_MODELS, "query-tpm-models", P1, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_tpm_models, NULL },
	{ CP_Q_TPM_TYPES, "query-tpm-types", P1, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_tpm_types, NULL },
	{ CP_Q_CMDLINE, "query-command-line-options", P1, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_cmdline, NULL },
	{ CP_Q_GIC, "query-gic-capabilities", P1, false, false, TOL_ABSENT, DEP_TYPES,
	  when_arm, NULL },
	{ CP_Q_SEV, "query-sev-capabilities", P1, false, false, TOL_ABSENT, DEP_TYPES,
	  when_sev, NULL },
	{ CP_Q_SGX, "query-sgx-capabilities", P1, false, false, TOL_ABSENT, DEP_TYPES,
	  when_sgx, NULL },
	{ CP_Q_EXPAND, "query-cpu-model-expansion", P1 | P2, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_expand, args_expand },
	{ CP_Q_EXPAND_FULL, "query-cpu-model-expansion", P1 | P2, false, false, TOL_ABSENT, DEP_CANON,
	  when_expand_full, args_expand_full },
	{ CP_Q_EXPAND_NONMIG, "query-cpu-model-expansion", P1 | P2, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_expand_x86, args_expand_nonmig },
	{ CP_Q_EXPAND_NONMIG_FULL, "query-cpu-model-expansion", P1 | P2, false, false, TOL_ABSENT, DEP_CANON,
	  when_nonmig_full, args_nonmig_full },
	{ CP_Q_HV_EXPAND, "query-cpu-model-expansion", P1, false, false, TOL_ABSENT, DEP_SCHEMA,
	  when_hv, args_hv },
};

/* ---- pass-1 → pass-2 hand-over ---- */

static void settle(struct run *run, unsigned bits, bool done, bool cancel)
{
	pthread_mutex_lock(&run->mu);
	run->settled |= bits;
	run->p1_done |= done;
	run->cancel2 |= cancel;
	pthread_cond_broadcast(&run->cv);
	pthread_mutex_unlock(&run->mu);
}

/* Pass 2: wait until pass 1 has settled deps (and whether it has KVM).
 * false: pass 2 is not wanted any more. */
static bool await(struct run *run, unsigned deps)
{
	bool go;

	deps |= BIT(CP_Q_VERSION) | BIT(CP_Q_KVM);
	pthread_mutex_lock(&run->mu);
	while (!run->cancel2 && !run->p1_done && (run->settled & deps) != deps)
		pthread_cond_wait(&run->cv, &run->mu);
	go = !run->cancel2;
	pthread_mutex_unlock(&run->mu);
	return go;
}

/* ---- facts decided by pass 1 ---- */

static int check_version(struct cp_qemu_probe *out, const struct ctx *c)
{
	json_object *q = cp_json_member(p1_ret(c, CP_Q_VERSION), "qemu");
	json_object *ma = cp_json_member(q, "major"), *mi = cp_json_member(q, "minor"), *mc = cp_json_member(q, "micro");
	const char *pkg = cp_json_str(p1_ret(c, CP_Q_VERSION), "package");

	if (!ma || !mi || !mc || !json_object_is_type(ma, json_type_int) ||
	    !json_object_is_type(mi, json_type_int) || !json_object_is_type(mc, json_type_int) ||
	    json_object_get_int(ma) < 0 || json_object_get_int(mi) < 0 || json_object_get_int(mc) < 0 ||
	    json_object_get_int(mi) > 999 || json_object_get_int(mc) > 999 || json_object_get_int(ma) > 4000)
		return cp_fail(-EPROTO, "malformed QMP reply from %s: query-version has no valid version",
			       c->run->req->binary);
	out->version = (unsigned)json_object_get_int(ma) * 1000000 +
		       (unsigned)json_object_get_int(mi) * 1000 + (unsigned)json_object_get_int(mc);
	free(out->package);
	out->package = cp_strdup(pkg ? pkg : "");
	if (out->version < MIN_VERSION)
		return cp_fail(-ENOTSUP, "QEMU version >= %u.%u.%u is required, but %u.%u.%u found",
			       MIN_VERSION / 1000000, MIN_VERSION / 1000 % 1000, MIN_VERSION % 1000,
			       out->version / 1000000, out->version / 1000 % 1000, out->version % 1000);
	return 0;
}

static int check_target(struct cp_qemu_probe *out, const struct ctx *c)
{
	const char *t = cp_json_str(p1_ret(c, CP_Q_TARGET), "arch");

	out->arch = arch_from_target(t);
	if (!t)
		return cp_fail(-EPROTO, "malformed QMP reply from %s: query-target has no arch",
			       c->run->req->binary);
	if (!out->arch)
		return cp_fail(-ENOTSUP, "%s: unknown architecture '%s' reported by the emulator",
			       c->run->req->binary, t);
	return 0;
}

static bool kvm_enabled(json_object *kvm)
{
	return json_object_get_boolean(cp_json_member(kvm, "present")) && json_object_get_boolean(cp_json_member(kvm, "enabled"));
}

/* ---- one pass ---- */

static bool tolerated(unsigned tol, const char *class_)
{
	return (tol & TOL_ABSENT) &&
	       (strcmp(class_, "DeviceNotFound") == 0 || strcmp(class_, "GenericError") == 0);
}

static int open_pass(struct run *run, int n, struct cp_qemu **s)
{
	const struct cp_probe_req *req = run->req;
	struct cp_qemu_opts o = {
		.binary = req->binary,
		.accel = n == 1 ? "kvm:tcg" : "tcg",
		.deadline_ms = req->deadline_ms,
		.record = run->rec[n - 1],
		.chan = CP_QEMU_CHAN_FD,
		.replay = n == 1 ? req->replay1 : req->replay2,
	};

	if ((req->replay1 || req->replay2) && !o.replay)
		return cp_fail(-ENOENT, "%s: no recorded %s pass to replay", req->binary,
			       n == 1 ? "first" : "TCG");
	return cp_qemu_open_ex(&o, s);
}

static int run_pass(struct run *run, int n)
{
	const struct cp_probe_req *req = run->req;
	struct cp_qemu_probe *out = run->out;
	struct cp_qemu_pass *ps = n == 1 ? &out->pass1 : &out->pass2;
	struct ctx c = { .run = run, .pass = n, .self = ps, .p1 = &out->pass1 };
	struct cp_qemu *s = NULL;
	bool recording = req->record_dir != NULL;
	int rc;

	snprintf(ps->accel, sizeof(ps->accel), "%s", n == 1 ? "kvm:tcg" : "tcg");
	rc = open_pass(run, n, &s);
	if (rc < 0)
		return rc;
	ps->ran = true;
	for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++) {
		const struct question *q = &questions[i];
		struct cp_qanswer *a = &ps->a[q->q];
		struct cp_qmp_error err;
		json_object *args, *ret = NULL;

		if (!(q->passes & (n == 1 ? P1 : P2)))
			continue;
		if (n == 2 && !await(run, q->deps)) {
			rc = 1;		/* dropped: not an error */
			break;
		}
		if ((req->light && !q->light) || (q->record_only && !recording) || (q->when && !q->when(&c))) {
			if (n == 1)
				settle(run, BIT(q->q), false, false);
			continue;
		}
		args = q->args ? q->args(&c) : NULL;
		rc = cp_qemu_cmd(s, q->execute, args, &ret, &err);
		json_object_put(args);
		a->asked = true;
		if (rc == -EREMOTEIO && tolerated(q->tolerate, err.class_)) {
			snprintf(a->err_class, sizeof(a->err_class), "%s", err.class_);
			snprintf(a->err_desc, sizeof(a->err_desc), "%.*s", (int)sizeof(a->err_desc) - 1, err.desc);
			cp_clear_error();
			rc = 0;
		} else if (rc < 0 ||
			   (rc = cp_answer_check(q->q, ret, arch_of(&c), false, q->execute, req->binary)) < 0) {
			json_object_put(ret);
			break;
		}
		a->ret = ret;
		cp_answer_reduce(q->q, &a->ret);
		if (n == 1) {
			bool cancel = false;

			if (q->q == CP_Q_VERSION)
				rc = check_version(out, &c);
			else if (q->q == CP_Q_TARGET)
				rc = check_target(out, &c);
			else if (q->q == CP_Q_KVM)
				cancel = !(ps->kvm = kvm_enabled(ret));
			if (rc < 0) {
				run->refused = rc == -ENOTSUP;
				break;
			}
			settle(run, BIT(q->q), false, cancel);
		}
	}
	if (n == 2 && rc == 0)
		ps->kvm = false;
	/* the answers hold that memory until cp_qemu_probe_free() */
	ps->mem += cp_qemu_take_cost(s);
	cp_qemu_close(s);
	return rc;
}

static void *pass2_thread(void *arg)
{
	struct run *run = arg;
	int rc = run_pass(run, 2);

	if (rc < 0) {
		run->rc2 = rc;
		snprintf(run->err2, sizeof(run->err2), "%s", cp_last_error());
	}
	if (rc != 0)	/* failed or dropped: nothing of it is used */
		run->out->pass2.ran = false;
	return NULL;
}

/* ---- recording ---- */

static ssize_t rec_out_write(void *cookie, const char *buf, size_t len)
{
	struct rec_out *o = cookie;
	int rc = cp_write_all(o->fd, buf, len);

	if (rc < 0) {
		if (!o->err)
			o->err = -rc;
		errno = -rc;
		return 0;
	}
	return (ssize_t)len;
}

static int rec_out_close(void *cookie)
{
	struct rec_out *o = cookie;
	int rc = close(o->fd);

	o->fd = -1;
	return rc;
}

static int rec_open(struct run *run, int n)
{
	static const cookie_io_functions_t rec_io = { .write = rec_out_write, .close = rec_out_close };
	const struct cp_probe_req *req = run->req;

	for (int tries = 0; tries < 100; tries++) {
		char *name;
		uint64_t r;
		int fd;

		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = ((uint64_t)getpid() << 20) ^ (uint64_t)cp_clock_ms() ^ ((uint64_t)tries << 40);
		name = cp_asprintf(".capsprobe-pass%d-%012" PRIx64, n, r & (uint64_t)0xffffffffffff);
		/* a new file, in the directory we opened (see util/path.h) */
		fd = openat(req->record_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST) {
			free(name);
			continue;
		}
		run->rec_out[n - 1] = (struct rec_out){ .fd = fd };
		if (fd < 0 || !(run->rec[n - 1] = fopencookie(&run->rec_out[n - 1], "w", rec_io))) {
			int e = errno;

			if (fd >= 0) {
				close(fd);
				unlinkat(req->record_fd, name, 0);
			}
			free(name);
			return cp_fail(-e, "cannot create a recording in %s: %s", req->record_dir, strerror(e));
		}
		/* a recording is meant to be shared (and committed as a fixture) */
		fchmod(fd, 0644);
		run->rec_tmp[n - 1] = name;
		return 0;
	}
	return cp_fail(-EEXIST, "cannot create a recording in %s: %s", req->record_dir, strerror(EEXIST));
}

/* Give the finished recordings their names; drop unfinished ones and ones
 * that could not be written whole (a full disk, a file size limit). */
static int rec_finish(struct run *run, bool ok)
{
	const struct cp_qemu_probe *p = run->out;
	int dfd = run->req->record_fd, rc = 0;

	for (int n = 1; n <= 2; n++) {
		const struct cp_qemu_pass *ps = n == 1 ? &p->pass1 : &p->pass2;
		char *tmp = run->rec_tmp[n - 1], *dst;
		FILE *f = run->rec[n - 1];
		int werr = 0;

		if (!tmp)
			continue;
		if (fflush(f) != 0 || ferror(f))
			werr = run->rec_out[n - 1].err ? run->rec_out[n - 1].err : EIO;
		if (fclose(f) != 0 && !werr)
			werr = errno;
		run->rec[n - 1] = NULL;
		if (werr && ok && ps->ran && rc == 0)
			rc = cp_fail(-werr, "cannot write the recording of %s in %s: %s", run->req->binary,
				     run->req->record_dir, strerror(werr));
		if (!ok || !ps->ran || werr) {
			unlinkat(dfd, tmp, 0);
		} else {
			dst = cp_asprintf("%u.%u.%u-%s%s.replies",
					  p->version / 1000000, p->version / 1000 % 1000, p->version % 1000,
					  p->arch, n == 2 ? "-tcg" : ps->kvm ? "-kvm" : "");
			/* renameat replaces a link of that name, never follows it */
			if (renameat(dfd, tmp, dfd, dst) < 0 && rc == 0) {
				rc = cp_fail(-errno, "cannot rename %s/%s to %s: %s", run->req->record_dir, tmp, dst,
					     strerror(errno));
				unlinkat(dfd, tmp, 0);
			}
			free(dst);
		}
		free(tmp);
		run->rec_tmp[n - 1] = NULL;
	}
	return rc;
}

/* ---- entry points ---- */

int cp_qemu_probe(const struct cp_probe_req *req, struct cp_qemu_probe *out)
{
	struct run run = { .req = req, .out = out };
	bool need_tcg = req->need_tcg || req->record_dir;
	bool parallel = need_tcg && req->expect_kvm;
	pthread_t t2;
	int rc, trc;

	memset(out, 0, sizeof(*out));
	out->binary = cp_strdup(req->binary);
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.cv, NULL);
	if (req->record_dir && ((rc = rec_open(&run, 1)) < 0 || (rc = rec_open(&run, 2)) < 0))
		goto out;

	trc = parallel ? pthread_create(&t2, NULL, pass2_thread, &run) : -1;
	rc = run_pass(&run, 1);
	settle(&run, ~0u, true, rc < 0 || !out->pass1.kvm || !need_tcg);
	if (trc == 0) {
		pthread_join(t2, NULL);
	} else if (rc == 0 && need_tcg && out->pass1.kvm) {
		/* KVM worked though not expected: the TCG pass after all */
		run.cancel2 = false;
		run.settled = ~0u;
		pass2_thread(&run);
	}
	/* a pass 2 that failed matters only if its answers were needed */
	if (rc == 0 && run.rc2 < 0 && need_tcg && out->pass1.kvm)
		rc = cp_fail(run.rc2, "%s", run.err2);
	if (rc == 0) {
		out->kvm = out->pass1.kvm;
		out->tcg = cp_json_name_set_has(out->pass1.a[CP_Q_TYPES].ret, "tcg-accel");
		if (need_tcg && out->kvm && !out->pass2.ran)
			rc = cp_fail(-EPROTO, "%s: the TCG pass did not run", req->binary);
	}
out:
	if (req->record_dir) {
		int r2 = rec_finish(&run, rc == 0);

		if (rc == 0)
			rc = r2;
	}
	pthread_cond_destroy(&run.cv);
	pthread_mutex_destroy(&run.mu);
	/* -ENOTSUP means a refusal only (probe.h): the cache remembers those */
	if (rc == -ENOTSUP && !run.refused)
		rc = -EPROTO;
	if (rc < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", cp_last_error());
		cp_qemu_probe_free(out);
		cp_fail(rc, "%s", msg);
	}
	return rc;
}

void cp_answer_reduce(enum cp_q q, json_object **ret)
{
	json_object *set;

	if (!*ret)
		return;
	switch (q) {
	case CP_Q_TYPES:
	case CP_Q_MAX_CPU_PROPS:
	case CP_Q_NONE_MACHINE_PROPS:
	case CP_Q_PC_MACHINE_PROPS:
	case CP_Q_VIRT_MACHINE_PROPS:
		set = cp_json_name_set(*ret, "name", NULL, NULL);
		break;
	case CP_Q_CMDLINE:
		set = cp_json_name_set(*ret, "option", "parameters", "name");
		break;
	case CP_Q_SCHEMA:
		set = cp_schema_reduce(*ret);
		break;
	default:
		return;
	}
	json_object_put(*ret);
	*ret = set;
}

static void pass_free(struct cp_qemu_pass *ps)
{
	for (int i = 0; i < CP_Q_COUNT; i++)
		json_object_put(ps->a[i].ret);
	cp_json_budget_give(ps->mem);
	memset(ps, 0, sizeof(*ps));
}

void cp_qemu_probe_free(struct cp_qemu_probe *p)
{
	if (!p)
		return;
	free(p->binary);
	free(p->package);
	pass_free(&p->pass1);
	pass_free(&p->pass2);
	memset(p, 0, sizeof(*p));
}

const struct cp_qanswer *cp_probe_answer(const struct cp_qemu_probe *p, bool kvm, enum cp_q q)
{
	if ((unsigned)q >= CP_Q_COUNT)
		return NULL;
	if (!kvm && p->pass2.ran)
		for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++)
			if (questions[i].q == q && (questions[i].passes & P2))
				return &p->pass2.a[q];
	return &p->pass1.a[q];
}

bool cp_q_light(enum cp_q q)
{
	for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++)
		if (questions[i].q == q)
			return questions[i].light;
	return false;
}
