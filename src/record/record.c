/* `capsprobe record DIR` (see record.h): the host probe and the <guest>
 * probes recording into DIR, then a full probe of every emulator found (in
 * parallel, each recording its own directory), then every domain request
 * those emulators serve built once against the recording root so that the
 * host files the rules read land in DIR too. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/arch.h"
#include "host/host.h"
#include "model/domcaps.h"
#include "guests/guests.h"
#include "probe/probe.h"
#include "qmp/process.h"
#include "record/record.h"
#include "domcaps/resolve.h"
#include "domcaps/rules.h"
#include "domcaps/swtpm.h"
#include "util/err.h"
#include "util/path.h"
#include "xml/caps.h"

#define REPLAY_DIR CP_FACTS_DIR "/qemu"

/* ---- the full probes, on a small pool ---- */

struct full {
	char *binary;
	bool expect_kvm;
	char *dir;		/* its conversations' directory: the name, */
	int fd;			/* and the descriptor */
	int rc;
	char *msg;
	struct cp_qemu_probe p;
};

struct pool {
	struct full *v;
	size_t n, next;
	int64_t timeout_ms;
	pthread_mutex_t mu;
};

static void *worker(void *arg)
{
	struct pool *pl = arg;

	for (;;) {
		struct full *f;
		size_t i;

		pthread_mutex_lock(&pl->mu);
		i = pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (i >= pl->n)
			return NULL;
		f = &pl->v[i];
		if (f->rc < 0)
			continue;
		{
			struct cp_probe_req req = {
				.binary = f->binary,
				.deadline_ms = cp_clock_ms() + pl->timeout_ms,
				.record_dir = f->dir,
				.record_fd = f->fd,
				.expect_kvm = f->expect_kvm,
			};

			cp_clear_error();
			f->rc = cp_qemu_probe(&req, &f->p);
			if (f->rc < 0)
				f->msg = cp_strdup(*cp_last_error() ? cp_last_error() : strerror(-f->rc));
		}
	}
}

static void run_pool(struct pool *pl)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 0 ? (size_t)cpus : 1, started = 0;
	pthread_t *t;

	if (n > pl->n)
		n = pl->n;
	pthread_mutex_init(&pl->mu, NULL);
	t = cp_calloc(n ? n : 1, sizeof(*t));
	for (size_t i = 1; i < n; i++)
		if (pthread_create(&t[started], NULL, worker, pl) == 0)
			started++;
	worker(pl);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&pl->mu);
}

/* ---- the domain requests ---- */

