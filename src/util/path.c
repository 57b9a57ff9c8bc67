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

#include "util/path.h"

struct deny {
	char *path;
	int err;
};

struct recording;

struct cp_root {
	int fd;			/* -1 for the live system */
	struct recording *rec;	/* what we copy into, or NULL */
	struct deny *deny;	/* injected errors of a recorded tree */
	size_t ndeny;
	struct cp_root *stated;	/* $CAPSPROBE_FACTS as a flat tree, or NULL */
	struct memo *memo;	/* cp_read_shared's files; filled as they are read */
};

/* The files several probes parse, read once per root: an open-addressing
 * table by path, each with its text or its error. */
struct memo_ent {
	char *path;		/* NULL: a free slot */
	char *text;
	size_t len;
	int rc;
};
struct memo {
	struct memo_ent *v;
	size_t cap, n;		/* cap a power of two, at most half full */
};

static size_t memo_hash(const char *s)
{
	size_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static struct memo_ent *memo_slot(struct memo *m, const char *path)
{
	size_t i = memo_hash(path) & (m->cap - 1);

	while (m->v[i].path && strcmp(m->v[i].path, path) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static void memo_grow(struct memo *m)
{
	struct memo old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->v = cp_calloc(m->cap, sizeof(*m->v));
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].path)
			*memo_slot(m, old.v[i].path) = old.v[i];
	free(old.v);
}

static void memo_free(struct memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		free(m->v[i].path);
		free(m->v[i].text);
	}
	free(m->v);
	free(m);
}

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

/* ---- recording ----
 *
 * A recording is written only through descriptors: the top directory is
 * opened once (made by us, or checked to be ours), and every directory and
 * file below it is made with mkdirat/openat from the descriptor of its
 * parent, never following a link.  Every directory on the way must be ours
 * and writable by nobody else, so nobody else can plant a link or swap a
 * directory under us; a path given to the recording is never resolved again.
 */

struct recording {
	int fd;			/* the top directory (O_PATH) */
	char *name;		/* as given, for messages */
	char *last;		/* the directory written to last (relative), and */
	int last_fd;		/* its descriptor: reads come in runs of one directory */
};

int cp_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Only we may change what is in it: a real directory of the effective user
 * that neither group nor others can write.  -ENOTDIR or -EPERM otherwise. */
static int own_dir(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISDIR(st->st_mode))
		return -ENOTDIR;
	if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

/* Why a write into the recording failed, for its warning. */
static const char *rec_reason(int rc)
{
	switch (rc) {
	case -EPERM:
		return "a directory on the way is another user's or writable by others";
	case -ELOOP:
	case -ENOTDIR:
		return "something that is not a directory (a link?) is on the way";
	default:
		return strerror(-rc);
	}
}

/* path relative to the recording's top: no empty or "." components, ".."
 * taken away textually and never above the top (every directory in a
 * recording is a real one, so this is what the kernel would do). */
static char *rec_norm(const char *path)
{
	char *work = cp_strdup(path), *save = NULL, *out = cp_malloc(strlen(path) + 1);
	size_t len = 0;

	for (char *c = strtok_r(work, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--;
			continue;
		}
		if (len)
			out[len++] = '/';
		memcpy(out + len, c, strlen(c));
		len += strlen(c);
	}
	out[len] = '\0';
	free(work);
	return out;
}

/* A descriptor of rel (normalized) under top, each directory on the way
 * made when create, opened without following links and checked to be ours. */
