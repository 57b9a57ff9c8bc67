/* The probe cache (see cache.h): key computation, entry files, listing,
 * and the JSON form of a cp_qemu_probe. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "host/arch.h"
#include "host/cpuid.h"
#include "probe/answers.h"
#include "cache/store.h"
#include "domcaps/resolve.h"
#include "probe/schema.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonmem.h"
#include "util/path.h"
#include "util/str.h"

#define ENTRY_SUFFIX ".json"
#define TMP_PREFIX ".tmp-"
/* QMP answers nest at most CP_QMP_MAX_DEPTH (64) deep; an entry adds a few
 * levels around them. */
#define ENTRY_DEPTH 80

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

/* ---- SHA-256 (FIPS 180-4), only to name entry files ---- */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
			      ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
			      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

void cp_sha256_hex(const void *data, size_t len, char out[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = data;
	unsigned char tail[128] = { 0 };
	size_t full = len & ~(size_t)63, rest = len - full, tl;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t off = 0; off < full; off += 64)
		sha_block(h, p + off);
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tl = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha_block(h, tail);
	if (tl == 128)
		sha_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08" PRIx32, h[i]);
}

/* ---- key ---- */


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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
	if (names->n)
		qsort(names->v, names->n, sizeof(names->v[0]), cmp_str);
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

static int store_small(struct cp_cache *c, const char *name, json_object *doc, bool quiet);

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
		store_small(c, CP_CACHE_MODULES, m.doc, true);
	json_object_put(m.doc);
	cp_buf_puts(&b, "");
	return cp_buf_steal(&b);
}

/* Distinct "microcode : X" values of cpuinfo, in order, comma-separated. */
static char *microcode_of(const struct cp_root *r, const char *path)
{
	struct cp_strv seen = { 0 };
	struct cp_buf b = { 0 };
	char *text = NULL, *line, *save = NULL;
	size_t len;

	if (cp_read(r, &text, &len, "%s", path) < 0) {
		cp_clear_error();
		return cp_strdup("");
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *v;

		if (!cp_startswith(line, "microcode") || !colon)
			continue;
		v = colon + 1 + strspn(colon + 1, " \t");
		cp_rstrip(v);
		for (size_t i = 0; v && i < seen.n; i++)
			if (strcmp(seen.v[i], v) == 0)
				v = NULL;
		if (!v || seen.n >= 64)
			continue;
		cp_strv_push(&seen, cp_strdup(v));
		cp_buf_printf(&b, "%s%s", b.len ? "," : "", v);
	}
	cp_strv_free(&seen);
	free(text);
	cp_buf_puts(&b, "");
	return cp_buf_steal(&b);
}

