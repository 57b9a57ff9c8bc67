#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp/process.h"
#include "util/err.h"
#include "util/str.h"

#define GRACE_MS 500		/* SIGTERM → SIGKILL */
#define MAX_LIVE 256		/* emulators alive at once */
#define CHAN_FD 3		/* the QMP fd number inside the child */

/*
 * The registry is a fixed array so the signal handler can walk it without
 * locks or allocation.  Ownership of a pid and of the files is transferred
 * with atomic_exchange: whoever swaps the non-zero value out (the owner in
 * cp_proc_stop, or the signal handler) is the only one to kill, reap or
 * unlink.  The owner reaps only after taking the pid, so the handler never
 * signals a pid that could have been recycled.
 *
 * Each program runs in a process group of its own, led by a guard process
 * (see guard_main): the group id is the guard's pid, so it cannot be reused
 * before the guard is reaped, and killing -guard reaches whatever the
 * program started (a wrapper script's QEMU, swtpm_setup's children).
 */
struct live_slot {
	atomic_int used;
	atomic_int pid;
	atomic_int guard;	/* leads the program's process group */
	atomic_int files;	/* dir/sock below are set and still exist */
	char dir[108];
	char sock[108];
};
static struct live_slot live[MAX_LIVE];
/* Spawns between fork() and the pid landing in its slot: a signal
 * handler running on another thread then waits for them (see below). */
static atomic_int spawning;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

struct cp_proc {
	char *binary;
	pid_t pid;
	pid_t guard;		/* also the process group id; 0: none */
	int life_w;		/* the guard lives while this is open */
	int slot;
	int qmp_fd;
	int out_fd;
	int pidfd;
	bool reaped;
	int status;
	char tail[2 * CP_PROC_TAIL];
	size_t tail_len;
	char msg[CP_PROC_TAIL + 256];
};

int64_t cp_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- registry and signal handlers ---- */

static void remove_files(struct live_slot *s)
{
	if (atomic_exchange(&s->files, 0)) {
		unlink(s->sock);
		rmdir(s->dir);
	}
}

void cp_proc_kill_all(void)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		struct live_slot *s = &live[i];
		pid_t pid;

		if (!atomic_load(&s->used))
			continue;
		/* the whole group while its leader is unreaped (the id is ours) */
		pid = atomic_exchange(&s->guard, 0);
		if (pid > 0) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		pid = atomic_exchange(&s->pid, 0);
		if (pid > 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		remove_files(s);
	}
}

int cp_proc_live_count(void)
{
	int n = 0;

	for (int i = 0; i < MAX_LIVE; i++)
		n += atomic_load(&live[i].pid) > 0;
	return n;
}

static void on_fatal_signal(int sig)
{
	int saved = errno;

	cp_proc_kill_all();
	/* another thread may have started a child it has not registered yet:
	 * give it a moment to do so, then kill again (bounded: ~200 ms) */
	for (int i = 0; i < 200 && atomic_load(&spawning) > 0; i++) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
	cp_proc_kill_all();
	errno = saved;
	/* SA_RESETHAND restored the default action: die of the same signal */
	raise(sig);
}

void cp_proc_install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa = { 0 }, old;

		/* leave alone a signal the program ignores or handles itself */
		if (sigaction(sigs[i], NULL, &old) < 0 || old.sa_handler != SIG_DFL)
			continue;
		sa.sa_handler = on_fatal_signal;
		sa.sa_flags = SA_RESETHAND;
		sigfillset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

static int slot_claim(void)
{
	pthread_once(&handlers_once, cp_proc_install_handlers);
	for (int i = 0; i < MAX_LIVE; i++) {
		int expect = 0;

		if (atomic_compare_exchange_strong(&live[i].used, &expect, 1))
			return i;
	}
	return cp_fail(-EMFILE, "too many emulators running at once (%d)", MAX_LIVE);
}

/* ---- checks and helpers ---- */

