/* The path layer: every read of /sys, /proc, /dev and /etc goes through a
 * cp_root, which is either the live system or a recorded tree (--sysroot,
 * lscpu's convention).  Absolute kernel paths are used verbatim by the
 * probes and resolved inside the root, so the same code runs live and
 * replayed.  A root may also record: every file, listing and existence check
 * it answers is copied into a directory that then works as a sysroot.
 *
 * Results: 0 (or a count) on success, -ENOENT when the path is missing, any
 * other -errno when it exists but cannot be read.  libvirt treats "missing"
 * and "unreadable" differently almost everywhere, and so do we.
 *
 * Facts that are not files (CPUID, MSRs, uname, ioctls) live in the
 * recorded tree under CP_FACTS_DIR; see cp_fact_read()/cp_fact_write(). */
#ifndef CP_UTIL_PATH_H
#define CP_UTIL_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/str.h"

/* Reads are bounded, so that a recorded tree cannot make us read forever (a
 * file that never ends is an error, not a hang), but far above what a real
 * host holds: /proc/cpuinfo of 16384 x86 CPUs is ~25 MiB, and a node of
 * many TiB in 128 MiB blocks lists ~100,000 memoryN entries.  Reaching
 * either is an error (EFBIG, E2BIG) that the caller reports. */
#define CP_READ_MAX (256u << 20)
#define CP_LIST_MAX (1u << 22)
/* In a recorded tree, the file that keeps an empty directory (git drops
 * empty directories); listings of a recorded tree never show it. */
#define CP_EMPTY_MARK ".capsprobe-empty"
/* Directory of a recorded tree that holds non-file facts. */
#define CP_FACTS_DIR "/capsprobe"

struct cp_root;

/* sysroot NULL or "/" means the live system. */
int cp_root_new(const char *sysroot, struct cp_root **out);
void cp_root_free(struct cp_root *r);
/* A root reading the tree at dirfd (duplicated): a recording just made. */
int cp_root_new_at(int dirfd, const char *name, struct cp_root **out);

/* Recordings are written only through descriptors, never by path:
 *
 * cp_record_dir_open() opens dir for writing a recording into: made (0755,
 * its missing parents too) when missing, else it must be a directory, not
 * a symbolic link to one, owned by the effective user and writable by
 * neither group nor others (nobody else can then plant a link in it or
 * swap what is in it), and, with empty, hold nothing.  Anything else is
 * refused with the message.  *fd is an O_PATH descriptor of it; whatever
 * happens to the path afterwards, writes go where *fd points.
 *
 * Below it every directory is made with mkdirat and opened with O_NOFOLLOW
 * from its parent's descriptor, and must be the user's alone too; a file
 * is written as a new file (what had its name, even a link, is removed
 * first).  A file that cannot be recorded so is a warning. */
int cp_record_dir_open(const char *dir, bool empty, int *fd);
/* Copy everything read through r into dir: cp_record_dir_open(dir, false)
 * and cp_root_record_at(). */
int cp_root_record_into(struct cp_root *r, const char *dir);
/* Copy everything read through r into the directory dirfd (duplicated)
 * opened by cp_record_dir_open(); dir names it in messages. */
int cp_root_record_at(struct cp_root *r, int dirfd, const char *dir);
/* The directory path (absolute, inside the recording) made in r's
 * recording the same way, *fd an O_PATH descriptor of it (the caller's). */
int cp_root_record_subdir(const struct cp_root *r, const char *path, int *fd);
/* write() all of data, retrying short writes: 0 or -errno. */
int cp_write_all(int fd, const void *data, size_t len);
/* mkdir -p, each directory it creates with mode (the cache's directory,
 * the parents of a recording's).  The message names the directory that
 * could not be made. */
int cp_mkdir_p(const char *dir, mode_t mode);
bool cp_root_live(const struct cp_root *r);
/* Resolve recorded trees without openat2, as on kernels before 5.6 and
 * under valgrind: how the tests cover the portable resolver here. */
void cp_root_portable_resolver(bool on);
bool cp_root_recording(const struct cp_root *r);

/* Whole file, NUL-terminated, at most CP_READ_MAX bytes; only regular files. */
int cp_read(const struct cp_root *r, char **out, size_t *len, const char *fmt, ...) CP_PRINTF(4, 5);
/* Whole file with trailing whitespace removed. */
int cp_read_str(const struct cp_root *r, char **out, const char *fmt, ...) CP_PRINTF(3, 4);
/* cp_read for the files several probes parse (/proc/cpuinfo, a CPU's
 * topology ids): read once per root, the same text or error every time.
 * The text belongs to r and lives as long as it. */
int cp_read_shared(const struct cp_root *r, const char **out, size_t *len, const char *fmt, ...)
	CP_PRINTF(4, 5);
/* Decimal number; surrounding newline allowed.  Unparsable → -EINVAL. */
int cp_read_u64(const struct cp_root *r, uint64_t *out, const char *fmt, ...) CP_PRINTF(3, 4);
int cp_read_i64(const struct cp_root *r, int64_t *out, const char *fmt, ...) CP_PRINTF(3, 4);
/* Entry names of a directory (no . and ..), in natural order so that
 * live and replayed runs walk them alike ("index2" before "index10"). */
int cp_list(const struct cp_root *r, struct cp_strv *names, const char *fmt, ...) CP_PRINTF(3, 4);
/* 1 if the path exists, 0 if missing, -errno otherwise. */
int cp_exists(const struct cp_root *r, const char *fmt, ...) CP_PRINTF(2, 3);
/* 1 if it is a directory, 0 if missing or not a directory, -errno otherwise. */
int cp_is_dir(const struct cp_root *r, const char *fmt, ...) CP_PRINTF(2, 3);

/* Facts: values that are not files (CPUID, MSRs, uname, KVM's answers,
 * logind's, swtpm's).  A fact is known by a file name inside CP_FACTS_DIR,
 * and its text is what a recorded tree holds there.  cp_fact() takes it
 * from the first of:
 *  1. the stated facts: $CAPSPROBE_FACTS/NAME, when that variable names a
 *     directory.  They override the host, live or recorded, so a test (or an
 *     operator asking "what if") states "KVM usable, 288 vCPUs" on any
 *     machine and the code believes it;
 *  2. a recorded tree's CP_FACTS_DIR/NAME;
 *  3. on the live system only, live(arg, &text).  A recording root records
 *     the text, or the failure (-ENOENT: nothing, so a replay misses it too).
 * 0 with *text set, -ENOENT when the host (or recording) has no such fact,
 * another -errno when it could not be learnt.  No message is formed: the
 * caller knows what the fact is for.  Every live query of a host device
 * (/dev/kvm, /dev/cpu/N/msr) runs as such a live() function (hostdev.h). */
typedef int cp_fact_live_fn(void *arg, char **text);
int cp_fact(const struct cp_root *r, const char *name, cp_fact_live_fn *live, void *arg, char **text);
/* Only steps 1 and 2 (-ENOENT on the live system): for facts that are never
 * probed one at a time (the recorded emulator search). */
int cp_fact_read(const struct cp_root *r, const char *name, char **out);
/* Record a fact (a no-op unless the root records). */
void cp_fact_write(const struct cp_root *r, const char *name, const char *content);

#endif