static char *signature_of(const struct cp_root *r)
{
	char *s = NULL;

	if (cp_cpuid_live_ok()) {
		uint32_t out[4];

		cp_cpuid_live(NULL, 1, 0, out);
		return cp_asprintf("cpuid1.eax=0x%08" PRIx32, out[0]);
	}
	if (cp_read_str(r, &s, "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1") == 0) {
		char *m = cp_asprintf("midr=%s", s);

		free(s);
		return m;
	}
	cp_clear_error();
	return cp_strdup("");
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
	if (v.n)
		qsort(v.v, v.n, sizeof(v.v[0]), cmp_str);
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

/* ---- probe <-> JSON ---- */

/* Stable names of the questions in serialized probes: an enum reordering
 * must not change them; a new question is just a new name. */
const char *const cp_q_names[CP_Q_COUNT] = {
	[CP_Q_VERSION] = "version",
	[CP_Q_TARGET] = "target",
	[CP_Q_SCHEMA] = "schema",
	[CP_Q_KVM] = "kvm",
	[CP_Q_TYPES] = "types",
	[CP_Q_MAX_CPU_PROPS] = "max_cpu_props",
	[CP_Q_MACHINES] = "machines",
	[CP_Q_NONE_MACHINE_PROPS] = "none_machine_props",
	[CP_Q_PC_MACHINE_PROPS] = "pc_machine_props",
	[CP_Q_VIRT_MACHINE_PROPS] = "virt_machine_props",
	[CP_Q_CPU_DEFS] = "cpu_defs",
	[CP_Q_TPM_MODELS] = "tpm_models",
	[CP_Q_TPM_TYPES] = "tpm_types",
	[CP_Q_CMDLINE] = "cmdline",
	[CP_Q_GIC] = "gic",
	[CP_Q_SEV] = "sev",
	[CP_Q_SGX] = "sgx",
	[CP_Q_EXPAND] = "expand",
	[CP_Q_EXPAND_FULL] = "expand_full",
	[CP_Q_EXPAND_NONMIG] = "expand_nonmig",
	[CP_Q_EXPAND_NONMIG_FULL] = "expand_nonmig_full",
	[CP_Q_HV_EXPAND] = "hv_expand",
};

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *pass_to_json(const struct cp_qemu_pass *ps)
{
	json_object *o = json_object_new_object(), *ans = json_object_new_object();

	json_object_object_add(o, "ran", json_object_new_boolean(ps->ran));
	add_str(o, "accel", ps->accel);
	json_object_object_add(o, "kvm", json_object_new_boolean(ps->kvm));
	for (int q = 0; q < CP_Q_COUNT; q++) {
		const struct cp_qanswer *a = &ps->a[q];
		json_object *e;

		if (!a->asked)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "ret", a->text ? json_tokener_parse(a->text) : json_object_get(a->ret));
		if (a->err_class[0] || a->err_desc[0]) {
			add_str(e, "class", a->err_class);
			add_str(e, "desc", a->err_desc);
		}
		json_object_object_add(ans, cp_q_names[q], e);
	}
	json_object_object_add(o, "answers", ans);
	return o;
}

json_object *cp_probe_to_json(const struct cp_qemu_probe *p)
{
	json_object *o = json_object_new_object();

	add_str(o, "binary", p->binary);
	add_str(o, "arch", p->arch);
	json_object_object_add(o, "version", json_object_new_int64(p->version));
	add_str(o, "package", p->package);
	json_object_object_add(o, "kvm", json_object_new_boolean(p->kvm));
	json_object_object_add(o, "tcg", json_object_new_boolean(p->tcg));
	json_object_object_add(o, "pass1", pass_to_json(&p->pass1));
	json_object_object_add(o, "pass2", pass_to_json(&p->pass2));
	return o;
}

/* A string member, or NULL when absent or null (a non-string is an error). */
static int opt_str(json_object *o, const char *k, const char **out)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	if (v && !json_object_is_type(v, json_type_string))
		return -EBADMSG;
	*out = v ? json_object_get_string(v) : NULL;
	return 0;
}

static int copy_fixed(char *dst, size_t cap, json_object *o, const char *k)
{
	const char *s;

	if (opt_str(o, k, &s) < 0 || (s && strlen(s) >= cap))
		return -EBADMSG;
	snprintf(dst, cap, "%s", s ? s : "");
	return 0;
}

static int pass_from_json(json_object *o, struct cp_qemu_pass *ps)
{
	json_object *ran = cp_json_typed(o, "ran", json_type_boolean), *kvm = cp_json_typed(o, "kvm", json_type_boolean);
	json_object *ans = cp_json_typed(o, "answers", json_type_object);

	if (!ran || !kvm || !ans || copy_fixed(ps->accel, sizeof(ps->accel), o, "accel") < 0)
		return -EBADMSG;
	ps->ran = json_object_get_boolean(ran);
	ps->kvm = json_object_get_boolean(kvm);
	json_object_object_foreach(ans, name, e) {
		struct cp_qanswer *a = NULL;
		json_object *ret;

		for (int q = 0; q < CP_Q_COUNT && !a; q++)
			if (strcmp(cp_q_names[q], name) == 0)
				a = &ps->a[q];
		if (!a || a->asked || !json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "ret", &ret) ||
		    copy_fixed(a->err_class, sizeof(a->err_class), e, "class") < 0 ||
		    copy_fixed(a->err_desc, sizeof(a->err_desc), e, "desc") < 0)
			return -EBADMSG;
		a->asked = true;
		a->ret = json_object_get(ret);
		cp_answer_reduce((enum cp_q)(a - ps->a), &a->ret);
	}
	return 0;
}