bool cp_proc_own_failure(int rc)
{
	/* every syscall of ours that makes a descriptor or a process returns
	 * its errno as is (the exec error pipe too), and no emulator failure
	 * is reported with these codes */
	return rc == -EMFILE || rc == -ENFILE || rc == -EAGAIN || rc == -ENOMEM;
}

int cp_proc_check_binary(const char *path)
{
	struct stat st;

	if (!path || !*path)
		return cp_fail(-EINVAL, "no emulator binary given");
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return cp_fail(-ENOENT, "%s: no such file", path);
		return cp_fail(-errno, "%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return cp_fail(-EISDIR, "%s: is a directory", path);
	if (!S_ISREG(st.st_mode))
		return cp_fail(-EACCES, "%s: is not a regular file", path);
	/* root passes access(X_OK) when any x bit is set; want one set at all */
	if (!(st.st_mode & 0111) || access(path, X_OK) < 0)
		return cp_fail(-EACCES, "%s: is not executable", path);
	return 0;
}

int cp_proc_check_path_text(const char *path)
{
	if (!cp_str_xml_clean(path))
		return cp_fail(-EINVAL, "%s: the path has a control character or is not UTF-8, "
			       "so it cannot be printed in XML", path);
	return 0;
}

/* Accelerator names go into "-machine none,accel=X": no option injection. */
static bool accel_ok(const char *a)
{
	if (!a || !*a)
		return false;
	for (; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9') || *a == ':' ||
		      *a == '-' || *a == '_'))
			return false;
	return true;
}

/* Keep descriptors off 0-2 so the child's dup2 sequence cannot clobber them. */
static int fd_high(int fd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
#else
	(void)pid;
#endif
	return -1;
}

/* ---- output capture ---- */

void cp_proc_drain(struct cp_proc *p)
{
	char buf[CP_PROC_TAIL];

	while (p->out_fd >= 0) {
		ssize_t n = read(p->out_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;	/* EAGAIN: nothing more for now */
		if (n == 0) {
			close_fd(&p->out_fd);
			return;
		}
		if (p->tail_len + (size_t)n > sizeof(p->tail)) {
			/* n <= CP_PROC_TAIL, so tail_len > CP_PROC_TAIL here: keep
			 * the newest CP_PROC_TAIL bytes and make room */
			memmove(p->tail, p->tail + p->tail_len - CP_PROC_TAIL, CP_PROC_TAIL);
			p->tail_len = CP_PROC_TAIL;
		}
		memcpy(p->tail + p->tail_len, buf, (size_t)n);
		p->tail_len += (size_t)n;
	}
}

const char *cp_proc_tail(struct cp_proc *p)
{
	static _Thread_local char out[CP_PROC_TAIL + 1];
	size_t start = 0, len, j = 0;

	cp_proc_drain(p);
	len = p->tail_len;
	if (len > CP_PROC_TAIL)
		start = len - CP_PROC_TAIL;
	while (start < len && (p->tail[start] == '\n' || p->tail[start] == ' ' ||
			       p->tail[start] == '\r' || p->tail[start] == '\t'))
		start++;
	for (size_t i = start; i < len; i++) {
		unsigned char c = (unsigned char)p->tail[i];

		/* the output may be anything: keep messages printable */
		out[j++] = (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) ? (char)c :
			   c == '\r' ? ' ' : '?';
	}
	while (j && (out[j - 1] == '\n' || out[j - 1] == ' ' || out[j - 1] == '\t'))
		j--;
	out[j] = '\0';
	return out;
}

/* ---- child state ---- */

static bool status_of(const siginfo_t *si, int *status)
{
	if (si->si_pid == 0)
		return false;
	if (si->si_code == CLD_EXITED)
		*status = (si->si_status & 0xff) << 8;
	else if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED)
		*status = si->si_status & 0x7f;
	else
		return false;
	return true;
}

