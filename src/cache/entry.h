/* The probe cache's entry files: one format, read by one parser.
 *
 * An entry is text in lines.  Each line is one JSON value as json-c
 * writes it plainly (a value never holds a raw newline) and ends in '\n':
 *
 *   line 1, the header, an object:
 *     "format"        CP_CACHE_FORMAT (an entry of another format is a miss)
 *     "written"       seconds since the epoch
 *     "answers"       N, how many answer lines follow (absent: none)
 *   and for a probe: "emulator", "qemu_version" (what `capsprobe cache`
 *   lists), "key" (every cp_ck field by cp_cache_key_names, a string) and
 *   "probe" (cp_probe_to_json() with empty "answers" objects); a small
 *   entry (swtpm's capabilities, the modules memo) has its owner's members
 *   instead ("program" and "version" are listed).  A refused emulator
 *   (cp_qemu_probe()'s -ENOTSUP: its version or arch) has "emulator", "key"
 *   and "refused", the message, instead of a probe, and no answers.
 *
 *   lines 2 .. N+1, one answer each, an object of these members in any
 *   order, each at most once:
 *     "p"             1 or 2, the pass that asked
 *     "q"             the question (cp_q_names)
 *     "ret"           QEMU's "return", as a probe keeps it (cp_answer_reduce)
 *     "class", "desc" strings, for an error answer only (then "ret" is null)
 *
 *   Nothing follows line N+1: a shorter or longer file is corrupt.
 *
 * The reader walks each answer line's members itself: lines a request does
 * not need are never parsed.  Every value it keeps is priced
 * (util/jsonmem.h) and parsed with json-c. */
#ifndef CP_CACHE_ENTRY_H
#define CP_CACHE_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cache/key.h"
#include "probe/probe.h"

/* Bumped whenever the entry layout or the meaning of a key field changes. */
#define CP_CACHE_FORMAT 5

/* The JSON memory a read has charged to the process budget, within max;
 * why: the first refusal (-E2BIG over max, -ENOBUFS over the budget). */
struct cp_entry_charge {
	uint64_t cost, max;
	int why;
};

/* Why a read was refused for memory, for a message; NULL when it was not. */
const char *cp_entry_refusal(const struct cp_entry_charge *ch);

/* An entry file's text: the header and where the answer lines are. */
struct cp_entry {
	json_object *header;	/* an object of format CP_CACHE_FORMAT */
	const char *body, *end;	/* the answer lines */
	size_t answers;		/* how many */
};

/* Read the header of text[0, len): 0, or -EBADMSG (no message formed) and
 * *why ("truncated", "corrupt", "another format") when the text does not
 * end a line or its header is not an object of this format.  Free
 * e->header with json_object_put. */
int cp_entry_read(const char *text, size_t len, struct cp_entry *e, struct cp_entry_charge *ch,
		  const char **why);

/* The probe of an entry read by cp_entry_read: the header's "probe" and
 * the answers a probe for req would have (only the light questions for a
 * light req, pass 2 only when req needs TCG; req NULL: all).  0, or
 * -EBADMSG when anything is malformed, refused or not exactly e->answers
 * lines.  *out: free with cp_qemu_probe_free. */
int cp_entry_probe(const struct cp_entry *e, const struct cp_probe_req *req, struct cp_qemu_probe *out,
		   struct cp_entry_charge *ch);

/* The text of a probe entry and of a small entry (doc gains "format" and
 * "written").  New strings. */
char *cp_entry_text(const struct cp_cache_key *key, const struct cp_qemu_probe *p, size_t *len);
char *cp_entry_small_text(json_object *doc, size_t *len);
char *cp_entry_refused_text(const struct cp_cache_key *key, const char *message, size_t *len);

/* cp_qemu_probe <-> JSON (also the format of a serialized probe anywhere
 * else).  from_json fills *out (free with cp_qemu_probe_free) or returns
 * -EBADMSG with a message. */
json_object *cp_probe_to_json(const struct cp_qemu_probe *p);
int cp_probe_from_json(json_object *o, struct cp_qemu_probe *out);
/* The questions' names in that format (and in the hand-made test answers),
 * by CP_Q_*. */
extern const char *const cp_q_names[CP_Q_COUNT];

#endif