static bool strv_has(const struct cp_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* swtpm is asked once (recorded as the "swtpm" fact), then answered from
 * memory for every request. */
struct swtpm_once {
	const struct cp_root *root;
	int64_t timeout_ms;
	bool done;
	int rc;
	char msg[512];
	struct cp_swtpm sw;
};

static int swtpm_once(void *ctx, struct cp_swtpm *out)
{
	struct swtpm_once *s = ctx;

	if (!s->done) {
		s->done = true;
		s->rc = cp_swtpm_get(s->root, NULL, false, cp_clock_ms() + s->timeout_ms, &s->sw);
		snprintf(s->msg, sizeof(s->msg), "%s", s->rc < 0 ? cp_last_error() : "");
	}
	*out = s->sw;
	return s->rc < 0 ? cp_fail(s->rc, "%s", s->msg) : 0;
}

/* Build every (arch, virttype, machine) request the probe serves against
 * the recording root; the documents are thrown away, the reads are kept.
 * A request that fails live fails the same way replayed. */
static unsigned record_requests(const struct cp_root *root, const struct cp_qemu_probe *p,
				struct swtpm_once *sw)
{
	unsigned count = 0;

	for (size_t a = 0; a < cp_narches; a++) {
		const char *arch = cp_arches[a].name;

		if (!cp_arch_binary_supports(p->arch, arch))
			continue;
		for (int k = 0; k < 2; k++) {
			bool kvm = k == 0;
			json_object *ms;
			struct cp_strv canon = { 0 };
			size_t n;

			if (kvm ? !p->kvm : !p->tcg)
				continue;
			ms = cp_probe_answer(p, kvm, CP_Q_MACHINES)->ret;
			n = ms && json_object_is_type(ms, json_type_array) ? json_object_array_length(ms) : 0;
			/* NULL first: the preferred machine, or none at all */
			for (size_t i = 0; i <= n; i++) {
				json_object *m = i ? json_object_array_get_idx(ms, i - 1) : NULL, *name;
				char *c = NULL;

				if (m && !json_object_object_get_ex(m, "name", &name))
					continue;
				if (cp_qemu_resolve_machine(ms, p->arch, m ? json_object_get_string(name) : NULL,
							    p->binary, &c) < 0) {
					cp_clear_error();
					continue;
				}
				if (!c && i)
					continue;
				if (c && strv_has(&canon, c)) {
					free(c);
					continue;
				}
				{
					struct cp_dc_request dreq = {
						.arch = arch, .machine = c, .kvm = kvm,
						.swtpm = swtpm_once, .swtpm_ctx = sw,
					};
					struct cp_domcaps dc;

					cp_domcaps_init(&dc);
					if (cp_domcaps_build(root, p, &dreq, &dc) < 0)
						cp_clear_error();
					cp_domcaps_free(&dc);
					count++;
				}
				if (c)
					cp_strv_push(&canon, c);
			}
			cp_strv_free(&canon);
		}
	}
	return count;
}

/* ---- the whole recording ---- */

static int replay_host(const struct cp_record_opts *o, int dirfd, char **doc)
{
	struct cp_guests_opts go = {
		.emulators = o->emulators, .nemulators = o->nemulators,
		.path_env = o->path_env, .timeout_ms = o->timeout_ms,
	};
	struct cp_guests_stats gst;
	struct cp_host h = { 0 };
	struct cp_root *r;
	int rc;

	*doc = NULL;
	/* what was written, wherever the path points now */
	if ((rc = cp_root_new_at(dirfd, o->dir, &r)) < 0)
		return rc;
	rc = cp_host_probe(r, &h);
	if (rc == 0)
		rc = cp_guests_probe(r, h.cpu.arch, &go, &h, &gst);
	if (rc == 0)
		*doc = cp_caps_format(&h, CP_DOC_XML);
	cp_host_free(&h);
	cp_root_free(r);
	return rc;
}

int cp_record(const struct cp_record_opts *o, struct cp_record_stats *st)
{
	int64_t timeout = o->timeout_ms > 0 ? o->timeout_ms : CP_GUEST_TIMEOUT_MS;
	struct cp_guests_opts go = {
		.emulators = o->emulators, .nemulators = o->nemulators,
		.path_env = o->path_env, .timeout_ms = timeout, .record = o->dir,
	};
	struct cp_guests_stats gst;
	struct cp_host h = { 0 };
	struct pool pl = { .timeout_ms = timeout };
	struct cp_root *root = NULL;
	struct swtpm_once sw = { 0 };
	char *live = NULL, *replayed = NULL;
	int rc, top;

	memset(st, 0, sizeof(*st));
	/* empty: a recording merged into an older one could replay neither */
	if ((rc = cp_record_dir_open(o->dir, true, &top)) < 0)
		return rc;
	if ((rc = cp_root_new(NULL, &root)) < 0) {
		close(top);
		return rc;
	}
	if ((rc = cp_root_record_at(root, top, o->dir)) < 0)
		goto out;
	sw.root = root;
	sw.timeout_ms = timeout;

	/* 1. the host and its <guest> probes, as `host --record` */
	cp_verbose("recording the host into %s", o->dir);
	if ((rc = cp_host_probe(root, &h)) < 0)
		goto out;
	cp_host_kvm_usable(root);	/* the fact a domain replay picks passes by */
	cp_node_probe_all(root);	/* and what nodeinfo, freecell, ... read */
	if ((rc = cp_guests_probe(root, h.cpu.arch, &go, &h, &gst)) < 0)
		goto out;
	live = cp_caps_format(&h, CP_DOC_XML);

	/* 2. each emulator once, every question, both passes where KVM works */
	for (size_t i = 0; i < h.nguests; i++) {
		struct full *f = NULL;

		for (size_t k = 0; k < pl.n; k++)
			if (strcmp(pl.v[k].binary, h.guests[i].emulator) == 0)
				f = &pl.v[k];
		if (f) {
			f->expect_kvm |= h.guests[i].kvm;
			continue;
		}
		pl.v = cp_realloc(pl.v, (pl.n + 1) * sizeof(*pl.v));
		f = &pl.v[pl.n++];
		memset(f, 0, sizeof(*f));
		f->binary = cp_strdup(h.guests[i].emulator);
		f->expect_kvm = h.guests[i].kvm;
		{
			char *rel = cp_asprintf("%s%s", REPLAY_DIR, f->binary);

			f->dir = cp_asprintf("%s%s", o->dir, rel);
			if ((f->rc = cp_root_record_subdir(root, rel, &f->fd)) < 0)
				f->msg = cp_strdup(cp_last_error());
			free(rel);
		}
	}
	st->emulators = (unsigned)pl.n;
	if (pl.n) {
		cp_verbose("recording the full conversations of %zu emulator(s)", pl.n);
		run_pool(&pl);
	}

	/* 3. the host files each request's rules read (one thread: the
	 * recording root is not shared) */
	for (size_t i = 0; i < pl.n; i++) {
		struct full *f = &pl.v[i];
		unsigned n;

		if (f->rc < 0) {
			cp_warn("%s: %s; only its <guest> replays", f->binary, f->msg);
			continue;
		}
		st->full++;
		n = record_requests(root, &f->p, &sw);
		st->requests += n;
		cp_verbose("%s: recorded %u domain request(s)", f->binary, n);
		/* not needed by the replay below, which holds every emulator's
		 * recording at once (util/jsonmem.h's budget) */
		cp_qemu_probe_free(&f->p);
	}
	cp_root_free(root);
	root = NULL;

	/* 4. the recording must reproduce the live host document */
	if ((rc = replay_host(o, top, &replayed)) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", cp_last_error());
		rc = cp_fail(rc, "replaying %s fails: %s", o->dir, msg);
	} else if (strcmp(live, replayed) != 0) {
		rc = cp_fail(-EPROTO, "replaying %s does not reproduce the live host document", o->dir);
	}
out:
	for (size_t i = 0; i < pl.n; i++) {
		free(pl.v[i].binary);
		free(pl.v[i].dir);
		if (pl.v[i].fd >= 0)
			close(pl.v[i].fd);
		free(pl.v[i].msg);
		if (pl.v[i].rc == 0)
			cp_qemu_probe_free(&pl.v[i].p);
	}
	free(pl.v);
	free(live);
	free(replayed);
	cp_host_free(&h);
	cp_root_free(root);
	close(top);
	return rc;
}
