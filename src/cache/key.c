/* The probe cache's key (cache/key.h): every field from the live system,
 * with the listing of QEMU's module directories memoized beside the
 * entries (CP_CACHE_MODULES). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cache/key.h"
#include "cache/store.h"
#include "host/host.h"
#include "host/arch.h"
#include "host/cpuid.h"
#include "util/err.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"

const char *const cp_cache_key_names[CP_CK_COUNT] = {
	[CP_CK_BINARY] = "binary",
	[CP_CK_DEV] = "dev",
	[CP_CK_INO] = "ino",
	[CP_CK_SIZE] = "size",
	[CP_CK_MTIME] = "mtime",
	[CP_CK_CTIME] = "ctime",
	[CP_CK_MODULES] = "modules",
	[CP_CK_KERNEL] = "kernel",
	[CP_CK_MICROCODE] = "microcode",
	[CP_CK_SIGNATURE] = "signature",
	[CP_CK_KVM] = "kvm",
	[CP_CK_ENV] = "env",
	[CP_CK_CAPSPROBE] = "capsprobe",
};


/* Where QEMU 7.2 looks for modules (util/module.c): CONFIG_QEMU_MODDIR,
 * relocated against the binary's own prefix; the binary's directory
 * (*.so files only); and /run/qemu/<package version> for module upgrades
 * (Debian).  QEMU_MODULE_DIR is not passed to the emulator.  The compiled-
 * in directory is unknown, so every distribution layout is listed, both
 * relocated and absolute: a superset can only invalidate more often. */
static const char *const mod_layouts[] = {
#ifdef CP_TRIPLET
	"/lib/" CP_TRIPLET "/qemu",
#endif
	"/lib64/qemu", "/lib/qemu",
};

struct moddir {
	char *path;
	bool so_only;
};

static void moddir_add(struct moddir *v, size_t *n, char *path, bool so_only)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].path, path) == 0) {
			free(path);
			return;
		}
	v[*n].path = path;
	v[(*n)++].so_only = so_only;
}

static size_t default_moddirs(const char *binary, struct moddir *v)
{
	char *bindir = cp_strdup(binary), *prefix, *slash;
	size_t n = 0;

	slash = strrchr(bindir, '/');
	if (slash)
		*(slash == bindir ? slash + 1 : slash) = '\0';
	else
		strcpy(bindir, ".");
	prefix = cp_strdup(bindir);
	slash = strrchr(prefix, '/');
	if (slash)
		*slash = '\0';	/* "/usr/bin" → "/usr"; "/bin" → "" */
	for (size_t i = 0; i < sizeof(mod_layouts) / sizeof(mod_layouts[0]); i++) {
		moddir_add(v, &n, cp_asprintf("%s%s", prefix, mod_layouts[i]), false);
		moddir_add(v, &n, cp_asprintf("/usr%s", mod_layouts[i]), false);
	}
	moddir_add(v, &n, bindir, true);
	moddir_add(v, &n, cp_strdup("/run/qemu"), false);
	free(prefix);
	return n;
}

static char *ts(const struct timespec *t)
{
	return cp_asprintf("%lld.%09ld", (long long)t->tv_sec, t->tv_nsec);
}

