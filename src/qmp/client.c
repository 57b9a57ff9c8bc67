#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp/process.h"
#include "qmp/client.h"
#include "util/err.h"
#include "util/jsonmem.h"

#define READ_CHUNK 65536

struct cp_qmp {
	int fd;
	struct cp_qmp_peer peer;
	struct cp_qmp_limits lim;
	json_tokener *tok;
	char *buf;
	size_t pos, have;	/* unparsed bytes are buf[pos..have) */
	size_t msg_bytes;	/* fed to the tokener for the current message */
	size_t total_bytes;
	struct cp_json_scan scan;	/* prices the current message */
	uint64_t msg_cost;	/* its cost so far */
	uint64_t total_cost;	/* the conversation's, for its cap */
	uint64_t held_cost;	/* charged to the budget and not taken */
	int64_t deadline_ms;
	int64_t timeout_ms;	/* the deadline's length, for messages */
	unsigned next_id;
	FILE *rec;
	json_object *greeting;
	int broken;		/* first fatal error; replayed by later calls */
	char broken_msg[1024];
};

struct cp_qmp *cp_qmp_new(int fd, const struct cp_qmp_peer *peer, const struct cp_qmp_limits *lim)
{
	struct cp_qmp *q = cp_calloc(1, sizeof(*q));
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	q->fd = fd;
	if (peer)
		q->peer = *peer;
	if (!q->peer.name)
		q->peer.name = "QEMU";
	q->lim.max_msg = lim && lim->max_msg ? lim->max_msg : CP_QMP_MAX_MSG;
	q->lim.max_total = lim && lim->max_total ? lim->max_total : CP_QMP_MAX_TOTAL;
	q->lim.max_depth = lim && lim->max_depth ? lim->max_depth : CP_QMP_MAX_DEPTH;
	q->lim.max_msg_cost = lim && lim->max_msg_cost ? lim->max_msg_cost : CP_QMP_MAX_MSG_COST;
	q->lim.max_total_cost = lim && lim->max_total_cost ? lim->max_total_cost : CP_QMP_MAX_TOTAL_COST;
	cp_json_scan_init(&q->scan);
	q->tok = json_tokener_new_ex(q->lim.max_depth);
	if (!q->tok)
		cp_oom();
	/* strict JSON, but several messages may share one read() */
	json_tokener_set_flags(q->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
				       JSON_TOKENER_VALIDATE_UTF8);
	q->buf = cp_malloc(READ_CHUNK);
	cp_qmp_set_deadline(q, cp_clock_ms() + 30000);
	return q;
}

void cp_qmp_free(struct cp_qmp *q)
{
	if (!q)
		return;
	if (q->rec)
		fflush(q->rec);
	json_tokener_free(q->tok);
	json_object_put(q->greeting);
	free(q->buf);
	cp_json_budget_give(q->held_cost);
	free(q);
}

uint64_t cp_qmp_take_cost(struct cp_qmp *q)
{
	uint64_t c = q->held_cost;

	q->held_cost = 0;
	return c;
}

void cp_qmp_set_deadline(struct cp_qmp *q, int64_t deadline_ms)
{
	q->deadline_ms = deadline_ms;
	q->timeout_ms = deadline_ms - cp_clock_ms();
}

void cp_qmp_record(struct cp_qmp *q, FILE *f)
{
	q->rec = f;
}

void cp_qmp_write_pretty(FILE *f, json_object *obj)
{
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputs("\n\n", f);
}

/* Each message, both ways: into the recording, and under --debug onto
 * stderr as one line ("->" sent to QEMU, "<-" received), cut at
 * CP_QMP_DEBUG_MAX bytes so a schema does not flood the terminal. */
#define CP_QMP_DEBUG_MAX 4096

