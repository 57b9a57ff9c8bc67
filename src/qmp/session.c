#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "qmp/replay.h"
#include "qmp/session.h"
#include "util/err.h"

#define EXIT_WAIT_MS 1000	/* after EOF, how long QEMU may take to die */

struct cp_qemu {
	struct cp_proc *proc;		/* a live emulator, or */
	struct cp_replay_peer *replay;	/* a recording played by a thread */
	char *name;
	struct cp_qmp *qmp;
	FILE *rec;			/* borrowed */
	bool greeted;
};

static int side_fd(void *ctx)
{
	struct cp_qemu *s = ctx;

	return s->proc ? cp_proc_out_fd(s->proc) : -1;
}

static void side_drain(void *ctx)
{
	struct cp_qemu *s = ctx;

	if (s->proc)
		cp_proc_drain(s->proc);
}

/* The channel hit EOF: say how the emulator ended, with its own words. */
static int on_gone(void *ctx, const char *what)
{
	struct cp_qemu *s = ctx;
	const char *bin = s->name, *end;
	int st;

	if (!s->proc)
		return cp_fail(-ECONNRESET, "the recording of %s ended while waiting for %s", bin, what);
	end = cp_proc_describe_end(s->proc, EXIT_WAIT_MS);
	/* QEMU never exits silently: a quiet exit means something else */
	if (!s->greeted && cp_proc_exited(s->proc, 0, &st) && WIFEXITED(st) && !*cp_proc_tail(s->proc))
		return cp_fail(-ENOEXEC, "%s: not a QEMU (it exited with status %d without a QMP greeting)",
			       bin, WEXITSTATUS(st));
	return cp_fail(-ECONNRESET, "QEMU closed the QMP channel while waiting for %s: %s %s",
		       what, bin, end);
}

int cp_qemu_open_ex(const struct cp_qemu_opts *o, struct cp_qemu **out)
{
	struct cp_qemu *s;
	struct cp_qmp_error err;
	struct cp_qmp_peer peer = {
		.side_fd = side_fd, .side_drain = side_drain, .gone = on_gone,
	};
	int rc, fd;

	*out = NULL;
	s = cp_calloc(1, sizeof(*s));
	s->name = cp_strdup(o->binary ? o->binary : "QEMU");
	if (o->replay) {
		cp_replay_select(o->replay, o->accel);
		rc = cp_replay_start(o->replay, &fd, &s->replay);
	} else {
		rc = cp_proc_start(o->binary, o->accel, o->chan, o->deadline_ms, &s->proc);
		fd = rc < 0 ? -1 : cp_proc_qmp_fd(s->proc);
	}
	if (rc < 0)
		goto fail;
	/* write errors show when the owner closes it */
	s->rec = o->record;
	if (s->rec)
		fprintf(s->rec, "# session accel=%s binary=%s\n", o->accel, o->binary);
	peer.name = s->name;
	peer.ctx = s;
	s->qmp = cp_qmp_new(fd, &peer, o->limits);
	cp_qmp_set_deadline(s->qmp, o->deadline_ms);
	if (s->rec)
		cp_qmp_record(s->qmp, s->rec);
	rc = cp_qmp_greeting(s->qmp, NULL);
	if (rc < 0)
		goto fail;
	s->greeted = true;
	rc = cp_qmp_command(s->qmp, "qmp_capabilities", NULL, NULL, &err);
	if (rc < 0)
		goto fail;	/* even a QMP error here means no usable session */
	*out = s;
	return 0;
fail:
	cp_qemu_close(s);
	return rc;
}

int cp_qemu_open(const char *binary, const char *accel, int64_t deadline_ms,
		 FILE *record, struct cp_qemu **out)
{
	struct cp_qemu_opts o = {
		.binary = binary, .accel = accel, .deadline_ms = deadline_ms,
		.record = record, .chan = CP_QEMU_CHAN_FD,
	};

	return cp_qemu_open_ex(&o, out);
}

int cp_qemu_cmd(struct cp_qemu *s, const char *execute, json_object *args,
		json_object **ret, struct cp_qmp_error *err)
{
	return cp_qmp_command(s->qmp, execute, args, ret, err);
}

json_object *cp_qemu_greeting(struct cp_qemu *s)
{
	return cp_qmp_get_greeting(s->qmp);
}

pid_t cp_qemu_pid(struct cp_qemu *s)
{
	return s->proc ? cp_proc_pid(s->proc) : 0;
}

uint64_t cp_qemu_take_cost(struct cp_qemu *s)
{
	return s && s->qmp ? cp_qmp_take_cost(s->qmp) : 0;
}

void cp_qemu_close(struct cp_qemu *s)
{
	if (!s)
		return;
	cp_qmp_free(s->qmp);
	cp_replay_stop(s->replay);
	cp_proc_stop(s->proc);
	free(s->name);
	free(s);
}
