/* swtpm: the fact's parsing, its cache entry (hits, every kind of miss,
 * --refresh, no cache, corrupt entries), replay from a recorded tree, and
 * the ELF reading that keys the libraries.  The tools are scripts in a
 * scratch PATH; swtpm_setup logs each run, so a hit is a log that did not
 * grow. */
#include "config.h"

#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cache/store.h"
#include "qmp/process.h"
#include "domcaps/swtpm.h"
#include "util/path.h"
#include "util/str.h"

struct env {
	char *dir, *bin, *log, *cachedir;
	struct cp_cache *cache;
	struct cp_root *live;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void tool(const struct env *e, const char *name, const char *body)
{
	char *p = cp_asprintf("%s/%s", e->bin, name);

	write_file(p, body, 0755);
	free(p);
}

static void setup_env(struct env *e)
{
	char tmpl[] = "/tmp/check_swtpm.XXXXXX";
	char *setup;

	ck_assert(mkdtemp(tmpl) != NULL);
	e->dir = cp_strdup(tmpl);
	e->bin = cp_asprintf("%s/bin", e->dir);
	e->log = cp_asprintf("%s/log", e->dir);
	e->cachedir = cp_asprintf("%s/cache", e->dir);
	ck_assert_int_eq(mkdir(e->bin, 0755), 0);
	write_file(e->log, "", 0644);
	setup = cp_asprintf("#!/bin/sh\necho run >>'%s'\n"
			    "echo '{ \"type\": \"swtpm_setup\", \"features\": [ \"tpm-2.0\", \"x\" ], "
			    "\"version\": \"9.9\" }'\n", e->log);
	tool(e, "swtpm_setup", setup);
	free(setup);
	tool(e, "swtpm", "#!/bin/sh\nexit 0\n");
	tool(e, "swtpm_ioctl", "#!/bin/sh\nexit 0\n");
	ck_assert_int_eq(setenv("PATH", e->bin, 1), 0);
	unsetenv("LD_LIBRARY_PATH");
	ck_assert_int_eq(cp_cache_open(e->cachedir, true, &e->cache), 0);
	ck_assert_int_eq(cp_root_new(NULL, &e->live), 0);
}

static void teardown_env(struct env *e)
{
	char *cmd = cp_asprintf("/bin/rm -rf '%s'", e->dir);

	cp_cache_close(e->cache);
	cp_root_free(e->live);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(e->dir);
	free(e->bin);
	free(e->log);
	free(e->cachedir);
}

static int runs(const struct env *e)
{
	FILE *f = fopen(e->log, "r");
	int n = 0, c;

	ck_assert(f != NULL);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static struct cp_swtpm get(const struct env *e, struct cp_cache *c, bool refresh)
{
	struct cp_swtpm sw;

	ck_assert_int_eq(cp_swtpm_get(e->live, c, refresh, cp_clock_ms() + 30000, &sw), 0);
	return sw;
}

/* Set a file's mtime to t seconds (its ctime moves too). */
static void touch_at(const char *path, time_t t)
{
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	ck_assert_int_eq(utimes(path, tv), 0);
}

START_TEST(parse_fact)
{
	struct cp_swtpm sw;

	ck_assert_int_eq(cp_swtpm_parse("none\n", &sw), 0);
	ck_assert(!sw.usable && !sw.tpm12 && !sw.tpm20);
	ck_assert_int_eq(cp_swtpm_parse("{\"features\":[\"tpm-1.2\",\"tpm-2.0\",7]}\n", &sw), 0);
	ck_assert(sw.usable && sw.tpm12 && sw.tpm20);
	ck_assert_int_eq(cp_swtpm_parse("{}\n", &sw), 0);
	ck_assert(sw.usable && !sw.tpm12 && !sw.tpm20);
	/* garbage: the tools are there, their versions unknown */
	ck_assert_int_eq(cp_swtpm_parse("[1,2\n", &sw), 0);
	ck_assert(sw.usable && !sw.tpm12 && !sw.tpm20);
	ck_assert_int_eq(cp_swtpm_parse("{\"features\":\"tpm-2.0\"}", &sw), 0);
	ck_assert(sw.usable && !sw.tpm20);
}
END_TEST

START_TEST(cache_hits_and_misses)
{
	struct env e;
	struct cp_swtpm sw;
	char *setup, *entry;
	struct stat st;

	setup_env(&e);
	setup = cp_asprintf("%s/swtpm_setup", e.bin);
	entry = cp_asprintf("%s/%s", e.cachedir, CP_CACHE_SWTPM);

	sw = get(&e, e.cache, false);
	ck_assert(sw.usable && sw.tpm20 && !sw.tpm12);
	ck_assert_int_eq(runs(&e), 1);
	ck_assert_int_eq(stat(entry, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* hit */
	sw = get(&e, e.cache, false);
	ck_assert(sw.usable && sw.tpm20 && !sw.tpm12);
	ck_assert_int_eq(runs(&e), 1);

	/* a touched swtpm_setup runs again, once */
	touch_at(setup, 1000000000);
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 2);
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 2);
	/* so do swtpm and swtpm_ioctl */
	touch_at(setup, 1000000000);
	{
		char *p = cp_asprintf("%s/swtpm", e.bin);

		touch_at(p, 1000000001);
		free(p);
	}
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 3);
	tool(&e, "swtpm_ioctl", "#!/bin/sh\n# a new version\nexit 0\n");
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 4);
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 4);

	/* --refresh runs and rewrites; no cache runs every time */
	get(&e, e.cache, true);
	ck_assert_int_eq(runs(&e), 5);
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 5);
	get(&e, NULL, false);
	get(&e, NULL, false);
	ck_assert_int_eq(runs(&e), 7);

	/* a corrupt, truncated or foreign entry is ignored and rewritten */
	write_file(entry, "{\"format\":2,\"key\":", 0600);
	sw = get(&e, e.cache, false);
	ck_assert(sw.usable && sw.tpm20);
	ck_assert_int_eq(runs(&e), 8);
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 8);
	write_file(entry, "{\"format\":1,\"key\":{},\"fact\":\"none\\n\"}\n", 0600);
	sw = get(&e, e.cache, false);
	ck_assert(sw.usable && sw.tpm20);
	ck_assert_int_eq(runs(&e), 9);
	write_file(entry, "{\"format\":2,\"key\":[],\"fact\":\"none\\n\"}\n", 0600);
	sw = get(&e, e.cache, false);
	ck_assert(sw.usable && sw.tpm20);
	ck_assert_int_eq(runs(&e), 10);
	get(&e, e.cache, false);
	ck_assert_int_eq(runs(&e), 10);

	/* listed and cleared with the QEMU entries */
	{
		struct cp_cache_entry *v;
		size_t n;
		unsigned removed;

		ck_assert_int_eq(cp_cache_list(e.cache, &v, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(v[0].file, CP_CACHE_SWTPM);
		ck_assert_str_eq(v[0].emulator, setup);
		ck_assert_str_eq(v[0].qemu_version, "9.9");
		cp_cache_entries_free(v, n);
		ck_assert_int_eq(cp_cache_clear(e.cache, &removed), 0);
		ck_assert_uint_eq(removed, 1);
		ck_assert_int_ne(stat(entry, &st), 0);
	}

	/* a missing tool: nothing runs, nothing is cached */
	{
		char *p = cp_asprintf("%s/swtpm_ioctl", e.bin);

		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	sw = get(&e, e.cache, false);
	ck_assert(!sw.usable && !sw.tpm20);
	ck_assert_int_eq(runs(&e), 10);
	ck_assert_int_ne(stat(entry, &st), 0);

	free(setup);
	free(entry);
	teardown_env(&e);
}
END_TEST

/* A failed run gives no versions and is not cached: the next asks again. */
START_TEST(failing_setup)
{
	static const char *const bodies[] = {
		"echo '{\"features\":[\"tpm-2.0\"]}'\nexit 1\n",
		"echo 'not json'\n",
		"kill -9 $$\n",
	};
	struct env e;
	struct cp_swtpm sw;
	struct stat st;
	char *entry;

	setup_env(&e);
	entry = cp_asprintf("%s/%s", e.cachedir, CP_CACHE_SWTPM);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *body = cp_asprintf("#!/bin/sh\necho run >>'%s'\n%s", e.log, bodies[i]);

		tool(&e, "swtpm_setup", body);
		free(body);
		for (int k = 1; k <= 2; k++) {
			sw = get(&e, e.cache, false);
			ck_assert(sw.usable && !sw.tpm20);
			ck_assert_int_eq(runs(&e), (int)i * 2 + k);
			ck_assert_int_ne(stat(entry, &st), 0);
		}
	}
	free(entry);
	teardown_env(&e);
}
END_TEST

static int reopen(const char *dir, struct cp_root **r)
{
	char *tree = cp_asprintf("%s/tree", dir);
	int rc = cp_root_new(tree, r);

	free(tree);
	return rc;
}

START_TEST(recorded_tree)
{
	struct env e;
	struct cp_root *r;
	struct cp_swtpm sw;
	char *facts, *f;

	setup_env(&e);
	facts = cp_asprintf("%s/tree/capsprobe", e.dir);
	f = cp_asprintf("%s/tree", e.dir);
	ck_assert_int_eq(mkdir(f, 0755), 0);
	ck_assert_int_eq(mkdir(facts, 0755), 0);
	ck_assert_int_eq(cp_root_new(f, &r), 0);
	/* no fact: an error, and nothing runs */
	ck_assert_int_eq(cp_swtpm_get(r, e.cache, false, cp_clock_ms() + 30000, &sw), -ENOENT);
	cp_root_free(r);	/* a root reads each file once: a changed tree, a new root */
	free(f);
	f = cp_asprintf("%s/swtpm", facts);
	write_file(f, "{\"features\":[\"tpm-1.2\"]}\n", 0644);
	ck_assert_int_eq(reopen(e.dir, &r), 0);
	ck_assert_int_eq(cp_swtpm_get(r, e.cache, false, cp_clock_ms() + 30000, &sw), 0);
	ck_assert(sw.usable && sw.tpm12 && !sw.tpm20);
	cp_root_free(r);
	write_file(f, "none\n", 0644);
	ck_assert_int_eq(reopen(e.dir, &r), 0);
	ck_assert_int_eq(cp_swtpm_get(r, e.cache, false, cp_clock_ms() + 30000, &sw), 0);
	ck_assert(!sw.usable);
	ck_assert_int_eq(runs(&e), 0);
	cp_root_free(r);
	free(f);
	free(facts);
	teardown_env(&e);
}
END_TEST

/* The recorded fact of a live run is what the tools said. */
START_TEST(recording)
{
	struct env e;
	struct cp_swtpm sw;
	char *rec, *f, *text = NULL;
	size_t len;
	struct cp_root *r;

	setup_env(&e);
	rec = cp_asprintf("%s/rec", e.dir);
	ck_assert_int_eq(cp_root_record_into(e.live, rec), 0);
	ck_assert_int_eq(cp_swtpm_get(e.live, NULL, false, cp_clock_ms() + 30000, &sw), 0);
	f = cp_asprintf("%s/capsprobe/swtpm", rec);
	ck_assert_int_eq(cp_root_new(NULL, &r), 0);
	ck_assert_int_eq(cp_read(r, &text, &len, "%s", f), 0);
	ck_assert_str_eq(text, "{\"type\":\"swtpm_setup\",\"features\":[\"tpm-2.0\",\"x\"],\"version\":\"9.9\"}\n");
	cp_root_free(r);
	free(text);
	free(f);
	free(rec);
	teardown_env(&e);
}
END_TEST

START_TEST(elf_needed)
{
	struct cp_strv needed = { 0 };
	char *runpath = NULL, self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	bool libc = false;
	struct env e;

	ck_assert(n > 0);
	self[n] = '\0';
	ck_assert_int_eq(cp_elf_needed(self, &needed, &runpath), 0);
	for (size_t i = 0; i < needed.n; i++)
		libc = libc || cp_startswith(needed.v[i], "libc.so");
	ck_assert_msg(libc, "no libc.so among %zu needed libraries", needed.n);
	cp_strv_free(&needed);
	free(runpath);

	setup_env(&e);
	{
		char *p = cp_asprintf("%s/swtpm", e.bin);
		struct cp_strv none = { 0 };

		ck_assert_int_eq(cp_elf_needed(p, &none, &runpath), -ENOEXEC);
		ck_assert_uint_eq(none.n, 0);
		write_file(p, "\177ELF garbage", 0755);
		ck_assert_int_eq(cp_elf_needed(p, &none, &runpath), -ENOEXEC);
		ck_assert_uint_eq(none.n, 0);
		ck_assert_ptr_null(runpath);
		free(p);
	}
	teardown_env(&e);
}
END_TEST

/* This test program with one thing in its ELF headers changed, written to
 * path: each change cp_elf_needed must refuse or read as the loader would. */
enum elf_edit { ELF_TRUNCATED, ELF_NO_DYNAMIC, ELF_DYNAMIC_HUGE, ELF_DYNAMIC_AWAY,
		ELF_STRSZ_ZERO, ELF_NEEDED_TO_RPATH, ELF_NEEDED_TO_RUNPATH, ELF_EDITS };

static void edited_self(const char *path, enum elf_edit how)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	ElfW(Ehdr) *eh;
	ElfW(Phdr) *ph, *dynp = NULL;

	ck_assert_ptr_nonnull(f);
	do {
		cap += 1 << 20;
		buf = realloc(buf, cap);
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	eh = (ElfW(Ehdr) *)buf;
	ph = (ElfW(Phdr) *)(buf + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dynp = &ph[i];
	ck_assert_ptr_nonnull(dynp);
	switch (how) {
	case ELF_TRUNCATED: len = sizeof(*eh) + 8; break;
	case ELF_NO_DYNAMIC: dynp->p_type = PT_NULL; break;
	case ELF_DYNAMIC_HUGE: dynp->p_filesz = (ElfW(Xword))1 << 40; break;
	case ELF_DYNAMIC_AWAY: dynp->p_offset = (ElfW(Off))len * 2; break;
	default: {
		ElfW(Dyn) *d = (ElfW(Dyn) *)(buf + dynp->p_offset);
		bool done = false;

		for (; d->d_tag != DT_NULL && !done; d++) {
			if (how == ELF_STRSZ_ZERO && d->d_tag == DT_STRSZ) {
				d->d_un.d_val = 0;
				done = true;
			} else if (how != ELF_STRSZ_ZERO && d->d_tag == DT_NEEDED) {
				d->d_tag = how == ELF_NEEDED_TO_RPATH ? DT_RPATH : DT_RUNPATH;
				done = true;
			}
		}
		ck_assert(done);
	}
	}
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	free(buf);
}

START_TEST(elf_edited)
{
	static const struct { enum elf_edit how; int rc; bool any_needed; bool runpath; } cases[] = {
		{ ELF_TRUNCATED, -ENOEXEC, false, false },
		{ ELF_NO_DYNAMIC, 0, false, false },		/* static: no libraries */
		{ ELF_DYNAMIC_HUGE, -ENOEXEC, false, false },
		{ ELF_DYNAMIC_AWAY, -ENOEXEC, false, false },
		{ ELF_STRSZ_ZERO, -ENOEXEC, false, false },
		{ ELF_NEEDED_TO_RPATH, 0, true, true },
		{ ELF_NEEDED_TO_RUNPATH, 0, true, true },
	};
	char path[] = "/tmp/check_swtpm-elf-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_strv needed = { 0 };
		char *runpath = (char *)1;

		edited_self(path, cases[i].how);
		ck_assert_msg(cp_elf_needed(path, &needed, &runpath) == cases[i].rc, "edit %d", (int)cases[i].how);
		ck_assert_msg((needed.n > 0) == cases[i].any_needed, "edit %d: %zu needed", (int)cases[i].how, needed.n);
		ck_assert_msg((runpath != NULL) == cases[i].runpath, "edit %d: runpath", (int)cases[i].how);
		/* the path is the name the DT_NEEDED entry had: a library file name */
		if (runpath)
			ck_assert_msg(strstr(runpath, ".so"), "runpath '%s'", runpath);
		cp_strv_free(&needed);
		free(runpath);
	}
	unlink(path);
	{
		struct cp_strv needed = { 0 };
		char *runpath;

		ck_assert_int_eq(cp_elf_needed("/nonexistent/swtpm", &needed, &runpath), -ENOENT);
	}
}
END_TEST

/* A matching library appearing in LD_LIBRARY_PATH changes the key; here
 * swtpm is this test program and the match is libc. */
START_TEST(key_libraries)
{
	struct env e;
	char self[PATH_MAX], *lnk, *libdir, *lib;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	json_object *k1, *k2, *k3, *v;
	char *a;

	ck_assert(n > 0);
	self[n] = '\0';
	setup_env(&e);
	lnk = cp_asprintf("%s/swtpm", e.bin);
	ck_assert_int_eq(unlink(lnk), 0);
	ck_assert_int_eq(symlink(self, lnk), 0);
	libdir = cp_asprintf("%s/lib", e.dir);
	ck_assert_int_eq(mkdir(libdir, 0755), 0);
	ck_assert_int_eq(setenv("LD_LIBRARY_PATH", libdir, 1), 0);
	ck_assert_ptr_null(cp_swtpm_key("/nonexistent", "libc.so"));
	k1 = cp_swtpm_key(e.bin, "libc.so");
	ck_assert_ptr_nonnull(k1);
	ck_assert(json_object_object_get_ex(k1, "libs", &v));
	a = cp_strdup(json_object_get_string(v));
	ck_assert_msg(strstr(a, "/libc.so") != NULL, "libs: %s", a);
	ck_assert_msg(strstr(a, "/etc/ld.so.cache") != NULL, "libs: %s", a);
	ck_assert_msg(strstr(a, libdir) == NULL, "libs: %s", a);
	k2 = cp_swtpm_key(e.bin, "libc.so");
	ck_assert(json_object_equal(k1, k2));
	lib = cp_asprintf("%s/libc.so.6", libdir);
	write_file(lib, "not really", 0644);
	k3 = cp_swtpm_key(e.bin, "libc.so");
	ck_assert(json_object_object_get_ex(k3, "libs", &v));
	ck_assert_msg(strstr(json_object_get_string(v), libdir) != NULL, "libs: %s", json_object_get_string(v));
	ck_assert(!json_object_equal(k1, k3));
	json_object_put(k1);
	json_object_put(k2);
	json_object_put(k3);
	unsetenv("LD_LIBRARY_PATH");
	free(a);
	free(lib);
	free(libdir);
	free(lnk);
	teardown_env(&e);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("swtpm");
	TCase *tc = tcase_create("swtpm");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, parse_fact);
	tcase_add_test(tc, cache_hits_and_misses);
	tcase_add_test(tc, failing_setup);
	tcase_add_test(tc, recorded_tree);
	tcase_add_test(tc, recording);
	tcase_add_test(tc, elf_needed);
	tcase_add_test(tc, elf_edited);
	tcase_add_test(tc, key_libraries);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