/* A probe always has its arch (the prober fails without a known one), and
 * everything after a load relies on it: without one the entry is corrupt
 * (found by tests/fuzz/fuzz_domcaps.c: a NULL arch crashed `domain`). */
int cp_probe_from_json(json_object *o, struct cp_qemu_probe *out)
{
	json_object *ver = cp_json_typed(o, "version", json_type_int);
	json_object *kvm = cp_json_typed(o, "kvm", json_type_boolean), *tcg = cp_json_typed(o, "tcg", json_type_boolean);
	json_object *p1 = cp_json_typed(o, "pass1", json_type_object), *p2 = cp_json_typed(o, "pass2", json_type_object);
	const char *binary = NULL, *arch = NULL, *package = NULL;
	const struct cp_arch *a = NULL;
	int64_t v = ver ? json_object_get_int64(ver) : -1;

	memset(out, 0, sizeof(*out));
	if (!ver || v < 0 || v > UINT32_MAX || !kvm || !tcg || !p1 || !p2 ||
	    opt_str(o, "binary", &binary) < 0 || !binary || opt_str(o, "arch", &arch) < 0 ||
	    opt_str(o, "package", &package) < 0 || !arch || !(a = cp_arch_find(arch)))
		return cp_fail(-EBADMSG, "malformed serialized probe");
	out->binary = cp_strdup(binary);
	out->arch = a ? a->name : NULL;
	out->version = (unsigned)v;
	out->package = package ? cp_strdup(package) : NULL;
	out->kvm = json_object_get_boolean(kvm);
	out->tcg = json_object_get_boolean(tcg);
	if (pass_from_json(p1, &out->pass1) < 0 || pass_from_json(p2, &out->pass2) < 0) {
		cp_qemu_probe_free(out);
		return cp_fail(-EBADMSG, "malformed serialized probe answers");
	}
	return 0;
}

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

struct cp_cache {
	char *dir;
	int fd;
};

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

static bool is_entry_name(const char *n)
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

/* Read a whole entry file: regular, ours, bounded.  1 and the text (NUL-
 * terminated), 0 when there is none, -EBADMSG or -errno otherwise. */
static int read_entry(struct cp_cache *c, const char *name, char **out, size_t *outlen, uint64_t *size)
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

/* The JSON memory a load has charged to the process budget
 * (util/jsonmem.h), within max for the whole file; why: the first
 * refusal (-E2BIG over max, -ENOBUFS over the budget). */
struct charge {
	uint64_t cost, max;
	int why;
};

static const char *refusal(const struct charge *ch)
{
	return ch->why == -E2BIG ? "too large (its JSON would take too much memory)" :
	       ch->why == -ENOBUFS ? "not loaded (the memory budget for JSON is used up)" : NULL;
}

static bool take(struct charge *ch, uint64_t cost)
{
	if (cost > ch->max - ch->cost) {
		ch->why = ch->why ? ch->why : -E2BIG;
		return false;
	}
	if (cp_json_budget_take(cost) < 0) {
		ch->why = ch->why ? ch->why : -ENOBUFS;
		return false;
	}
	ch->cost += cost;
	return true;
}

/* Parse exactly len bytes as one JSON value, priced and charged. */
static json_object *parse_exact(const char *s, size_t len, struct charge *ch)
{
	uint64_t cost;
	int why = 0;
	json_object *o = cp_json_parse_priced(s, len, ENTRY_DEPTH, ch->max - ch->cost, &cost, &why);

	if (o)
		ch->cost += cost;
	else if (why != -EBADMSG && !ch->why)
		ch->why = why;
	return o;
}

/* An entry is one JSON document laid out in lines, so that a load parses
 * only the answers its request needs (the full x86 schema costs
 * milliseconds; a <guest> needs five small answers):
 *   {"format":2,...,"key":{...},"probe":{...},"answers":[
 *   {"p":1,"q":"version","ret":...},
 *   ...
 *   {"p":2,"q":"machines","ret":...}
 *   ]}
 * Serialized JSON has no raw newline, so lines are the answers.  The
 * header line is parsed with "]}" appended. */