static void record(struct cp_qmp *q, json_object *obj, const char *dir)
{
	if (q->rec)
		cp_qmp_write_pretty(q->rec, obj);
	if (cp_is_debug()) {
		const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
		size_t len = strlen(s);

		if (len > CP_QMP_DEBUG_MAX)
			cp_debug("qmp %s %s %.*s... (%zu bytes)", q->peer.name, dir,
				 CP_QMP_DEBUG_MAX, s, len);
		else
			cp_debug("qmp %s %s %s", q->peer.name, dir, s);
	}
}

/* Every fatal error goes through here so later calls repeat it. */
static int broken(struct cp_qmp *q, int code)
{
	q->broken = code;
	snprintf(q->broken_msg, sizeof(q->broken_msg), "%s", cp_last_error());
	return code;
}

static int fail_timeout(struct cp_qmp *q, const char *what)
{
	int64_t t = q->timeout_ms;

	if (t >= 1000)
		cp_fail(-ETIMEDOUT, "timed out after %lld s waiting for %s from %s",
			(long long)((t + 500) / 1000), what, q->peer.name);
	else
		cp_fail(-ETIMEDOUT, "timed out after %.1f s waiting for %s from %s",
			t > 0 ? (double)t / 1000 : 0.0, what, q->peer.name);
	return broken(q, -ETIMEDOUT);
}

static int fail_gone(struct cp_qmp *q, const char *what)
{
	if (q->peer.gone)
		return broken(q, q->peer.gone(q->peer.ctx, what));
	cp_fail(-ECONNRESET, "QEMU closed the QMP channel while waiting for %s", what);
	return broken(q, -ECONNRESET);
}

static int fail_malformed(struct cp_qmp *q, const char *why)
{
	cp_fail(-EPROTO, "malformed QMP reply from %s: %s", q->peer.name, why);
	return broken(q, -EPROTO);
}

/* Wait until fd is ready for events (draining the side fd meanwhile). */
static int wait_fd(struct cp_qmp *q, short events, const char *what)
{
	for (;;) {
		int side = q->peer.side_fd ? q->peer.side_fd(q->peer.ctx) : -1;
		struct pollfd pfd[2] = {
			{ .fd = q->fd, .events = events },
			{ .fd = side, .events = POLLIN },
		};
		int64_t left = q->deadline_ms - cp_clock_ms();
		int nfds = side >= 0 && q->peer.side_drain ? 2 : 1;
		int n;

		if (left <= 0)
			return fail_timeout(q, what);
		n = poll(pfd, (nfds_t)nfds, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR) {
			cp_fail(-errno, "poll: %s", strerror(errno));
			return broken(q, -errno);
		}
		if (n > 0 && nfds == 2 && pfd[1].revents)
			q->peer.side_drain(q->peer.ctx);
		if (n > 0 && pfd[0].revents)
			return 0;
	}
}

/* Price what the scanner has seen of the current message and charge it,
 * before json-c builds any of it: over a cap, the message is refused. */
static int charge(struct cp_qmp *q, const char *what)
{
	uint64_t cost = cp_json_scan_cost(&q->scan), delta = cost - q->msg_cost;

	if (cost > q->lim.max_msg_cost) {
		cp_fail(-EMSGSIZE, "%s from %s would take more than %llu MiB of memory once parsed "
			"(%llu JSON values in %zu bytes so far)", what, q->peer.name,
			CP_MIB(q->lim.max_msg_cost), (unsigned long long)cp_json_scan_values(&q->scan),
			(size_t)q->scan.bytes);
		return broken(q, -EMSGSIZE);
	}
	if (delta > q->lim.max_total_cost - q->total_cost) {
		cp_fail(-EMSGSIZE, "the QMP conversation with %s would take more than %llu MiB of memory "
			"once parsed (at %s)", q->peer.name, CP_MIB(q->lim.max_total_cost), what);
		return broken(q, -EMSGSIZE);
	}
	if (cp_json_budget_take(delta) < 0) {
		cp_fail(-ENOBUFS, "%s from %s does not fit in the %llu MiB of memory capsprobe allows for "
			"all QMP answers and cached probes at once", what, q->peer.name,
			CP_MIB(cp_json_budget_limit()));
		return broken(q, -ENOBUFS);
	}
	q->msg_cost = cost;
	q->total_cost += delta;
	q->held_cost += delta;
	return 0;
}

