#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp/client.h"
#include "qmp/replay.h"
#include "util/err.h"
#include "util/jsonmem.h"

#define REPLAY_DEPTH 256	/* deeper than anything QEMU sends */

struct entry {
	json_object *request;
	json_object *events;	/* array, sent before the reply */
	/* The reply as compact text, parsed anew for each answer: a replay
	 * holds little more than its file (a parsed x86 schema alone costs
	 * 12 MiB, see util/jsonmem.h, and `host --sysroot` loads every
	 * emulator's replays at once). */
	char *reply;
	bool used;
};

struct session {
	char accel[64];
	json_object *greeting;
	struct entry *e;
	size_t n;
};

struct cp_replay {
	struct session *s;
	size_t n;
	struct session *cur;
	uint64_t mem;		/* charged to the JSON budget (util/jsonmem.h) */
};

/* ---- loading ---- */

/* Keep reply o as text; the memory charged for it parsed goes back, all
 * but the text's. */
static void keep_reply(struct cp_replay *r, struct entry *e, json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(t);
	struct cp_json_scan sc;
	uint64_t back;

	free(e->reply);
	e->reply = cp_strdup(t);
	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, t, len);
	json_object_put(o);
	/* priced from its file text (more bytes), so charged at least this */
	back = cp_json_scan_cost(&sc) - len;
	if (back > r->mem)
		back = r->mem;
	r->mem -= back;
	cp_json_budget_give(back);
}

static int add_object(struct cp_replay *r, json_object *o, const char *accel, const char *what)
{
	struct session *s = r->n ? &r->s[r->n - 1] : NULL;
	struct entry *e = s && s->n ? &s->e[s->n - 1] : NULL;

	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cp_fail(-EINVAL, "%s: a recorded message is not a JSON object", what);
	}
	if (json_object_object_get_ex(o, "QMP", NULL)) {
		r->s = cp_realloc(r->s, (r->n + 1) * sizeof(*r->s));
		s = &r->s[r->n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->accel, sizeof(s->accel), "%s", accel);
		s->greeting = o;
		return 0;
	}
	if (!s) {
		json_object_put(o);
		return cp_fail(-EINVAL, "%s: a message before any QMP greeting", what);
	}
	if (json_object_object_get_ex(o, "execute", NULL)) {
		s->e = cp_realloc(s->e, (s->n + 1) * sizeof(*s->e));
		e = &s->e[s->n++];
		memset(e, 0, sizeof(*e));
		e->request = o;
		e->events = json_object_new_array();
		return 0;
	}
	if (!e || json_object_object_get_ex(o, "event", NULL)) {
		/* events before the first request are not replayed */
		if (e)
			json_object_array_add(e->events, o);
		else
			json_object_put(o);
		return 0;
	}
	keep_reply(r, e, o);
	return 0;
}

/* Price a line before json-c parses it, with the caps a QMP client puts
 * on what QEMU sends (a replay hands each message to one), and charge it
 * to the budget until cp_replay_free(). */
static int charge_line(struct cp_replay *r, struct cp_json_scan *sc, uint64_t *done, uint64_t *priced,
		       const char *p, const char *eol, const char *what)
{
	uint64_t cur;

	while (p < eol) {
		p += cp_json_scan(sc, p, (size_t)(eol - p));
		if (cp_json_scan_cost(sc) > CP_QMP_MAX_MSG_COST)
			return cp_fail(-EMSGSIZE, "%s: a recorded message would take more than %llu MiB "
				       "of memory once parsed", what, CP_MIB(CP_QMP_MAX_MSG_COST));
		if (sc->done) {
			*done += cp_json_scan_cost(sc);
			cp_json_scan_init(sc);
		}
	}
	cur = *done + cp_json_scan_cost(sc);
	if (cur > CP_QMP_MAX_TOTAL_COST)
		return cp_fail(-EMSGSIZE, "%s: the recorded conversation would take more than %llu MiB "
			       "of memory once parsed", what, CP_MIB(CP_QMP_MAX_TOTAL_COST));
	if (cp_json_budget_take(cur - *priced) < 0)
		return cp_fail(-ENOBUFS, "%s: the recorded conversation does not fit in the %llu MiB of "
			       "memory capsprobe allows for all QMP answers and cached probes at once",
			       what, CP_MIB(cp_json_budget_limit()));
	r->mem += cur - *priced;
	*priced = cur;
	return 0;
}

