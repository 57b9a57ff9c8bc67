/* Inside the probe cache (cache/store.c, cache/list.c): the open directory
 * and its files. */
#ifndef CP_CACHE_DIR_H
#define CP_CACHE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/str.h"

#define TMP_PREFIX ".tmp-"

struct cp_cache {
	char *dir;
	int fd;		/* the directory, opened once and checked */
};

/* Read a whole entry file: regular, ours, bounded.  1 and the text (NUL-
 * terminated), 0 when there is none, -EBADMSG or -errno otherwise; *size
 * (may be NULL): the file's size. */
int cp_cache_read_file(struct cp_cache *c, const char *name, char **out, size_t *outlen, uint64_t *size);
/* Names in the directory that pass keep(), sorted. */
int cp_cache_dir_names(struct cp_cache *c, bool (*keep)(const char *), struct cp_strv *out);
/* A probe entry's or a small entry's name; a temporary file's. */
bool cp_cache_is_entry_name(const char *n);
bool cp_cache_is_tmp_name(const char *n);

#endif