/* Feed buffered bytes to the tokener, never past the end of the current
 * message, and only once they are priced and charged; 1 and *out when a
 * message is done, 0 when more input is needed, <0 on error. */
static int parse_buffered(struct cp_qmp *q, const char *what, json_object **out)
{
	size_t n = q->have - q->pos, take;
	enum json_tokener_error jerr;
	json_object *obj;
	size_t used;
	int rc;

	if (!n)
		return 0;
	/* never hand the tokener more than the message may still grow by */
	if (n > q->lim.max_msg - q->msg_bytes + 1)
		n = q->lim.max_msg - q->msg_bytes + 1;
	/* a message is an object: anything else is refused unpriced */
	if (!q->scan.started) {
		const char *p = q->buf + q->pos, *e = p + n;

		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p < e && *p != '{')
			return fail_malformed(q, "a message is not a JSON object");
	}
	take = cp_json_scan(&q->scan, q->buf + q->pos, n);
	if ((rc = charge(q, what)) < 0)
		return rc;
	obj = json_tokener_parse_ex(q->tok, q->buf + q->pos, (int)take);
	jerr = json_tokener_get_error(q->tok);
	used = json_tokener_get_parse_end(q->tok);
	if (used > take)
		used = take;
	q->pos += used;
	q->msg_bytes += used;
	if (obj) {
		json_tokener_reset(q->tok);
		cp_json_scan_init(&q->scan);
		q->msg_bytes = 0;
		q->msg_cost = 0;
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return fail_malformed(q, "a message is not a JSON object");
		}
		record(q, obj, "<-");
		*out = obj;
		return 1;
	}
	if (jerr != json_tokener_continue) {
		char why[256];

		snprintf(why, sizeof(why), "%s at byte %zu of a message", json_tokener_error_desc(jerr),
			 q->msg_bytes);
		return fail_malformed(q, why);
	}
	/* the scanner saw the message end where json-c did not */
	if (q->scan.done)
		return fail_malformed(q, "a message does not end where its braces close");
	if (q->msg_bytes > q->lim.max_msg) {
		cp_fail(-EMSGSIZE, "QMP message from %s is larger than %zu bytes", q->peer.name,
			q->lim.max_msg);
		return broken(q, -EMSGSIZE);
	}
	return 0;
}

int cp_qmp_read(struct cp_qmp *q, const char *what, json_object **msg)
{
	*msg = NULL;
	if (q->broken)
		return cp_fail(q->broken, "%s", q->broken_msg);
	for (;;) {
		ssize_t n;
		int rc = parse_buffered(q, what, msg);

		if (rc)
			return rc < 0 ? rc : 0;
		q->pos = q->have = 0;
		rc = wait_fd(q, POLLIN, what);
		if (rc < 0)
			return rc;
		n = read(q->fd, q->buf, READ_CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			cp_fail(-errno, "reading QMP from %s: %s", q->peer.name, strerror(errno));
			return broken(q, -errno);
		}
		if (n <= 0)
			return fail_gone(q, what);
		q->have = (size_t)n;
		q->total_bytes += (size_t)n;
		if (q->total_bytes > q->lim.max_total) {
			cp_fail(-EMSGSIZE, "QMP conversation with %s is larger than %zu bytes",
				q->peer.name, q->lim.max_total);
			return broken(q, -EMSGSIZE);
		}
	}
}