static void stat_line(struct cp_buf *b, const char *name, const struct stat *st)
{
	cp_buf_printf(b, " %s %llu %lld.%09ld %lld.%09ld\n", name, (unsigned long long)st->st_size,
		      (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		      (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* The names in path (only *.so with so_only), sorted; -errno when it
 * cannot be opened. */
static int dir_entries(const char *path, bool so_only, struct cp_strv *names)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && names->n < CP_LIST_MAX) {
		size_t l = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (so_only && (l < 3 || strcmp(de->d_name + l - 3, ".so") != 0))
			continue;
		cp_strv_push(names, cp_strdup(de->d_name));
	}
	closedir(d);
	cp_strv_sort(names);
	return 0;
}

static void list_moddir(struct cp_buf *b, const char *path, bool so_only, int depth);

/* One directory: "path\n" then " name size mtime ctime\n" per entry in
 * name order (" -\n" when it cannot be listed, rc the error); subdirectories
 * (the /run/qemu version directories) are listed one level deep. */
static void emit_moddir(struct cp_buf *b, const char *path, int rc, const struct cp_strv *names, bool so_only,
			int depth)
{
	cp_buf_printf(b, "%s\n", path);
	if (rc < 0) {
		cp_buf_puts(b, rc == -ENOENT ? " -\n" : " ?\n");
		return;
	}
	for (size_t i = 0; i < names->n; i++) {
		char *p = cp_asprintf("%s/%s", path, names->v[i]);
		struct stat st;

		if (stat(p, &st) < 0) {
			cp_buf_printf(b, " %s ?\n", names->v[i]);
		} else {
			stat_line(b, names->v[i], &st);
			if (S_ISDIR(st.st_mode) && depth > 0)
				list_moddir(b, p, so_only, depth - 1);
		}
		free(p);
	}
}

static void list_moddir(struct cp_buf *b, const char *path, bool so_only, int depth)
{
	struct cp_strv names = { 0 };
	int rc = dir_entries(path, so_only, &names);

	emit_moddir(b, path, rc, &names, so_only, depth);
	cp_strv_free(&names);
}

/* The *.so names of the binaries' own directories are memoized in the
 * cache (CP_CACHE_MODULES): /usr/bin has over a thousand entries, and
 * reading them was most of a warm run's key (0.7 ms).  A memo stands for a
 * directory while its dev, ino, mtime and ctime are the ones stat() gave
 * just before the names were read (any later change to its entries changes
 * them), and the named files are still stat()ed on every run, so the key
 * text is the one a listing gives.  Directory times are coarse (a tick, up
 * to 2 s on some file systems): an entry made in the same tick as the
 * listing, just after it, leaves them as they were.  So, as git does with
 * its index, a memo is trusted only when those times are at least 2 s
 * older than when the listing began (clock read before the stat), and not
 * from the future (a clock set back); a listing that is itself that recent
 * is not stored.  Storing is quiet: the memo only saves time. */
#define SO_MEMO_DIRS 16
#define SO_MEMO_RACY 2

static void add_str_owned(json_object *o, const char *k, char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
	free(v);
}

struct so_memo {
	struct cp_cache *c;
	const struct timespec *clock;	/* NULL: CLOCK_REALTIME */
	json_object *doc;		/* loaded on first use; NULL: none */
	bool loaded, dirty;
};

static bool ts_parse(const char *s, struct timespec *t)
{
	char *end;
	long long sec;
	long ns = 0;

	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno || end == s || *end != '.' || strlen(end + 1) != 9)
		return false;
	for (int i = 1; i <= 9; i++) {
		if (end[i] < '0' || end[i] > '9')
			return false;
		ns = ns * 10 + (end[i] - '0');
	}
	t->tv_sec = (time_t)sec;
	t->tv_nsec = ns;
	return true;
}

static bool ts_le(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* Are st's times at least SO_MEMO_RACY seconds older than listed? */
static bool stamp_settled(const struct stat *st, const struct timespec *listed)
{
	struct timespec m = st->st_mtim, c = st->st_ctim;

	m.tv_sec += SO_MEMO_RACY;
	c.tv_sec += SO_MEMO_RACY;
	return ts_le(&m, listed) && ts_le(&c, listed);
}

static bool str_member_is(json_object *o, const char *k, const char *want)
{
	json_object *v = cp_json_typed(o, k, json_type_string);

	return v && strcmp(json_object_get_string(v), want) == 0;
}

static json_object *so_memo_dirs(struct so_memo *m)
{
	if (!m->loaded) {
		m->loaded = true;
		if (cp_cache_load_small(m->c, CP_CACHE_MODULES, &m->doc) <= 0)
			cp_clear_error();
	}
	return cp_json_typed(m->doc, "dirs", json_type_array);
}

/* The memoized names of path into names when the memo stands for st (see
 * above); false when there is none, it is stale or untrusted, or it is
 * malformed (names not sorted *.so file names). */
static bool so_memo_get(struct so_memo *m, const char *path, const struct stat *st, const struct timespec *now,
			struct cp_strv *names)
{
	json_object *dirs = so_memo_dirs(m), *e = NULL, *v = NULL;
	struct timespec listed;
	char *dev, *ino, *mt, *ct;
	bool ok;

	for (size_t i = 0; dirs && i < json_object_array_length(dirs) && !e; i++) {
		e = json_object_array_get_idx(dirs, i);
		if (!str_member_is(e, "path", path))
			e = NULL;
	}
	if (!e)
		return false;
	dev = cp_asprintf("%llu", (unsigned long long)st->st_dev);
	ino = cp_asprintf("%llu", (unsigned long long)st->st_ino);
	mt = ts(&st->st_mtim);
	ct = ts(&st->st_ctim);
	ok = str_member_is(e, "dev", dev) && str_member_is(e, "ino", ino) && str_member_is(e, "mtime", mt) &&
	     str_member_is(e, "ctime", ct) && (v = cp_json_typed(e, "listed", json_type_string)) &&
	     ts_parse(json_object_get_string(v), &listed) && ts_le(&listed, now) && stamp_settled(st, &listed) &&
	     (v = cp_json_typed(e, "names", json_type_array)) && json_object_array_length(v) <= CP_LIST_MAX;
	free(dev);
	free(ino);
	free(mt);
	free(ct);
	for (size_t i = 0; ok && i < json_object_array_length(v); i++) {
		json_object *n = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(n, json_type_string) ? json_object_get_string(n) : NULL;
		size_t l = s ? strlen(s) : 0;

		ok = s && l == (size_t)json_object_get_string_len(n) && l >= 3 && strcmp(s + l - 3, ".so") == 0 &&
		     !strchr(s, '/') && (!names->n || strcmp(names->v[names->n - 1], s) < 0);
		if (ok)
			cp_strv_push(names, cp_strdup(s));
	}
	if (!ok) {
		cp_verbose("%s: its memo of *.so names is stale, too recent or malformed; listing it", path);
		cp_strv_free(names);
	}
	return ok;
}

/* Memoize names of path, listed at listed with st taken before. */
static void so_memo_put(struct so_memo *m, const char *path, const struct stat *st, const struct timespec *listed,
			const struct cp_strv *names)
{
	json_object *old = so_memo_dirs(m), *dirs = json_object_new_array(), *e = json_object_new_object();
	json_object *a = json_object_new_array();
	struct cp_buf program = { 0 };

	json_object_object_add(e, "path", json_object_new_string(path));
	add_str_owned(e, "dev", cp_asprintf("%llu", (unsigned long long)st->st_dev));
	add_str_owned(e, "ino", cp_asprintf("%llu", (unsigned long long)st->st_ino));
	add_str_owned(e, "mtime", ts(&st->st_mtim));
	add_str_owned(e, "ctime", ts(&st->st_ctim));
	add_str_owned(e, "listed", ts(listed));
	for (size_t i = 0; i < names->n; i++)
		json_object_array_add(a, json_object_new_string(names->v[i]));
	json_object_object_add(e, "names", a);
	/* the newest first; the others as they were, up to SO_MEMO_DIRS */
	json_object_array_add(dirs, e);
	cp_buf_printf(&program, "%s/*.so", path);
	for (size_t i = 0; old && i < json_object_array_length(old) && json_object_array_length(dirs) < SO_MEMO_DIRS;
	     i++) {
		json_object *o = json_object_array_get_idx(old, i), *p = cp_json_typed(o, "path", json_type_string);

		if (!p || strcmp(json_object_get_string(p), path) == 0)
			continue;
		json_object_array_add(dirs, json_object_get(o));
		cp_buf_printf(&program, " %s/*.so", json_object_get_string(p));
	}
	json_object_put(m->doc);
	m->doc = json_object_new_object();
	add_str_owned(m->doc, "program", cp_buf_steal(&program));
	json_object_object_add(m->doc, "dirs", dirs);
	m->dirty = true;
}

/* A so_only directory's listing, through the memo when there is a cache. */
static void so_listing(struct cp_buf *b, struct so_memo *m, const char *path)
{
	struct cp_strv names = { 0 };
	struct timespec now;
	struct stat st;
	bool stamped;
	int rc;

	if (!m->c) {
		list_moddir(b, path, true, 0);
		return;
	}
	if (m->clock)
		now = *m->clock;
	else
		clock_gettime(CLOCK_REALTIME, &now);
	stamped = stat(path, &st) == 0;
	if (stamped && so_memo_get(m, path, &st, &now, &names)) {
		emit_moddir(b, path, 0, &names, true, 0);
		cp_strv_free(&names);
		return;
	}
	rc = dir_entries(path, true, &names);
	emit_moddir(b, path, rc, &names, true, 0);
	if (rc == 0 && stamped && stamp_settled(&st, &now))
		so_memo_put(m, path, &st, &now, &names);
	cp_strv_free(&names);
}

static char *modules_listing(struct cp_cache *c, const char *binary, const struct cp_cache_inputs *in)
{
	struct moddir v[2 * sizeof(mod_layouts) / sizeof(mod_layouts[0]) + 2];
	struct so_memo m = { .c = c, .clock = in ? in->clock : NULL };
	struct cp_buf b = { 0 };
	size_t n = 0;

	if (in && (in->module_dirs || in->so_dirs)) {
		for (size_t i = 0; in->module_dirs && in->module_dirs[i]; i++)
			list_moddir(&b, in->module_dirs[i], false, 1);
		for (size_t i = 0; in->so_dirs && in->so_dirs[i]; i++)
			so_listing(&b, &m, in->so_dirs[i]);
	} else {
		n = default_moddirs(binary, v);
		for (size_t i = 0; i < n; i++) {
			if (v[i].so_only)
				so_listing(&b, &m, v[i].path);
			else
				list_moddir(&b, v[i].path, false, 1);
			free(v[i].path);
		}
	}
	if (m.dirty)
		cp_cache_store_small(c, CP_CACHE_MODULES, m.doc, true);
	json_object_put(m.doc);
	cp_buf_puts(&b, "");
	return cp_buf_steal(&b);
}

/* Distinct "microcode : X" values of cpuinfo, in order, comma-separated. */
static char *microcode_of(const struct cp_root *r, const char *path)
{
	struct cp_strv seen = { 0 };
	struct cp_buf b = { 0 };
	const char *text, *nl;
	size_t len;

	/* the text the host probes read too (cp_read_shared): one read a run */
	if (cp_read_shared(r, &text, &len, "%s", path) < 0) {
		cp_clear_error();
		return cp_strdup("");
	}
	for (const char *line = text, *end = text + len; line < end; line = nl + 1) {
		const char *colon, *v;
		bool dup = false;
		char *val;

		if (!(nl = memchr(line, '\n', (size_t)(end - line))))
			nl = end;
		colon = memchr(line, ':', (size_t)(nl - line));
		if (!colon || strncmp(line, "microcode", 9) != 0 || seen.n >= 64)
			continue;
		for (v = colon + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		val = cp_rstrip(cp_strndup(v, (size_t)(nl - v)));
		for (size_t i = 0; i < seen.n && !dup; i++)
			dup = strcmp(seen.v[i], val) == 0;
		if (dup) {
			free(val);
			continue;
		}
		cp_buf_printf(&b, "%s%s", b.len ? "," : "", val);
		cp_strv_push(&seen, val);
	}
	cp_strv_free(&seen);
	cp_buf_puts(&b, "");
	return cp_buf_steal(&b);
}

/* The CPU's identity: x86 CPUID leaf 1 EAX or aarch64 MIDR_EL1, then the
 * signature libvirt reads from /proc/cpuinfo, whose change makes libvirt's
 * own QEMU capabilities cache out of date (hostCPUSignature). */
static char *signature_of(const struct cp_root *r)
{
	char *s = NULL, *id = NULL, *sig = NULL, *out;

	if (cp_cpuid_live_ok()) {
		uint32_t regs[4];

		cp_cpuid_live(NULL, 1, 0, regs);
		id = cp_asprintf("cpuid1.eax=0x%08" PRIx32, regs[0]);
	} else if (cp_read_str(r, &s, "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1") == 0) {
		id = cp_asprintf("midr=%s", s);
		free(s);
	}
	cp_clear_error();
	if (cp_host_cpu_signature(r, &sig) < 0)
		cp_clear_error();
	out = cp_asprintf("%s%s%s", id ? id : "", id && sig ? "; " : "", sig ? sig : "");
	free(id);
	free(sig);
	return out;
}

extern char **environ;

/* The environment variables the emulator inherits besides the fixed ones
 * (process.c): only CAPSPROBE_FAKE_*, which steer tests/fake-qemu. */
static char *env_of(void)
{
	struct cp_strv v = { 0 };
	struct cp_buf b = { 0 };

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "CAPSPROBE_FAKE_", 15) == 0 || strncmp(*e, "CAPSPROBE_FACTS=", 16) == 0)
			cp_strv_push(&v, cp_strdup(*e));
	cp_strv_sort(&v);
	for (size_t i = 0; i < v.n; i++)
		cp_buf_printf(&b, "%s\n", v.v[i]);
	cp_strv_free(&v);
	cp_buf_puts(&b, "");
	return cp_buf_steal(&b);
}

static char *kernel_of(void)
{
	struct utsname u;

	return uname(&u) == 0 ? cp_asprintf("%s %s", u.release, u.version) : cp_strdup("");
}

static char *kvm_of(const struct cp_root *r)
{
	return cp_strdup(cp_host_kvm_usable(r) ? "1" : "0");
}

/* The live host-wide fields (and the module listing of each binary
 * directory) are computed once per process: every emulator of a `host`
 * run shares them, and /proc/cpuinfo is slow on large machines.  A run
 * lasts seconds; nothing here changes meaningfully within one. */
static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static char *memo[CP_CK_COUNT];
static struct cp_strv memo_dirs, memo_mods;

static char *memo_field(enum cp_ck f, const struct cp_root *r)
{
	char *v;

	pthread_mutex_lock(&memo_mu);
	if (!memo[f]) {
		switch (f) {
		case CP_CK_KERNEL: memo[f] = kernel_of(); break;
		case CP_CK_MICROCODE: memo[f] = microcode_of(r, "/proc/cpuinfo"); break;
		case CP_CK_SIGNATURE: memo[f] = signature_of(r); break;
		case CP_CK_KVM: memo[f] = kvm_of(r); break;
		default: memo[f] = cp_strdup(""); break;
		}
	}
	v = cp_strdup(memo[f]);
	pthread_mutex_unlock(&memo_mu);
	return v;
}

static char *memo_modules(struct cp_cache *c, const char *binary)
{
	const char *slash = strrchr(binary, '/');
	char *dir = cp_strndup(binary, slash ? (size_t)(slash - binary) : 0), *v = NULL;

	pthread_mutex_lock(&memo_mu);
	for (size_t i = 0; i < memo_dirs.n && !v; i++)
		if (strcmp(memo_dirs.v[i], dir) == 0)
			v = cp_strdup(memo_mods.v[i]);
	if (!v) {
		v = modules_listing(c, binary, NULL);
		cp_strv_push(&memo_dirs, dir);
		cp_strv_push(&memo_mods, cp_strdup(v));
		dir = NULL;
	}
	pthread_mutex_unlock(&memo_mu);
	free(dir);
	return v;
}

int cp_cache_key_get(struct cp_cache *c, const char *binary, const struct cp_cache_inputs *in,
		     struct cp_cache_key *out)
{
	static const struct cp_cache_inputs none = { 0 };
	/* only the live caller (in NULL) shares the per-process results */
	bool live = !in;
	struct cp_root *r;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!in)
		in = &none;
	if (stat(binary, &st) < 0)
		return cp_fail(-errno, "%s: %s", binary, strerror(errno));
	rc = cp_root_new(NULL, &r);
	if (rc < 0)
		return rc;
	out->f[CP_CK_BINARY] = cp_strdup(binary);
	out->f[CP_CK_DEV] = cp_asprintf("%llu", (unsigned long long)st.st_dev);
	out->f[CP_CK_INO] = cp_asprintf("%llu", (unsigned long long)st.st_ino);
	out->f[CP_CK_SIZE] = cp_asprintf("%lld", (long long)st.st_size);
	out->f[CP_CK_MTIME] = ts(&st.st_mtim);
	out->f[CP_CK_CTIME] = ts(&st.st_ctim);
	out->f[CP_CK_MODULES] = live ? memo_modules(c, binary) : modules_listing(c, binary, in);
	if (live) {
		out->f[CP_CK_KERNEL] = memo_field(CP_CK_KERNEL, r);
		out->f[CP_CK_MICROCODE] = memo_field(CP_CK_MICROCODE, r);
		out->f[CP_CK_SIGNATURE] = memo_field(CP_CK_SIGNATURE, r);
		out->f[CP_CK_KVM] = memo_field(CP_CK_KVM, r);
	} else {
		out->f[CP_CK_KERNEL] = in->kernel ? cp_strdup(in->kernel) : kernel_of();
		out->f[CP_CK_MICROCODE] = microcode_of(r, in->cpuinfo_path ? in->cpuinfo_path : "/proc/cpuinfo");
		out->f[CP_CK_SIGNATURE] = in->signature ? cp_strdup(in->signature) : signature_of(r);
		out->f[CP_CK_KVM] = kvm_of(r);
	}
	/* the environment may change between keys (tests do): never shared */
	out->f[CP_CK_ENV] = env_of();
	out->f[CP_CK_CAPSPROBE] = cp_strdup(in->version ? in->version : PACKAGE_VERSION);
	cp_root_free(r);
	return 0;
}

void cp_cache_key_free(struct cp_cache_key *k)
{
	for (int i = 0; i < CP_CK_COUNT; i++)
		free(k->f[i]);
	memset(k, 0, sizeof(*k));
}
