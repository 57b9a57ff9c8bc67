#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __has_include
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define CP_HAVE_OPENAT2 1
#endif
#endif

#include "path.h"

struct deny {
	char *path;
	int err;
};

struct cp_root {
	int fd;			/* -1 for the live system */
	char *record;		/* directory we copy into, or NULL */
	struct deny *deny;	/* injected errors of a recorded tree */
	size_t ndeny;
	struct cp_root *stated;	/* $CAPSPROBE_FACTS as a flat tree, or NULL */
};

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "EACCES", EACCES }, { "EPERM", EPERM }, { "EIO", EIO },
	{ "EISDIR", EISDIR }, { "EINVAL", EINVAL }, { "ENODEV", ENODEV },
	{ "ENXIO", ENXIO }, { "EBUSY", EBUSY },
};

static const char *errname(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "EIO";
}

/* Every public function takes a printf-style path: format it once here. */
#define FORMAT_PATH(path, fmt) do {		\
		va_list ap_;			\
		va_start(ap_, fmt);		\
		path = vpath(fmt, ap_);		\
		va_end(ap_);			\
	} while (0)

static char *vpath(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		cp_oom();
	return p;
}

static int deny_lookup(const struct cp_root *r, const char *path)
{
	for (size_t i = 0; i < r->ndeny; i++)
		if (strcmp(r->deny[i].path, path) == 0)
			return r->deny[i].err;
	return 0;
}

/* Resolve path inside the root one component at a time, treating absolute
 * symlinks and ".." as relative to the root: the portable twin of
 * openat2(RESOLVE_IN_ROOT) for kernels (and valgrind) without it. */
static int open_in_root(int rootfd, const char *path, int flags)
{
	char *work = cp_strdup(path), *rest = work, *buf = NULL;
	int dirfd = dup(rootfd), hops = 0, rc;

	if (dirfd < 0) {
		free(work);
		return -errno;
	}
	for (;;) {
		char *comp, *slash;
		struct stat st;
		int fd;

		while (*rest == '/')
			rest++;
		if (!*rest) {
			/* the path named a directory: reopen it with the caller's flags */
			fd = openat(dirfd, ".", flags | O_CLOEXEC);
			rc = fd < 0 ? -errno : fd;
			break;
		}
		comp = rest;
		slash = strchr(rest, '/');
		if (slash) {
			*slash = '\0';
			rest = slash + 1;
		} else {
			rest += strlen(rest);
		}
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			/* never above the root: compare with the root directory */
			struct stat here, top;

			if (fstat(dirfd, &here) == 0 && fstat(rootfd, &top) == 0 &&
			    here.st_dev == top.st_dev && here.st_ino == top.st_ino)
				continue;
		}
		if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n;
			char *joined;

			if (++hops > 40) {
				rc = -ELOOP;
				break;
			}
			n = readlinkat(dirfd, comp, target, sizeof(target) - 1);
			if (n < 0) {
				rc = -errno;
				break;
			}
			target[n] = '\0';
			joined = cp_asprintf("%s%s%s", target, *rest ? "/" : "", rest);
			free(buf);
			buf = joined;
			rest = buf;
			if (target[0] == '/') {
				close(dirfd);
				dirfd = dup(rootfd);
				if (dirfd < 0) {
					rc = -errno;
					break;
				}
			}
			continue;
		}
		if (!*rest) {
			fd = openat(dirfd, comp, flags | O_CLOEXEC | O_NOFOLLOW);
			rc = fd < 0 ? -errno : fd;
			break;
		}
		fd = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			break;
		}
		close(dirfd);
		dirfd = fd;
	}
	if (dirfd >= 0)
		close(dirfd);
	free(buf);
	free(work);
	return rc;
}

static bool portable_only;

void cp_root_portable_resolver(bool on)
{
	portable_only = on;
}

