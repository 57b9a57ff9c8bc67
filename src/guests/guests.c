/* <guest> elements: which emulators, probing them in parallel, and the
 * guest model libvirt 11.3 builds from each probe (see guests.h;
 * virQEMUCapsInit, virQEMUCapsInitGuest, virQEMUCapsInitGuestFromBinary).
 *
 * A layer of its own above probe/ and cache/ (it drives the QEMU prober);
 * the host model only holds the result. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/arch.h"
#include "host/host.h"
#include "cache/lookup.h"
#include "guests/guests.h"
#include "qmp/process.h"
#include "qmp/replay.h"
#include "domcaps/resolve.h"
#include "util/err.h"
#include "util/json.h"

#define REPLAY_DIR CP_FACTS_DIR "/qemu"
#define EMULATORS_FACT "emulators"

/* ---- the model from a probe ---- */

static bool names_machine(json_object *m, const char *what)
{
	const char *name = cp_json_str(m, "name"), *alias = cp_json_str(m, "alias");

	return (name && strcmp(name, what) == 0) || (alias && strcmp(alias, what) == 0);
}

static bool listed(const struct cp_guest_machine *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return true;
	return false;
}

void cp_guest_machines(json_object *machines, const char *binary_arch,
		       struct cp_guest_machine **out, size_t *n)
{
	const struct cp_arch *a = binary_arch ? cp_arch_find(binary_arch) : NULL;
	const char *pref = a ? a->preferred_machine : NULL;
	size_t total = machines && json_object_is_type(machines, json_type_array) ?
		       json_object_array_length(machines) : 0;
	json_object **kept = cp_calloc(total, sizeof(*kept));
	struct cp_guest_machine *v;
	size_t nkept = 0, nv = 0;
	ssize_t preferred = -1, qdefault = -1, first;

	for (size_t i = 0; i < total; i++) {
		json_object *m = json_object_array_get_idx(machines, i);
		const char *name = cp_json_str(m, "name");

		/* "none" is how QEMU was started, never a guest machine */
		if (!name || strcmp(name, "none") == 0)
			continue;
		/* libvirt keeps the last match of each */
		if (pref && names_machine(m, pref))
			preferred = (ssize_t)nkept;
		if (cp_json_true(m, "is-default"))
			qdefault = (ssize_t)nkept;
		kept[nkept++] = m;
	}
	/* libvirt's preferred machine first, else QEMU's default */
	first = preferred >= 0 ? preferred : qdefault;
	if (first > 0) {
		json_object *m = kept[first];

		memmove(kept + 1, kept, (size_t)first * sizeof(*kept));
		kept[0] = m;
	}

	/* at most one inserted canonical entry per machine */
	v = cp_calloc(2 * nkept, sizeof(*v));
	for (size_t i = 0; i < nkept; i++) {
		const char *name = cp_json_str(kept[i], "name"), *alias = cp_json_str(kept[i], "alias");
		json_object *cpus = cp_json_member(kept[i], "cpu-max");
		int64_t max = cpus && json_object_is_type(cpus, json_type_int) ? json_object_get_int64(cpus) : 0;

		v[nv].name = cp_strdup(alias ? alias : name);
		v[nv].canonical = alias ? cp_strdup(name) : NULL;
		v[nv].max_cpus = max > 0 && max <= UINT_MAX ? (unsigned)max : 0;
		v[nv].deprecated = cp_json_true(kept[i], "deprecated");
		nv++;
	}
	/* every canonical name is listed in its own right, just before its alias */
	for (size_t i = 0; i < nv; i++) {
		struct cp_guest_machine c;

		if (!v[i].canonical || listed(v, nv, v[i].canonical))
			continue;
		c = (struct cp_guest_machine){
			.name = cp_strdup(v[i].canonical),
			.max_cpus = v[i].max_cpus,
			.deprecated = v[i].deprecated,
		};
		memmove(v + i + 1, v + i, (nv - i) * sizeof(*v));
		v[i] = c;
		nv++;
		i++;
	}
	free(kept);
	*out = v;
	*n = nv;
}

