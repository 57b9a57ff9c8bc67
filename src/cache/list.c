/* `capsprobe cache` and `capsprobe cache clear` (cache/store.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/dir.h"
#include "cache/entry.h"
#include "cache/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonmem.h"
#include "util/path.h"
#include "util/str.h"

int cp_cache_dir_names(struct cp_cache *c, bool (*keep)(const char *), struct cp_strv *out)
{
	int fd = openat(c->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return cp_fail(-e, "cannot list cache directory %s: %s", c->dir, strerror(e));
	}
	while ((de = readdir(d)) && out->n < CP_LIST_MAX)
		if (keep(de->d_name))
			cp_strv_push(out, cp_strdup(de->d_name));
	closedir(d);
	cp_strv_sort(out);
	return 0;
}

/* A member that is a string, else NULL. */
static char *str_member(json_object *doc, const char *k)
{
	json_object *v = cp_json_typed(doc, k, json_type_string);

	return v ? cp_strdup(json_object_get_string(v)) : NULL;
}

int cp_cache_list(struct cp_cache *c, struct cp_cache_entry **out, size_t *n)
{
	struct cp_strv names = { 0 };
	int rc = cp_cache_dir_names(c, cp_cache_is_entry_name, &names);

	*out = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	*out = cp_calloc(names.n + 1, sizeof(**out));
	for (size_t i = 0; i < names.n; i++) {
		struct cp_cache_entry *ce = &(*out)[*n];
		struct cp_entry_charge ch = { .max = CP_CACHE_MAX_COST };
		struct cp_entry e = { 0 };
		const char *why;
		json_object *w;
		char *buf = NULL;
		size_t len;
		int rc = cp_cache_read_file(c, names.v[i], &buf, &len, &ce->size);

		if (rc == 0)
			continue;	/* removed meanwhile */
		ce->file = cp_strdup(names.v[i]);
		(*n)++;
		if (rc > 0 && cp_entry_read(buf, len, &e, &ch, &why) == 0) {
			/* a probe entry, or a small one */
			if (!(ce->emulator = str_member(e.header, "emulator")))
				ce->emulator = str_member(e.header, "program");
			if (!(ce->qemu_version = str_member(e.header, "qemu_version")))
				ce->qemu_version = str_member(e.header, "version");
			if ((w = cp_json_typed(e.header, "written", json_type_int)))
				ce->written = json_object_get_int64(w);
		}
		json_object_put(e.header);
		cp_json_budget_give(ch.cost);	/* a few strings are read */
		free(buf);
	}
	cp_strv_free(&names);
	return 0;
}

void cp_cache_entries_free(struct cp_cache_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].file);
		free(v[i].emulator);
		free(v[i].qemu_version);
	}
	free(v);
}

static bool is_ours(const char *n)
{
	return cp_cache_is_entry_name(n) || cp_cache_is_tmp_name(n);
}

int cp_cache_clear(struct cp_cache *c, unsigned *removed)
{
	struct cp_strv names = { 0 };
	unsigned count = 0;
	int rc = cp_cache_dir_names(c, is_ours, &names);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		if (unlinkat(c->fd, names.v[i], 0) < 0) {
			if (errno == ENOENT)
				continue;
			rc = cp_fail(-errno, "cannot remove %s/%s: %s", c->dir, names.v[i], strerror(errno));
			break;
		}
		count += cp_cache_is_entry_name(names.v[i]);
	}
	cp_strv_free(&names);
	if (removed)
		*removed = count;
	return rc;
}

