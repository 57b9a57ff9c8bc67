#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp/process.h"
#include "qmp/client.h"
#include "qmp/replay.h"
#include "qmp/session.h"
#include "util/err.h"
#include "check_skip.h"
#include "util/jsonmem.h"

/* A deadline no run that should succeed reaches, however loaded or slow
 * (sanitizers, valgrind) the machine: only the tests of timing out use a
 * short one, and they assert on what timed out, not on how fast. */
#define LONG_MS 60000

#define GREET "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, " \
	      "\"package\": \"\"}, \"capabilities\": []}}\r\n"

/* ---- a scripted QMP peer on the other end of a socketpair ----
 * Steps: "<" read one request (remember its id), ">TEXT" send TEXT,
 * "~TEXT" send TEXT one byte per write, "." close.  %ID% in TEXT becomes
 * the last request's id.  After the last step the peer waits for EOF. */
struct peer {
	pthread_t thread;
	int fd, client;
	const char *const *steps;
	char id[64];
};

static void peer_send(struct peer *p, const char *text, int bytewise)
{
	char out[16384];
	size_t n = 0;

	for (const char *s = text; *s && n < sizeof(out) - 64; ) {
		if (strncmp(s, "%ID%", 4) == 0) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", p->id);
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	for (size_t off = 0; off < n; ) {
		size_t chunk = bytewise ? 1 : n - off;
		ssize_t w = send(p->fd, out + off, chunk, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		off += (size_t)w;
		if (bytewise)
			sched_yield();
	}
}

static void peer_read_request(struct peer *p)
{
	char buf[4096];
	size_t n = 0;
	json_object *req, *id;

	while (n < sizeof(buf) - 1) {
		ssize_t r = read(p->fd, buf + n, 1);

		if (r <= 0)
			return;
		n++;
		if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
			break;
	}
	buf[n] = '\0';
	req = json_tokener_parse(buf);
	if (req && json_object_object_get_ex(req, "id", &id))
		snprintf(p->id, sizeof(p->id), "%s", json_object_get_string(id));
	json_object_put(req);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	char c;

	for (const char *const *s = p->steps; *s; s++) {
		if (**s == '<')
			peer_read_request(p);
		else if (**s == '>' || **s == '~')
			peer_send(p, *s + 1, **s == '~');
		else if (**s == '.') {
			close(p->fd);
			p->fd = -1;
			return NULL;
		}
	}
	while (read(p->fd, &c, 1) > 0)
		;
	close(p->fd);
	return NULL;
}

static struct cp_qmp *peer_start(struct peer *p, const char *const *steps,
				 const struct cp_qmp_limits *lim, int timeout_ms)
{
	int sv[2];
	struct cp_qmp *q;

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->fd = sv[1];
	p->client = sv[0];
	p->steps = steps;
	ck_assert_int_eq(pthread_create(&p->thread, NULL, peer_main, p), 0);
	q = cp_qmp_new(sv[0], NULL, lim);
	cp_qmp_set_deadline(q, cp_clock_ms() + timeout_ms);
	return q;
}

static void peer_finish(struct peer *p, struct cp_qmp *q)
{
	cp_qmp_free(q);
	close(p->client);
	pthread_join(p->thread, NULL);
}

static void assert_msg(const char *needle)
{
	ck_assert_msg(strstr(cp_last_error(), needle), "message '%s' lacks '%s'", cp_last_error(), needle);
}

/* The last error is "timed out after N s waiting for WHAT...", N the time
 * the deadline allowed: more than 0 and, but for rounding, at most
 * deadline_ms (it is counted from when the wait began, which a loaded
 * machine may delay); one decimal below a second, whole seconds above. */
static void assert_timeout_msg(const char *what, int deadline_ms)
{
	const char *msg = cp_last_error(), *p = msg + strlen("timed out after ");
	char *end, tail[256];
	double n;

	ck_assert_msg(strncmp(msg, "timed out after ", strlen("timed out after ")) == 0, "message '%s'", msg);
	n = strtod(p, &end);
	snprintf(tail, sizeof(tail), " s waiting for %s", what);
	ck_assert_msg(end > p && strncmp(end, tail, strlen(tail)) == 0, "message '%s' lacks '%s'", msg, tail);
	ck_assert_msg(n > 0 && n * 1000 <= deadline_ms + (deadline_ms < 1000 ? 50 : 500),
		      "message '%s': not within %d ms", msg, deadline_ms);
	if (deadline_ms < 1000)
		ck_assert_msg(end - p == 3 && p[1] == '.', "message '%s': not one decimal", msg);
	else
		ck_assert_msg(strspn(p, "0123456789") == (size_t)(end - p), "message '%s': not whole seconds", msg);
}

static const char *key_of(json_object *o)
{
	static const char *const keys[] = { "QMP", "execute", "event", "return", "error" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(o, keys[i], NULL))
			return keys[i];
	return "?";
}

/* ---- framing ---- */

START_TEST(framing_many_in_one_read)
{
	static const char *const steps[] = {
		">" GREET "{\"event\": \"A\"}\r\n{\"event\": \"B\"}{\"return\": {}, \"id\": \"x\"}\r\n", NULL,
	};
	static const char *const want[] = { "QMP", "event", "event", "return" };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);

	for (size_t i = 0; i < 4; i++) {
		json_object *m;

		ck_assert_int_eq(cp_qmp_read(q, "a message", &m), 0);
		ck_assert_str_eq(key_of(m), want[i]);
		json_object_put(m);
	}
	peer_finish(&p, q);
}
END_TEST

START_TEST(framing_byte_by_byte)
{
	static const char *const steps[] = {
		"~" GREET, "<",
		"~{\"event\": \"X\", \"data\": {}}\r\n"
		"{\"return\": {\"a\": [1, 2.5, {\"b\": \"c\\\"d\\u00e9\"}], \"n\": 18446744073709551552},"
		" \"id\": \"%ID%\"}\r\n",
		NULL,
	};
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);
	json_object *ret, *a, *n;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "query-x", NULL, &ret, NULL), 0);
	ck_assert(json_object_object_get_ex(ret, "a", &a));
	ck_assert_int_eq(json_object_array_length(a), 3);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(a, 2), "b")),
			 "c\"d\xc3\xa9");
	ck_assert(json_object_object_get_ex(ret, "n", &n));
	ck_assert(json_object_get_uint64(n) == 18446744073709551552ull);
	json_object_put(ret);
	peer_finish(&p, q);
}
END_TEST