#define HEADER_END "\"answers\":["
#define ENTRY_END "\n]}\n"

static json_object *parse_header(const char *buf, size_t len, const char **body, struct charge *ch)
{
	const char *nl = memchr(buf, '\n', len);
	size_t hl = nl ? (size_t)(nl - buf) : 0;
	json_object *doc;
	char *h;

	if (!nl || hl < strlen(HEADER_END) || memcmp(nl - strlen(HEADER_END), HEADER_END, strlen(HEADER_END)))
		return NULL;
	h = cp_malloc(hl + 3);
	memcpy(h, buf, hl);
	memcpy(h + hl, "]}", 3);
	doc = parse_exact(h, hl + 2, ch);
	free(h);
	if (doc && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
	}
	*body = nl + 1;
	return doc;
}

static int entry_format(json_object *doc)
{
	json_object *f = cp_json_typed(doc, "format", json_type_int);

	return f ? json_object_get_int(f) : -1;
}

/* The questions a light probe asks (probe.c's table, light column). */
#define LIGHT_QS ((1u << CP_Q_VERSION) | (1u << CP_Q_TARGET) | (1u << CP_Q_KVM) | \
		  (1u << CP_Q_TYPES) | (1u << CP_Q_MACHINES))

/* A line {"p":N,"q":"name","ret":VALUE} (q1 at the closing quote of name)
 * as text, charged as if parsed (the rules parse parts of it); 0 when it
 * has any other shape (an error answer), -EBADMSG when refused. */
static int lazy_answer(const char *line, size_t len, const char *q1, struct cp_qanswer *a,
		       struct charge *ch)
{
	const char *v = q1 + 8, *end = line + len - 1;
	struct cp_json_scan sc;

	if (v >= end || memcmp(q1, "\",\"ret\":", 8) != 0 || *end != '}' || *v == 'n' ||
	    cp_json_skip(v, end) != end)
		return 0;
	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, v, (size_t)(end - v));
	if (!take(ch, cp_json_scan_cost(&sc) + (uint64_t)(end - v)))
		return -EBADMSG;
	a->asked = true;
	a->text = cp_strndup(v, (size_t)(end - v));
	a->text_len = (size_t)(end - v);
	return 1;
}

/* One answer line: {"p":N,"q":"name",...}[,] — which answer it is comes
 * from the fixed prefix, so that unneeded lines are skipped unparsed. */
static int answer_line(const char *line, size_t len, struct cp_qemu_probe *out, bool light, bool pass2,
		       struct charge *ch)
{
	struct cp_qemu_pass *ps;
	const char *q0 = line + 12, *q1;	/* after {"p":N,"q":" */
	struct cp_qanswer *a;
	json_object *o, *ret;
	int q, rc;

	if (len && line[len - 1] == ',')
		len--;
	if (len < 16 || memcmp(line, "{\"p\":", 5) != 0 || (line[5] != '1' && line[5] != '2') ||
	    memcmp(line + 6, ",\"q\":\"", 6) != 0 || !(q1 = memchr(q0, '"', len - 12)))
		return -EBADMSG;
	for (q = 0; q < CP_Q_COUNT; q++)
		if ((size_t)(q1 - q0) == strlen(cp_q_names[q]) && memcmp(q0, cp_q_names[q], (size_t)(q1 - q0)) == 0)
			break;
	if (q == CP_Q_COUNT)
		return -EBADMSG;
	ps = line[5] == '1' ? &out->pass1 : &out->pass2;
	if ((light && !(LIGHT_QS & (1u << q))) || (ps == &out->pass2 && !pass2))
		return 0;
	a = &ps->a[q];
	if (a->asked)
		return -EBADMSG;
	/* the schema (most of an entry's bytes) stays text, checked for
	 * nesting only: the rules index it and parse the entries they query */
	if (q == CP_Q_SCHEMA && (rc = lazy_answer(line, len, q1, a, ch)) != 0)
		return rc < 0 ? rc : 0;
	if (!(o = parse_exact(line, len, ch)))
		return -EBADMSG;
	/* an answer that is not an error has the shape QEMU's had */
	if (!json_object_object_get_ex(o, "ret", &ret) ||
	    copy_fixed(a->err_class, sizeof(a->err_class), o, "class") < 0 ||
	    copy_fixed(a->err_desc, sizeof(a->err_desc), o, "desc") < 0 ||
	    (!a->err_class[0] && !a->err_desc[0] &&
	     cp_answer_check((enum cp_q)q, ret, out->arch, true, cp_q_names[q], out->binary) < 0)) {
		json_object_put(o);
		return -EBADMSG;
	}
	a->asked = true;
	a->ret = json_object_get(ret);
	cp_answer_reduce((enum cp_q)q, &a->ret);
	json_object_put(o);
	return 0;
}

