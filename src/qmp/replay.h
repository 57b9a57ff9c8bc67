/* Serving a recorded QMP conversation (a .replies file, format in qmp/client.h)
 * as if an emulator were answering: the replay side of record/replay.
 *
 * capsprobe uses it under --sysroot: instead of starting QEMU, a thread
 * plays the recorded emulator on one end of a socketpair and the prober's
 * QMP client talks to the other end, exactly as it talks to a live QEMU.
 * tests/fake-qemu plays the same part as a separate process. */
#ifndef CP_QMP_REPLAY_H
#define CP_QMP_REPLAY_H

#include <stddef.h>

#include <json-c/json.h>

struct cp_replay;

/* Parse a .replies text (what names it in messages).  -EINVAL with a
 * cp_fail message on a malformed file or one without a greeting. */
int cp_replay_load(const char *text, size_t len, const char *what, struct cp_replay **out);
void cp_replay_free(struct cp_replay *r);

/* Pick the session recorded with this accel (else the first one). */
void cp_replay_select(struct cp_replay *r, const char *accel);
/* The selected session's greeting (borrowed). */
json_object *cp_replay_greeting(struct cp_replay *r);

/* The messages that answer req, in order: the events recorded before the
 * reply, then the reply carrying req's id.  A request the recording lacks
 * gets a CommandNotFound error (qmp_capabilities an empty return).  Each
 * recorded reply is used once while unused ones with the same request
 * remain, then the last is repeated.  New array; caller puts it. */
json_object *cp_replay_respond(struct cp_replay *r, json_object *req);

/* Play the selected session on fd (a connected stream socket) until the
 * peer closes it: greeting first, then one answer per request.  Returns 0
 * at EOF, -errno when the socket failed. */
int cp_replay_serve(struct cp_replay *r, int fd);

/* In-process emulator: a socketpair whose other end a thread serves with
 * r (borrowed until cp_replay_stop).  *fd is the client end (owned by the
 * caller until cp_replay_stop, which closes it). */
struct cp_replay_peer;
int cp_replay_start(struct cp_replay *r, int *fd, struct cp_replay_peer **out);
/* Close the client end, let the thread see EOF, join it. NULL ok. */
void cp_replay_stop(struct cp_replay_peer *p);

#endif