static int rec_walk(int top, const char *rel, bool create)
{
	char *work = cp_strdup(rel), *save = NULL;
	int dfd = fcntl(top, F_DUPFD_CLOEXEC, 0), rc = 0;

	if (dfd < 0)
		rc = -errno;
	for (char *c = strtok_r(work, "/", &save); c && rc == 0; c = strtok_r(NULL, "/", &save)) {
		struct stat st;
		int fd;

		if (create && mkdirat(dfd, c, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		fd = openat(dfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			break;
		}
		close(dfd);
		dfd = fd;
		rc = own_dir(dfd, &st);
	}
	free(work);
	if (rc < 0) {
		if (dfd >= 0)
			close(dfd);
		return rc;
	}
	return dfd;
}

/* The descriptor of directory rel in the recording, made as needed;
 * borrowed until the next call. */
static int rec_dir(struct recording *rec, const char *rel)
{
	int fd;

	if (rec->last && strcmp(rec->last, rel) == 0)
		return rec->last_fd;
	fd = rec_walk(rec->fd, rel, true);
	if (fd < 0)
		return fd;
	if (rec->last)
		close(rec->last_fd);
	free(rec->last);
	rec->last = cp_strdup(rel);
	rec->last_fd = fd;
	return fd;
}

/* Split path into the descriptor of its directory in the recording (made
 * as needed, borrowed) and its last name: *rel holds both, *base points
 * into it. */
static int rec_parent(struct recording *rec, const char *path, char **rel, const char **base)
{
	char *slash;
	int fd;

	*rel = rec_norm(path);
	if (!**rel)
		return -EISDIR;
	slash = strrchr(*rel, '/');
	if (!slash) {
		*base = *rel;
		return rec_dir(rec, "");
	}
	*slash = '\0';
	*base = slash + 1;
	fd = rec_dir(rec, *rel);
	*slash = '/';
	return fd;
}

/* name in dfd already holds exactly data: a file read again (capsprobe
 * record builds a thousand domain requests over the same files) is not
 * rewritten, since rewriting makes ext4 flush it on close. */
static bool recorded_already(int dfd, const char *name, const char *data, size_t len)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	bool same = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	    (size_t)st.st_size == len) {
		char *buf = cp_malloc(len + 1);

		same = read(fd, buf, len + 1) == (ssize_t)len && memcmp(buf, data, len) == 0;
		free(buf);
	}
	close(fd);
	return same;
}

/* A new file name in dfd holding data: whatever had that name (an old
 * file, a link) is removed first, never written through.  A file that
 * cannot be written whole is removed: missing, not wrong. */
static int rec_write(int dfd, const char *name, const char *data, size_t len)
{
	int fd, rc;

	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = cp_write_all(fd, data, len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dfd, name, 0);
	return rc;
}

/* Recording: mirror what was read.  Failures to record are reported once
 * per file as warnings; they never change what the probe sees. */
static void record_file(const struct cp_root *r, const char *path, const char *data, size_t len)
{
	const char *base;
	char *rel;
	int dfd;

	if (!r->rec)
		return;
	dfd = rec_parent(r->rec, path, &rel, &base);
	if (dfd >= 0 && !recorded_already(dfd, base, data, len))
		dfd = rec_write(dfd, base, data, len);
	if (dfd < 0)
		cp_warn("cannot record %s in %s: %s", path, r->rec->name, rec_reason(dfd));
	free(rel);
}

static void record_dir(const struct cp_root *r, const char *path)
{
	char *rel;
	int fd;

	if (!r->rec)
		return;
	rel = rec_norm(path);
	fd = rec_dir(r->rec, rel);
	if (fd < 0)
		cp_warn("cannot record %s in %s: %s", path, r->rec->name, rec_reason(fd));
	free(rel);
}

/* An entry of a listing (or an existence check): a directory, or an empty
 * file where nothing was recorded yet. */
static void record_entry(const struct cp_root *r, const char *dir, const char *name, bool is_dir)
{
	const char *base;
	char *path, *rel;
	int dfd;

	if (!r->rec)
		return;
	path = cp_asprintf("%s/%s", dir, name);
	dfd = rec_parent(r->rec, path, &rel, &base);
	if (dfd >= 0) {
		if (is_dir) {
			if (mkdirat(dfd, base, 0755) < 0 && errno != EEXIST)
				dfd = -errno;
		} else {
			int fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

			if (fd >= 0)
				close(fd);
			else if (errno != EEXIST)
				dfd = -errno;
		}
	}
	if (dfd < 0 && dfd != -EISDIR)
		cp_warn("cannot record %s in %s: %s", path, r->rec->name, rec_reason(dfd));
	free(rel);
	free(path);
}