/* ---- commands, ids, events, errors ---- */

START_TEST(ids_and_events)
{
	static const char *const steps[] = {
		">" GREET,
		"<", ">{\"event\": \"E1\"}\r\n{\"return\": 1, \"id\": \"%ID%\"}\r\n",
		"<", ">{\"return\": 2, \"id\": \"%ID%\"}\r\n",
		"<", ">{\"return\": 3, \"id\": \"cp-999\"}\r\n",
		NULL,
	};
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);
	json_object *ret, *args = json_object_new_object();

	json_object_object_add(args, "typename", json_object_new_string("none-machine"));
	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "a", NULL, &ret, NULL), 0);
	ck_assert_int_eq(json_object_get_int(ret), 1);
	json_object_put(ret);
	ck_assert_str_eq(p.id, "cp-1");
	ck_assert_int_eq(cp_qmp_command(q, "b", args, &ret, NULL), 0);
	ck_assert_int_eq(json_object_get_int(ret), 2);
	json_object_put(ret);
	ck_assert_str_eq(p.id, "cp-2");
	ck_assert_int_eq(cp_qmp_command(q, "c", NULL, &ret, NULL), -EPROTO);
	assert_msg("unexpected id");
	ck_assert_ptr_null(ret);
	/* the channel is out of step now: later calls repeat the failure */
	ck_assert_int_eq(cp_qmp_command(q, "d", NULL, &ret, NULL), -EPROTO);
	assert_msg("unexpected id");
	json_object_put(args);
	peer_finish(&p, q);
}
END_TEST

START_TEST(error_replies)
{
	static const char *const steps[] = {
		">" GREET,
		"<", ">{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'x' not found\"}, "
		     "\"id\": \"%ID%\"}\r\n",
		"<", ">{\"return\": {}, \"id\": \"%ID%\"}\r\n",
		"<", ">{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n",
		NULL,
	};
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);
	struct cp_qmp_error err;
	json_object *ret;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "device-list-properties", NULL, &ret, &err), -EREMOTEIO);
	ck_assert_ptr_null(ret);
	ck_assert_str_eq(err.class_, "DeviceNotFound");
	ck_assert_str_eq(err.desc, "Device 'x' not found");
	assert_msg("device-list-properties failed: Device 'x' not found (DeviceNotFound)");
	/* an error reply does not break the session */
	ck_assert_int_eq(cp_qmp_command(q, "query-kvm", NULL, &ret, &err), 0);
	ck_assert(json_object_is_type(ret, json_type_object));
	ck_assert_str_eq(err.class_, "");
	json_object_put(ret);
	/* an error without id answers a request QEMU could not parse */
	ck_assert_int_eq(cp_qmp_command(q, "x", NULL, NULL, &err), -EREMOTEIO);
	ck_assert_str_eq(err.class_, "GenericError");
	peer_finish(&p, q);
}
END_TEST

START_TEST(greeting_checked)
{
	static const char *const steps[] = { ">{\"hello\": {\"version\": 1}}\r\n", NULL };
	static const char *const ok[] = { ">" GREET, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);
	json_object *g, *v;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), -EPROTO);
	assert_msg("not a QEMU");
	peer_finish(&p, q);

	q = peer_start(&p, ok, NULL, LONG_MS);
	ck_assert_int_eq(cp_qmp_greeting(q, &g), 0);
	ck_assert_ptr_eq(g, cp_qmp_get_greeting(q));
	ck_assert(json_object_object_get_ex(json_object_object_get(g, "QMP"), "version", &v));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(json_object_object_get(v, "qemu"), "major")), 7);
	peer_finish(&p, q);
}
END_TEST

/* ---- limits and bad input ---- */

static char *big_reply(size_t len)
{
	char *s = malloc(len + 64);
	size_t n = (size_t)sprintf(s, ">{\"return\": \"");

	memset(s + n, 'x', len);
	strcpy(s + n + len, "\", \"id\": \"%ID%\"}\r\n");
	return s;
}

START_TEST(size_cap)
{
	struct cp_qmp_limits lim = { .max_msg = 1024 };
	char *big = big_reply(4096), *fits = big_reply(900);
	const char *const steps[] = { ">" GREET, "<", fits, "<", big, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, &lim, LONG_MS);
	json_object *ret;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "fits", NULL, &ret, NULL), 0);
	ck_assert_int_eq(json_object_get_string_len(ret), 900);
	json_object_put(ret);
	ck_assert_int_eq(cp_qmp_command(q, "big", NULL, &ret, NULL), -EMSGSIZE);
	assert_msg("QMP message from QEMU is larger than 1024 bytes");
	ck_assert_int_eq(cp_qmp_command(q, "again", NULL, &ret, NULL), -EMSGSIZE);
	peer_finish(&p, q);
	free(big);
	free(fits);
}
END_TEST

START_TEST(total_cap)
{
	struct cp_qmp_limits lim = { .max_total = 3000 };
	char *r = big_reply(900);
	const char *const steps[] = { ">" GREET, "<", r, "<", r, "<", r, "<", r, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, &lim, LONG_MS);
	int rc = 0, i;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	for (i = 0; i < 4 && rc == 0; i++) {
		json_object *ret;

		rc = cp_qmp_command(q, "c", NULL, &ret, NULL);
		json_object_put(ret);
	}
	ck_assert_int_eq(rc, -EMSGSIZE);
	ck_assert_int_eq(i, 4);	/* greeting + 3 replies fit in 3000 bytes */
	assert_msg("QMP conversation with QEMU is larger than 3000 bytes");
	peer_finish(&p, q);
	free(r);
}
END_TEST

static char *nested_reply(int depth)
{
	char *s = malloc((size_t)depth * 2 + 64);
	size_t n = (size_t)sprintf(s, ">{\"return\": ");

	memset(s + n, '[', (size_t)depth);
	memset(s + n + depth, ']', (size_t)depth);
	strcpy(s + n + 2 * depth, ", \"id\": \"%ID%\"}\r\n");
	return s;
}

