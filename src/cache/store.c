/* The probe cache's directory (cache/store.h): opening it safely, entry
 * files read whole and written atomically, probe and small entries. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/dir.h"
#include "cache/entry.h"
#include "cache/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonmem.h"
#include "util/path.h"
#include "util/sha256.h"
#include "util/str.h"

#define ENTRY_SUFFIX ".json"

bool cp_cache_covers(const struct cp_qemu_probe *p, const struct cp_probe_req *req)
{
	/* a full probe always asks for the schema in pass 1; a light one never */
	bool full = p->pass1.a[CP_Q_SCHEMA].asked;

	if (!p->pass1.ran || req->record_dir || req->replay1 || req->replay2)
		return false;
	if (!req->light && !full)
		return false;
	if (req->need_tcg && p->kvm && !p->pass2.ran)
		return false;
	return true;
}

/* ---- directory ---- */

char *cp_cache_default_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return cp_strdup("/var/cache/capsprobe");
	/* the XDG spec ignores relative values */
	if (xdg && xdg[0] == '/')
		return cp_asprintf("%s/capsprobe", xdg);
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	if (!home) {
		cp_fail(-ENOENT, "no home directory for the probe cache (set XDG_CACHE_HOME or use --cache-dir)");
		return NULL;
	}
	return cp_asprintf("%s/.cache/capsprobe", home);
}

