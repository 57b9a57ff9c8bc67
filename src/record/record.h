/* `capsprobe record DIR`: everything the host and its emulators give
 * capsprobe, recorded into one directory that then works as a --sysroot:
 *
 *   capsprobe host --sysroot DIR                 the same <capabilities>
 *   capsprobe domain --sysroot DIR --emulator E  the same <domainCapabilities>
 *        [--arch A] [--machine M] [--virttype T]  for every request E serves
 *
 * What is recorded:
 *   1. the host facts and files `capsprobe host` reads, the emulator search
 *      (the "emulators" fact) and each emulator's light conversation, as
 *      `capsprobe host --record DIR` does;
 *   2. each emulator's full conversation (every question, both passes where
 *      KVM works), replacing its light one (a full recording answers the
 *      light questions too), as `capsprobe domain --record DIR` does;
 *   3. the host files the domain rules read (firmware descriptors, KVM,
 *      swtpm and CPU facts ...) for every request an emulator serves: each
 *      arch it runs, each virttype it offers, each machine type it lists.
 * Then the host document is replayed from DIR and compared with the live
 * one: a recording that does not reproduce it is an error.
 *
 * No cache is read or written. */
#ifndef CP_RECORD_RECORD_H
#define CP_RECORD_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct cp_record_opts {
	const char *dir;		/* must not exist, or be empty and ours (util/path.h) */
	const char *const *emulators;	/* --emulator paths; none: the search */
	size_t nemulators;
	const char *path_env;		/* PATH for the search */
	int64_t timeout_ms;		/* each emulator's probes; 0: 30 s */
};

struct cp_record_stats {
	unsigned emulators;		/* found */
	unsigned full;			/* fully recorded */
	unsigned requests;		/* domain requests whose host reads were recorded */
};

/* 0 when the host and at least its emulators' <guest> probes were recorded
 * and the host document replays; an emulator whose full probe fails is a
 * warning (its domain requests do not replay).  < 0 with the message. */
int cp_record(const struct cp_record_opts *o, struct cp_record_stats *st);

#endif