bool cp_proc_exited(struct cp_proc *p, int wait_ms, int *status)
{
	int64_t end = cp_clock_ms() + wait_ms;
	int st;

	if (!status)
		status = &st;
	for (;;) {
		siginfo_t si = { 0 };
		int64_t left;

		if (p->reaped) {
			*status = p->status;
			return true;
		}
		if (waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			/* reaped behind our back (signal handler): treat as killed */
			*status = SIGKILL;
			return true;
		}
		if (status_of(&si, status))
			return true;
		left = end - cp_clock_ms();
		if (left <= 0)
			return false;
		if (p->pidfd >= 0) {
			struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

			poll(&pfd, 1, (int)left);
		} else {
			struct timespec ts = { 0, 2000000 };

			nanosleep(&ts, NULL);
		}
	}
}

const char *cp_proc_describe_end(struct cp_proc *p, int wait_ms)
{
	const char *tail;
	int st;
	int n;

	if (!cp_proc_exited(p, wait_ms, &st))
		n = snprintf(p->msg, sizeof(p->msg), "is still running");
	else if (WIFEXITED(st))
		n = snprintf(p->msg, sizeof(p->msg), "exited with status %d", WEXITSTATUS(st));
	else
		n = snprintf(p->msg, sizeof(p->msg), "was killed by signal %d (%s)", WTERMSIG(st),
			     strsignal(WTERMSIG(st)));
	tail = cp_proc_tail(p);
	if (*tail && n > 0 && (size_t)n < sizeof(p->msg))
		snprintf(p->msg + n, sizeof(p->msg) - (size_t)n, ": %s", tail);
	return p->msg;
}

/* ---- start ---- */

extern char **environ;

/* libvirt's environment for QEMU, plus CAPSPROBE_FAKE_* so the test suite
 * can steer tests/fake-qemu (QEMU ignores them). */
static char **make_env(void)
{
	const char *path = getenv("PATH"), *home = getenv("HOME");
	size_t n = 3, extra = 0;
	char **env;

	for (char **e = environ; e && *e; e++)
		extra += strncmp(*e, "CAPSPROBE_FAKE_", 15) == 0;
	env = cp_calloc(n + extra + 1, sizeof(*env));
	env[0] = cp_strdup("LC_ALL=C");
	env[1] = cp_asprintf("PATH=%s", path ? path : "/usr/bin:/bin");
	env[2] = cp_asprintf("HOME=%s", home ? home : "/");
	for (char **e = environ; e && *e && n < 3 + extra; e++)
		if (strncmp(*e, "CAPSPROBE_FAKE_", 15) == 0)
			env[n++] = cp_strdup(*e);
	return env;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Close every descriptor from first up, but keep (-1: none).  Async-signal
 * safe; the fallback loop is for kernels without close_range (< 5.9). */
static void close_from(int first, int keep)
{
#ifdef SYS_close_range
	if ((keep <= first || syscall(SYS_close_range, (unsigned)first, (unsigned)keep - 1, 0) == 0) &&
	    syscall(SYS_close_range, (unsigned)(keep >= first ? keep + 1 : first), ~0u, 0) == 0)
		return;
#endif
	{
		struct rlimit rl;
		int max = 65536;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
			max = (int)rl.rlim_cur;
		for (int fd = first; fd < max; fd++)
			if (fd != keep)
				close(fd);
	}
}

/*
 * The guard: forked (never exec'd) just before the program, it leads the
 * program's process group and holds the read end of a pipe whose write end
 * only capsprobe holds (O_CLOEXEC, so no program inherits it).  However
 * capsprobe ends, SIGKILL included, the pipe closes, read() returns and the
 * guard kills the whole group, itself with it.  This holds where
 * PR_SET_PDEATHSIG does not: the kernel drops that signal when a set-uid or
 * file-capability program is exec'd, and it never reaches a grandchild.
 * Every signal but SIGKILL stays blocked (as at fork), so a SIGTERM to the
 * group on a normal stop leaves the guard to the SIGKILL that follows.
 * Async-signal-safe calls only: other threads may have held locks.
 */
static _Noreturn void guard_main(int life_r)
{
	char c;

	/* hold nothing of ours, or another guard or a pipe reader would wait */
	close_from(0, life_r);
	setpgid(0, 0);
	prctl(PR_SET_NAME, "capsprobe-guard");	/* for ps; at most 15 bytes */
	while (read(life_r, &c, 1) < 0 && errno == EINTR)
		;
	kill(0, SIGKILL);
	_exit(0);
}

/* Between fork and exec only async-signal-safe calls: other threads may have
 * held locks at fork time.  Exec errors go back on err_w as an errno. */
static _Noreturn void child_exec(const char *bin, char *const argv[], char *const env[], pid_t parent,
				 pid_t pgid, int devnull, int out_w, int err2, int chan_fd, int err_w)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int first = chan_fd >= 0 ? CHAN_FD + 1 : 3, e;
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	/* Until exec, the kernel kills us if capsprobe dies (the guard covers
	 * the time after: a set-uid exec drops this signal).  It follows the
	 * *thread* that forked: a child is stopped by the thread that started
	 * it (cp_proc_stop), so that is no loss. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);	/* the parent is already gone */
	/* the guard's group (the parent sets it too: whoever is first) */
	if (setpgid(0, pgid) < 0)
		goto fail;
	/* keep the error pipe clear of the numbers about to be filled */
	if (err_w <= CHAN_FD)
		err_w = fcntl(err_w, F_DUPFD_CLOEXEC, CHAN_FD + 1);
	if (dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err2, 2) < 0)
		goto fail;
	if (chan_fd == CHAN_FD) {
		if (fcntl(CHAN_FD, F_SETFD, 0) < 0)
			goto fail;
	} else if (chan_fd >= 0 && dup2(chan_fd, CHAN_FD) < 0) {
		goto fail;
	}
	/* ours are all O_CLOEXEC; this also catches libraries' descriptors */
	close_from(first, err_w);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(bin, argv, env);