/* Open path (absolute) inside the root without following links out of it. */
static int root_open(const struct cp_root *r, const char *path, int flags)
{
	int fd, e;

	if (path[0] != '/')
		return -EINVAL;
	e = deny_lookup(r, path);
	if (e)
		return -e;
	if (r->fd < 0) {
		fd = open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
#if defined(CP_HAVE_OPENAT2) && defined(SYS_openat2)
	if (!portable_only) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel = path;

		while (*rel == '/')
			rel++;
		fd = (int)syscall(SYS_openat2, r->fd, *rel ? rel : ".", &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? -errno : fd;
	}
#endif
	return open_in_root(r->fd, path, flags);
}

int cp_mkdir_p(const char *dir, mode_t mode)
{
	char *p = cp_strdup(dir);
	int rc = 0;

	for (char *s = *p ? p + 1 : p; ; s++) {
		char c = *s;

		if (c != '/' && c)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			rc = cp_fail(-errno, "cannot create %s: %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* dst already holds exactly data: a file read again (capsprobe record
 * builds a thousand domain requests over the same files) is not rewritten,
 * since truncating and rewriting makes ext4 flush it on close. */
static bool recorded_already(const char *dst, const char *data, size_t len)
{
	int fd = open(dst, O_RDONLY | O_CLOEXEC);
	struct stat st;
	bool same = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
		char *buf = cp_malloc(len + 1);

		same = read(fd, buf, len + 1) == (ssize_t)len && memcmp(buf, data, len) == 0;
		free(buf);
	}
	close(fd);
	return same;
}

/* Recording: mirror what was read.  Failures to record are reported once
 * per file as warnings; they never change what the probe sees. */
static void record_file(const struct cp_root *r, const char *path, const char *data, size_t len)
{
	char *dst, *parent;
	FILE *f;

	if (!r->record)
		return;
	dst = cp_asprintf("%s%s", r->record, path);
	if (recorded_already(dst, data, len)) {
		free(dst);
		return;
	}
	parent = cp_strndup(dst, (size_t)(strrchr(dst, '/') - dst));
	cp_mkdir_p(parent, 0755);
	free(parent);
	f = fopen(dst, "we");
	if (!f || fwrite(data, 1, len, f) != len)
		cp_warn("cannot record %s: %s", dst, strerror(errno));
	if (f)
		fclose(f);
	free(dst);
}

static void record_dir(const struct cp_root *r, const char *path)
{
	char *dst;

	if (!r->record)
		return;
	dst = cp_asprintf("%s%s", r->record, path);
	cp_mkdir_p(dst, 0755);
	free(dst);
}

static void record_entry(const struct cp_root *r, const char *dir, const char *name, bool is_dir)
{
	char *p;

	if (!r->record)
		return;
	p = cp_asprintf("%s%s/%s", r->record, dir, name);
	if (is_dir) {
		cp_mkdir_p(p, 0755);
	} else if (access(p, F_OK) < 0) {
		char *parent = cp_asprintf("%s%s", r->record, dir);
		int fd;

		/* an existence check may be the first thing read below parent */
		cp_mkdir_p(parent, 0755);
		free(parent);
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	free(p);
}

static void record_error(const struct cp_root *r, const char *path, int err)
{
	char *dst;
	FILE *f;

	if (!r->record || err == ENOENT)
		return;
	dst = cp_asprintf("%s" CP_FACTS_DIR, r->record);
	cp_mkdir_p(dst, 0755);
	free(dst);
	dst = cp_asprintf("%s" CP_FACTS_DIR "/denied", r->record);
	f = fopen(dst, "ae");
	if (f) {
		fprintf(f, "%s %s\n", errname(err), path);
		fclose(f);
	}
	free(dst);
}

static int load_deny(struct cp_root *r)
{
	char *text = NULL, *line, *save = NULL;
	int rc;

	rc = cp_fact_read(r, "denied", &text);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		int err = EACCES;

		if (!sp || sp[1] != '/')
			continue;
		*sp = '\0';
		for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
			if (strcmp(errnames[i].name, line) == 0)
				err = errnames[i].err;
		r->deny = cp_realloc(r->deny, (r->ndeny + 1) * sizeof(*r->deny));
		r->deny[r->ndeny].path = cp_strdup(sp + 1);
		r->deny[r->ndeny].err = err;
		r->ndeny++;
	}
	free(text);
	return 0;
}

const char *cp_facts_stated(void)
{
	const char *dir = getenv("CAPSPROBE_FACTS");

	return dir && *dir ? dir : NULL;
}

static int root_open_dir(struct cp_root *r, const char *dir, const char *what)
{
	struct stat st;
	int rc;

	r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = -errno;
		return cp_fail(rc, "cannot open %s %s: %s", what, dir, strerror(-rc));
	}
	if (fstat(r->fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return cp_fail(-ENOTDIR, "%s %s is not a directory", what, dir);
	return 0;
}

int cp_root_new(const char *sysroot, struct cp_root **out)
{
	struct cp_root *r = cp_calloc(1, sizeof(*r));
	const char *stated = cp_facts_stated();
	int rc;

	r->fd = -1;
	if (sysroot && strcmp(sysroot, "/") != 0) {
		if ((rc = root_open_dir(r, sysroot, "sysroot")) < 0)
			goto fail;
		rc = load_deny(r);
		if (rc < 0) {
			rc = cp_fail(rc, "cannot read %s" CP_FACTS_DIR "/denied: %s", sysroot, strerror(-rc));
			goto fail;
		}
	}
	if (stated) {
		r->stated = cp_calloc(1, sizeof(*r->stated));
		if ((rc = root_open_dir(r->stated, stated, "CAPSPROBE_FACTS directory")) < 0)
			goto fail;
	}
	*out = r;
	return 0;

fail:
	cp_root_free(r);
	return rc;
}

/* git and tar-less copies drop empty directories, and an empty directory
 * (an empty iommu_groups, a listed-only node entry) is a fact: mark each
 * one so a recorded tree survives being committed.  Listings hide it. */
static void mark_empty_dirs(int dfd, int depth)
{
	struct dirent *de;
	bool empty = true;
	DIR *d;

	if (depth > 64)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		empty = false;
		if (de->d_type != DT_DIR)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			mark_empty_dirs(sub, depth + 1);
	}
	if (empty) {
		int fd = openat(dirfd(d), CP_EMPTY_MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

void cp_root_free(struct cp_root *r)
{
	if (!r)
		return;
	if (r->record) {
		int fd = open(r->record, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			mark_empty_dirs(fd, 0);
	}
	if (r->fd >= 0)
		close(r->fd);
	cp_root_free(r->stated);
	for (size_t i = 0; i < r->ndeny; i++)
		free(r->deny[i].path);
	free(r->deny);
	free(r->record);
	free(r);
}

int cp_root_record_into(struct cp_root *r, const char *dir)
{
	char *d = cp_strdup(dir);
	int rc = cp_mkdir_p(d, 0755);

	if (rc < 0) {
		free(d);
		return cp_fail(rc, "cannot create %s: %s", dir, strerror(-rc));
	}
	free(r->record);
	r->record = d;
	return 0;
}

bool cp_root_live(const struct cp_root *r)
{
	return r->fd < 0;
}

bool cp_root_recording(const struct cp_root *r)
{
	return r->record != NULL;
}

static int read_path(const struct cp_root *r, const char *path, char **out, size_t *lenp)
{
	struct stat st;
	size_t len = 0, cap = 4096;
	char *buf;
	int fd;

	fd = root_open(r, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		goto fail_fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;

		close(fd);
		fd = -e;
		goto fail_fd;
	}
	buf = cp_malloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap > CP_READ_MAX) {
				free(buf);
				close(fd);
				fd = -EFBIG;
				goto fail_fd;
			}
			cap *= 2;
			buf = cp_realloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			close(fd);
			fd = (int)n;
			goto fail_fd;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	record_file(r, path, buf, len);
	*out = buf;
	if (lenp)
		*lenp = len;
	return 0;

fail_fd:
	record_error(r, path, -fd);
	return fd;
}

int cp_read(const struct cp_root *r, char **out, size_t *len, const char *fmt, ...)
{
	char *path;
	int rc;

	FORMAT_PATH(path, fmt);
	rc = read_path(r, path, out, len);
	free(path);
	return rc;
}

int cp_read_str(const struct cp_root *r, char **out, const char *fmt, ...)
{
	char *path;
	int rc;

	FORMAT_PATH(path, fmt);
	rc = read_path(r, path, out, NULL);
	free(path);
	if (rc == 0)
		cp_rstrip(*out);
	return rc;
}

static int read_num(const struct cp_root *r, const char *path, bool sign, uint64_t *u, int64_t *i)
{
	char *s;
	int rc = read_path(r, path, &s, NULL);

	if (rc < 0)
		return rc;
	rc = sign ? cp_parse_i64(s, 10, true, i) : cp_parse_u64(s, 10, true, u);
	free(s);
	return rc;
}

int cp_read_u64(const struct cp_root *r, uint64_t *out, const char *fmt, ...)
{
	char *path;
	int rc;

	FORMAT_PATH(path, fmt);
	rc = read_num(r, path, false, out, NULL);
	free(path);
	return rc;
}

int cp_read_i64(const struct cp_root *r, int64_t *out, const char *fmt, ...)
{
	char *path;
	int rc;

	FORMAT_PATH(path, fmt);
	rc = read_num(r, path, true, NULL, out);
	free(path);
	return rc;
}

int cp_list(const struct cp_root *r, struct cp_strv *names, const char *fmt, ...)
{
	struct dirent *de;
	char *path;
	DIR *d;
	int fd, rc = 0;

	FORMAT_PATH(path, fmt);
	names->v = NULL;
	names->n = 0;
	fd = root_open(r, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		record_error(r, path, -fd);
		free(path);
		return fd;
	}
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		free(path);
		return rc;
	}
	record_dir(r, path);
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		bool is_dir;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (r->fd >= 0 && strcmp(de->d_name, CP_EMPTY_MARK) == 0)
			continue;
		if (names->n >= CP_LIST_MAX) {
			rc = -E2BIG;
			break;
		}
		is_dir = de->d_type == DT_DIR;
		if (r->record && (de->d_type == DT_LNK || de->d_type == DT_UNKNOWN))
			is_dir = fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
		record_entry(r, path, de->d_name, is_dir);
		cp_strv_push(names, cp_strdup(de->d_name));
	}
	if (!rc && errno)
		rc = -errno;
	closedir(d);
	free(path);
	if (rc < 0) {
		cp_strv_free(names);
		return rc;
	}
	cp_strv_sort_nat(names);
	return (int)names->n;
}

static int stat_path(const struct cp_root *r, const char *path, struct stat *st)
{
	int fd = root_open(r, path, O_PATH);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	return 0;
}

int cp_exists(const struct cp_root *r, const char *fmt, ...)
{
	struct stat st;
	char *path;
	int rc;

	FORMAT_PATH(path, fmt);
	rc = stat_path(r, path, &st);
	if (rc == 0 && r->record) {
		size_t cut = strlen(path);
		char *dir;

		while (cut && path[cut - 1] != '/')
			cut--;
		dir = cp_strndup(path, cut ? cut - 1 : 0);
		record_entry(r, dir, path + cut, S_ISDIR(st.st_mode));
		free(dir);
	}
	free(path);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	return rc < 0 ? rc : 1;
}

int cp_is_dir(const struct cp_root *r, const char *fmt, ...)
{
	struct stat st;
	char *path;
	int rc;

	FORMAT_PATH(path, fmt);
	rc = stat_path(r, path, &st);
	if (rc == 0 && S_ISDIR(st.st_mode))
		record_dir(r, path);
	free(path);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	return rc < 0 ? rc : S_ISDIR(st.st_mode);
}

int cp_fact_read(const struct cp_root *r, const char *name, char **out)
{
	char *path;
	int rc = -ENOENT;

	if (r->stated) {
		path = cp_asprintf("/%s", name);
		rc = read_path(r->stated, path, out, NULL);
		free(path);
		if (rc == 0)
			cp_fact_write(r, name, *out);
	}
	if (rc == -ENOENT && r->fd >= 0) {
		path = cp_asprintf(CP_FACTS_DIR "/%s", name);
		rc = read_path(r, path, out, NULL);
		free(path);
	}
	return rc;
}

int cp_fact(const struct cp_root *r, const char *name, cp_fact_live_fn *live, void *arg, char **text)
{
	int rc = cp_fact_read(r, name, text);

	if (rc != -ENOENT || !cp_root_live(r))
		return rc;
	*text = NULL;
	rc = live(arg, text);
	if (rc == 0) {
		cp_fact_write(r, name, *text);
	} else {
		char *path = cp_asprintf(CP_FACTS_DIR "/%s", name);

		record_error(r, path, -rc);
		free(path);
	}
	return rc;
}

void cp_fact_write(const struct cp_root *r, const char *name, const char *content)
{
	char *path;

	if (!r->record)
		return;
	path = cp_asprintf(CP_FACTS_DIR "/%s", name);
	record_file(r, path, content, strlen(content));
	free(path);
}