static int load_probe(json_object *doc, const char *body, const char *end, const struct cp_probe_req *req,
		      struct cp_qemu_probe *out, struct charge *ch)
{
	json_object *probe = cp_json_typed(doc, "probe", json_type_object);
	bool light = req && req->light;
	bool pass2;

	if (!probe || cp_probe_from_json(probe, out) < 0)
		return -EBADMSG;
	/* what a probe for this request would have: pass 2 only for TCG */
	pass2 = out->pass2.ran && (!req || req->need_tcg);
	if (!pass2)
		out->pass2.ran = false;
	while (body < end) {
		const char *nl = memchr(body, '\n', (size_t)(end - body));
		int rc;

		if (!nl)
			return -EBADMSG;
		rc = answer_line(body, (size_t)(nl - body), out, light, pass2, ch);
		if (rc < 0)
			return rc;
		body = nl + 1;
	}
	return 0;
}

int cp_cache_load(struct cp_cache *c, const struct cp_cache_key *key, const struct cp_probe_req *req,
		  struct cp_qemu_probe *out)
{
	char name[65 + sizeof(ENTRY_SUFFIX)];
	const char *bin = key->f[CP_CK_BINARY], *body, *why = NULL;
	struct charge ch = { .max = CP_CACHE_MAX_COST };
	json_object *doc = NULL, *k;
	char *buf = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	entry_name(bin, name);
	rc = read_entry(c, name, &buf, &len, NULL);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		cp_verbose("cache entry %s/%s for %s: %s, ignored", c->dir, name, bin,
			   rc == -EBADMSG ? "not a regular file of ours, or too large" : strerror(-rc));
		return rc;
	}
	rc = -EBADMSG;
	if (len < strlen(ENTRY_END) || strcmp(buf + len - strlen(ENTRY_END), ENTRY_END) != 0) {
		why = "truncated";
		goto out;
	}
	if (!(doc = parse_header(buf, len, &body, &ch))) {
		why = refusal(&ch) ? refusal(&ch) : "corrupt";
		goto out;
	}
	if (entry_format(doc) != CP_CACHE_FORMAT) {
		why = "another format";
		goto out;
	}
	k = cp_json_typed(doc, "key", json_type_object);
	for (int i = 0; i < CP_CK_COUNT; i++) {
		json_object *v = cp_json_typed(k, cp_cache_key_names[i], json_type_string);

		if (!v || strcmp(json_object_get_string(v), key->f[i]) != 0) {
			cp_verbose("cache entry for %s is stale: %s changed", bin, cp_cache_key_names[i]);
			rc = -ESTALE;
			goto out;
		}
	}
	rc = load_probe(doc, body, buf + len - strlen(ENTRY_END) + 1, req, out, &ch);
	if (rc == 0 && (!out->binary || strcmp(out->binary, bin) != 0))
		rc = -EBADMSG;
	if (rc < 0) {
		why = refusal(&ch) ? refusal(&ch) : "malformed probe";
	} else if (req && !cp_cache_covers(out, req)) {
		cp_verbose("cache entry for %s lacks answers this request needs", bin);
		rc = -ENODATA;
	} else {
		rc = 1;
	}