int cp_replay_load(const char *text, size_t len, const char *what, struct cp_replay **out)
{
	struct cp_replay *r = cp_calloc(1, sizeof(*r));
	json_tokener *tok = json_tokener_new_ex(REPLAY_DEPTH);
	const char *p = text, *end = text + len;
	char accel[64] = "";
	bool pending = false;	/* part of a message was read */
	struct cp_json_scan sc;
	uint64_t done = 0, priced = 0;	/* cost of the messages priced whole, of all */
	int rc = 0;

	*out = NULL;
	if (!tok)
		cp_oom();
	cp_json_scan_init(&sc);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl + 1 : end;

		if (*p != '#' && (rc = charge_line(r, &sc, &done, &priced, p, eol, what)) < 0)
			break;
		if (*p == '#') {
			if (strncmp(p, "# session ", 10) == 0) {
				const char *a = strstr(p, " accel=");

				accel[0] = 0;
				if (a && a < eol)
					sscanf(a + 7, "%63[^ \n]", accel);
			}
			p = eol;
			continue;
		}
		while (p < eol) {
			json_object *o = json_tokener_parse_ex(tok, p, (int)(eol - p));
			size_t used = json_tokener_get_parse_end(tok);

			if (!o && json_tokener_get_error(tok) != json_tokener_continue) {
				rc = cp_fail(-EINVAL, "%s: malformed JSON: %s", what,
					     json_tokener_error_desc(json_tokener_get_error(tok)));
				break;
			}
			if (!o)
				for (size_t i = 0; i < used && !pending; i++)
					pending = !strchr(" \t\r\n", p[i]);
			p += used ? used : (size_t)(eol - p);
			if (o) {
				pending = false;
				json_tokener_reset(tok);
				if ((rc = add_object(r, o, accel, what)) < 0)
					break;
			}
		}
	}
	if (rc == 0 && pending)
		rc = cp_fail(-EINVAL, "%s: ends in the middle of a message", what);
	if (rc == 0 && !r->n)
		rc = cp_fail(-EINVAL, "%s: no QMP greeting recorded", what);
	json_tokener_free(tok);
	if (rc < 0) {
		cp_replay_free(r);
		return rc;
	}
	r->cur = &r->s[0];
	*out = r;
	return 0;
}

void cp_replay_free(struct cp_replay *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->s[i].n; j++) {
			json_object_put(r->s[i].e[j].request);
			json_object_put(r->s[i].e[j].events);
			free(r->s[i].e[j].reply);
		}
		free(r->s[i].e);
		json_object_put(r->s[i].greeting);
	}
	free(r->s);
	cp_json_budget_give(r->mem);
	free(r);
}

void cp_replay_select(struct cp_replay *r, const char *accel)
{
	r->cur = &r->s[0];
	for (size_t i = 0; i < r->n; i++)
		if (accel && strcmp(r->s[i].accel, accel) == 0) {
			r->cur = &r->s[i];
			return;
		}
}

json_object *cp_replay_greeting(struct cp_replay *r)
{
	return r->cur->greeting;
}

/* ---- answering ---- */

/* Absent arguments and {} mean the same to QEMU. */
static bool args_equal(json_object *a, json_object *b)
{
	if (a && json_object_is_type(a, json_type_object) && !json_object_object_length(a))
		a = NULL;
	if (b && json_object_is_type(b, json_type_object) && !json_object_object_length(b))
		b = NULL;
	if (!a || !b)
		return !a && !b;
	return json_object_equal(a, b);
}

static struct entry *find(struct session *s, json_object *req)
{
	json_object *ex, *args = NULL;
	struct entry *last = NULL;

	if (!json_object_object_get_ex(req, "execute", &ex))
		return NULL;
	json_object_object_get_ex(req, "arguments", &args);
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];
		json_object *ex2 = NULL, *args2 = NULL;

		json_object_object_get_ex(e->request, "execute", &ex2);
		json_object_object_get_ex(e->request, "arguments", &args2);
		if (!e->reply || !json_object_equal(ex, ex2) || !args_equal(args, args2))
			continue;
		if (!e->used) {
			e->used = true;
			return e;
		}
		last = e;
	}
	return last;
}

/* reply (ours) carrying req's id. */
static json_object *with_id(json_object *reply, json_object *req)
{
	json_object *id;

	json_object_object_del(reply, "id");
	if (json_object_object_get_ex(req, "id", &id))
		json_object_object_add(reply, "id", json_object_get(id));
	return reply;
}

static json_object *error_reply(const char *class_, const char *desc)
{
	json_object *tmpl = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(err, "class", json_object_new_string(class_));
	json_object_object_add(err, "desc", json_object_new_string(desc));
	json_object_object_add(tmpl, "error", err);
	return tmpl;
}