/* Features beyond the four every guest has. */
static const struct {
	const char *arch;
	unsigned features;
} arch_features[] = {
	{ "i686", CP_GF_PAE | CP_GF_NONPAE | CP_GF_ACPI | CP_GF_APIC },
	{ "x86_64", CP_GF_ACPI | CP_GF_APIC },
	{ "aarch64", CP_GF_ACPI },
	{ "loongarch64", CP_GF_ACPI },
};

unsigned cp_guest_features(const char *arch)
{
	unsigned f = CP_GF_CPUSELECTION | CP_GF_DEVICEBOOT | CP_GF_DISKSNAPSHOT | CP_GF_EXTERNAL_SNAPSHOT;

	for (size_t i = 0; i < sizeof(arch_features) / sizeof(arch_features[0]); i++)
		if (strcmp(arch_features[i].arch, arch) == 0)
			f |= arch_features[i].features;
	return f;
}

void cp_guest_from_probe(const char *arch, const char *emulator, const struct cp_qemu_probe *p,
			 struct cp_guest *g)
{
	const struct cp_arch *a = cp_arch_find(arch);

	memset(g, 0, sizeof(*g));
	g->os_type = "hvm";
	g->arch = a ? a->name : arch;
	g->wordsize = a ? a->wordsize : 0;
	g->emulator = cp_strdup(emulator);
	/* the KVM machine list when KVM works, else the TCG one; reordered
	 * for the binary's own arch (qemu-system-arm's armv6l guest too) */
	cp_guest_machines(cp_probe_answer(p, p->kvm, CP_Q_MACHINES)->ret, p->arch,
			  &g->machines, &g->nmachines);
	g->tcg = p->tcg;
	g->kvm = p->kvm;
	g->features = cp_guest_features(g->arch);
}

/* ---- the "emulators" fact ---- */

void cp_guest_bins_free(struct cp_guest_bin *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].binary);
	free(v);
}

int cp_guest_bins_parse(const char *text, struct cp_guest_bin **out, size_t *n)
{
	struct cp_guest_bin *v = NULL;
	size_t nv = 0, lineno = 0;
	const char *p = text;
	int rc = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line = cp_strndup(p, len), *sp;
		const struct cp_arch *a;

		lineno++;
		p += len + (p[len] == '\n');
		cp_rstrip(line);
		if (!line[0] || line[0] == '#') {
			free(line);
			continue;
		}
		sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		a = cp_arch_find(line);
		if (!sp || !a || sp[1] != '/') {
			rc = cp_fail(-EINVAL, "recorded " CP_FACTS_DIR "/" EMULATORS_FACT
				     ": line %zu is not \"<arch> <absolute path>\"", lineno);
			free(line);
			break;
		}
		for (size_t i = 0; i < nv; i++)
			if (v[i].arch == a->name)
				rc = cp_fail(-EINVAL, "recorded " CP_FACTS_DIR "/" EMULATORS_FACT
					     ": line %zu: arch %s listed twice", lineno, a->name);
		if (rc < 0) {
			free(line);
			break;
		}
		v = cp_realloc(v, (nv + 1) * sizeof(*v));
		v[nv].arch = a->name;
		v[nv].binary = cp_strdup(sp + 1);
		nv++;
		free(line);
	}
	if (rc < 0) {
		cp_guest_bins_free(v, nv);
		v = NULL;
		nv = 0;
	}
	*out = v;
	*n = nv;
	return rc;
}

char *cp_guest_bins_format(const struct cp_guest_bin *v, size_t n)
{
	struct cp_buf b = { 0 };

	for (size_t i = 0; i < n; i++)
		cp_buf_printf(&b, "%s %s\n", v[i].arch, v[i].binary);
	return cp_buf_steal(&b);
}

/* ---- which emulators ---- */

void cp_guest_search(const char *host_arch, const char *path_env,
		     bool (*exists)(const char *path, void *ctx), void *ctx,
		     struct cp_guest_bin **out, size_t *n)
{
	struct cp_guest_bin *v = cp_calloc(cp_narches, sizeof(*v));
	size_t nv = 0;