START_TEST(depth_limit)
{
	char *deep = nested_reply(CP_QMP_MAX_DEPTH), *ok = nested_reply(CP_QMP_MAX_DEPTH - 1);
	const char *const steps[] = { ">" GREET, "<", ok, "<", deep, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);
	json_object *ret;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	/* the reply object itself is one level */
	ck_assert_int_eq(cp_qmp_command(q, "ok", NULL, &ret, NULL), 0);
	json_object_put(ret);
	ck_assert_int_eq(cp_qmp_command(q, "deep", NULL, &ret, NULL), -EPROTO);
	assert_msg("malformed QMP reply from QEMU: nesting too deep");
	peer_finish(&p, q);
	free(deep);
	free(ok);
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		">{\"return\": }\r\n",
		">{\"return\": [1, 2,], \"id\": \"%ID%\"}\r\n",	/* strict: no trailing comma */
		">{\"return\": 1 /* c */, \"id\": \"%ID%\"}\r\n",
		">[\"return\", 1]\r\n",
		">{\"return\": 1, \"id\": \"%ID%\"} junk\r\n",
		">{\"something\": 1, \"id\": \"%ID%\"}\r\n",
		">{\"return\": \"a\xff\", \"id\": \"%ID%\"}\r\n",	/* not UTF-8 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const steps[] = { ">" GREET, "<", bad[i], "<", NULL };
		struct peer p;
		struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);
		json_object *ret = NULL;
		int rc;

		ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
		rc = cp_qmp_command(q, "c", NULL, &ret, NULL);
		/* "junk" is a second message: the first reply is fine */
		if (rc == 0 && strstr(bad[i], "junk")) {
			json_object_put(ret);
			rc = cp_qmp_command(q, "d", NULL, &ret, NULL);
		}
		ck_assert_msg(rc == -EPROTO, "case %zu gave %d", i, rc);
		assert_msg("malformed QMP reply from QEMU: ");
		peer_finish(&p, q);
	}
}
END_TEST

START_TEST(timeout)
{
	static const char *const steps[] = { ">" GREET, "<", NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, 200);
	int64_t t0 = cp_clock_ms();

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "query-slow", NULL, NULL, NULL), -ETIMEDOUT);
	/* not before the deadline; and ended by it (the peer never answers:
	 * only a wait without a deadline would get near LONG_MS) */
	ck_assert_int_ge(cp_clock_ms() - t0, 150);
	ck_assert_int_lt(cp_clock_ms() - t0, LONG_MS);
	assert_timeout_msg("the reply to query-slow from QEMU", 200);
	peer_finish(&p, q);
}
END_TEST

START_TEST(eof_mid_reply)
{
	static const char *const steps[] = { ">" GREET, "<", ">{\"return\": {\"ha", ".", NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, LONG_MS);

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "query-x", NULL, NULL, NULL), -ECONNRESET);
	assert_msg("QEMU closed the QMP channel while waiting for the reply to query-x");
	peer_finish(&p, q);
}
END_TEST

/* Parse a .replies text into its objects' kinds, checking the layout. */
static int replies_kinds(const char *text, const char **kinds, int max)
{
	json_tokener *tok = json_tokener_new();
	const char *s = text;
	int n = 0;

	while (*s && n < max) {
		json_object *o;

		if (*s == '#') {
			s = strchr(s, '\n');
			ck_assert_ptr_nonnull(s);
			s++;
			continue;
		}
		if (*s == '\n') {
			s++;
			continue;
		}
		o = json_tokener_parse_ex(tok, s, (int)strlen(s));
		ck_assert_ptr_nonnull(o);
		s += json_tokener_get_parse_end(tok);
		/* the tokener may or may not have eaten the blank line */
		ck_assert_msg(strncmp(s, "\n\n", 2) == 0 || (s - text >= 3 && strncmp(s - 3, "}\n\n", 3) == 0),
			      "object not followed by a blank line: '%.20s'", s);
		json_tokener_reset(tok);
		kinds[n++] = key_of(o);
		json_object_put(o);
	}
	json_tokener_free(tok);
	return n;
}

START_TEST(recording)
{
	static const char *const steps[] = {
		">" GREET,
		"<", ">{\"event\": \"E\"}\r\n{\"return\": {\"a\": [1]}, \"id\": \"%ID%\"}\r\n",
		"<", ">{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"%ID%\"}\r\n",
		NULL,
	};
	static const char *const want[] = { "QMP", "execute", "event", "return", "execute", "error" };
	const char *kinds[16];
	struct peer p;
	struct cp_qmp *q;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_object *args = json_object_new_object(), *ret;
	int n;

	json_object_object_add(args, "typename", json_object_new_string("max-x86_64-cpu"));
	q = peer_start(&p, steps, NULL, LONG_MS);
	cp_qmp_record(q, f);
	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "qom-list-properties", args, &ret, NULL), 0);
	json_object_put(ret);
	ck_assert_int_eq(cp_qmp_command(q, "query-sev-capabilities", NULL, NULL, NULL), -EREMOTEIO);
	peer_finish(&p, q);
	fclose(f);

	n = replies_kinds(text, kinds, 16);
	ck_assert_int_eq(n, 6);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(kinds[i], want[i]);
	/* pretty: one member per line, two-space indent */
	ck_assert_ptr_nonnull(strstr(text, "\n  \"execute\": \"qom-list-properties\",\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"typename\": \"max-x86_64-cpu\""));
	json_object_put(args);
	free(text);
}
END_TEST

/* ---- processes: the fake emulator, bad binaries, real QEMU ---- */

static char tmpdir[64];

static void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_qmp.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	setenv("TMPDIR", tmpdir, 1);
	unsetenv("CAPSPROBE_FAKE_FAULT");
	unsetenv("CAPSPROBE_FAKE_REPLIES");
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *fake(void)
{
	const char *f = getenv("FAKE_QEMU");

	return f ? f : "tests/fake-qemu";
}