static void record_error(const struct cp_root *r, const char *path, int err)
{
	struct stat st;
	char *line;
	int dfd, fd, rc;

	if (!r->rec || err == ENOENT)
		return;
	dfd = rec_dir(r->rec, CP_FACTS_DIR + 1);
	fd = dfd < 0 ? dfd : openat(dfd, "denied", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		cp_warn("cannot record %s in %s: %s", CP_FACTS_DIR "/denied", r->rec->name,
			rec_reason(dfd < 0 ? dfd : -errno));
		return;
	}
	/* appended to, so it must be a file of ours no other name reaches */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
		cp_warn("cannot record %s in %s: not a file of ours", CP_FACTS_DIR "/denied", r->rec->name);
		close(fd);
		return;
	}
	line = cp_asprintf("%s %s\n", errname(err), path);
	rc = cp_write_all(fd, line, strlen(line));
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		cp_warn("cannot record %s in %s: %s", CP_FACTS_DIR "/denied", r->rec->name, strerror(-rc));
	free(line);
}

int cp_record_dir_open(const char *dir, bool empty, int *out)
{
	char *copy, *base, *parent, *slash;
	struct stat st;
	int pfd, fd = -1, rc = 0;
	size_t len;

	*out = -1;
	if (!*dir)
		return cp_fail(-EINVAL, "no directory given");
	copy = cp_strdup(dir);
	for (len = strlen(copy); len > 1 && copy[len - 1] == '/'; len--)
		copy[len - 1] = '\0';
	if (strcmp(copy, "/") == 0) {
		free(copy);
		return cp_fail(-EINVAL, "cannot record into /");
	}
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		parent = slash == copy ? "/" : copy;
	} else {
		base = copy;
		parent = ".";
	}
	pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 && errno == ENOENT && cp_mkdir_p(parent, 0755) == 0)
		pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		rc = cp_fail(-errno, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) {
		rc = cp_fail(-errno, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = openat(pfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			rc = cp_fail(-ELOOP, "%s is a symbolic link: record into the directory itself", dir);
		else if (e == ENOTDIR)
			rc = cp_fail(-ENOTDIR, "%s exists and is not a directory", dir);
		else
			rc = cp_fail(-e, "cannot open %s: %s", dir, strerror(e));
		goto out;
	}
	rc = own_dir(fd, &st);
	if (rc == -EPERM && st.st_uid != geteuid()) {
		rc = cp_fail(rc, "%s is owned by another user (uid %u): record into a new directory or one of your own",
			     dir, (unsigned)st.st_uid);
	} else if (rc == -EPERM) {
		rc = cp_fail(rc, "%s is writable by other users (mode %04o): record into a new directory or one of your own",
			     dir, (unsigned)(st.st_mode & 07777));
	} else if (rc < 0) {
		rc = cp_fail(rc, "cannot open %s: %s", dir, strerror(-rc));
	} else if (empty) {
		/* a recording merged into an older one could replay neither;
		 * nobody else can add to it once we looked */
		int lfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = lfd < 0 ? NULL : fdopendir(lfd);
		struct dirent *e;

		if (!d) {
			rc = cp_fail(-errno, "cannot read %s: %s", dir, strerror(errno));
			if (lfd >= 0)
				close(lfd);
			goto out;
		}
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				break;
		closedir(d);
		if (e)
			rc = cp_fail(-EEXIST, "%s exists and is not empty", dir);
	}
out:
	if (pfd >= 0)
		close(pfd);
	if (rc < 0 && fd >= 0)
		close(fd);
	else
		*out = fd;
	free(copy);
	return rc;
}

int cp_root_record_subdir(const struct cp_root *r, const char *path, int *out)
{
	char *rel = rec_norm(path);
	int fd = rec_walk(r->rec->fd, rel, true);

	free(rel);
	*out = fd;
	if (fd < 0)
		return cp_fail(fd, "cannot create %s%s: %s", r->rec->name, path, rec_reason(fd));
	return 0;
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

/* The directory of stated facts in force, or NULL. */
static const char *facts_stated(void)
{
	const char *dir = getenv("CAPSPROBE_FACTS");

	return dir && *dir ? dir : NULL;
}

/* The stated facts, when there are any, as a flat tree beside r. */
static int attach_stated(struct cp_root *r)
{
	const char *dir = facts_stated();
	int fd;

	if (!dir)
		return 0;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cp_fail(-errno, "cannot open the CAPSPROBE_FACTS directory %s: %s", dir, strerror(errno));
	r->stated = cp_calloc(1, sizeof(*r->stated));
	r->stated->fd = fd;
	return 0;
}

/* r reads the tree at fd (taken over); name is for messages. */
static int root_at(int fd, const char *name, struct cp_root **out)
{
	struct cp_root *r = cp_calloc(1, sizeof(*r));
	struct stat st;
	int rc;

	r->fd = fd;
	if (fstat(r->fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cp_root_free(r);
		return cp_fail(-ENOTDIR, "sysroot %s is not a directory", name);
	}
	rc = load_deny(r);
	if (rc < 0) {
		cp_root_free(r);
		return cp_fail(rc, "cannot read %s" CP_FACTS_DIR "/denied: %s", name, strerror(-rc));
	}
	if ((rc = attach_stated(r)) < 0) {
		cp_root_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int cp_root_new(const char *sysroot, struct cp_root **out)
{
	int fd, rc;

	if (!sysroot || strcmp(sysroot, "/") == 0) {
		struct cp_root *r = cp_calloc(1, sizeof(*r));

		r->fd = -1;
		if ((rc = attach_stated(r)) < 0) {
			cp_root_free(r);
			return rc;
		}
		*out = r;
		return 0;
	}
	fd = open(sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return cp_fail(rc, "cannot open sysroot %s: %s", sysroot, strerror(-rc));
	}
	return root_at(fd, sysroot, out);
}

int cp_root_new_at(int dirfd, const char *name, struct cp_root **out)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return cp_fail(-errno, "cannot open sysroot %s: %s", name, strerror(errno));
	return root_at(fd, name, out);
}

/* git and tar-less copies drop empty directories, and an empty directory
 * (an empty iommu_groups, a listed-only node entry) is a fact: mark each
 * one so a recorded tree survives being committed.  Listings hide it.
 * Only directories of ours are walked and marked (see own_dir). */
static void mark_empty_dirs(int dfd, int depth)
{
	struct dirent *de;
	bool empty = true;
	struct stat st;
	DIR *d;

	if (depth > 64 || own_dir(dfd, &st) < 0) {
		close(dfd);
		return;
	}
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
		int fd = openat(dirfd(d), CP_EMPTY_MARK, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

static void rec_free(struct recording *rec)
{
	if (!rec)
		return;
	if (rec->last)
		close(rec->last_fd);
	close(rec->fd);
	free(rec->last);
	free(rec->name);
	free(rec);
}

void cp_root_free(struct cp_root *r)
{
	if (!r)
		return;
	if (r->rec) {
		int fd = openat(r->rec->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			mark_empty_dirs(fd, 0);
		rec_free(r->rec);
	}
	if (r->fd >= 0)
		close(r->fd);
	cp_root_free(r->stated);
	memo_free(r->memo);
	for (size_t i = 0; i < r->ndeny; i++)
		free(r->deny[i].path);
	free(r->deny);
	free(r);
}

int cp_root_record_at(struct cp_root *r, int dirfd, const char *dir)
{
	struct recording *rec;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return cp_fail(-errno, "cannot open %s: %s", dir, strerror(errno));
	rec = cp_calloc(1, sizeof(*rec));
	rec->fd = fd;
	rec->name = cp_strdup(dir);
	rec_free(r->rec);
	r->rec = rec;
	return 0;
}

int cp_root_record_into(struct cp_root *r, const char *dir)
{
	int fd, rc = cp_record_dir_open(dir, false, &fd);

	if (rc < 0)
		return rc;
	rc = cp_root_record_at(r, fd, dir);
	close(fd);
	return rc;
}

bool cp_root_live(const struct cp_root *r)
{
	return r->fd < 0;
}

bool cp_root_recording(const struct cp_root *r)
{
	return r->rec != NULL;
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
	/* a file that says it is too large is not read; /proc and /sys files
	 * say 0 or 4096 whatever they hold, so the loop caps them too */
	if ((uint64_t)st.st_size > CP_READ_MAX) {
		close(fd);
		fd = -EFBIG;
		goto fail_fd;
	}
	buf = cp_malloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			/* room for CP_READ_MAX bytes, one more to see a longer
			 * file, and the NUL */
			if (len > CP_READ_MAX) {
				free(buf);
				close(fd);
				fd = -EFBIG;
				goto fail_fd;
			}
			cap = cap > (CP_READ_MAX + 2) / 2 ? CP_READ_MAX + 2 : cap * 2;
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

/* The memo entry of key (taken), and whether it is new (to be filled). */
static struct memo_ent *memo_get(const struct cp_root *r, char *key, bool *fresh)
{
	/* the memo is a cache of what r reads: filling it leaves r as it was */
	struct cp_root *w = (struct cp_root *)r;
	struct memo_ent *e;

	if (!w->memo)
		w->memo = cp_calloc(1, sizeof(*w->memo));
	if ((w->memo->n + 1) * 2 > w->memo->cap)
		memo_grow(w->memo);
	e = memo_slot(w->memo, key);
	*fresh = !e->path;
	if (*fresh) {
		e->path = key;
		w->memo->n++;
	} else {
		free(key);
	}
	return e;
}

int cp_read_shared(const struct cp_root *r, const char **out, size_t *len, const char *fmt, ...)
{
	struct memo_ent *e;
	char *path;
	bool fresh;

	FORMAT_PATH(path, fmt);
	e = memo_get(r, path, &fresh);
	if (fresh) {
		e->rc = read_path(r, e->path, &e->text, &e->len);
		if (e->rc == 0)	/* kept: no room to spare (reads start at 4 KiB) */
			e->text = cp_realloc(e->text, e->len + 1);
	}
	*out = e->rc < 0 ? NULL : e->text;
	if (len)
		*len = e->rc < 0 ? 0 : e->len;
	return e->rc;
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

static int list_path(const struct cp_root *r, char *path, struct cp_strv *names);

/* Listings are kept too (the NUMA node directory is listed by several
 * probes): the names packed one after another, each with its NUL, under a
 * key no file path has (a leading newline). */
int cp_list(const struct cp_root *r, struct cp_strv *names, const char *fmt, ...)
{
	struct memo_ent *e;
	char *path;
	bool fresh;

	FORMAT_PATH(path, fmt);
	e = memo_get(r, cp_asprintf("\n%s", path), &fresh);
	if (fresh) {
		struct cp_buf b = { 0 };

		e->rc = list_path(r, path, names);
		for (size_t i = 0; e->rc >= 0 && i < names->n; i++)
			cp_buf_add(&b, names->v[i], strlen(names->v[i]) + 1);
		e->text = b.s;
		e->len = b.len;
		return e->rc;
	}
	free(path);
	*names = (struct cp_strv){ 0 };
	if (e->rc < 0)
		return e->rc;
	for (size_t at = 0; at < e->len; at += strlen(e->text + at) + 1)
		cp_strv_push(names, cp_strdup(e->text + at));
	return (int)names->n;
}

/* cp_list's reading; path is taken. */
static int list_path(const struct cp_root *r, char *path, struct cp_strv *names)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	*names = (struct cp_strv){ 0 };
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
		if (r->rec && (de->d_type == DT_LNK || de->d_type == DT_UNKNOWN))
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
	if (rc == 0 && r->rec) {
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
		/* several probes ask for the same facts: each file read once */
		const char *text;
		size_t len;

		rc = cp_read_shared(r, &text, &len, CP_FACTS_DIR "/%s", name);
		if (rc == 0) {
			*out = cp_malloc(len + 1);
			memcpy(*out, text, len + 1);
		}
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

	if (!r->rec)
		return;
	path = cp_asprintf(CP_FACTS_DIR "/%s", name);
	record_file(r, path, content, strlen(content));
	free(path);
}
