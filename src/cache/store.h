/* The probe cache: QEMU's answers (a struct cp_qemu_probe, never derived
 * output) kept on disk between runs, so that rules run on fresh host facts
 * every time while QEMU is started only when something that could change
 * its answers changed.
 *
 * Key: every input that can change an answer (the cp_ck fields below).  The
 * entry stores each field in full and a load compares every one of them;
 * the file name (sha256 of the binary path) only locates the entry.
 *
 * The key is computed from the live system: the cache is not used under
 * --sysroot (a recorded tree replays its own answers; caching them would
 * key replayed answers on the live host).
 *
 * Safety: the directory is 0700 and must be ours (a symlink to it too);
 * entries are 0600, written to a temporary file in the directory and
 * renamed into place, so concurrent runs see either no entry or a whole
 * one.  A corrupt, truncated, foreign-format, stale or unreadable entry is
 * a miss (said under --verbose) and is rewritten by the next store; a store
 * that fails (full disk, read-only directory) is a warning, never a failure
 * of the command. */
#ifndef CP_CACHE_STORE_H
#define CP_CACHE_STORE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cache/entry.h"
#include "cache/key.h"
#include "probe/probe.h"

/* An entry larger than this is not read (a full x86 probe is about 1 MiB). */
#define CP_CACHE_MAX_ENTRY (32u << 20)
/* Nor one whose JSON would take more memory than this once parsed
 * (util/jsonmem.h), as for a QMP conversation; a loaded entry is charged
 * to the process's budget for JSON until its probe is freed.  Small
 * entries (swtpm, modules memo) are capped lower. */
#define CP_CACHE_MAX_COST ((uint64_t)256 << 20)
#define CP_CACHE_MAX_SMALL_COST ((uint64_t)32 << 20)

/* The default directory: /var/cache/capsprobe for root, else
 * $XDG_CACHE_HOME/capsprobe, else ~/.cache/capsprobe.  New string, or NULL
 * (message formed) when there is no home directory. */
char *cp_cache_default_dir(void);

/* Open the cache in dir (NULL: the default).  With create, a missing
 * directory is created 0700 (parents too).  -errno (message formed) when
 * the directory is missing (without create) or unsafe: not ours, writable
 * by others, a symlink owned by someone else; the caller warns and runs
 * uncached. */
int cp_cache_open(const char *dir, bool create, struct cp_cache **out);
void cp_cache_close(struct cp_cache *c);
const char *cp_cache_path(const struct cp_cache *c);

/* 1 and *out filled (free with cp_qemu_probe_free) when the entry for
 * key->f[CP_CK_BINARY] matches key in every field and answers req.  *out
 * then holds what a probe for req would have given: only the light
 * questions for a light request, no pass 2 unless need_tcg (req NULL:
 * everything stored).  Anything else is a miss: 0 no entry, -ENODATA the
 * entry lacks answers req needs (a light entry, no TCG pass), -ESTALE the
 * key differs, -EBADMSG corrupt, truncated or of another format, other
 * -errno unreadable.  Misses are reported with cp_verbose() only; on any
 * miss, probe and cp_cache_store().  Not a miss: -ENOTSUP with the stored
 * message formed, when the entry keeps the emulator's refusal
 * (cp_cache_store_refused()). */
int cp_cache_load(struct cp_cache *c, const struct cp_cache_key *key, const struct cp_probe_req *req,
		  struct cp_qemu_probe *out);

/* Write (or replace) the entry.  Failure is reported with cp_warn() and
 * returned as -errno for the tests; callers ignore it. */
int cp_cache_store(struct cp_cache *c, const struct cp_cache_key *key, const struct cp_qemu_probe *p);
/* Or keep cp_qemu_probe()'s refusal (-ENOTSUP) and its message. */
int cp_cache_store_refused(struct cp_cache *c, const struct cp_cache_key *key, const char *message);

/* Does a cached probe answer everything req needs?  A light probe does not
 * cover a full request; a probe that ran under KVM without its TCG pass
 * does not cover need_tcg.  When it does not, probe and store again. */
bool cp_cache_covers(const struct cp_qemu_probe *p, const struct cp_probe_req *req);

/* Small entries beside the QEMU probes, each a file of its own name in the
 * directory (CP_CACHE_SWTPM: swtpm's capabilities, domcaps/swtpm.c;
 * CP_CACHE_MODULES: the key's memo of *.so names, cache/key.c), kept as
 * safely as the probes; the owner keys and checks its document.
 * load: 1 and *doc (json_object_put it) when the file is a whole entry of
 * this format, 0 when there is none, -EBADMSG (corrupt, foreign format)
 * or -errno otherwise, said under --verbose.  store adds "format" and
 * "written" to doc; "program" and "version" (strings) are what `capsprobe
 * cache` lists for it.  Failure is a warning (under --verbose only when
 * quiet) and -errno. */
#define CP_CACHE_SWTPM "swtpm.json"
#define CP_CACHE_MODULES "modules.json"
int cp_cache_load_small(struct cp_cache *c, const char *name, json_object **doc);
int cp_cache_store_small(struct cp_cache *c, const char *name, json_object *doc, bool quiet);

/* `capsprobe cache`: one row per entry file, in file name order.  An entry
 * that cannot be parsed is listed with emulator NULL. */
struct cp_cache_entry {
	char *file;		/* file name inside the cache directory */
	char *emulator;		/* NULL when unreadable */
	char *qemu_version;	/* "7.2.22"; NULL when unreadable */
	int64_t written;	/* seconds since the epoch; 0 when unknown */
	uint64_t size;		/* bytes */
};

int cp_cache_list(struct cp_cache *c, struct cp_cache_entry **out, size_t *n);
void cp_cache_entries_free(struct cp_cache_entry *v, size_t n);
/* `capsprobe cache clear`: remove our entry files and leftover temporary
 * files, nothing else.  *removed (may be NULL) counts entries. */
int cp_cache_clear(struct cp_cache *c, unsigned *removed);

#endif