static const char *tmp_file(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int tmp_count(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* No child left, nothing registered, and TMPDIR holds only `allowed`. */
static void assert_clean(int allowed)
{
	int st;

	ck_assert_int_eq(waitpid(-1, &st, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert_int_eq(cp_proc_live_count(), 0);
	ck_assert_int_eq(tmp_count(), allowed);
}

static int open_fake(enum cp_qemu_chan chan, const char *accel, int timeout_ms,
		     const struct cp_qmp_limits *lim, FILE *record, struct cp_qemu **s)
{
	struct cp_qemu_opts o = {
		.binary = fake(), .accel = accel, .deadline_ms = cp_clock_ms() + timeout_ms,
		.record = record, .chan = chan, .limits = lim,
	};

	return cp_qemu_open_ex(&o, s);
}

START_TEST(fake_faults)
{
	/* Only the two timeout modes run against a deadline meant to expire,
	 * and even that one leaves a loaded machine ample time to start the
	 * fake (and have it greet), so that what timed out is always the same
	 * wait; the others get one no run reaches, so that a slow (loaded,
	 * sanitized) machine does not turn their failure into a timeout. */
	static const struct { const char *mode, *msg; int deadline_ms; } faults[] = {
		{ "exit-at-once", "exited with status 1: fake-qemu: exit-at-once fault", LONG_MS },
		{ "garbage", "malformed QMP reply from ", LONG_MS },
		{ "hang", "the reply to qmp_capabilities from ", 2000 },
		{ "close-mid-reply", "exited with status 3: fake-qemu: closing mid-reply", LONG_MS },
		{ "huge-message", "is larger than 1048576 bytes", LONG_MS },
		{ "deep-nesting", "nesting too deep", LONG_MS },
		{ "error-always", "qmp_capabilities failed: fake error-always fault (GenericError)", LONG_MS },
		{ "no-greeting", "the QMP greeting from ", 2000 },
		{ "crash", "was killed by signal 11", LONG_MS },
	};
	struct cp_qmp_limits lim = { .max_msg = 1 << 20 };

	setenv("CAPSPROBE_FAKE_HUGE_MB", "2", 1);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		for (int chan = CP_QEMU_CHAN_FD; chan <= CP_QEMU_CHAN_UNIX; chan++) {
			struct cp_qemu *s = (void *)1;
			int rc;

			setenv("CAPSPROBE_FAKE_FAULT", faults[i].mode, 1);
			rc = open_fake(chan, "kvm", faults[i].deadline_ms, &lim, NULL, &s);
			ck_assert_msg(rc < 0, "%s: opened", faults[i].mode);
			ck_assert_ptr_null(s);
			if (faults[i].deadline_ms < LONG_MS)
				assert_timeout_msg(faults[i].msg, faults[i].deadline_ms);
			else
				ck_assert_msg(strstr(cp_last_error(), faults[i].msg), "%s (chan %d): '%s'",
					      faults[i].mode, chan, cp_last_error());
			assert_clean(0);
		}
	}
	unsetenv("CAPSPROBE_FAKE_HUGE_MB");
}
END_TEST

/* cp_proc_kill_all, what the fatal-signal handler runs: every emulator
 * started and not yet stopped is killed and reaped, its socket files go,
 * and stopping it afterwards finds nothing left to do. */
START_TEST(kill_all)
{
	struct cp_proc *p[2];
	pid_t pid;

	ck_assert_int_eq(cp_proc_start(fake(), "tcg", CP_QEMU_CHAN_UNIX, cp_clock_ms() + LONG_MS, &p[0]), 0);
	ck_assert_int_eq(cp_proc_start(fake(), "tcg", CP_QEMU_CHAN_FD, cp_clock_ms() + LONG_MS, &p[1]), 0);
	ck_assert_int_eq(cp_proc_live_count(), 2);
	pid = cp_proc_pid(p[0]);
	ck_assert_int_eq(kill(pid, 0), 0);
	cp_proc_kill_all();
	ck_assert_int_eq(cp_proc_live_count(), 0);
	ck_assert_int_eq(kill(pid, 0), -1);	/* killed and reaped */
	ck_assert_int_eq(tmp_count(), 0);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	cp_proc_stop(p[0]);
	cp_proc_stop(p[1]);
	assert_clean(0);
	/* nothing running: nothing to do */
	cp_proc_kill_all();
	assert_clean(0);
}
END_TEST

START_TEST(fake_builtin)
{
	for (int chan = CP_QEMU_CHAN_FD; chan <= CP_QEMU_CHAN_UNIX; chan++) {
		struct cp_qemu *s;
		struct cp_qmp_error err;
		json_object *ret = (void *)1, *v;

		ck_assert_int_eq(open_fake(chan, "tcg", LONG_MS, NULL, NULL, &s), 0);
		ck_assert_int_eq(cp_proc_live_count(), 1);
		ck_assert(json_object_object_get_ex(json_object_object_get(cp_qemu_greeting(s), "QMP"),
						    "version", &v));
		ck_assert_int_eq(cp_qemu_cmd(s, "query-version", NULL, &ret, &err), -EREMOTEIO);
		ck_assert_ptr_null(ret);
		ck_assert_str_eq(err.class_, "CommandNotFound");
		assert_msg("query-version failed: The command query-version has not been found");
		ck_assert_int_gt(cp_qemu_pid(s), 0);
		/* the unix socket and its directory are gone once connected */
		ck_assert_int_eq(tmp_count(), 0);
		cp_qemu_close(s);
		assert_clean(0);
	}
	cp_qemu_close(NULL);
}
END_TEST

START_TEST(bad_binaries)
{
	static const struct { const char *bin, *msg; int rc; } cases[] = {
		{ "/nonexistent/qemu-system-x86_64", "/nonexistent/qemu-system-x86_64: no such file", -ENOENT },
		{ "/tmp", "/tmp: is a directory", -EISDIR },
		{ "/dev/null", "/dev/null: is not a regular file", -EACCES },
		{ NULL, ": is not executable", -EACCES },
		{ "/bin/true", "/bin/true: not a QEMU (it exited with status 0 without a QMP greeting)", 0 },
		{ "/bin/cat", "/bin/cat exited with status 1: /bin/cat: invalid option -- 'S'", 0 },
		/* talks a lot, never greets: the output is drained, the deadline
		 * holds (the one case that times out; the others must not) */
		{ "noisy", "the QMP greeting from ", 0 },
	};
	char plain[128], noisy[128];
	FILE *f;

	snprintf(noisy, sizeof(noisy), "%s", tmp_file("noisy"));
	f = fopen(noisy, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\nexec /usr/bin/yes noise\n", f);
	fclose(f);
	chmod(noisy, 0755);
	snprintf(plain, sizeof(plain), "%s", tmp_file("plain"));
	f = fopen(plain, "w");

	ck_assert_ptr_nonnull(f);
	fputs("not a program\n", f);
	fclose(f);
	chmod(plain, 0644);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *bin = !cases[i].bin ? plain : strcmp(cases[i].bin, "noisy") ? cases[i].bin : noisy;
		struct cp_qemu *s = (void *)1;
		int deadline_ms = bin == noisy ? 2000 : LONG_MS;
		int rc = cp_qemu_open(bin, "tcg", cp_clock_ms() + deadline_ms, NULL, &s);

		ck_assert_msg(rc < 0, "%s opened", bin);
		if (cases[i].rc)
			ck_assert_int_eq(rc, cases[i].rc);
		ck_assert_ptr_null(s);
		if (bin == noisy)
			assert_timeout_msg(cases[i].msg, deadline_ms);
		else
			ck_assert_msg(strstr(cp_last_error(), cases[i].msg), "%s: '%s'", bin, cp_last_error());
		assert_clean(2);
	}
	ck_assert_int_eq(cp_qemu_open(fake(), "kvm,x=1", cp_clock_ms() + LONG_MS, NULL, (struct cp_qemu **)&f),
			 -EINVAL);
	assert_msg("invalid accelerator");
	unlink(plain);
	unlink(noisy);
}
END_TEST

START_TEST(several_at_once)
{
	struct cp_qemu *s[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(open_fake(i % 2 ? CP_QEMU_CHAN_UNIX : CP_QEMU_CHAN_FD, "tcg", LONG_MS, NULL,
					   NULL, &s[i]), 0);
	ck_assert_int_eq(cp_proc_live_count(), 4);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(cp_qemu_cmd(s[i], "query-x", NULL, NULL, NULL), -EREMOTEIO);
	for (int i = 0; i < 4; i++)
		cp_qemu_close(s[i]);
	assert_clean(0);
}
END_TEST

static void *thread_probe(void *arg)
{
	long fails = 0;

	(void)arg;
	for (int i = 0; i < 5; i++) {
		struct cp_qemu *s;

		if (open_fake(i % 2 ? CP_QEMU_CHAN_UNIX : CP_QEMU_CHAN_FD, "tcg", LONG_MS, NULL, NULL, &s) < 0) {
			fails++;
			continue;
		}
		fails += cp_qemu_cmd(s, "query-x", NULL, NULL, NULL) != -EREMOTEIO;
		cp_qemu_close(s);
	}
	return (void *)fails;
}

START_TEST(threads)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_probe, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		ck_assert_int_eq((long)r, 0);
	}
	assert_clean(0);
}
END_TEST

/* Ctrl-C / kill of capsprobe takes its emulators along. */
START_TEST(signal_cleanup)
{
	static const int sigs[] = { SIGINT, SIGTERM };

	for (size_t i = 0; i < 2; i++) {
		int pfd[2], st;
		pid_t child, emu = 0;

		ck_assert_int_eq(pipe(pfd), 0);
		child = fork();
		ck_assert_int_ge(child, 0);
		if (child == 0) {
			struct cp_qemu *s[2];

			close(pfd[0]);
			/* Check's own handlers would kill the whole test; our
			 * handlers go only where the default action was */
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			cp_proc_install_handlers();
			if (open_fake(CP_QEMU_CHAN_FD, "tcg", LONG_MS, NULL, NULL, &s[0]) < 0 ||
			    open_fake(CP_QEMU_CHAN_UNIX, "tcg", LONG_MS, NULL, NULL, &s[1]) < 0)
				_exit(1);
			emu = cp_qemu_pid(s[1]);
			if (write(pfd[1], &emu, sizeof(emu)) != sizeof(emu))
				_exit(1);
			for (;;)
				pause();
		}
		close(pfd[1]);
		ck_assert_int_eq(read(pfd[0], &emu, sizeof(emu)), sizeof(emu));
		close(pfd[0]);
		ck_assert_int_eq(kill(emu, 0), 0);
		kill(child, sigs[i]);
		ck_assert_int_eq(waitpid(child, &st, 0), child);
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(WTERMSIG(st), sigs[i]);
		/* reaped by the handler, not merely orphaned */
		ck_assert_int_eq(kill(emu, 0), -1);
		ck_assert_int_eq(errno, ESRCH);
		assert_clean(0);
	}
}
END_TEST

static const char replies_text[] =
	"# a hand-written conversation\n"
	"# session accel=kvm binary=/usr/bin/qemu-system-x86_64\n"
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 1, \"major\": 9}, \"package\": \"k\"}}}\n\n"
	"{\"execute\": \"query-kvm\", \"id\": \"a\"}\n\n"
	"{\"return\": {\"enabled\": true, \"present\": true}, \"id\": \"a\"}\n\n"
	"# session accel=tcg binary=/usr/bin/qemu-system-x86_64\n"
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 1, \"major\": 9}, \"package\": \"t\"}}}\n\n"
	"{\"execute\": \"qmp_capabilities\", \"id\": \"a\"}\n\n{\"return\": {}, \"id\": \"a\"}\n\n"
	"{\"execute\": \"query-kvm\", \"arguments\": {}, \"id\": \"b\"}\n\n"
	"{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n\n"
	"{\"return\": {\"enabled\": false, \"present\": true}, \"id\": \"b\"}\n\n"
	"{\"execute\": \"qom-list-properties\", \"arguments\": {\"typename\": \"a\"}, \"id\": 7}\n\n"
	"{\"return\": [{\"name\": \"first\"}], \"id\": 7}\n\n"
	"{\"execute\": \"qom-list-properties\", \"arguments\": {\"typename\": \"b\"}, \"id\": 8}\n\n"
	"{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"no b\"}, \"id\": 8}\n\n"
	"{\"execute\": \"qom-list-properties\", \"arguments\": {\"typename\": \"a\"}, \"id\": 9}\n\n"
	"{\"return\": [{\"name\": \"second\"}], \"id\": 9}\n\n";

/* Send each command (with a "typename" argument when one is given); the
 * answers as a JSON array, an error as its class. */
static json_object *run_cmds(struct cp_qemu *s, const char *const cmds[][2], size_t n)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *args = NULL, *ret = NULL;
		struct cp_qmp_error err;
		int rc;

		if (cmds[i][1]) {
			args = json_object_new_object();
			json_object_object_add(args, "typename", json_object_new_string(cmds[i][1]));
		}
		rc = cp_qemu_cmd(s, cmds[i][0], args, &ret, &err);
		ck_assert_msg(rc == 0 || rc == -EREMOTEIO, "%s: %s", cmds[i][0], cp_last_error());
		json_object_array_add(out, rc == 0 ? ret : json_object_new_string(err.class_));
		json_object_put(args);
	}
	return out;
}

