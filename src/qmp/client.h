/* A QMP client over a connected stream socket: incremental strict JSON
 * parsing with size, depth and memory caps, poll()-based reads against an absolute
 * deadline, id-matched commands, events skipped, QMP errors surfaced.
 *
 * ---- The .replies format (recording and replay) ----
 *
 * A .replies file is a QMP conversation written for humans and diff(1):
 * JSON objects pretty-printed by json-c (2-space indent), each followed by a
 * blank line.  A line starting with '#' in column 0 is a comment (a pretty
 * object never has '#' in column 0).  Objects are, in the order they crossed
 * the channel:
 *
 *   {"QMP": {...}}                      the greeting; starts a session
 *   {"execute": ..., "arguments": ..., "id": ...}     a request we sent
 *   {"event": ...}                      an event QEMU sent (kept in place)
 *   {"return": ..., "id": ...}          a reply
 *   {"error": {"class": ..., "desc": ...}, "id": ...} an error reply
 *
 * A file may hold several sessions (recording appends).  Each session
 * starts with the comment line
 *
 *   # session accel=ACCEL binary=PATH
 *
 * followed by its greeting.  Replay (tests/fake-qemu) picks the first
 * session whose accel equals its -machine accel= value, else the first
 * session; it answers a request with the reply recorded after the first
 * not yet used request with the same "execute" and equal "arguments"
 * (compared as JSON; absent and {} are equal), or the last such reply when
 * all were used, sending the recorded events first and rewriting "id" to
 * the caller's.  Requests it cannot match get a CommandNotFound error.
 */
#ifndef CP_QMP_CLIENT_H
#define CP_QMP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* Text: one message, the whole conversation (QEMU 7.2's largest message,
 * its x86 schema, is 190 KB; a whole conversation 330 KB). */
#define CP_QMP_MAX_MSG ((size_t)16 << 20)
#define CP_QMP_MAX_TOTAL ((size_t)32 << 20)
#define CP_QMP_MAX_DEPTH 64
/* Memory once parsed, priced from the text before json-c builds it
 * (util/jsonmem.h): QEMU 7.2's largest message, the x86 schema (26,000
 * JSON values), costs 12 MiB, its largest conversation (x86 under KVM,
 * 41,000 values) 18 MiB.  Every conversation is also charged to the
 * process's budget for JSON, CP_JSON_BUDGET. */
#define CP_QMP_MAX_MSG_COST ((uint64_t)128 << 20)
#define CP_QMP_MAX_TOTAL_COST ((uint64_t)256 << 20)

/* Zero fields take the defaults above. */
struct cp_qmp_limits {
	size_t max_msg;
	size_t max_total;
	int max_depth;
	uint64_t max_msg_cost;
	uint64_t max_total_cost;
};

/* What QEMU said in {"error": {"class": ..., "desc": ...}}. */
struct cp_qmp_error {
	char class_[64];
	char desc[512];
};

/* Hooks that let the QMP layer explain a peer that went away, and keep the
 * emulator's output pipe drained while waiting.  All optional. */
struct cp_qmp_peer {
	const char *name;	/* for messages, e.g. the binary path */
	/* an fd polled too (-1: none now), side_drain() when readable */
	int (*side_fd)(void *ctx);
	void (*side_drain)(void *ctx);
	/* Form the message with cp_fail() when the channel hit EOF or reset
	 * while waiting for `what`; return its code. */
	int (*gone)(void *ctx, const char *what);
	void *ctx;
};

struct cp_qmp;

/* fd stays owned by the caller; it is switched to non-blocking mode.
 * peer is copied; lim may be NULL for the defaults above. */
struct cp_qmp *cp_qmp_new(int fd, const struct cp_qmp_peer *peer, const struct cp_qmp_limits *lim);
void cp_qmp_free(struct cp_qmp *q);

/* Absolute deadline (cp_clock_ms() units) for every later wait. */
void cp_qmp_set_deadline(struct cp_qmp *q, int64_t deadline_ms);
/* Append every later message to f (not owned) in the .replies format. */
void cp_qmp_record(struct cp_qmp *q, FILE *f);

/* Read and check the greeting {"QMP": {"version": {...}, ...}}; a JSON
 * object without it is "not a QEMU".  *greeting (NULL ok) is borrowed. */
int cp_qmp_greeting(struct cp_qmp *q, json_object **greeting);
/* The greeting read by cp_qmp_greeting() (borrowed), or NULL. */
json_object *cp_qmp_get_greeting(struct cp_qmp *q);

/* Send {"execute": execute, "arguments": args, "id": "cp-N"} and wait for
 * the reply with that id (events are skipped).  0: *ret (NULL ok) is the
 * "return" value, owned by the caller.  -EREMOTEIO: QEMU answered with an
 * error, copied to *err (NULL ok) and formed into the cp_fail message.
 * Other negative errno: the channel is unusable (the message says why) and
 * every later call fails the same way. */
int cp_qmp_command(struct cp_qmp *q, const char *execute, json_object *args,
		   json_object **ret, struct cp_qmp_error *err);

/* Low level: the next message, whatever it is (recorded).  what names the
 * awaited thing for messages ("the QMP greeting"). */
int cp_qmp_read(struct cp_qmp *q, const char *what, json_object **msg);
/* Low level: send one object (recorded). */
int cp_qmp_write(struct cp_qmp *q, json_object *msg, const char *what);

/* The memory cost of what was received so far that is not yet taken,
 * handed to the caller, who gives it back to the budget
 * (cp_json_budget_give) once the answers are freed; cp_qmp_free() gives
 * back whatever was not taken. */
uint64_t cp_qmp_take_cost(struct cp_qmp *q);

/* Write one object in the .replies layout (pretty JSON + blank line). */
void cp_qmp_write_pretty(FILE *f, json_object *obj);

#endif
