/* A stand-in for qemu-system-*: takes capsprobe's command line, speaks QMP
 * on the channel it names, and answers from a .replies file (format: see
 * src/qmp/client.h) through the product's replay (src/qmp/replay.c), so a
 * replay behaves the same in a process as in capsprobe --sysroot.
 * Test-only; never installed.
 *
 *   CAPSPROBE_FAKE_REPLIES=FILE   recorded conversation to replay (optional:
 *                                 without it, a built-in greeting and an
 *                                 empty qmp_capabilities reply)
 *   CAPSPROBE_FAKE_FAULT=MODE     misbehave: exit-at-once, garbage, hang,
 *                                 close-mid-reply, huge-message, deep-nesting,
 *                                 error-always, no-greeting, crash
 *   CAPSPROBE_FAKE_HUGE_MB=N      size of the huge message (default 65)
 *   CAPSPROBE_FAKE_FLOOD=CMD,...  answer these commands (any fault or
 *                                 none) with {"return": [ITEM,ITEM,...]}
 *                                 of about CAPSPROBE_FAKE_FLOOD_KB KiB
 *                                 (default 10240), ITEM being
 *                                 CAPSPROBE_FAKE_FLOOD_ITEM (default {}),
 *                                 sent as it is made: a reply far larger in
 *                                 memory than on the wire
 *   CAPSPROBE_FAKE_DUMP=DIR       write DIR/<pid> at start: what we were
 *                                 given (environment, open descriptors, the
 *                                 QMP socket directory's mode and owner);
 *                                 and, for tests to wait on instead of
 *                                 sleeping, DIR/<pid>.stalled once a hang or
 *                                 no-greeting fault has the client waiting
 *                                 for good, DIR/<pid>.lingering once we stay
 *                                 alive after QMP EOF
 *   CAPSPROBE_FAKE_LINGER=1       stay alive after QMP EOF, as QEMU 7.2 does
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "qmp/replay.h"
#include "util/err.h"

static struct cp_replay *replay;
static const char *fault = "";
static int chan = -1;

static void die(const char *fmt, const char *arg)
{
	fputs("fake-qemu: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static bool is_fault(const char *f)
{
	return strcmp(fault, f) == 0;
}

/* ---- loading a .replies file ---- */

/* Without a file: a QEMU 7.2 greeting and nothing recorded (qmp_capabilities
 * returns {}, any other command is CommandNotFound). */
static const char builtin_replies[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
	" \"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\n";

static void load_replies(const char *path, const char *accel)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char *text = NULL;
	size_t len = 0;

	if (path && !f)
		die("cannot open replies file %s", path);
	if (f) {
		char buf[65536];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			text = cp_realloc(text, len + n);
			memcpy(text + len, buf, n);
			len += n;
		}
		if (ferror(f))
			die("cannot read replies file %s", path);
		fclose(f);
	}
	if (cp_replay_load(text ? text : builtin_replies, text ? len : strlen(builtin_replies),
			   path ? path : "built-in replies", &replay) < 0)
		die("%s", cp_last_error());
	free(text);
	cp_replay_select(replay, accel);
}

/* ---- talking ---- */

/* DIR/<pid>.<what> in the dump directory: a handshake a test waits for
 * (made aside, then renamed, so it appears whole). */
static void mark(const char *what)
{
	const char *dir = getenv("CAPSPROBE_FAKE_DUMP");
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *f;

	if (!dir)
		return;
	snprintf(tmp, sizeof(tmp), "%s/.%d.%s", dir, (int)getpid(), what);
	snprintf(dst, sizeof(dst), "%s/%d.%s", dir, (int)getpid(), what);
	f = fopen(tmp, "w");
	if (!f || fclose(f) != 0 || rename(tmp, dst) < 0)
		die("cannot write the mark in %s", dir);
}

/* QEMU 7.2 stays alive when its QMP peer goes away; by default we do not. */
static _Noreturn void linger_or_exit(void)
{
	if (getenv("CAPSPROBE_FAKE_LINGER")) {
		mark("lingering");
		for (;;)
			pause();
	}
	exit(0);
}

static void send_raw(const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(chan, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			linger_or_exit();	/* the client went away */
		s += n;
		len -= (size_t)n;
	}
}

static void send_obj(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED);

	send_raw(s, strlen(s));
	send_raw("\r\n", 2);
}