int cp_qmp_write(struct cp_qmp *q, json_object *msg, const char *what)
{
	const char *s;
	size_t len, off = 0;
	char *line;
	int rc = 0;

	if (q->broken)
		return cp_fail(q->broken, "%s", q->broken_msg);
	s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	line = cp_asprintf("%s\r\n", s);
	len = strlen(line);
	record(q, msg, "->");
	while (off < len) {
		ssize_t n = send(q->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			rc = wait_fd(q, POLLOUT, what);
			if (rc < 0)
				break;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET) {
			rc = fail_gone(q, what);
			break;
		}
		rc = cp_fail(-errno, "writing QMP to %s: %s", q->peer.name, strerror(errno));
		rc = broken(q, rc);
		break;
	}
	free(line);
	return rc;
}

int cp_qmp_greeting(struct cp_qmp *q, json_object **greeting)
{
	json_object *msg, *qmp, *ver;
	int rc = cp_qmp_read(q, "the QMP greeting", &msg);

	if (rc < 0)
		return rc;
	if (!json_object_object_get_ex(msg, "QMP", &qmp) ||
	    !json_object_object_get_ex(qmp, "version", &ver) ||
	    !json_object_is_type(ver, json_type_object)) {
		json_object_put(msg);
		cp_fail(-EPROTO, "%s: not a QEMU (its first message is not a QMP greeting)", q->peer.name);
		return broken(q, -EPROTO);
	}
	json_object_put(q->greeting);
	q->greeting = msg;
	if (greeting)
		*greeting = msg;
	return 0;
}

json_object *cp_qmp_get_greeting(struct cp_qmp *q)
{
	return q->greeting;
}

static void copy_str(char *dst, size_t size, json_object *o)
{
	const char *s = o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : "";

	snprintf(dst, size, "%s", s);
}

int cp_qmp_command(struct cp_qmp *q, const char *execute, json_object *args,
		   json_object **ret, struct cp_qmp_error *err)
{
	json_object *req, *msg = NULL, *v;
	char what[160], id[32];
	int rc;

	if (ret)
		*ret = NULL;
	if (err)
		err->class_[0] = err->desc[0] = '\0';
	if (q->broken)
		return cp_fail(q->broken, "%s", q->broken_msg);
	snprintf(id, sizeof(id), "cp-%u", ++q->next_id);
	snprintf(what, sizeof(what), "the reply to %s", execute);
	req = json_object_new_object();
	json_object_object_add(req, "execute", json_object_new_string(execute));
	if (args)
		json_object_object_add(req, "arguments", json_object_get(args));
	json_object_object_add(req, "id", json_object_new_string(id));
	rc = cp_qmp_write(q, req, what);
	json_object_put(req);
	if (rc < 0)
		return rc;

	for (;;) {
		rc = cp_qmp_read(q, what, &msg);
		if (rc < 0)
			return rc;
		if (json_object_object_get_ex(msg, "event", NULL)) {
			json_object_put(msg);
			continue;
		}
		/* QEMU answers a request it could not parse without an id */
		if (json_object_object_get_ex(msg, "id", &v)) {
			if (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), id)) {
				json_object_put(msg);
				return fail_malformed(q, "a reply carries an unexpected id");
			}
		} else if (!json_object_object_get_ex(msg, "error", NULL)) {
			json_object_put(msg);
			return fail_malformed(q, "a message is neither a reply nor an event");
		}
		break;
	}
	if (json_object_object_get_ex(msg, "return", &v)) {
		if (ret)
			*ret = json_object_get(v);
		json_object_put(msg);
		return 0;
	}
	if (json_object_object_get_ex(msg, "error", &v) && json_object_is_type(v, json_type_object)) {
		struct cp_qmp_error e;
		json_object *c = NULL, *d = NULL;

		json_object_object_get_ex(v, "class", &c);
		json_object_object_get_ex(v, "desc", &d);
		copy_str(e.class_, sizeof(e.class_), c);
		copy_str(e.desc, sizeof(e.desc), d);
		if (err)
			*err = e;
		json_object_put(msg);
		return cp_fail(-EREMOTEIO, "%s failed: %s (%s)", execute, e.desc, e.class_);
	}
	json_object_put(msg);
	return fail_malformed(q, "a reply has neither \"return\" nor an \"error\" object");
}