fail:
	e = errno;
	while (write(err_w, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Start argv (argv[0] is p->binary) with stdin on /dev/null, stdout on
 * out_w, stderr on err2 and chan_fd (-1: none) as CHAN_FD, in a process
 * group led by a new guard; both pids land in p's registry slot. */
static int spawn(struct cp_proc *p, char *const argv[], char *const env[], int out_w, int err2, int chan_fd)
{
	struct live_slot *s = &live[p->slot];
	int devnull, errp[2] = { -1, -1 }, life[2] = { -1, -1 }, rc = 0, e = 0;
	const char *what = "fork";
	pid_t parent = getpid();
	sigset_t all, old;
	ssize_t n;

	devnull = fd_high(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (devnull < 0) {
		rc = cp_fail(-errno, "cannot open /dev/null: %s", strerror(errno));
		goto out;
	}
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(life, O_CLOEXEC) < 0) {
		rc = cp_fail(-errno, "pipe: %s", strerror(errno));
		goto out;
	}
	life[0] = fd_high(life[0]);
	p->life_w = fd_high(life[1]);
	life[1] = -1;
	if (life[0] < 0 || p->life_w < 0) {
		rc = cp_fail(-EMFILE, "cannot run %s: out of file descriptors", p->binary);
		goto out;
	}
	/* fork, not posix_spawn: the child must ask for PR_SET_PDEATHSIG and
	 * join the guard's group.  All signals stay blocked until the pids are
	 * in the registry (here) and the child's handlers are reset (there); a
	 * handler on another thread waits for us meanwhile (see
	 * on_fatal_signal).  The guard keeps them blocked for good. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	atomic_fetch_add(&spawning, 1);
	p->guard = fork();
	if (p->guard == 0)
		guard_main(life[0]);
	if (p->guard > 0) {
		atomic_store(&s->guard, p->guard);
		/* the group exists before the child joins it */
		if (setpgid(p->guard, p->guard) < 0) {
			rc = errno;
			what = "setpgid";
		}
	} else {
		rc = errno;
		p->guard = 0;
	}
	if (!rc) {
		p->pid = fork();
		if (p->pid == 0)
			child_exec(p->binary, argv, env, parent, p->guard, devnull, out_w, err2, chan_fd,
				   errp[1]);
		if (p->pid > 0) {
			setpgid(p->pid, p->guard);	/* fails once it exec'd: done there */
			atomic_store(&s->pid, p->pid);
		} else {
			rc = errno;
			p->pid = 0;
		}
	}
	atomic_fetch_sub(&spawning, 1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close_fd(&errp[1]);
	if (rc) {
		rc = cp_fail(-rc, "cannot run %s: %s: %s", p->binary, what, strerror(rc));
		goto out;	/* cp_proc_stop reaps what was started */
	}
	/* EOF once exec worked; an errno if it did not */
	while ((n = read(errp[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e)) {
		rc = cp_fail(-e, "cannot run %s: %s", p->binary, strerror(e));
		goto out;	/* cp_proc_stop reaps the child */
	}
	p->pidfd = pidfd_for(p->pid);
out:
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&life[0]);
	if (devnull >= 0)
		close(devnull);
	return rc;
}

static struct cp_proc *proc_new(const char *binary, int slot)
{
	struct cp_proc *p = cp_calloc(1, sizeof(*p));

	p->binary = cp_strdup(binary);
	p->slot = slot;
	p->qmp_fd = p->out_fd = p->pidfd = p->life_w = -1;
	return p;
}

static int spawn_qemu(struct cp_proc *p, const char *accel, const char *chardev, int chan_fd, int out_w)
{
	char *machine = cp_asprintf("none,accel=%s", accel);
	char *const argv[] = {
		p->binary, "-S", "-no-user-config", "-nodefaults", "-nographic",
		"-machine", machine, "-chardev", (char *)chardev,
		"-mon", "chardev=qmp,mode=control", NULL,
	};
	char **env = make_env();
	int rc = spawn(p, argv, env, out_w, out_w, chan_fd);

	free(machine);
	free_strv(env);
	return rc;
}

/* Unix mode: wait for our child (and nobody else) to connect.  Its output
 * may end (EOF) a moment before it can be seen to have exited, so its end
 * wakes us too: the pidfd, else a short poll once the output is closed. */
static int accept_child(struct cp_proc *p, int lfd, int64_t deadline_ms)
{
	for (;;) {
		/* poll ignores the entries whose fd is -1 */
		struct pollfd pfd[3] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = p->out_fd, .events = POLLIN },
			{ .fd = p->pidfd, .events = POLLIN },
		};
		int64_t left = deadline_ms - cp_clock_ms();
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd;

		if (left <= 0)
			return cp_fail(-ETIMEDOUT, "timed out waiting for %s to connect to its QMP socket",
				       p->binary);
		if (p->out_fd < 0 && p->pidfd < 0 && left > 20)
			left = 20;
		if (poll(pfd, 3, (int)left) < 0 && errno != EINTR)
			return cp_fail(-errno, "poll: %s", strerror(errno));
		if (pfd[1].revents)
			cp_proc_drain(p);
		if (cp_proc_exited(p, 0, NULL))
			return cp_fail(-ECONNREFUSED, "%s did not connect to QMP: %s", p->binary,
				       cp_proc_describe_end(p, 0));
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				continue;
			return cp_fail(-errno, "accept: %s", strerror(errno));
		}
		/* the program, or what it started (a wrapper script's QEMU) */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
		    (cred.pid == p->pid || (cred.pid > 0 && getpgid(cred.pid) == p->guard)))
			return fd_high(fd);
		close(fd);	/* a stranger: the directory is 0700, but be sure */
	}
}

