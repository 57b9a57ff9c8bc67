/* Running one QEMU emulator for probing: spawned without a shell, with a
 * clean environment, stdin on /dev/null, stdout+stderr captured (last 4 KiB)
 * and a private QMP channel.  Every live child is in a process-wide registry
 * so SIGINT/SIGTERM/SIGHUP kill and reap it and remove its files before the
 * signal is re-raised.  Each child runs in a process group of its own, led
 * by a small guard process forked from capsprobe that kills the whole group
 * as soon as capsprobe is gone, however it died (SIGKILL too, and for a
 * set-uid or file-capability emulator, which the kernel's parent-death
 * signal does not reach); stopping a child kills its group, so nothing it
 * started (a wrapper script's QEMU) outlives it.  A child must be stopped
 * by the thread that started it.  No descriptor but 0-2 and the
 * QMP channel reaches QEMU.  Several children may run at once (one struct each).
 * The environment is LC_ALL=C, PATH and HOME (as libvirt), plus any
 * CAPSPROBE_FAKE_* variables, which only steer tests/fake-qemu. */
#ifndef CP_QMP_PROCESS_H
#define CP_QMP_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How QEMU reaches our end of the QMP channel. */
enum cp_qemu_chan {
	/* a socketpair end inherited as fd 3:
	 *   -chardev socket,id=qmp,fd=3 -mon chardev=qmp,mode=control
	 * (QEMU 7.2 accepts it; no file system object at all) */
	CP_QEMU_CHAN_FD,
	/* QEMU connects as a client to a socket we listen on in a fresh 0700
	 * mkdtemp directory: -chardev socket,id=qmp,path=DIR/qmp.sock;
	 * the socket and directory are removed as soon as QEMU is connected */
	CP_QEMU_CHAN_UNIX,
};

#define CP_PROC_TAIL 4096	/* bytes of QEMU's output kept for messages */

struct cp_proc;

/* Milliseconds on CLOCK_MONOTONIC: deadlines are absolute values of this. */
int64_t cp_clock_ms(void);

/* rc (a failed start or probe) is capsprobe's own resources running out:
 * descriptors (EMFILE, ENFILE), processes or threads (EAGAIN from fork),
 * memory (ENOMEM), emulator slots.  Such a failure says nothing about the
 * emulator; the caller may try again once fewer probes run. */
bool cp_proc_own_failure(int rc);

/* Check that path names an executable regular file; cp_fail messages
 * "PATH: no such file", "PATH: is a directory", "PATH: is not executable". */
int cp_proc_check_binary(const char *path);
/* Check that an emulator path can be printed in the documents (see
 * cp_str_xml_clean()): libvirt prints such a path with its control
 * characters dropped or its bytes as they are, i.e. a wrong path or a
 * document that is not XML.  cp_fail message "PATH: ...". */
int cp_proc_check_path_text(const char *path);

/* Start `BIN -S -no-user-config -nodefaults -nographic -machine
 * none,accel=ACCEL <channel>` and connect the QMP channel (waiting for QEMU
 * until deadline_ms in unix mode).  On failure nothing is left behind. */
int cp_proc_start(const char *binary, const char *accel, enum cp_qemu_chan chan,
		  int64_t deadline_ms, struct cp_proc **out);

/* Run argv[0] (no shell) with capsprobe's environment, stdin on /dev/null,
 * in its own guarded process group as above, and collect its standard
 * output (at most max bytes) until it exits or deadline_ms passes; then
 * kill what is left of its group (children holding the pipe included).
 * 0 and *text (allocated) when it exited with status 0; else a cp_fail
 * message "BIN timed out after N s", "BIN exited with status N: <stderr>",
 * "BIN was killed by signal N (...)", "BIN printed more than N bytes". */
int cp_proc_capture(char *const argv[], int64_t deadline_ms, size_t max, char **text);

/* Our end of the QMP channel (owned by the process struct). */
int cp_proc_qmp_fd(const struct cp_proc *p);
/* The captured-output pipe, to poll while waiting (-1 once at EOF). */
int cp_proc_out_fd(const struct cp_proc *p);
/* Read what is available on the output pipe into the tail buffer. */
void cp_proc_drain(struct cp_proc *p);
pid_t cp_proc_pid(const struct cp_proc *p);

/* Has the child exited?  Waits up to wait_ms for it (0: just look), does
 * not reap it.  On true, *status is a waitpid()-style status. */
bool cp_proc_exited(struct cp_proc *p, int wait_ms, int *status);

/* Describe the end of a dead or dying child for an error message, e.g.
 * "exited with status 1: qemu-system-x86_64: -machine ...: invalid accelerator"
 * or "was killed by signal 11 (Segmentation fault)".  Waits up to wait_ms
 * for the child to finish.  Returns a static-per-process string. */
const char *cp_proc_describe_end(struct cp_proc *p, int wait_ms);
/* The captured output (trimmed, last line(s) up to CP_PROC_TAIL), "" if none. */
const char *cp_proc_tail(struct cp_proc *p);

/* SIGTERM to the child's process group, SIGKILL to what is left of it
 * after a short grace, reap, remove files, free.  NULL ok. */
void cp_proc_stop(struct cp_proc *p);

/* Kill every registered child with its process group, reap it and its
 * guard and remove their files; async-signal safe (used by the signal
 * handlers; callable at exit). */
void cp_proc_kill_all(void);
/* Catch SIGINT, SIGTERM and SIGHUP where their action is the default (a
 * program's own handler or SIG_IGN is left alone): kill every child, then
 * die of the signal.  Done once automatically before the first spawn; call
 * it again after changing dispositions (e.g. in a forked child). */
void cp_proc_install_handlers(void);
/* Number of registered live children (tests; guards not counted). */
int cp_proc_live_count(void);

#endif
