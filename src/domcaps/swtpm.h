/* swtpm on the host, as libvirt checks it for <tpm> in domain capabilities:
 * the tools swtpm, swtpm_setup and swtpm_ioctl found in PATH, and the TPM
 * versions `swtpm_setup --print-capabilities` lists.
 *
 * The answer is a host fact ("swtpm" in a recorded tree: "none" when a tool
 * is missing, else the capabilities JSON, "{}" when it could not be had:
 * swtpm_setup failed, timed out or printed no JSON object; that is one
 * warning and is never cached).
 * Live, it is kept in the probe cache (entry CP_CACHE_SWTPM) keyed on the
 * identity (path, device, inode, size, mtime, ctime) of the three tools,
 * of the libtpms libraries swtpm loads and of the loader cache, and on
 * capsprobe's version, so that swtpm_setup runs only when one changed. */
#ifndef CP_DOMCAPS_SWTPM_H
#define CP_DOMCAPS_SWTPM_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/store.h"
#include "util/path.h"

struct cp_swtpm {
	bool usable;		/* all three tools found */
	bool tpm12, tpm20;	/* versions listed in the capabilities */
};

/* name in path_env (/bin:/usr/bin when unset or empty) as execvp would
 * find it, a regular executable file: its path (caller frees), or NULL. */
char *cp_find_in_path(const char *path_env, const char *name);

/* The fact text as described above ("none\n", "{...}\n"). */
int cp_swtpm_parse(const char *text, struct cp_swtpm *out);

/* swtpm of the host r.  A recorded tree gives its fact (-ENOENT, message
 * formed, when it has none).  Live: from the cache c (NULL: no cache) when
 * its entry is valid and refresh is false, else found and run now (until
 * deadline_ms, a cp_clock_ms() value; its process group is killed after)
 * and stored in c when it worked; recorded when r records. */
int cp_swtpm_get(const struct cp_root *r, struct cp_cache *c, bool refresh, int64_t deadline_ms,
		 struct cp_swtpm *out);

/* ---- pieces (tests) ---- */

/* The cache key of the swtpm tools found in path_env: a JSON object of
 * strings, or NULL when a tool is missing (nothing to cache).  match picks
 * the libraries (DT_NEEDED names containing it, "tpms" for real) whose
 * identity is part of the key. */
struct json_object *cp_swtpm_key(const char *path_env, const char *match);

/* DT_NEEDED names and DT_RUNPATH/DT_RPATH directories (':'-joined, as
 * written) of a native ELF file.  -ENOEXEC when it is not one (a script). */
int cp_elf_needed(const char *path, struct cp_strv *needed, char **runpath);

#endif