static int listen_private(struct live_slot *s, int *lfd)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(s->dir)], sock[sizeof(s->sock)];
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/capsprobe-qmp.XXXXXX", tmp) >= sizeof(dir) ||
	    (size_t)snprintf(sock, sizeof(sock), "%s/qmp.sock", dir) >= sizeof(sock) ||
	    strlen(sock) >= sizeof(sa.sun_path))
		return cp_fail(-ENAMETOOLONG, "TMPDIR %s is too long for a unix socket path", tmp);
	if (!mkdtemp(dir))	/* mode 0700 */
		return cp_fail(-errno, "cannot create a directory in %s: %s", tmp, strerror(errno));
	if ((size_t)snprintf(sock, sizeof(sock), "%s/qmp.sock", dir) >= sizeof(sock)) {
		rmdir(dir);	/* cannot happen: same length as checked above */
		return -ENAMETOOLONG;
	}
	memcpy(s->dir, dir, sizeof(dir));
	memcpy(s->sock, sock, sizeof(sock));
	atomic_store(&s->files, 1);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = fd_high(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return cp_fail(-e, "cannot listen on %s: %s", sock, strerror(e));
	}
	*lfd = fd;
	return 0;
}

int cp_proc_start(const char *binary, const char *accel, enum cp_qemu_chan chan,
		  int64_t deadline_ms, struct cp_proc **out)
{
	struct cp_proc *p;
	int pipefd[2] = { -1, -1 }, sv[2] = { -1, -1 }, lfd = -1;
	char *chardev = NULL;
	int rc;

	*out = NULL;
	rc = cp_proc_check_binary(binary);
	if (rc < 0)
		return rc;
	if (!accel_ok(accel))
		return cp_fail(-EINVAL, "invalid accelerator '%s'", accel ? accel : "");
	rc = slot_claim();
	if (rc < 0)
		return rc;
	p = proc_new(binary, rc);

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = cp_fail(-errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	pipefd[0] = fd_high(pipefd[0]);
	pipefd[1] = fd_high(pipefd[1]);
	if (pipefd[0] < 0 || pipefd[1] < 0) {
		rc = cp_fail(-errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	p->out_fd = pipefd[0];
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);

	if (chan == CP_QEMU_CHAN_FD) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			rc = cp_fail(-errno, "socketpair: %s", strerror(errno));
			goto fail;
		}
		sv[0] = fd_high(sv[0]);
		sv[1] = fd_high(sv[1]);
		if (sv[0] < 0 || sv[1] < 0) {
			rc = cp_fail(-errno, "socketpair: %s", strerror(errno));
			goto fail;
		}
		chardev = cp_asprintf("socket,id=qmp,fd=%d", CHAN_FD);
		rc = spawn_qemu(p, accel, chardev, sv[1], pipefd[1]);
		close_fd(&sv[1]);
		close_fd(&pipefd[1]);
		if (rc < 0)
			goto fail;
		p->qmp_fd = sv[0];
		sv[0] = -1;
		fcntl(p->qmp_fd, F_SETFL, O_NONBLOCK);
	} else {
		struct live_slot *s = &live[p->slot];

		rc = listen_private(s, &lfd);
		if (rc < 0)
			goto fail;
		chardev = cp_asprintf("socket,id=qmp,path=%s", s->sock);
		rc = spawn_qemu(p, accel, chardev, -1, pipefd[1]);
		close_fd(&pipefd[1]);
		if (rc < 0)
			goto fail;
		rc = accept_child(p, lfd, deadline_ms);
		close_fd(&lfd);
		remove_files(s);	/* connected: nothing needs the path any more */
		if (rc < 0)
			goto fail;
		p->qmp_fd = rc;
	}
	free(chardev);
	*out = p;
	return 0;
fail:
	close_fd(&pipefd[1]);
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	close_fd(&lfd);
	free(chardev);
	cp_proc_stop(p);
	return rc;
}

