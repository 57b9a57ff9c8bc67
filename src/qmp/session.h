/* One QMP session with one emulator process: the API the prober uses.
 * cp_qemu_open() starts QEMU, checks the greeting and leaves capabilities
 * negotiation; cp_qemu_cmd() runs one command; cp_qemu_close() always
 * kills, reaps and cleans up.  All waits share one absolute deadline. */
#ifndef CP_QMP_SESSION_H
#define CP_QMP_SESSION_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "qmp/process.h"
#include "qmp/client.h"

struct cp_qemu;
struct cp_replay;

struct cp_qemu_opts {
	const char *binary;		/* path of the emulator (no PATH search) */
	const char *accel;		/* "kvm", "tcg", "kvm:tcg" */
	int64_t deadline_ms;		/* absolute, cp_clock_ms() units */
	FILE *record;			/* NULL, or write the conversation here (borrowed) */
	enum cp_qemu_chan chan;		/* default CP_QEMU_CHAN_FD */
	const struct cp_qmp_limits *limits;	/* NULL: defaults */
	/* non-NULL: start no process; a thread plays this recording (its
	 * session for accel, see replay.h) on a socketpair instead, and
	 * binary only names it in messages.  Borrowed until close. */
	struct cp_replay *replay;
};

int cp_qemu_open_ex(const struct cp_qemu_opts *o, struct cp_qemu **out);
int cp_qemu_open(const char *binary, const char *accel, int64_t deadline_ms,
		 FILE *record, struct cp_qemu **out);

/* See cp_qmp_command(): 0 and *ret (caller owns; NULL ok), -EREMOTEIO with
 * *err filled when QEMU answered an error, other -errno when fatal. */
int cp_qemu_cmd(struct cp_qemu *s, const char *execute, json_object *args,
		json_object **ret, struct cp_qmp_error *err);

/* The greeting object (borrowed), e.g. for QMP.version.qemu. */
json_object *cp_qemu_greeting(struct cp_qemu *s);
pid_t cp_qemu_pid(struct cp_qemu *s);	/* 0 when replaying */
/* See cp_qmp_take_cost(): the memory the answers received so far hold. */
uint64_t cp_qemu_take_cost(struct cp_qemu *s);

/* Kill (SIGTERM, then SIGKILL), reap, remove files, free.  NULL ok. */
void cp_qemu_close(struct cp_qemu *s);

#endif
