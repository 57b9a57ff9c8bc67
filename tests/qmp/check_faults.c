/* Faults and hostile surroundings (issue 6), at the library level:
 * - what QEMU is given: a clean environment, descriptors 0-2 and the QMP
 *   channel only, a 0700 directory for the unix-socket channel;
 * - a SIGKILLed capsprobe takes its emulators along (PR_SET_PDEATHSIG),
 *   even an emulator that, like QEMU 7.2, outlives QMP EOF;
 * - a flooded firmware descriptor directory costs bounded time;
 * - a recorded tree cannot point a read outside itself or make it endless.
 * tests/fake-qemu writes what it was given when CAPSPROBE_FAKE_DUMP is set
 * and lingers after QMP EOF with CAPSPROBE_FAKE_LINGER. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domcaps/firmware.h"
#include "qmp/process.h"
#include "qmp/session.h"
#include "util/err.h"
#include "util/path.h"
#include "util/str.h"

/* A deadline or wait no run that should succeed reaches, however loaded or
 * slow (sanitizers, valgrind) the machine: waits end on what happened. */
#define LONG_MS 60000

static char tmp[64];

static void tmp_setup(void)
{
	snprintf(tmp, sizeof(tmp), "%s/check_faults-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void tmp_teardown(void)
{
	char *cmd = cp_asprintf("rm -rf '%s'", tmp);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
	free(cmd);
}

static const char *fake(void)
{
	const char *f = getenv("FAKE_QEMU");

	ck_assert_msg(f && access(f, X_OK) == 0, "FAKE_QEMU not set");
	return f;
}

static int open_fake(enum cp_qemu_chan chan, struct cp_qemu **s)
{
	struct cp_qemu_opts o = {
		.binary = fake(), .accel = "tcg", .deadline_ms = cp_clock_ms() + LONG_MS, .chan = chan,
	};

	return cp_qemu_open_ex(&o, s);
}

/* Wait up to LONG_MS for path to appear (the fake renames its files into
 * place whole); whether it did. */
static bool wait_for(const char *path)
{
	for (int i = 0; i < LONG_MS / 10 && access(path, F_OK) < 0; i++)
		usleep(10000);
	return access(path, F_OK) == 0;
}

/* The fake's dump DIR/<pid>, waited for. */
static char *read_dump(const char *dir, pid_t pid)
{
	char *path = cp_asprintf("%s/%d", dir, (int)pid), *text = NULL;
	struct cp_root *r;
	size_t len;

	wait_for(path);
	ck_assert_int_eq(cp_root_new(NULL, &r), 0);
	ck_assert_msg(cp_read(r, &text, &len, "%s", path) == 0, "no dump %s", path);
	cp_root_free(r);
	free(path);
	return text;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* ---- what QEMU is given ---- */

START_TEST(clean_env_and_fds)
{
	char *dir = cp_asprintf("%s/dump", tmp);
	int leak1, leak2;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	setenv("CAPSPROBE_FAKE_DUMP", dir, 1);
	setenv("CAPSPROBE_TEST_SECRET", "must-not-reach-qemu", 1);
	setenv("LD_PRELOAD", "", 1);
	setenv("LC_ALL", "de_DE.UTF-8", 1);
	/* descriptors a careless program or library left inheritable */
	leak1 = open("/dev/null", O_RDONLY);
	leak2 = dup2(leak1, 77);
	ck_assert_int_ge(leak1, 0);
	ck_assert_int_eq(leak2, 77);
	for (int chan = CP_QEMU_CHAN_FD; chan <= CP_QEMU_CHAN_UNIX; chan++) {
		struct cp_qemu *s;
		char *d, *line, *save = NULL;
		int nfd = 0, nenv = 0;

		ck_assert_int_eq(open_fake(chan, &s), 0);
		d = read_dump(dir, cp_qemu_pid(s));
		ck_assert(has_line(d, "env LC_ALL=C"));
		for (line = strtok_r(d, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (cp_startswith(line, "env ")) {
				nenv++;
				ck_assert_msg(cp_startswith(line, "env LC_ALL=C") || cp_startswith(line, "env PATH=") ||
					      cp_startswith(line, "env HOME=") ||
					      cp_startswith(line, "env CAPSPROBE_FAKE_"),
					      "QEMU was given '%s'", line + 4);
			} else if (cp_startswith(line, "fd ")) {
				int fd = atoi(line + 3);
				const char *target = strchr(line + 3, ' ') + 1;

				nfd++;
				if (fd == 0)
					ck_assert_str_eq(target, "/dev/null");
				else if (fd == 1 || fd == 2)
					ck_assert_msg(cp_startswith(target, "pipe:"), "fd %d is %s", fd, target);
				else if (fd == 3 && chan == CP_QEMU_CHAN_FD)
					ck_assert_msg(cp_startswith(target, "socket:"), "fd 3 is %s", target);
				else
					ck_abort_msg("QEMU inherited fd %d (%s)", fd, target);
			} else if (cp_startswith(line, "sockdir ")) {
				char path[256];
				unsigned mode, uid;

				ck_assert_int_eq(chan, CP_QEMU_CHAN_UNIX);
				ck_assert_int_eq(sscanf(line, "sockdir %255s %o %u", path, &mode, &uid), 3);
				ck_assert_uint_eq(mode, 0700);
				ck_assert_uint_eq(uid, geteuid());
				/* and gone once QEMU is connected */
				ck_assert_int_eq(access(path, F_OK), -1);
			}
		}
		ck_assert_int_eq(nenv, 4);	/* LC_ALL, PATH, HOME, the dump variable */
		ck_assert_int_eq(nfd, chan == CP_QEMU_CHAN_FD ? 4 : 3);
		if (chan == CP_QEMU_CHAN_UNIX) {
			char *again = read_dump(dir, cp_qemu_pid(s));

			ck_assert_msg(strstr(again, "\nsockdir "), "no socket directory in the dump");
			free(again);
		}
		free(d);
		cp_qemu_close(s);
	}
	close(leak1);
	close(leak2);
	unsetenv("CAPSPROBE_FAKE_DUMP");
	unsetenv("CAPSPROBE_TEST_SECRET");
	unsetenv("LD_PRELOAD");
	unsetenv("LC_ALL");
	free(dir);
}
END_TEST

/* ---- SIGKILL ---- */

/* Wait up to ms for our (adopted) child pid to end; its status or -1. */
static int reap_within(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		usleep(5000);
	}
	return -1;
}

/* The control: without PR_SET_PDEATHSIG a lingering emulator outlives its
 * parent's death (so the test below proves something).  The fake marks
 * when it has seen EOF and stays; only then is it looked at. */
START_TEST(lingering_fake_survives_eof)
{
	char *dir = cp_asprintf("%s/dump", tmp), *mark;
	const char *bin = fake();	/* not in the child: Check's asserts write to its fd 3 */
	int sv[2], st;
	pid_t pid;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	setenv("CAPSPROBE_FAKE_DUMP", dir, 1);
	setenv("CAPSPROBE_FAKE_LINGER", "1", 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* only the fake's end open in it, or it never sees EOF */
		dup2(sv[1], 3);
		if (sv[0] != 3)
			close(sv[0]);
		if (sv[1] != 3)
			close(sv[1]);
		dup2(null, 1);
		dup2(null, 2);
		execl(bin, bin, "-machine", "none,accel=tcg", "-chardev", "socket,id=qmp,fd=3", "-mon",
		      "chardev=qmp,mode=control", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(sv[0]);	/* EOF on its QMP channel */
	mark = cp_asprintf("%s/%d.lingering", dir, (int)pid);
	for (int i = 0; i < LONG_MS / 10 && access(mark, F_OK) < 0; i++) {
		ck_assert_msg(waitpid(pid, &st, WNOHANG) == 0, "the fake ended (status 0x%x)", st);
		usleep(10000);
	}
	ck_assert_msg(access(mark, F_OK) == 0, "the fake never reached QMP EOF");
	/* past EOF, and still there: not exited, not a zombie */
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);
	ck_assert_int_eq(kill(pid, 0), 0);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	unsetenv("CAPSPROBE_FAKE_LINGER");
	unsetenv("CAPSPROBE_FAKE_DUMP");
	free(mark);
	free(dir);
}
END_TEST

static void *open_and_block(void *arg)
{
	int *fd = arg;
	struct cp_qemu *s;
	pid_t pid;

	if (open_fake(CP_QEMU_CHAN_FD, &s) < 0)
		_exit(3);
	pid = cp_qemu_pid(s);
	if (write(*fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(4);
	for (;;)
		pause();
	return NULL;
}

START_TEST(sigkill_takes_emulators_along)
{
	pid_t emu[4], child;
	int pfd[2], st;

	/* the emulators are re-parented to us, so we can see how they ended */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	setenv("CAPSPROBE_FAKE_LINGER", "1", 1);
	ck_assert_int_eq(pipe(pfd), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct cp_qemu *s[2];
		pthread_t t[2];

		close(pfd[0]);
		/* from this thread, both channel kinds; from two others */
		if (open_fake(CP_QEMU_CHAN_FD, &s[0]) < 0 || open_fake(CP_QEMU_CHAN_UNIX, &s[1]) < 0)
			_exit(1);
		for (int i = 0; i < 2; i++) {
			pid_t pid = cp_qemu_pid(s[i]);

			if (write(pfd[1], &pid, sizeof(pid)) != sizeof(pid))
				_exit(2);
			pthread_create(&t[i], NULL, open_and_block, &pfd[1]);
		}
		for (;;)
			pause();
	}
	close(pfd[1]);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(read(pfd[0], &emu[i], sizeof(emu[i])), sizeof(emu[i]));
	close(pfd[0]);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(kill(emu[i], 0), 0);
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	for (int i = 0; i < 4; i++) {
		st = reap_within(emu[i], LONG_MS);
		ck_assert_msg(st != -1, "emulator %d outlived a SIGKILLed capsprobe", (int)emu[i]);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "emulator %d: status 0x%x", i, st);
	}
	unsetenv("CAPSPROBE_FAKE_LINGER");
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}
END_TEST

/* ---- a flooded firmware directory ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(firmware_flood)
{
	static const char desc[] =
		"{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"memory\","
		" \"filename\": \"/x/%05d.fd\" }, \"targets\": [ { \"architecture\": \"x86_64\","
		" \"machines\": [ \"pc-q35-*\" ] } ], \"features\": [] }";
	char *dir = cp_asprintf("%s/usr/share/qemu/firmware", tmp), *cmd, *errf;
	struct cp_fw_list l;
	struct cp_root *r;
	int saved, fd, nread = 0;
	char *err = NULL, *rec = cp_asprintf("%s/recorded", tmp), *recfw;
	struct dirent *de;
	DIR *d;
	size_t len;

	cmd = cp_asprintf("mkdir -p '%s' '%s/etc/qemu/firmware'", dir, tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	for (int i = 0; i < 5000; i++) {
		char name[32], *path, *text;

		snprintf(name, sizeof(name), "%05d.json", i);
		path = cp_asprintf("%s/%s", dir, name);
		text = cp_asprintf(desc, i);
		write_file(path, i == 3 ? "not JSON at all" : text);
		free(path);
		free(text);
	}
	/* an override from /etc replaces its name among the flood */
	errf = cp_asprintf("%s/etc/qemu/firmware/00001.json", tmp);
	write_file(errf, "");	/* an empty file masks the name */
	free(errf);

	errf = cp_asprintf("%s/stderr", tmp);
	fflush(stderr);
	saved = dup(2);
	fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	ck_assert_int_eq(cp_root_new(tmp, &r), 0);
	/* the cost, counted rather than timed: the root copies every file it
	 * reads (a listing leaves empty files) into rec */
	ck_assert_int_eq(cp_root_record_into(r, rec), 0);
	ck_assert_int_eq(cp_fw_load(r, NULL, NULL, &l), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	cp_root_free(r);

	/* every name, as libvirt reads them: 5000 but for the masked 00001
	 * and the one that is not JSON */
	ck_assert_uint_eq(l.n, 4998);
	ck_assert_str_eq(l.v[0].name, "00000.json");
	ck_assert_str_eq(l.v[1].name, "00002.json");
	ck_assert_str_eq(l.v[l.n - 1].name, "04999.json");
	/* what was read, from the recording: each name once (00001 only from
	 * /etc, where it is empty) */
	recfw = cp_asprintf("%s/usr/share/qemu/firmware", rec);
	d = opendir(recfw);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		struct stat st;
		char *p = cp_asprintf("%s/%s", recfw, de->d_name);

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			nread++;
			ck_assert_msg(strcmp(de->d_name, "00001.json") != 0, "%s was read", de->d_name);
		}
		free(p);
	}
	closedir(d);
	/* each file once; the masked one's content never (it is empty in /etc) */
	ck_assert_int_eq(nread, 4999);
	free(recfw);
	free(rec);
	ck_assert_int_eq(cp_root_new(NULL, &r), 0);
	ck_assert_int_eq(cp_read(r, &err, &len, "%s", errf), 0);
	cp_root_free(r);
	ck_assert_msg(!strstr(err, "only the first"), "stderr: %s", err);
	ck_assert_msg(strstr(err, "warning: skipping firmware descriptor "), "stderr: %s", err);
	ck_assert_msg(strstr(err, "/usr/share/qemu/firmware/00003.json:1:2: bad JSON"), "stderr: %s", err);
	free(err);
	free(errf);
	cp_fw_list_free(&l);
	free(dir);
}
END_TEST

/* ---- a recorded tree that points outside itself or never ends ---- */

START_TEST(sysroot_escapes_and_endless_files)
{
	static const struct { const char *name, *target; } links[] = {
		{ "proc/cpuinfo", "/dev/zero" },
		{ "proc/meminfo", "../../../../../../../../dev/zero" },
		{ "proc/stat", "/proc/self/fd/0" },
		{ "proc/version", "/etc/passwd" },
	};
	struct cp_root *r;
	char *cmd, *path, *text = NULL;
	size_t len;
	int64_t t0;
	int fd;

	cmd = cp_asprintf("mkdir -p '%s/proc' '%s/sys'", tmp, tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		path = cp_asprintf("%s/%s", tmp, links[i].name);
		ck_assert_int_eq(symlink(links[i].target, path), 0);
		free(path);
	}
	/* a 16 GiB sparse file: reading it whole would never end in practice */
	path = cp_asprintf("%s/sys/huge", tmp);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)16 << 30), 0);
	close(fd);
	free(path);

	ck_assert_int_eq(cp_root_new(tmp, &r), 0);
	t0 = cp_clock_ms();
	/* resolved inside the tree, which has no dev/zero, proc/self or etc */
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		ck_assert_msg(cp_read(r, &text, &len, "/%s", links[i].name) == -ENOENT, "%s read", links[i].name);
	/* EFBIG: refused for its size (over CP_READ_MAX) without reading it;
	 * the time is only a guard against a hang */
	ck_assert_int_eq(cp_read(r, &text, &len, "/sys/huge"), -EFBIG);
	ck_assert_msg(cp_clock_ms() - t0 < LONG_MS / 2, "reads took %lld ms", (long long)(cp_clock_ms() - t0));
	ck_assert_ptr_null(text);
	cp_root_free(r);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, clean_env_and_fds);
	tcase_add_test(tc, lingering_fake_survives_eof);
	tcase_add_test(tc, sigkill_takes_emulators_along);
	tcase_add_test(tc, firmware_flood);
	tcase_add_test(tc, sysroot_escapes_and_endless_files);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