/* ---- run a helper program for its output ---- */

/* Read what the non-blocking fd has into out; -EMSGSIZE past max. */
static int read_some(int *fd, struct cp_buf *out, size_t max)
{
	char buf[4096];

	while (*fd >= 0) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;	/* EAGAIN */
		if (n == 0) {
			close_fd(fd);
			return 0;
		}
		if (out->len + (size_t)n > max)
			return -EMSGSIZE;
		cp_buf_add(out, buf, (size_t)n);
	}
	return 0;
}

int cp_proc_capture(char *const argv[], int64_t deadline_ms, size_t max, char **text)
{
	int64_t start = cp_clock_ms();
	struct cp_buf out = { 0 };
	struct cp_proc *p;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rc, st;

	*text = NULL;
	if ((rc = cp_proc_check_binary(argv[0])) < 0)
		return rc;
	if ((rc = slot_claim()) < 0)
		return rc;
	p = proc_new(argv[0], rc);
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		rc = cp_fail(-errno, "pipe: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		outp[i] = fd_high(outp[i]);
		errp[i] = fd_high(errp[i]);
	}
	p->out_fd = errp[0];	/* stderr: the tail for messages */
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	rc = spawn(p, argv, environ, outp[1], errp[1], -1);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	if (rc < 0)
		goto out;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = outp[0], .events = POLLIN },
			{ .fd = p->out_fd, .events = POLLIN },
			{ .fd = p->pidfd, .events = POLLIN },
		};
		int64_t left;
		bool done = cp_proc_exited(p, 0, NULL);

		/* once the program has ended, what it wrote is in the pipe: do
		 * not wait for an end of file that a child of it may hold back */
		if (read_some(&outp[0], &out, max) < 0) {
			rc = cp_fail(-EMSGSIZE, "%s printed more than %zu bytes", p->binary, max);
			goto out;
		}
		cp_proc_drain(p);
		if (done)
			break;
		left = deadline_ms - cp_clock_ms();
		if (left <= 0) {
			rc = cp_fail(-ETIMEDOUT, "%s timed out after %.1f s", p->binary,
				     (double)(deadline_ms > start ? deadline_ms - start : 0) / 1000);
			goto out;
		}
		/* without a pidfd, look for the end every 10 ms */
		if (poll(pfd, 3, (int)(p->pidfd >= 0 || left < 10 ? left : 10)) < 0 && errno != EINTR) {
			rc = cp_fail(-errno, "poll: %s", strerror(errno));
			goto out;
		}
	}
	cp_proc_exited(p, 0, &st);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		rc = cp_fail(-EIO, "%s %s", p->binary, cp_proc_describe_end(p, 0));
		goto out;
	}
	*text = cp_buf_steal(&out);