out:
	if (why)
		cp_verbose("cache entry %s/%s for %s: %s, ignored", c->dir, name, bin, why);
	json_object_put(doc);
	if (rc != 1) {
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

static void answer_lines(struct cp_buf *b, int n, const struct cp_qemu_pass *ps)
{
	for (int q = 0; q < CP_Q_COUNT; q++) {
		const struct cp_qanswer *a = &ps->a[q];
		json_object *o;

		if (!a->asked)
			continue;
		if (a->text) {
			/* a loaded schema goes back as it came */
			cp_buf_printf(b, "%s\n{\"p\":%d,\"q\":\"%s\",\"ret\":", b->s[b->len - 1] == '[' ? "" : ",",
				      n, cp_q_names[q]);
			cp_buf_add(b, a->text, a->text_len);
			cp_buf_putc(b, '}');
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "p", json_object_new_int(n));
		add_str(o, "q", cp_q_names[q]);
		json_object_object_add(o, "ret", json_object_get(a->ret));
		if (a->err_class[0] || a->err_desc[0]) {
			add_str(o, "class", a->err_class);
			add_str(o, "desc", a->err_desc);
		}
		cp_buf_printf(b, "%s\n%s", b->s[b->len - 1] == '[' ? "" : ",",
			      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
}

static char *entry_text(const struct cp_cache_key *key, const struct cp_qemu_probe *p, size_t *len)
{
	json_object *doc = json_object_new_object(), *k = json_object_new_object(), *probe;
	struct cp_buf b = { 0 };
	const char *h;
	char ver[32];

	for (int i = 0; i < CP_CK_COUNT; i++)
		add_str(k, cp_cache_key_names[i], key->f[i]);
	snprintf(ver, sizeof(ver), "%u.%u.%u", p->version / 1000000, p->version / 1000 % 1000,
		 p->version % 1000);
	json_object_object_add(doc, "format", json_object_new_int(CP_CACHE_FORMAT));
	json_object_object_add(doc, "written", json_object_new_int64((int64_t)time(NULL)));
	add_str(doc, "emulator", key->f[CP_CK_BINARY]);
	add_str(doc, "qemu_version", ver);
	json_object_object_add(doc, "key", k);
	/* the probe without its answers: those follow, one per line */
	probe = cp_probe_to_json(p);
	json_object_object_add(json_object_object_get(probe, "pass1"), "answers", json_object_new_object());
	json_object_object_add(json_object_object_get(probe, "pass2"), "answers", json_object_new_object());
	json_object_object_add(doc, "probe", probe);
	h = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	cp_buf_add(&b, h, strlen(h) - 1);	/* without the closing brace */
	cp_buf_puts(&b, "," HEADER_END);
	json_object_put(doc);
	answer_lines(&b, 1, &p->pass1);
	answer_lines(&b, 2, &p->pass2);
	cp_buf_puts(&b, ENTRY_END);
	*len = b.len;
	return cp_buf_steal(&b);
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

static int dir_names(struct cp_cache *c, bool (*keep)(const char *), struct cp_strv *out);

static bool is_tmp_name(const char *n)
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

	if (dir_names(c, is_tmp_name, &names) < 0) {
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

int cp_cache_store(struct cp_cache *c, const struct cp_cache_key *key, const struct cp_qemu_probe *p)
{
	char name[65 + sizeof(ENTRY_SUFFIX)];
	size_t len;
	char *text;
	int rc;

	entry_name(key->f[CP_CK_BINARY], name);
	text = entry_text(key, p, &len);
	rc = write_entry(c, name, text, len, key->f[CP_CK_BINARY]);
	free(text);
	return rc;
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

/* A small entry is one JSON object, the whole file.  Its charge is given
 * back at once: its owner reads it and frees it. */
static json_object *small_doc(const char *buf, size_t len)
{
	struct charge ch = { .max = CP_CACHE_MAX_SMALL_COST };
	json_object *doc = parse_exact(buf, len, &ch);

	cp_json_budget_give(ch.cost);

	if (doc && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

int cp_cache_load_small(struct cp_cache *c, const char *name, json_object **doc)
{
	char *buf = NULL;
	size_t len;
	int rc;

	*doc = NULL;
	rc = read_entry(c, name, &buf, &len, NULL);
	if (rc == 0)
		return 0;
	if (rc > 0) {
		*doc = small_doc(buf, len);
		rc = 1;
		if (!*doc || entry_format(*doc) != CP_CACHE_FORMAT)
			rc = -EBADMSG;
	}
	free(buf);
	if (rc < 0) {
		cp_verbose("cache entry %s/%s: %s, ignored", c->dir, name,
			   rc == -EBADMSG ? "corrupt, of another format, not a regular file of ours, or too large" :
			   strerror(-rc));
		json_object_put(*doc);
		*doc = NULL;
	}
	return rc;
}

/* quiet: a failure is said under --verbose only (the modules memo). */
static int store_small(struct cp_cache *c, const char *name, json_object *doc, bool quiet)
{
	const char *text;
	int rc;

	json_object_object_add(doc, "format", json_object_new_int(CP_CACHE_FORMAT));
	json_object_object_add(doc, "written", json_object_new_int64((int64_t)time(NULL)));
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!quiet)
		return write_entry(c, name, text, strlen(text), name);
	sweep_stale(c);
	rc = try_write_entry(c, name, text, strlen(text));
	if (rc < 0)
		cp_verbose("cannot write the cache entry %s in %s: %s", name, c->dir, strerror(-rc));
	return rc;
}

int cp_cache_store_small(struct cp_cache *c, const char *name, json_object *doc)
{
	return store_small(c, name, doc, false);
}

/* ---- list / clear ---- */

/* Names in the directory that pass keep(), sorted. */
static int dir_names(struct cp_cache *c, bool (*keep)(const char *), struct cp_strv *out)
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
	if (out->n)
		qsort(out->v, out->n, sizeof(out->v[0]), cmp_str);
	return 0;
}

int cp_cache_list(struct cp_cache *c, struct cp_cache_entry **out, size_t *n)
{
	struct cp_strv names = { 0 };
	int rc = dir_names(c, is_entry_name, &names);

	*out = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	*out = cp_calloc(names.n + 1, sizeof(**out));
	for (size_t i = 0; i < names.n; i++) {
		struct cp_cache_entry *e = &(*out)[*n];
		json_object *doc = NULL, *w;
		const char *s, *body;
		char *buf = NULL;
		size_t len;
		bool small;
		int rc = read_entry(c, names.v[i], &buf, &len, &e->size);

		if (rc == 0)
			continue;	/* removed meanwhile */
		e->file = cp_strdup(names.v[i]);
		(*n)++;
		small = is_small_name(names.v[i]);
		if (rc > 0) {
			struct charge ch = { .max = CP_CACHE_MAX_COST };

			doc = small ? small_doc(buf, len) : parse_header(buf, len, &body, &ch);
			cp_json_budget_give(ch.cost);	/* a few strings are read */
		}
		free(buf);
		if (!doc || entry_format(doc) != CP_CACHE_FORMAT) {
			json_object_put(doc);
			continue;
		}
		if (opt_str(doc, small ? "program" : "emulator", &s) == 0 && s)
			e->emulator = cp_strdup(s);
		if (opt_str(doc, small ? "version" : "qemu_version", &s) == 0 && s)
			e->qemu_version = cp_strdup(s);
		if ((w = cp_json_typed(doc, "written", json_type_int)))
			e->written = json_object_get_int64(w);
		json_object_put(doc);
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
	return is_entry_name(n) || (cp_startswith(n, TMP_PREFIX) && strlen(n) > strlen(TMP_PREFIX));
}

int cp_cache_clear(struct cp_cache *c, unsigned *removed)
{
	struct cp_strv names = { 0 };
	unsigned count = 0;
	int rc = dir_names(c, is_ours, &names);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		if (unlinkat(c->fd, names.v[i], 0) < 0) {
			if (errno == ENOENT)
				continue;
			rc = cp_fail(-errno, "cannot remove %s/%s: %s", c->dir, names.v[i], strerror(errno));
			break;
		}
		count += is_entry_name(names.v[i]);
	}
	cp_strv_free(&names);
	if (removed)
		*removed = count;
	return rc;
}