static void give_back(json_object *o, void *cost)
{
	(void)o;
	cp_json_budget_give((uint64_t)(uintptr_t)cost);
}

/* The recorded reply of e, parsed anew and charged until it is freed. */
static json_object *recorded_reply(const struct entry *e)
{
	uint64_t cost;
	int why;
	json_object *o = cp_json_parse_priced(e->reply, strlen(e->reply), REPLAY_DEPTH, CP_QMP_MAX_MSG_COST,
					      &cost, &why);

	if (!o)
		return error_reply("GenericError", why == -ENOBUFS ?
				   "the recorded reply does not fit in capsprobe's memory budget for JSON" :
				   "the recorded reply cannot be parsed");
	json_object_set_userdata(o, (void *)(uintptr_t)cost, give_back);
	return o;
}

json_object *cp_replay_respond(struct cp_replay *r, json_object *req)
{
	json_object *out = json_object_new_array(), *ex = NULL, *tmpl;
	const char *name = "";
	struct entry *e = find(r->cur, req);

	if (e) {
		for (size_t i = 0; i < json_object_array_length(e->events); i++)
			json_object_array_add(out, json_object_get(json_object_array_get_idx(e->events, i)));
		json_object_array_add(out, with_id(recorded_reply(e), req));
		return out;
	}
	if (json_object_object_get_ex(req, "execute", &ex))
		name = json_object_get_string(ex);
	if (strcmp(name, "qmp_capabilities") == 0) {
		tmpl = json_object_new_object();
		json_object_object_add(tmpl, "return", json_object_new_object());
	} else {
		char desc[256];

		snprintf(desc, sizeof(desc), "The command %s has not been found", name);
		tmpl = error_reply("CommandNotFound", desc);
	}
	json_object_array_add(out, with_id(tmpl, req));
	return out;
}

/* ---- serving ---- */

static int send_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_obj(int fd, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED);
	int rc = send_all(fd, s, strlen(s));

	return rc < 0 ? rc : send_all(fd, "\r\n", 2);
}

int cp_replay_serve(struct cp_replay *r, int fd)
{
	json_tokener *tok = json_tokener_new_ex(REPLAY_DEPTH);
	char buf[4096];
	int rc;

	if (!tok)
		cp_oom();
	rc = send_obj(fd, r->cur->greeting);
	while (rc == 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		const char *p = buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		while (n > 0 && rc == 0) {
			json_object *req = json_tokener_parse_ex(tok, p, (int)n);
			size_t used = json_tokener_get_parse_end(tok);

			if (!req && json_tokener_get_error(tok) != json_tokener_continue) {
				rc = -EPROTO;	/* our own client never sends garbage */
				break;
			}
			p += used;
			n -= (ssize_t)used;
			if (req) {
				json_object *msgs = cp_replay_respond(r, req);

				json_tokener_reset(tok);
				for (size_t i = 0; rc == 0 && i < json_object_array_length(msgs); i++)
					rc = send_obj(fd, json_object_array_get_idx(msgs, i));
				json_object_put(msgs);
				json_object_put(req);
			}
		}
	}
	json_tokener_free(tok);
	return rc == -EPIPE || rc == -ECONNRESET ? 0 : rc;
}

struct cp_replay_peer {
	struct cp_replay *r;
	int fd[2];		/* [0] client (caller's), [1] ours */
	pthread_t thread;
};

static void *serve_thread(void *arg)
{
	struct cp_replay_peer *p = arg;

	cp_replay_serve(p->r, p->fd[1]);
	/* closing our end is what the client sees as the emulator ending */
	shutdown(p->fd[1], SHUT_RDWR);
	return NULL;
}

int cp_replay_start(struct cp_replay *r, int *fd, struct cp_replay_peer **out)
{
	struct cp_replay_peer *p = cp_calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd) < 0) {
		rc = cp_fail(-errno, "socketpair: %s", strerror(errno));
		free(p);
		return rc;
	}
	p->r = r;
	rc = pthread_create(&p->thread, NULL, serve_thread, p);
	if (rc) {
		close(p->fd[0]);
		close(p->fd[1]);
		free(p);
		return cp_fail(-rc, "cannot start the replay thread: %s", strerror(rc));
	}
	*fd = p->fd[0];
	*out = p;
	return 0;
}

void cp_replay_stop(struct cp_replay_peer *p)
{
	if (!p)
		return;
	/* EOF for the server even if it is blocked writing a long reply */
	shutdown(p->fd[0], SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->fd[0]);
	close(p->fd[1]);
	free(p);
}