	for (size_t i = 0; i < cp_narches; i++) {
		char *bin = NULL;

		if (cp_qemu_find_binary(host_arch, cp_arches[i].name, path_env, exists, ctx, &bin) < 0) {
			cp_clear_error();
			continue;
		}
		v[nv].arch = cp_arches[i].name;
		v[nv].binary = bin;
		nv++;
	}
	*out = v;
	*n = nv;
}

/* The --emulator paths, absolute (not resolved: printed as given). */
struct given {
	struct cp_strv paths;
	const struct cp_root *replay;	/* non-NULL: only recorded ones exist */
};

static bool given_exists(const char *path, void *ctx)
{
	const struct given *g = ctx;

	for (size_t i = 0; i < g->paths.n; i++)
		if (strcmp(g->paths.v[i], path) == 0)
			return !g->replay || cp_is_dir(g->replay, REPLAY_DIR "%s", path) > 0;
	return false;
}

static bool live_exists(const char *path, void *ctx)
{
	(void)ctx;
	if (cp_proc_check_binary(path) == 0)
		return true;
	cp_clear_error();
	return false;
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return cp_strdup(path);
	return cp_asprintf("%s/%s", cwd, path);
}

/* ---- probing ---- */

struct job {
	char *binary;
	bool given;			/* an --emulator no arch name found */
	struct cp_replay *rp1, *rp2;	/* under --sysroot */
	bool expect_kvm;
	char *record_dir;		/* recording its conversation: the name, */
	int record_fd;			/* and the descriptor */
	int rc;
	char *msg;			/* failure message */
	bool cached;			/* the probe came from the cache */
	struct cp_qemu_probe probe;
};

struct run {
	const struct cp_guests_opts *o;
	bool replay;
	struct job *jobs;
	size_t njobs;
	pthread_mutex_t mu;
	size_t next;
};

/*
 * The one place a guest's probe comes from.  A live run that is not
 * recording looks up a cache entry covering req (a light probe is enough),
 * else probes and stores the result; replays and recordings bypass the
 * cache.  Runs in pool threads: everything it touches is the job's own
 * (the cache is only read and written through its directory descriptor).
 */
static int probe_binary(const struct run *run, struct job *j)
{
	int64_t timeout = run->o->timeout_ms > 0 ? run->o->timeout_ms : CP_GUEST_TIMEOUT_MS;
	int rc;
	struct cp_probe_req req = {
		.binary = j->binary,
		.deadline_ms = cp_clock_ms() + timeout,	/* each probe its own */
		.light = true,
		.record_dir = j->record_dir,
		.record_fd = j->record_fd,
		.expect_kvm = j->expect_kvm,
		.replay1 = j->rp1,
		.replay2 = j->rp2,
	};

	/* a clear message for a missing or unusable file */
	if ((rc = cp_proc_check_path_text(j->binary)) < 0 ||
	    (!run->replay && (rc = cp_proc_check_binary(j->binary)) < 0))
		return rc;
	return cp_probe_cached(run->replay ? NULL : run->o->cache, &req, run->o->refresh,
			       &j->probe, &j->cached);
}

/* Why j failed, for a line that names the emulator already: the message
 * without its own leading "BINARY: ". */