/* Run the fixed script against a session; return the answers as a JSON array. */
static json_object *script(struct cp_qemu *s)
{
	static const char *const cmds[][2] = {
		{ "query-kvm", NULL }, { "qom-list-properties", "a" }, { "qom-list-properties", "b" },
		{ "qom-list-properties", "a" }, { "qom-list-properties", "a" }, { "query-nothing", NULL },
	};
	return run_cmds(s, cmds, sizeof(cmds) / sizeof(cmds[0]));
}

START_TEST(replay_and_rerecord)
{
	char rec[128], path[128];
	struct cp_qemu *s;
	json_object *a, *b, *v;
	FILE *f, *recf;

	/* tmp_file's buffer is shared: keep copies */
	snprintf(rec, sizeof(rec), "%s", tmp_file("rerecorded.replies"));
	snprintf(path, sizeof(path), "%s", tmp_file("hand.replies"));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(replies_text, f);
	fclose(f);
	setenv("CAPSPROBE_FAKE_REPLIES", path, 1);

	/* accel picks the session; the greeting comes from the file */
	recf = fopen(rec, "w");
	ck_assert_ptr_nonnull(recf);
	ck_assert_int_eq(open_fake(CP_QEMU_CHAN_FD, "tcg", LONG_MS, NULL, recf, &s), 0);
	v = json_object_object_get(json_object_object_get(cp_qemu_greeting(s), "QMP"), "version");
	v = json_object_object_get(v, "package");
	ck_assert_str_eq(json_object_get_string(v), "t");
	a = script(s);
	cp_qemu_close(s);
	ck_assert_int_eq(fclose(recf), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
			 "[{\"enabled\":false,\"present\":true},[{\"name\":\"first\"}],\"DeviceNotFound\","
			 "[{\"name\":\"second\"}],[{\"name\":\"second\"}],\"CommandNotFound\"]");

	/* the recording of that conversation replays to the same answers */
	setenv("CAPSPROBE_FAKE_REPLIES", rec, 1);
	ck_assert_int_eq(open_fake(CP_QEMU_CHAN_UNIX, "tcg", LONG_MS, NULL, NULL, &s), 0);
	b = script(s);
	cp_qemu_close(s);
	ck_assert(json_object_equal(a, b));
	json_object_put(b);

	/* the in-process replay (no process at all) answers the same */
	{
		struct cp_replay *r;
		struct cp_qemu_opts o = {
			.binary = "/usr/bin/qemu-system-x86_64", .accel = "tcg",
			.deadline_ms = cp_clock_ms() + LONG_MS,
		};

		ck_assert_int_eq(cp_replay_load(replies_text, strlen(replies_text), "hand.replies", &r), 0);
		o.replay = r;
		ck_assert_int_eq(cp_qemu_open_ex(&o, &s), 0);
		ck_assert_int_eq(cp_qemu_pid(s), 0);
		ck_assert_int_eq(cp_proc_live_count(), 0);
		b = script(s);
		cp_qemu_close(s);
		cp_replay_free(r);
		ck_assert(json_object_equal(a, b));
		json_object_put(b);
	}
	json_object_put(a);

	/* the other session */
	setenv("CAPSPROBE_FAKE_REPLIES", path, 1);
	ck_assert_int_eq(open_fake(CP_QEMU_CHAN_FD, "kvm", LONG_MS, NULL, NULL, &s), 0);
	ck_assert_int_eq(cp_qemu_cmd(s, "query-kvm", NULL, &a, NULL), 0);
	ck_assert(json_object_get_boolean(json_object_object_get(a, "enabled")));
	json_object_put(a);
	cp_qemu_close(s);
	unlink(path);
	unlink(rec);
	assert_clean(0);
}
END_TEST