out:
	cp_buf_free(&out);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	cp_proc_stop(p);	/* the group too: a child holding the pipe */
	return rc;
}

/* ---- accessors and stop ---- */

int cp_proc_qmp_fd(const struct cp_proc *p)
{
	return p->qmp_fd;
}

int cp_proc_out_fd(const struct cp_proc *p)
{
	return p->out_fd;
}

pid_t cp_proc_pid(const struct cp_proc *p)
{
	return p->pid;
}

void cp_proc_stop(struct cp_proc *p)
{
	struct live_slot *s;

	if (!p)
		return;
	s = &live[p->slot];
	if (p->guard > 0) {
		/* the group, not just the program: a wrapper script dies of
		 * SIGTERM and leaves its QEMU running (the guard ignores it) */
		if (p->pid > 0 && !cp_proc_exited(p, 0, NULL)) {
			kill(-p->guard, SIGTERM);
			cp_proc_exited(p, GRACE_MS, NULL);
		}
		/* whatever is left: the program, what it started, the guard */
		kill(-p->guard, SIGKILL);
		if (atomic_exchange(&s->guard, 0) == p->guard)
			while (waitpid(p->guard, NULL, 0) < 0 && errno == EINTR)
				;
	}
	if (p->pid > 0 && atomic_exchange(&s->pid, 0) == p->pid) {
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->reaped = true;
	}
	close_fd(&p->life_w);
	close_fd(&p->qmp_fd);
	close_fd(&p->pidfd);
	close_fd(&p->out_fd);
	remove_files(s);
	atomic_store(&s->used, 0);
	free(p->binary);
	free(p);
}