/* Send reply (a template; not consumed) with the caller's id. */
static void answer(json_object *reply, json_object *req)
{
	json_object *r = NULL, *id;

	json_object_deep_copy(reply, &r, NULL);
	json_object_object_del(r, "id");
	if (json_object_object_get_ex(req, "id", &id))
		json_object_object_add(r, "id", json_object_get(id));
	send_obj(r);
	json_object_put(r);
}

static json_object *error_reply(const char *class_, const char *desc)
{
	json_object *r = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(class_));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(r, "error", e);
	return r;
}

/* Is req's command one CAPSPROBE_FAKE_FLOOD names? */
static bool flooded(json_object *req)
{
	const char *list = getenv("CAPSPROBE_FAKE_FLOOD"), *cmd;
	json_object *e;
	size_t n;

	if (!list || !json_object_object_get_ex(req, "execute", &e) || !json_object_is_type(e, json_type_string))
		return false;
	cmd = json_object_get_string(e);
	n = strlen(cmd);
	for (const char *p = list; (p = strstr(p, cmd)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void flood(json_object *req)
{
	const char *item = getenv("CAPSPROBE_FAKE_FLOOD_ITEM"), *kb = getenv("CAPSPROBE_FAKE_FLOOD_KB");
	size_t total = (size_t)(kb ? atol(kb) : 10240) << 10, len, fill = 0;
	static char chunk[65536];
	json_object *id = NULL;
	const char *ids;

	if (!item || !*item)
		item = "{}";
	len = strlen(item);
	if (len + 1 > sizeof(chunk))
		die("%s", "CAPSPROBE_FAKE_FLOOD_ITEM too long");
	send_raw("{\"return\": [", 12);
	for (size_t done = 0; done < total;) {
		if (fill + len + 1 > sizeof(chunk)) {
			send_raw(chunk, fill);
			done += fill;
			fill = 0;
		}
		if (done || fill)
			chunk[fill++] = ',';
		memcpy(chunk + fill, item, len);
		fill += len;
		if (done + fill >= total)
			break;
	}
	send_raw(chunk, fill);
	json_object_object_get_ex(req, "id", &id);
	ids = id ? json_object_to_json_string(id) : "null";
	send_raw("], \"id\": ", 9);
	send_raw(ids, strlen(ids));
	send_raw("}\r\n", 3);
}

static void handle(json_object *req)
{
	json_object *msgs, *r;

	if (flooded(req)) {
		flood(req);
		return;
	}
	if (is_fault("hang")) {
		static bool marked;

		if (!marked)
			mark("stalled");	/* this request is never answered */
		marked = true;
		return;
	}
	if (is_fault("garbage")) {
		send_raw("}{ this is not JSON\r\n", 21);
		return;
	}
	if (is_fault("close-mid-reply")) {
		send_raw("{\"return\": {\"half", 17);
		fputs("fake-qemu: closing mid-reply\n", stderr);
		exit(3);
	}
	if (is_fault("huge-message")) {
		const char *mb = getenv("CAPSPROBE_FAKE_HUGE_MB");
		size_t total = (size_t)(mb ? atol(mb) : 65) << 20;
		static char chunk[65536];

		memset(chunk, 'x', sizeof(chunk));
		send_raw("{\"return\": \"", 12);
		for (size_t done = 0; done < total; done += sizeof(chunk))
			send_raw(chunk, sizeof(chunk));
		send_raw("\"}\r\n", 4);
		return;
	}
	if (is_fault("deep-nesting")) {
		static char deep[2000];

		memset(deep, '[', 1000);
		memset(deep + 1000, ']', 1000);
		send_raw("{\"return\": ", 11);
		send_raw(deep, sizeof(deep));
		send_raw("}\r\n", 3);
		return;
	}
	if (is_fault("error-always")) {
		r = error_reply("GenericError", "fake error-always fault");
		answer(r, req);
		json_object_put(r);
		return;
	}
	msgs = cp_replay_respond(replay, req);
	for (size_t i = 0; i < json_object_array_length(msgs); i++)
		send_obj(json_object_array_get_idx(msgs, i));
	json_object_put(msgs);
}

/* ---- command line ---- */

/* DIR/<pid>, complete when it appears (written aside, then renamed). */
static void dump_state(const char *dir, const char *chardev)
{
	extern char **environ;
	char tmp[PATH_MAX], dst[PATH_MAX], lines[16384];
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	FILE *f;

	n += (size_t)snprintf(lines + n, sizeof(lines) - n, "pid %d\nppid %d\n", (int)getpid(),
			      (int)getppid());
	for (char **e = environ; *e && n < sizeof(lines); e++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n, "env %s\n", *e);
	while (d && (de = readdir(d)) && n < sizeof(lines)) {
		char link[300], target[PATH_MAX];
		ssize_t len;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		n += (size_t)snprintf(lines + n, sizeof(lines) - n, "fd %s %s\n", de->d_name, target);
	}
	if (d)
		closedir(d);
	if (strncmp(chardev, "socket,id=qmp,path=", 19) == 0 && n < sizeof(lines)) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s", chardev + 19);
		if (stat(dirname(path), &st) == 0)
			n += (size_t)snprintf(lines + n, sizeof(lines) - n, "sockdir %s %o %u\n", path,
					      (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	}
	if (n >= sizeof(lines))
		die("%s", "dump too long");
	snprintf(tmp, sizeof(tmp), "%s/.%d", dir, (int)getpid());
	snprintf(dst, sizeof(dst), "%s/%d", dir, (int)getpid());
	f = fopen(tmp, "w");
	if (!f || fwrite(lines, 1, n, f) != n || fclose(f) != 0 || rename(tmp, dst) < 0)
		die("cannot write the dump in %s", dir);
}

static int open_channel(const char *chardev)
{
	const char *p;
	struct stat st;

	if (strncmp(chardev, "socket,id=qmp,", 14))
		die("unsupported -chardev %s", chardev);
	p = chardev + 14;
	if (strncmp(p, "fd=", 3) == 0) {
		int fd = atoi(p + 3);

		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			die("-chardev fd=%s is not an open socket", p + 3);
		return fd;
	}
	if (strncmp(p, "path=", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p + 5);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("cannot connect to %s", p + 5);
		return fd;
	}
	die("unsupported -chardev %s", chardev);
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const flags[] = { "-S", "-no-user-config", "-nodefaults", "-nographic" };
	const char *machine = NULL, *chardev = NULL, *mon = NULL, *file, *accel;
	json_tokener *tok;
	char buf[4096];

	/* Tests put capsprobe under `ulimit -f`, which we inherit: the only
	 * files we write are a coverage build's counts at exit, and a limit
	 * meant for capsprobe must not kill the emulator over them. */
	signal(SIGXFSZ, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		bool flag = false;

		for (size_t j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
			flag |= strcmp(argv[i], flags[j]) == 0;
		if (flag)
			continue;
		if (i + 1 < argc && strcmp(argv[i], "-machine") == 0)
			machine = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-chardev") == 0)
			chardev = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-mon") == 0)
			mon = argv[++i];
		else
			die("unsupported option %s", argv[i]);
	}
	if (!machine || strncmp(machine, "none,accel=", 11))
		die("-machine %s: expected none,accel=...", machine ? machine : "missing");
	accel = machine + 11;
	if (!mon || strcmp(mon, "chardev=qmp,mode=control"))
		die("-mon %s: expected chardev=qmp,mode=control", mon ? mon : "missing");
	if (!chardev)
		die("%s", "no -chardev");
	if (getenv("CAPSPROBE_FAKE_FAULT"))
		fault = getenv("CAPSPROBE_FAKE_FAULT");
	if (is_fault("exit-at-once"))
		die("%s", "exit-at-once fault");
	file = getenv("CAPSPROBE_FAKE_REPLIES");
	load_replies(file && *file ? file : NULL, accel);
	if (getenv("CAPSPROBE_FAKE_DUMP"))
		dump_state(getenv("CAPSPROBE_FAKE_DUMP"), chardev);
	chan = open_channel(chardev);

	if (!is_fault("no-greeting"))
		send_obj(cp_replay_greeting(replay));
	else
		mark("stalled");	/* connected; the client waits for a greeting */
	if (is_fault("crash")) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}

	tok = json_tokener_new();
	for (;;) {
		ssize_t n = read(chan, buf, sizeof(buf));
		const char *p = buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		while (n > 0) {
			json_object *req = json_tokener_parse_ex(tok, p, (int)n);
			size_t used = json_tokener_get_parse_end(tok);

			if (!req && json_tokener_get_error(tok) != json_tokener_continue) {
				json_object *r = error_reply("GenericError", "JSON parse error");

				send_obj(r);
				json_object_put(r);
				json_tokener_reset(tok);
				break;
			}
			p += used;
			n -= (ssize_t)used;
			if (req) {
				json_tokener_reset(tok);
				handle(req);
				json_object_put(req);
			}
		}
	}
	json_tokener_free(tok);
	cp_replay_free(replay);
	linger_or_exit();
}