/* ---- process groups: what a program starts goes with it ---- */

/* pid has ended (gone, or a zombie no one reaped yet), within 10 s. */
static bool ended(pid_t pid)
{
	for (int i = 0; i < 1000; i++) {
		char path[64], buf[512], *p;
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			return true;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!p || p[1] != ' ' || p[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

/* A script that runs the fake emulator without exec, as some distribution
 * wrappers do; the fake stays after QMP EOF (CAPSPROBE_FAKE_LINGER) and
 * writes DIR/<pid> when it starts. */
static const char *wrapper(const char *dumpdir)
{
	static char path[128];
	char *real = realpath(fake(), NULL);
	FILE *f;

	ck_assert_ptr_nonnull(real);
	snprintf(path, sizeof(path), "%s", tmp_file("wrapper"));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n'%s' \"$@\"\nexit $?\n", real);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	free(real);
	setenv("CAPSPROBE_FAKE_LINGER", "1", 1);
	setenv("CAPSPROBE_FAKE_DUMP", dumpdir, 1);
	return path;
}

/* The pid of the one fake that wrote into dir. */
static pid_t dumped_pid(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	pid_t pid = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			ck_assert_int_eq(pid, 0);
			pid = atoi(e->d_name);
		}
	closedir(d);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static void empty_dir(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -f %s/*", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A wrapper script's QEMU dies with the wrapper when the session closes;
 * in unix mode the QEMU under the wrapper may connect. */
START_TEST(wrapper_stopped_with_its_qemu)
{
	char dumps[] = "/tmp/check_qmp_dumps.XXXXXX";
	const char *w;

	ck_assert_ptr_nonnull(mkdtemp(dumps));
	w = wrapper(dumps);
	for (int chan = CP_QEMU_CHAN_FD; chan <= CP_QEMU_CHAN_UNIX; chan++) {
		struct cp_qemu_opts o = {
			.binary = w, .accel = "tcg", .deadline_ms = cp_clock_ms() + 20000, .chan = chan,
		};
		struct cp_qemu *s;
		pid_t inner;

		empty_dir(dumps);
		ck_assert_msg(cp_qemu_open_ex(&o, &s) == 0, "chan %d: %s", chan, cp_last_error());
		inner = dumped_pid(dumps);
		/* the control: QEMU is not the process we started */
		ck_assert_int_ne(inner, cp_qemu_pid(s));
		ck_assert_int_eq(kill(inner, 0), 0);
		cp_qemu_close(s);
		ck_assert_msg(ended(inner), "chan %d: the wrapper's QEMU %d outlived the session", chan,
			      (int)inner);
		assert_clean(1);	/* the wrapper script */
	}
	unsetenv("CAPSPROBE_FAKE_LINGER");
	unsetenv("CAPSPROBE_FAKE_DUMP");
	empty_dir(dumps);
	rmdir(dumps);
}
END_TEST

/* SIGKILL of the process that started it: the guard kills the group, so
 * even a QEMU that the kernel's parent-death signal does not reach (a
 * wrapper's child here) dies. */
START_TEST(sigkill_takes_the_group)
{
	char dumps[] = "/tmp/check_qmp_dumps.XXXXXX";
	const char *w;
	int pfd[2], st;
	pid_t child, emu = 0, inner;

	ck_assert_ptr_nonnull(mkdtemp(dumps));
	w = wrapper(dumps);
	ck_assert_int_eq(pipe(pfd), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct cp_qemu *s;

		close(pfd[0]);
		if (cp_qemu_open(w, "tcg", cp_clock_ms() + 20000, NULL, &s) < 0)
			_exit(1);
		emu = cp_qemu_pid(s);
		if (write(pfd[1], &emu, sizeof(emu)) != sizeof(emu))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &emu, sizeof(emu)), sizeof(emu));
	close(pfd[0]);
	inner = dumped_pid(dumps);
	ck_assert_int_ne(inner, emu);
	ck_assert_int_eq(kill(inner, 0), 0);
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(ended(inner), "the wrapper's QEMU %d outlived SIGKILL of its starter", (int)inner);
	ck_assert_msg(ended(emu), "the wrapper %d outlived SIGKILL of its starter", (int)emu);
	unsetenv("CAPSPROBE_FAKE_LINGER");
	unsetenv("CAPSPROBE_FAKE_DUMP");
	empty_dir(dumps);
	rmdir(dumps);
	assert_clean(1);
}
END_TEST

/* A helper run for its output: status, limits, and its children. */
START_TEST(capture)
{
	char *out = (char *)1;
	char *const ok[] = { "/bin/sh", "-c", "echo hello; echo noise >&2", NULL };
	char *const fails[] = { "/bin/sh", "-c", "echo half; echo 'no such thing' >&2; exit 3", NULL };
	char *const hangs[] = { "/bin/sh", "-c", "sleep 60", NULL };
	/* exits at once; its child keeps the output pipe open */
	char *const holds[] = { "/bin/sh", "-c", "sleep 60 & echo $!", NULL };
	char *const floods[] = { "/bin/sh", "-c", "while :; do echo xxxxxxxxxxxxxxx; done", NULL };
	char *const missing[] = { "/nonexistent/swtpm_setup", NULL };
	pid_t held;

	ck_assert_int_eq(cp_proc_capture(ok, cp_clock_ms() + 20000, 100, &out), 0);
	ck_assert_str_eq(out, "hello\n");
	free(out);
	assert_clean(0);

	ck_assert_int_lt(cp_proc_capture(fails, cp_clock_ms() + 20000, 100, &out), 0);
	ck_assert_ptr_null(out);
	assert_msg("/bin/sh exited with status 3: no such thing");
	assert_clean(0);

	ck_assert_int_eq(cp_proc_capture(hangs, cp_clock_ms() + 300, 100, &out), -ETIMEDOUT);
	assert_msg("/bin/sh timed out after 0.3 s");
	assert_clean(0);

	ck_assert_int_eq(cp_proc_capture(holds, cp_clock_ms() + 20000, 100, &out), 0);
	held = atoi(out);
	free(out);
	ck_assert_int_gt(held, 0);
	ck_assert_msg(ended(held), "the helper's child %d outlived it", (int)held);
	assert_clean(0);

	ck_assert_int_eq(cp_proc_capture(floods, cp_clock_ms() + 20000, 1000, &out), -EMSGSIZE);
	assert_msg("/bin/sh printed more than 1000 bytes");
	assert_clean(0);

	ck_assert_int_eq(cp_proc_capture(missing, cp_clock_ms() + 20000, 100, &out), -ENOENT);
	assert_clean(0);
}
END_TEST

#define REAL_QEMU "/usr/bin/qemu-system-x86_64"

static json_object *real_script(struct cp_qemu *s)
{
	static const char *const cmds[][2] = {
		{ "query-version", NULL }, { "query-target", NULL }, { "query-kvm", NULL },
		{ "qom-list-properties", "none-machine" }, { "device-list-properties", "no-such-device" },
		{ "query-tpm-models", NULL },
	};
	return run_cmds(s, cmds, sizeof(cmds) / sizeof(cmds[0]));
}

START_TEST(real_qemu_record_replay)
{
	const char *rec = tmp_file("real.replies");
	struct cp_qemu *s;
	json_object *a, *b, *v;

	if (access(REAL_QEMU, X_OK) != 0)
		SKIP_TEST("no " REAL_QEMU);
	for (int chan = CP_QEMU_CHAN_FD; chan <= CP_QEMU_CHAN_UNIX; chan++) {
		FILE *recf = chan == CP_QEMU_CHAN_FD ? fopen(rec, "w") : NULL;
		struct cp_qemu_opts o = {
			.binary = REAL_QEMU, .accel = "tcg", .deadline_ms = cp_clock_ms() + LONG_MS,
			.record = recf, .chan = chan,
		};

		ck_assert(chan != CP_QEMU_CHAN_FD || recf);
		ck_assert_msg(cp_qemu_open_ex(&o, &s) == 0, "%s", cp_last_error());
		a = real_script(s);
		cp_qemu_close(s);
		if (recf)
			ck_assert_int_eq(fclose(recf), 0);
		assert_clean(chan == CP_QEMU_CHAN_FD ? 1 : 0);
		v = json_object_array_get_idx(a, 0);
		ck_assert_int_ge(json_object_get_int(json_object_object_get(
			json_object_object_get(v, "qemu"), "major")), 4);
		ck_assert_str_eq(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(a, 1), "arch")), "x86_64");
		/* tcg: KVM is not enabled even when present */
		ck_assert(!json_object_get_boolean(json_object_object_get(json_object_array_get_idx(a, 2),
									   "enabled")));
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(a, 4)), "DeviceNotFound");
		if (chan == CP_QEMU_CHAN_FD) {
			/* replay the recording: same answers from the fake */
			setenv("CAPSPROBE_FAKE_REPLIES", rec, 1);
			ck_assert_int_eq(open_fake(CP_QEMU_CHAN_FD, "tcg", LONG_MS, NULL, NULL, &s), 0);
			b = real_script(s);
			cp_qemu_close(s);
			ck_assert_msg(json_object_equal(a, b), "replay differs:\n%s\n%s",
				      json_object_to_json_string(a), json_object_to_json_string(b));
			json_object_put(b);
			unsetenv("CAPSPROBE_FAKE_REPLIES");
			unlink(rec);
		}
		json_object_put(a);
	}
	assert_clean(0);
}
END_TEST