int cp_cache_open(const char *dir, bool create, struct cp_cache **out)
{
	char *path = dir ? cp_strdup(dir) : cp_cache_default_dir();
	uid_t me = geteuid();
	struct stat lst, st;
	int fd, rc;

	*out = NULL;
	if (!path)
		return -ENOENT;
	if (!path[0]) {
		free(path);
		return cp_fail(-EINVAL, "empty cache directory name");
	}
	if (lstat(path, &lst) < 0 && errno == ENOENT && create) {
		rc = cp_mkdir_p(path, 0700);
		if (rc < 0) {
			cp_fail(rc, "cannot create cache directory %s: %s", path, strerror(-rc));
			goto fail;
		}
	}
	if (lstat(path, &lst) < 0) {
		rc = cp_fail(-errno, "cache directory %s: %s", path, strerror(errno));
		goto fail;
	}
	/* a symlink of ours (a cache moved elsewhere) is followed; anyone
	 * else's could point our entries at their files */
	if (S_ISLNK(lst.st_mode) && lst.st_uid != me) {
		rc = cp_fail(-EPERM, "cache directory %s is a symlink owned by uid %u, not %u",
			     path, (unsigned)lst.st_uid, (unsigned)me);
		goto fail;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (S_ISLNK(lst.st_mode) ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		rc = cp_fail(-errno, "cache directory %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = cp_fail(-ENOTDIR, "cache directory %s is not a directory", path);
	} else if (st.st_uid != me) {
		rc = cp_fail(-EPERM, "cache directory %s is owned by uid %u, not %u",
			     path, (unsigned)st.st_uid, (unsigned)me);
	} else if (st.st_mode & 022) {
		rc = cp_fail(-EPERM, "cache directory %s is writable by others (mode %04o)",
			     path, (unsigned)(st.st_mode & 07777));
	} else {
		*out = cp_calloc(1, sizeof(**out));
		(*out)->dir = path;
		(*out)->fd = fd;
		return 0;
	}
	close(fd);
fail:
	free(path);
	return rc;
}

void cp_cache_close(struct cp_cache *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->dir);
	free(c);
}

const char *cp_cache_path(const struct cp_cache *c)
{
	return c->dir;
}

/* ---- entries ---- */

static void entry_name(const char *binary, char out[65 + sizeof(ENTRY_SUFFIX)])
{
	cp_sha256_hex(binary, strlen(binary), out);
	strcat(out, ENTRY_SUFFIX);
}

static bool is_small_name(const char *n);

bool cp_cache_is_entry_name(const char *n)
{
	if (is_small_name(n))
		return true;
	if (strlen(n) != 64 + strlen(ENTRY_SUFFIX) || strcmp(n + 64, ENTRY_SUFFIX) != 0)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return true;
}

int cp_cache_read_file(struct cp_cache *c, const char *name, char **out, size_t *outlen, uint64_t *size)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (size)
		*size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (uint64_t)st.st_size > CP_CACHE_MAX_ENTRY) {
		close(fd);
		return -EBADMSG;
	}
	/* one byte more than the size, to see a file that grew */
	buf = cp_malloc((size_t)st.st_size + 2);
	while (len < (size_t)st.st_size + 1 && (n = read(fd, buf + len, (size_t)st.st_size + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (rc == 0 && len != (size_t)st.st_size)
		rc = -EBADMSG;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 1;
}

int cp_cache_load(struct cp_cache *c, const struct cp_cache_key *key, const struct cp_probe_req *req,
		  struct cp_qemu_probe *out)
{
	char name[65 + sizeof(ENTRY_SUFFIX)];
	const char *bin = key->f[CP_CK_BINARY], *why = NULL;
	struct cp_entry_charge ch = { .max = CP_CACHE_MAX_COST };
	struct cp_entry e = { 0 };
	json_object *k;
	char *buf = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	entry_name(bin, name);
	rc = cp_cache_read_file(c, name, &buf, &len, NULL);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		cp_verbose("cache entry %s/%s for %s: %s, ignored", c->dir, name, bin,
			   rc == -EBADMSG ? "not a regular file of ours, or too large" : strerror(-rc));
		return rc;
	}
	if ((rc = cp_entry_read(buf, len, &e, &ch, &why)) < 0) {
		why = cp_entry_refusal(&ch) ? cp_entry_refusal(&ch) : why;
		goto out;
	}
	k = cp_json_typed(e.header, "key", json_type_object);
	for (int i = 0; i < CP_CK_COUNT; i++) {
		json_object *v = cp_json_typed(k, cp_cache_key_names[i], json_type_string);

		if (!v || strcmp(json_object_get_string(v), key->f[i]) != 0) {
			cp_verbose("cache entry for %s is stale: %s changed", bin, cp_cache_key_names[i]);
			rc = -ESTALE;
			goto out;
		}
	}
	if ((k = cp_json_typed(e.header, "refused", json_type_string))) {
		rc = cp_fail(-ENOTSUP, "%s", json_object_get_string(k));
		goto out;
	}
	rc = cp_entry_probe(&e, req, out, &ch);
	if (rc == 0 && (!out->binary || strcmp(out->binary, bin) != 0))
		rc = -EBADMSG;
	if (rc < 0) {
		why = cp_entry_refusal(&ch) ? cp_entry_refusal(&ch) : "malformed probe";
	} else if (req && !cp_cache_covers(out, req)) {
		cp_verbose("cache entry for %s lacks answers this request needs", bin);
		rc = -ENODATA;
	} else {
		rc = 1;
	}
out:
	if (why)
		cp_verbose("cache entry %s/%s for %s: %s, ignored", c->dir, name, bin, why);
	json_object_put(e.header);
	if (rc != 1) {
		if (rc != -ENOTSUP)
			cp_clear_error();
		cp_qemu_probe_free(out);
		cp_json_budget_give(ch.cost);
	} else {
		/* the probe holds the answers (the header's too: it may share) */
		out->pass1.mem += ch.cost;
	}
	free(buf);
	return rc;
}

/* mkstemp inside the directory descriptor, so that a renamed or replaced
 * directory path cannot redirect the write. */
static int tmp_open(struct cp_cache *c, char name[32])
{
	for (int tries = 0; tries < 100; tries++) {
		uint64_t r;
		int fd;

		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
			struct timespec t;

			clock_gettime(CLOCK_MONOTONIC, &t);
			r = ((uint64_t)t.tv_nsec << 20) ^ (uint64_t)getpid() ^ ((uint64_t)tries << 40);
		}
		snprintf(name, 32, TMP_PREFIX "%012" PRIx64, r & (uint64_t)0xffffffffffff);
		fd = openat(c->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

bool cp_cache_is_tmp_name(const char *n)
{
	return cp_startswith(n, TMP_PREFIX) && strlen(n) > strlen(TMP_PREFIX);
}

/* Temporary files of runs that were killed while writing (only possible
 * without O_TMPFILE, or in the instant between link and rename): removed
 * once they are clearly nobody's work in progress. */
static void sweep_stale(struct cp_cache *c)
{
	struct cp_strv names = { 0 };
	time_t now = time(NULL);

	if (cp_cache_dir_names(c, cp_cache_is_tmp_name, &names) < 0) {
		cp_clear_error();
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		struct stat st;

		if (fstatat(c->fd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && st.st_mtime < now - 60)
			unlinkat(c->fd, names.v[i], 0);
	}
	cp_strv_free(&names);
}

/* Write text as entry file name.  It goes into a nameless O_TMPFILE, so
 * that a run killed while writing (even by SIGKILL) leaves nothing behind;
 * complete, it is linked under a temporary name and renamed over the entry
 * at once.  Where the file system lacks O_TMPFILE, a named temporary file
 * is written.  what names the entry in the warning. */
static int try_write_entry(struct cp_cache *c, const char *name, const char *text, size_t len)
{
	char tmp[32], proc[64];
	int fd, rc;

	fd = openat(c->fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		fchmod(fd, 0600);	/* umask may only narrow it */
		rc = write_all(fd, text, len);
		/* our own descriptor, not a host fact: /proc/self is fine here */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		for (int tries = 0; rc == 0 && tries < 100; tries++) {
			uint64_t r = 0;

			if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
				r = ((uint64_t)getpid() << 20) ^ (uint64_t)time(NULL) ^ ((uint64_t)tries << 40);
			snprintf(tmp, sizeof(tmp), TMP_PREFIX "%012" PRIx64, r & (uint64_t)0xffffffffffff);
			if (linkat(AT_FDCWD, proc, c->fd, tmp, AT_SYMLINK_FOLLOW) == 0)
				break;
			rc = errno == EEXIST ? 0 : -errno;
		}
		close(fd);
		if (rc == 0) {
			if (renameat(c->fd, tmp, c->fd, name) == 0)
				return 0;
			rc = -errno;
			unlinkat(c->fd, tmp, 0);
			return rc;
		}
		/* no /proc or no linking: fall back to a named file */
		if (rc != -ENOENT && rc != -EPERM && rc != -EXDEV)
			return rc;
	} else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		return -errno;
	}
	fd = tmp_open(c, tmp);
	if (fd < 0)
		return fd;
	fchmod(fd, 0600);
	rc = write_all(fd, text, len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(c->fd, tmp, c->fd, name) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(c->fd, tmp, 0);
	return rc;
}

static int write_entry(struct cp_cache *c, const char *name, const char *text, size_t len, const char *what)
{
	int rc;

	sweep_stale(c);
	rc = try_write_entry(c, name, text, len);
	if (rc < 0)
		cp_warn("cannot write the probe cache entry for %s in %s: %s", what, c->dir, strerror(-rc));
	return rc;
}

/* Write an entry's text (taken) as the entry of key's binary. */
static int store_text(struct cp_cache *c, const struct cp_cache_key *key, char *text, size_t len)
{
	char name[65 + sizeof(ENTRY_SUFFIX)];
	int rc;

	entry_name(key->f[CP_CK_BINARY], name);
	rc = write_entry(c, name, text, len, key->f[CP_CK_BINARY]);
	free(text);
	return rc;
}

int cp_cache_store(struct cp_cache *c, const struct cp_cache_key *key, const struct cp_qemu_probe *p)
{
	size_t len;
	char *text = cp_entry_text(key, p, &len);

	return store_text(c, key, text, len);
}

int cp_cache_store_refused(struct cp_cache *c, const struct cp_cache_key *key, const char *message)
{
	size_t len;
	char *text = cp_entry_refused_text(key, message, &len);

	return store_text(c, key, text, len);
}

/* ---- small entries ---- */

static const char *const small_names[] = { CP_CACHE_SWTPM, CP_CACHE_MODULES };

static bool is_small_name(const char *n)
{
	for (size_t i = 0; i < sizeof(small_names) / sizeof(small_names[0]); i++)
		if (strcmp(n, small_names[i]) == 0)
			return true;
	return false;
}

int cp_cache_load_small(struct cp_cache *c, const char *name, json_object **doc)
{
	struct cp_entry_charge ch = { .max = CP_CACHE_MAX_SMALL_COST };
	struct cp_entry e = { 0 };
	const char *why;
	char *buf = NULL;
	size_t len;
	int rc;

	*doc = NULL;
	rc = cp_cache_read_file(c, name, &buf, &len, NULL);
	if (rc == 0)
		return 0;
	/* its owner reads it and frees it: the charge is given back at once */
	if (rc > 0)
		rc = cp_entry_read(buf, len, &e, &ch, &why) == 0 && e.answers == 0 ? 1 : -EBADMSG;
	cp_json_budget_give(ch.cost);
	free(buf);
	if (rc < 0) {
		cp_verbose("cache entry %s/%s: %s, ignored", c->dir, name,
			   rc == -EBADMSG ? "corrupt, of another format, not a regular file of ours, or too large" :
			   strerror(-rc));
		json_object_put(e.header);
		return rc;
	}
	*doc = e.header;
	return rc;
}

int cp_cache_store_small(struct cp_cache *c, const char *name, json_object *doc, bool quiet)
{
	size_t len;
	char *text = cp_entry_small_text(doc, &len);
	int rc;

	if (!quiet) {
		rc = write_entry(c, name, text, len, name);
	} else {
		sweep_stale(c);
		rc = try_write_entry(c, name, text, len);
		if (rc < 0)
			cp_verbose("cannot write the cache entry %s in %s: %s", name, c->dir, strerror(-rc));
	}
	free(text);
	return rc;
}