static char *job_reason(const struct job *j, const char *msg)
{
	size_t n = strlen(j->binary);

	if (strncmp(msg, j->binary, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' && msg[n + 2])
		msg += n + 2;
	return cp_strdup(msg);
}

static void *worker(void *arg)
{
	struct run *run = arg;

	for (;;) {
		struct job *j;
		size_t i;

		pthread_mutex_lock(&run->mu);
		i = run->next++;
		pthread_mutex_unlock(&run->mu);
		if (i >= run->njobs)
			break;
		j = &run->jobs[i];
		if (j->rc < 0)		/* could not even be prepared */
			continue;
		cp_clear_error();
		j->rc = probe_binary(run, j);
		if (j->rc < 0)
			j->msg = job_reason(j, *cp_last_error() ? cp_last_error() : strerror(-j->rc));
	}
	return NULL;
}

static unsigned cpu_count(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && (n = CPU_COUNT(&set)) > 0)
		return (unsigned)n;
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* Probe every job on at most o->jobs (else the CPU count) threads. */
static void run_pool(struct run *run)
{
	unsigned n = run->o->jobs ? run->o->jobs : cpu_count();
	pthread_t *t;
	unsigned started = 0;

	if (n > run->njobs)
		n = (unsigned)run->njobs;
	if (n > 1)
		cp_verbose("probing %zu emulator(s), %u at once", run->njobs, n);
	pthread_mutex_init(&run->mu, NULL);
	t = cp_calloc(n, sizeof(*t));
	/* the calling thread is one of the workers (a failed create only
	 * means fewer at once) */
	for (unsigned i = 1; i < n; i++)
		if (pthread_create(&t[started], NULL, worker, run) == 0)
			started++;
	worker(run);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&run->mu);
}

/* Probe every job; a probe that failed for want of capsprobe's own
 * resources (descriptors, processes, memory: other probes held them) is
 * tried again alone once the pool is done.  Failing even then is
 * capsprobe's error, not the emulator's: no partial answer. */
static int probe_all(struct run *run)
{
	run_pool(run);
	for (size_t i = 0; i < run->njobs; i++) {
		struct job *j = &run->jobs[i];

		if (j->rc >= 0 || !cp_proc_own_failure(j->rc))
			continue;
		for (unsigned try = 0;; try++) {
			cp_verbose("%s: probing again alone (%s)", j->binary, j->msg ? j->msg : strerror(-j->rc));
			free(j->msg);
			j->msg = NULL;
			cp_qemu_probe_free(&j->probe);
			cp_clear_error();
			j->rc = probe_binary(run, j);
			if (j->rc >= 0)
				break;
			j->msg = job_reason(j, *cp_last_error() ? cp_last_error() : strerror(-j->rc));
			/* fork's EAGAIN may outlast the pool a moment: the kernel
			 * counts a joined thread until it is fully gone */
			if (j->rc != -EAGAIN || try == 3)
				break;
			nanosleep(&(struct timespec){ 0, 50000000L << try }, NULL);
		}
		if (j->rc >= 0)
			continue;
		if (cp_proc_own_failure(j->rc))
			return strstr(j->msg, j->binary) ? cp_fail(j->rc, "%s", j->msg) :
			       cp_fail(j->rc, "cannot probe %s: %s", j->binary, j->msg);
	}
	return 0;
}

static size_t add_job(struct run *run, const char *binary, bool given)
{
	for (size_t i = 0; i < run->njobs; i++)
		if (strcmp(run->jobs[i].binary, binary) == 0)
			return i;
	run->jobs = cp_realloc(run->jobs, (run->njobs + 1) * sizeof(*run->jobs));
	memset(&run->jobs[run->njobs], 0, sizeof(*run->jobs));
	run->jobs[run->njobs].binary = cp_strdup(binary);
	run->jobs[run->njobs].given = given;
	return run->njobs++;
}

/* Replays and recording directories, made before any thread starts: the
 * root is not shared with the pool. */
static void prepare_job(const struct cp_root *r, struct run *run, struct job *j, bool kvm_fact)
{
	if (run->replay) {
		j->rc = cp_qemu_load_replays(r, j->binary, kvm_fact, &j->rp1, &j->rp2, &j->expect_kvm);
	} else if (run->o->record) {
		/* the layout a replay reads: DIR/capsprobe/qemu/<binary>/ */
		char *rel = cp_asprintf("%s%s", REPLAY_DIR, j->binary);

		j->record_dir = cp_asprintf("%s%s", run->o->record, rel);
		j->rc = cp_root_record_subdir(r, rel, &j->record_fd);
		free(rel);
	}
	if (j->rc < 0)
		j->msg = job_reason(j, cp_last_error());
}

static void job_free(struct job *j)
{
	free(j->binary);
	cp_replay_free(j->rp1);
	cp_replay_free(j->rp2);
	if (j->record_dir && j->record_fd >= 0)
		close(j->record_fd);
	free(j->record_dir);
	free(j->msg);
	cp_qemu_probe_free(&j->probe);
}

/* "arm (armv6l, armv7l)" style list of the arches a job serves. */
static char *arches_of(const struct cp_guest_bin *bins, const size_t *jobof, size_t nbins, size_t job)
{
	struct cp_buf b = { 0 };

	for (size_t i = 0; i < nbins; i++)
		if (jobof[i] == job)
			cp_buf_printf(&b, "%s%s", b.len ? ", " : "", bins[i].arch);
	return cp_buf_steal(&b);
}

int cp_guests_probe(const struct cp_root *r, const char *host_arch, const struct cp_guests_opts *o,
		    struct cp_host *h, struct cp_guests_stats *st)
{
	struct run run = { .o = o, .replay = !cp_root_live(r) };
	struct given given = { 0 };
	struct cp_guest_bin *bins = NULL;
	size_t nbins = 0, *jobof = NULL;
	bool kvm_fact = cp_host_kvm_usable(r);
	int rc = 0;

	memset(st, 0, sizeof(*st));
	/* 1. the (arch, emulator) pairs libvirt's search gives */
	if (o->nemulators) {
		struct cp_buf path = { 0 };

		given.replay = run.replay ? r : NULL;
		for (size_t i = 0; i < o->nemulators; i++) {
			char *p = absolute(o->emulators[i]);
			size_t dirlen = (size_t)(strrchr(p, '/') - p);

			cp_strv_push(&given.paths, p);
			/* the search sees the given files' directories, in order,
			 * and in them only the given files */
			if (dirlen)
				cp_buf_printf(&path, "%s%.*s", path.len ? ":" : "", (int)dirlen, p);
			else
				cp_buf_printf(&path, "%s/", path.len ? ":" : "");
		}
		cp_guest_search(host_arch, path.s, given_exists, &given, &bins, &nbins);
		cp_buf_free(&path);
	} else if (run.replay) {
		char *text = NULL;

		rc = cp_fact_read(r, EMULATORS_FACT, &text);
		if (rc == -ENOENT) {
			cp_verbose("the recorded tree lists no emulators: no <guest>");
			rc = 0;
		} else if (rc < 0) {
			rc = cp_fail(rc, "cannot read recorded " CP_FACTS_DIR "/" EMULATORS_FACT ": %s",
				     strerror(-rc));
		} else {
			rc = cp_guest_bins_parse(text, &bins, &nbins);
		}
		free(text);
		if (rc < 0)
			return rc;
	} else {
		cp_guest_search(host_arch, o->path_env, live_exists, NULL, &bins, &nbins);
		cp_verbose("searched PATH=%s for QEMU system emulators: %zu found",
			   o->path_env ? o->path_env : "(unset)", nbins);
		/* an empty <guest> list looks like a broken probe: say why */
		if (!nbins)
			cp_warn("no QEMU emulator found (no qemu-system-* in PATH): the document lists no <guest>");
	}
	if (cp_root_recording(r) && !run.replay) {
		char *fact = cp_guest_bins_format(bins, nbins);

		cp_fact_write(r, EMULATORS_FACT, fact);
		free(fact);
	}

	/* 2. one job per distinct binary, plus given ones no arch name found */
	jobof = cp_calloc(nbins, sizeof(*jobof));
	for (size_t i = 0; i < nbins; i++)
		jobof[i] = add_job(&run, bins[i].binary, false);
	for (size_t i = 0; i < given.paths.n; i++) {
		bool used = false;

		for (size_t k = 0; k < nbins; k++)
			used |= strcmp(bins[k].binary, given.paths.v[i]) == 0;
		if (!used)
			add_job(&run, given.paths.v[i], true);
	}
	for (size_t i = 0; i < run.njobs; i++)
		prepare_job(r, &run, &run.jobs[i], kvm_fact);

	/* 3. probe */
	if (run.njobs && (rc = probe_all(&run)) < 0)
		goto out;

	/* 4. given emulators no arch name found serve the arch they report */
	for (size_t i = 0; i < run.njobs; i++) {
		struct job *j = &run.jobs[i];
		const struct cp_arch *a;
		bool taken = false;

		if (!j->given || j->rc < 0)
			continue;
		a = cp_arch_find(j->probe.arch);	/* the prober knows only libvirt's arches */
		for (size_t k = 0; k < nbins; k++)
			taken |= strcmp(bins[k].arch, a->name) == 0;
		if (taken) {
			j->rc = -EEXIST;
			j->msg = cp_asprintf("its arch %s is already served by another emulator", j->probe.arch);
			continue;
		}
		bins = cp_realloc(bins, (nbins + 1) * sizeof(*bins));
		jobof = cp_realloc(jobof, (nbins + 1) * sizeof(*jobof));
		bins[nbins] = (struct cp_guest_bin){ .arch = a->name, .binary = cp_strdup(j->binary) };
		jobof[nbins++] = i;
	}

	/* 5. warnings in job order, then the guests in arch order */
	for (size_t i = 0; i < run.njobs; i++) {
		struct job *j = &run.jobs[i];
		char *arches;

		st->probed++;
		if (j->rc >= 0)
			continue;
		st->failed++;
		arches = arches_of(bins, jobof, nbins, i);
		cp_warn("no <guest> from %s%s%s%s: %s", j->binary, *arches ? " (" : "", arches,
			*arches ? ")" : "", j->msg ? j->msg : strerror(-j->rc));
		free(arches);
	}
	h->guests = cp_calloc(nbins, sizeof(*h->guests));
	for (size_t a = 0; a < cp_narches; a++)
		for (size_t i = 0; i < nbins; i++) {
			struct job *j = &run.jobs[jobof[i]];

			if (strcmp(bins[i].arch, cp_arches[a].name) || j->rc < 0)
				continue;
			cp_guest_from_probe(bins[i].arch, bins[i].binary, &j->probe, &h->guests[h->nguests++]);
		}

out:
	for (size_t i = 0; i < run.njobs; i++)
		job_free(&run.jobs[i]);
	free(run.jobs);
	free(jobof);
	cp_guest_bins_free(bins, nbins);
	cp_strv_free(&given.paths);
	return rc;
}

/* ---- `capsprobe emulators` ---- */

int cp_emulators_probe(const char *host_arch, const struct cp_guests_opts *o,
		       struct cp_emulator **out, size_t *n)
{
	struct run run = { .o = o };
	struct cp_guest_bin *bins = NULL;
	size_t nbins = 0;
	struct cp_emulator *v;
	int rc = 0;

	*out = NULL;
	*n = 0;
	cp_guest_search(host_arch, o->path_env, live_exists, NULL, &bins, &nbins);
	for (size_t i = 0; i < nbins; i++)
		add_job(&run, bins[i].binary, false);
	cp_guest_bins_free(bins, nbins);
	if (run.njobs && (rc = probe_all(&run)) < 0) {
		for (size_t i = 0; i < run.njobs; i++)
			job_free(&run.jobs[i]);
		free(run.jobs);
		return rc;
	}
	v = cp_calloc(run.njobs + 1, sizeof(*v));
	for (size_t i = 0; i < run.njobs; i++) {
		struct job *j = &run.jobs[i];

		v[i].binary = j->binary;
		j->binary = NULL;
		if (j->rc < 0) {
			v[i].error = j->msg ? j->msg : cp_strdup(strerror(-j->rc));
			j->msg = NULL;
		} else {
			v[i].arch = j->probe.arch;
			v[i].version = j->probe.version;
			v[i].kvm = j->probe.kvm;
			v[i].cached = j->cached;
		}
		job_free(j);
	}
	*out = v;
	*n = run.njobs;
	free(run.jobs);
	return 0;
}

void cp_emulators_free(struct cp_emulator *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].binary);
		free(v[i].error);
	}
	free(v);
}