/* ---- memory: replies priced before json-c builds them ---- */

/* ">{"return": [ITEM,...], "id": ...}" of n items */
static char *items_reply(const char *item, size_t n)
{
	size_t il = strlen(item), p;
	char *s = malloc(n * (il + 1) + 64);

	p = (size_t)sprintf(s, ">{\"return\": [");
	for (size_t i = 0; i < n; i++)
		p += (size_t)sprintf(s + p, "%s%s", i ? "," : "", item);
	strcpy(s + p, "], \"id\": \"%ID%\"}\r\n");
	return s;
}

START_TEST(message_cost_cap)
{
	/* 40 empty objects fit in 64 KiB of memory, 100 do not, though the
	 * text of either is far below any size cap */
	struct cp_qmp_limits lim = { .max_msg_cost = 64 << 10 };
	char *fits = items_reply("{}", 40), *dear = items_reply("{}", 100);
	const char *const steps[] = { ">" GREET, "<", fits, "<", dear, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, &lim, 2000);
	json_object *ret;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "fits", NULL, &ret, NULL), 0);
	ck_assert_int_eq(json_object_array_length(ret), 40);
	json_object_put(ret);
	ck_assert_int_eq(cp_qmp_command(q, "dear", NULL, &ret, NULL), -EMSGSIZE);
	assert_msg("the reply to dear from QEMU would take more than 0 MiB of memory once parsed (");
	ck_assert_ptr_null(ret);
	ck_assert_int_eq(cp_qmp_command(q, "again", NULL, &ret, NULL), -EMSGSIZE);
	peer_finish(&p, q);
	/* all of it given back with the conversation */
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	free(fits);
	free(dear);
}
END_TEST

START_TEST(conversation_cost_cap)
{
	struct cp_qmp_limits lim = { .max_total_cost = 100 << 10 };
	char *r = items_reply("[]", 80);	/* ~35 KiB each */
	const char *const steps[] = { ">" GREET, "<", r, "<", r, "<", r, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, &lim, 2000);
	json_object *ret = NULL;
	int rc = 0, i;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	for (i = 0; i < 3 && rc == 0; i++) {
		rc = cp_qmp_command(q, "c", NULL, &ret, NULL);
		json_object_put(ret);
	}
	ck_assert_int_eq(rc, -EMSGSIZE);
	ck_assert_int_eq(i, 3);
	assert_msg("the QMP conversation with QEMU would take more than 0 MiB of memory once parsed "
		   "(at the reply to c)");
	peer_finish(&p, q);
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	free(r);
}
END_TEST

START_TEST(process_budget)
{
	char *r = items_reply("{}", 60);
	const char *const steps[] = { ">" GREET, "<", r, "<", r, NULL };
	struct peer p;
	struct cp_qmp *q = peer_start(&p, steps, NULL, 2000);
	json_object *ret;
	uint64_t held;

	ck_assert_int_eq(cp_qmp_greeting(q, NULL), 0);
	ck_assert_int_eq(cp_qmp_command(q, "c", NULL, &ret, NULL), 0);
	/* what the answers hold passes to the caller, who gives it back */
	held = cp_qmp_take_cost(q);
	json_object_put(ret);
	ck_assert_uint_gt(held, 60 * CP_JSON_COST_OBJECT);
	ck_assert_uint_eq(cp_json_budget_used(), held);
	/* the whole process may hold only a little more */
	cp_json_budget_set_limit(held + 1024);
	ck_assert_int_eq(cp_qmp_command(q, "d", NULL, &ret, NULL), -ENOBUFS);
	assert_msg("the reply to d from QEMU does not fit in the 0 MiB of memory capsprobe allows");
	peer_finish(&p, q);
	cp_json_budget_set_limit(0);
	ck_assert_uint_eq(cp_json_budget_used(), held);
	cp_json_budget_give(held);
	free(r);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("qmp");
	TCase *tc = tcase_create("protocol");
	TCase *tp = tcase_create("process");
	TCase *tm = tcase_create("memory");

	tcase_add_test(tc, framing_many_in_one_read);
	tcase_add_test(tc, framing_byte_by_byte);
	tcase_add_test(tc, ids_and_events);
	tcase_add_test(tc, error_replies);
	tcase_add_test(tc, greeting_checked);
	tcase_add_test(tc, size_cap);
	tcase_add_test(tc, total_cap);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, eof_mid_reply);
	tcase_add_test(tc, recording);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tp, tmp_setup, tmp_teardown);
	tcase_add_test(tp, fake_faults);
	tcase_add_test(tp, fake_builtin);
	tcase_add_test(tp, kill_all);
	tcase_add_test(tp, bad_binaries);
	tcase_add_test(tp, several_at_once);
	tcase_add_test(tp, threads);
	tcase_add_test(tp, signal_cleanup);
	tcase_add_test(tp, wrapper_stopped_with_its_qemu);
	tcase_add_test(tp, sigkill_takes_the_group);
	tcase_add_test(tp, capture);
	tcase_add_test(tp, replay_and_rerecord);
	tcase_add_test(tp, real_qemu_record_replay);
	tcase_set_timeout(tp, 60);
	suite_add_tcase(s, tp);

	tcase_add_test(tm, message_cost_cap);
	tcase_add_test(tm, conversation_cost_cap);
	tcase_add_test(tm, process_budget);
	tcase_set_timeout(tm, 20);
	suite_add_tcase(s, tm);
	return s;
}

#include "check_main.h"
