/* The probe cache: SHA-256, probe (de)serialization, every key
 * invalidation on injected inputs, corruption, permissions and unsafe
 * directories, read-only and full stores, concurrent writers and readers,
 * list and clear.  Nothing depends on the live host's values. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache/store.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/jsonmem.h"
#include "util/path.h"
#include "util/str.h"
#include "handmade.h"
#include "check_skip.h"

static inline const char *fixture_dir(void);	/* check_main.h */

#define NOBODY 65534

/* ---- a fake host: binary, module dir, /dev/kvm, cpuinfo, cache dir ---- */

struct env {
	char *root;
	char *binary;
	char *mods;
	char *facts;	/* stated facts (CAPSPROBE_FACTS): KVM usable or not */
	char *cpuinfo;
	char *cache;
	const char *moddirs[2];
	struct cp_cache_inputs in;
	struct cp_qemu_probe probe;
};

static char *path_in(const struct env *e, const char *rel)
{
	return cp_asprintf("%s/%s", e->root, rel);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A small entry's text: one line (cache/entry.h). */
static void write_doc(const char *path, json_object *doc)
{
	char *text = cp_asprintf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));

	write_file(path, text);
	free(text);
}

static void load_probe(const char *binary, struct cp_qemu_probe *p)
{
	char *f1 = cp_asprintf("%s/qemu/handmade/x86_64-kvm.json", fixture_dir());
	char *f2 = cp_asprintf("%s/qemu/handmade/x86_64-tcg.json", fixture_dir());

	ck_assert_int_eq(handmade_load(binary, "x86_64", f1, f2, p), 0);
	p->version = 7002022;
	p->package = cp_strdup("Debian 1:7.2+dfsg-7+deb12u7");
	free(f1);
	free(f2);
}

static void env_setup(struct env *e)
{
	const char *tmp = getenv("TMPDIR");

	memset(e, 0, sizeof(*e));
	e->root = cp_asprintf("%s/check_cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(e->root));
	e->binary = path_in(e, "qemu-system-x86_64");
	e->mods = path_in(e, "mods");
	e->facts = path_in(e, "facts");
	e->cpuinfo = path_in(e, "cpuinfo");
	e->cache = path_in(e, "cache");
	write_file(e->binary, "#!/bin/false\n");
	ck_assert_int_eq(mkdir(e->mods, 0755), 0);
	{
		char *m = path_in(e, "mods/accel-tcg-x86_64.so");

		write_file(m, "module");
		free(m);
	}
	ck_assert_int_eq(mkdir(e->facts, 0755), 0);
	{
		char *k = path_in(e, "facts/kvm");

		write_file(k, "1\n");
		free(k);
	}
	setenv("CAPSPROBE_FACTS", e->facts, 1);
	write_file(e->cpuinfo, "processor\t: 0\nmicrocode\t: 0xa0011d1\n\nprocessor\t: 1\n"
		   "microcode\t: 0xa0011d1\n");
	e->moddirs[0] = e->mods;
	e->in = (struct cp_cache_inputs){
		.module_dirs = e->moddirs,
		.cpuinfo_path = e->cpuinfo,
		.kernel = "6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)",
		.signature = "cpuid1.eax=0x00a00f11",
		.version = "0.1.0",
	};
	load_probe(e->binary, &e->probe);
}

static void env_teardown(struct env *e)
{
	char *cmd = cp_asprintf("rm -rf '%s'", e->root);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	handmade_free(&e->probe);
	free(e->root);
	free(e->binary);
	free(e->mods);
	unsetenv("CAPSPROBE_FACTS");
	free(e->facts);
	free(e->cpuinfo);
	free(e->cache);
}

static char *probe_text(const struct cp_qemu_probe *p)
{
	json_object *o = cp_probe_to_json(p);
	char *s = cp_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return s;
}

static char *entry_path(const struct env *e, const char *binary)
{
	char h[65];

	cp_sha256_hex(binary, strlen(binary), h);
	return cp_asprintf("%s/%s.json", e->cache, h);
}

/* Load must hit and give back exactly what was stored. */
static void assert_hit(struct cp_cache *c, const struct cp_cache_key *k, const struct cp_qemu_probe *want)
{
	struct cp_qemu_probe got;
	char *a, *b;

	ck_assert_int_eq(cp_cache_load(c, k, NULL, &got), 1);
	a = probe_text(want);
	b = probe_text(&got);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	cp_qemu_probe_free(&got);
}

static void assert_miss(struct cp_cache *c, const struct cp_cache_key *k, int why)
{
	struct cp_qemu_probe got;

	ck_assert_int_eq(cp_cache_load(c, k, NULL, &got), why);
	ck_assert_ptr_null(got.binary);
	ck_assert_ptr_null(got.pass1.a[CP_Q_VERSION].ret);
}

/* ------------------------------------------------------------------ */

START_TEST(sha256_vectors)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		  "klmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char out[65];
	char *million = cp_malloc(1000000);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cp_sha256_hex(v[i].in, strlen(v[i].in), out);
		ck_assert_str_eq(out, v[i].out);
	}
	memset(million, 'a', 1000000);
	cp_sha256_hex(million, 1000000, out);
	ck_assert_str_eq(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}
END_TEST

START_TEST(probe_json_roundtrip)
{
	struct cp_qemu_probe p, q;
	json_object *o, *parsed;
	char *s1, *s2;
	int asked = 0;

	load_probe("/usr/bin/qemu-system-x86_64", &p);
	/* an error answer with a description, as QEMU gives them */
	p.pass1.a[CP_Q_SGX].asked = true;
	snprintf(p.pass1.a[CP_Q_SGX].err_class, sizeof(p.pass1.a[CP_Q_SGX].err_class), "GenericError");
	snprintf(p.pass1.a[CP_Q_SGX].err_desc, sizeof(p.pass1.a[CP_Q_SGX].err_desc), "SGX \"not\" here");
	json_object_put(p.pass1.a[CP_Q_SGX].ret);
	p.pass1.a[CP_Q_SGX].ret = NULL;

	o = cp_probe_to_json(&p);
	s1 = cp_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	parsed = json_tokener_parse(s1);
	ck_assert_ptr_nonnull(parsed);
	ck_assert_int_eq(cp_probe_from_json(parsed, &q), 0);
	json_object_put(parsed);

	ck_assert_str_eq(q.binary, p.binary);
	ck_assert_str_eq(q.arch, "x86_64");
	ck_assert_uint_eq(q.version, 7002022);
	ck_assert_str_eq(q.package, p.package);
	ck_assert(q.kvm == p.kvm && q.tcg == p.tcg);
	ck_assert(q.pass1.ran && q.pass2.ran);
	ck_assert_str_eq(q.pass1.accel, "kvm:tcg");
	ck_assert_str_eq(q.pass2.accel, "tcg");
	for (int n = 0; n < 2; n++) {
		const struct cp_qemu_pass *a = n ? &p.pass2 : &p.pass1, *b = n ? &q.pass2 : &q.pass1;

		ck_assert(a->kvm == b->kvm);
		for (int i = 0; i < CP_Q_COUNT; i++) {
			ck_assert(a->a[i].asked == b->a[i].asked);
			ck_assert_str_eq(a->a[i].err_class, b->a[i].err_class);
			ck_assert_str_eq(a->a[i].err_desc, b->a[i].err_desc);
			ck_assert_msg(json_object_equal(a->a[i].ret, b->a[i].ret), "pass %d q %d", n + 1, i);
			asked += a->a[i].asked;
		}
	}
	ck_assert_int_gt(asked, 10);
	ck_assert_str_eq(q.pass1.a[CP_Q_SGX].err_desc, "SGX \"not\" here");
	ck_assert_ptr_null(q.pass1.a[CP_Q_SGX].ret);
	s2 = probe_text(&q);
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	cp_qemu_probe_free(&q);
	handmade_free(&p);
}
END_TEST

static json_object *reduced(enum cp_q q, const char *text)
{
	json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL || strcmp(text, "null") == 0, "bad test JSON %s", text);
	cp_answer_reduce(q, &o);
	return o;
}

static void assert_json(json_object *o, const char *want)
{
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), want);
}

START_TEST(answer_reduce)
{
	json_object *o, *again;
	struct cp_qemu_probe p;

	/* property and type lists: their names, sorted, once; other shapes dropped */
	o = reduced(CP_Q_TYPES, "[{\"name\":\"b\",\"parent\":\"x\"},{\"name\":\"a\",\"abstract\":true},"
		    "{\"name\":\"b\"},{\"nom\":\"z\"},{\"name\":7},5,null,\"c\"]");
	assert_json(o, "[\"a\",\"b\",\"c\"]");
	ck_assert(cp_json_name_set_has(o, "a") && cp_json_name_set_has(o, "b") && cp_json_name_set_has(o, "c"));
	ck_assert(!cp_json_name_set_has(o, "") && !cp_json_name_set_has(o, "0") && !cp_json_name_set_has(o, "bb") &&
		  !cp_json_name_set_has(o, "d") && !cp_json_name_set_has(o, "z"));
	/* a reduced answer stays as it is (a cache load reduces again) */
	again = json_object_get(o);
	cp_answer_reduce(CP_Q_TYPES, &again);
	ck_assert_ptr_eq(again, o);
	json_object_put(again);
	json_object_put(o);
	for (enum cp_q q = CP_Q_MAX_CPU_PROPS; q <= CP_Q_VIRT_MACHINE_PROPS; q++) {
		if (q == CP_Q_MACHINES)
			continue;
		o = reduced(q, "[{\"name\":\"migratable\",\"type\":\"bool\"},{\"name\":\"i8042\"}]");
		assert_json(o, "[\"i8042\",\"migratable\"]");
		json_object_put(o);
	}
	/* command-line options and their parameters */
	o = reduced(CP_Q_CMDLINE, "[{\"option\":\"spice\",\"parameters\":[]},{\"option\":\"run-with\","
		    "\"parameters\":[{\"name\":\"chroot\",\"type\":\"string\"},{\"name\":\"async-teardown\"},"
		    "{\"type\":\"x\"}]},{\"option\":\"m\",\"parameters\":{\"name\":\"size\"}}]");
	assert_json(o, "[\"m\",\"run-with\",\"run-with.async-teardown\",\"run-with.chroot\",\"spice\"]");
	ck_assert(cp_json_name_set_has(o, "run-with.async-teardown") && !cp_json_name_set_has(o, "m.size"));
	again = json_object_get(o);
	cp_answer_reduce(CP_Q_CMDLINE, &again);
	ck_assert_ptr_eq(again, o);
	json_object_put(again);
	json_object_put(o);
	/* not a list: an empty set; no answer stays none */
	o = reduced(CP_Q_TYPES, "{\"name\":\"a\"}");
	assert_json(o, "[]");
	ck_assert(!cp_json_name_set_has(o, "a"));
	json_object_put(o);
	o = NULL;
	cp_answer_reduce(CP_Q_TYPES, &o);
	ck_assert_ptr_null(o);
	ck_assert(!cp_json_name_set_has(NULL, "a"));
	/* other answers are kept whole */
	o = reduced(CP_Q_CPU_DEFS, "[{\"name\":\"b\",\"static\":false},{\"name\":\"a\"}]");
	assert_json(o, "[{\"name\":\"b\",\"static\":false},{\"name\":\"a\"}]");
	json_object_put(o);

	/* QEMU 7.2's own answers: every distinct name is kept */
	load_probe("/usr/bin/qemu-system-x86_64", &p);
	o = p.pass1.a[CP_Q_TYPES].ret;
	ck_assert_int_gt(json_object_array_length(o), 500);
	for (size_t i = 1; i < json_object_array_length(o); i++)
		ck_assert_int_lt(strcmp(json_object_get_string(json_object_array_get_idx(o, i - 1)),
					json_object_get_string(json_object_array_get_idx(o, i))), 0);
	ck_assert(cp_json_name_set_has(o, "tcg-accel") && cp_json_name_set_has(o, "qemu-xhci"));
	ck_assert(cp_json_name_set_has(p.pass1.a[CP_Q_MAX_CPU_PROPS].ret, "unavailable-features"));
	handmade_free(&p);
}
END_TEST

START_TEST(probe_json_rejects)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"binary\":\"/b\",\"arch\":\"x86_64\",\"version\":1,\"kvm\":true,\"tcg\":true,\"pass1\":{}}",
		"{\"binary\":\"/b\",\"arch\":\"nosucharch\",\"version\":1,\"kvm\":true,\"tcg\":true,"
		"\"pass1\":{\"ran\":true,\"kvm\":true,\"answers\":{}},\"pass2\":{\"ran\":false,\"kvm\":false,\"answers\":{}}}",
		"{\"binary\":\"/b\",\"arch\":\"x86_64\",\"version\":-1,\"kvm\":true,\"tcg\":true,"
		"\"pass1\":{\"ran\":true,\"kvm\":true,\"answers\":{}},\"pass2\":{\"ran\":false,\"kvm\":false,\"answers\":{}}}",
		"{\"binary\":\"/b\",\"arch\":\"x86_64\",\"version\":1,\"kvm\":true,\"tcg\":true,"
		"\"pass1\":{\"ran\":true,\"kvm\":true,\"answers\":{\"nosuchquestion\":{\"ret\":{}}}},"
		"\"pass2\":{\"ran\":false,\"kvm\":false,\"answers\":{}}}",
		"{\"binary\":\"/b\",\"arch\":\"x86_64\",\"version\":1,\"kvm\":true,\"tcg\":true,"
		"\"pass1\":{\"ran\":true,\"kvm\":true,\"accel\":\"much-too-long\",\"answers\":{}},"
		"\"pass2\":{\"ran\":false,\"kvm\":false,\"answers\":{}}}",
		"{\"binary\":\"/b\",\"arch\":\"x86_64\",\"version\":1,\"kvm\":true,\"tcg\":true,"
		"\"pass1\":{\"ran\":true,\"kvm\":true,\"answers\":{\"version\":{\"ret\":{},\"class\":7}}},"
		"\"pass2\":{\"ran\":false,\"kvm\":false,\"answers\":{}}}",
	};
	const char *good = "{\"binary\":\"/b\",\"arch\":\"i686\",\"version\":7002022,\"kvm\":false,\"tcg\":true,"
			   "\"pass1\":{\"ran\":true,\"kvm\":false,\"accel\":\"kvm:tcg\",\"answers\":"
			   "{\"version\":{\"ret\":{\"a\":1}},\"gic\":{\"ret\":null,\"class\":\"GenericError\"}}},"
			   "\"pass2\":{\"ran\":false,\"kvm\":false,\"answers\":{}}}";
	struct cp_qemu_probe q;
	json_object *o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_tokener_parse(bad[i]);
		ck_assert_ptr_nonnull(o);
		ck_assert_msg(cp_probe_from_json(o, &q) == -EBADMSG, "accepted #%zu", i);
		ck_assert_ptr_null(q.binary);
		json_object_put(o);
	}
	o = json_tokener_parse(good);
	ck_assert_int_eq(cp_probe_from_json(o, &q), 0);
	json_object_put(o);
	ck_assert_str_eq(q.arch, "i686");
	ck_assert(q.pass1.a[CP_Q_VERSION].asked && q.pass1.a[CP_Q_GIC].asked && !q.pass1.a[CP_Q_KVM].asked);
	ck_assert_str_eq(q.pass1.a[CP_Q_GIC].err_class, "GenericError");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(q.pass1.a[CP_Q_VERSION].ret, "a")), 1);
	cp_qemu_probe_free(&q);
}
END_TEST

START_TEST(store_load_hit)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	struct stat st;
	char *ep;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, false, &c), -ENOENT);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_str_eq(cp_cache_path(c), e.cache);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	assert_miss(c, &k, 0);
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	assert_hit(c, &k, &e.probe);
	/* the file is where its name says, and holds the key in clear */
	ep = entry_path(&e, e.binary);
	ck_assert_int_eq(stat(ep, &st), 0);
	{
		json_object *doc = json_object_from_file(ep), *key, *v;

		ck_assert_ptr_nonnull(doc);
		ck_assert(json_object_object_get_ex(doc, "key", &key));
		ck_assert(json_object_object_get_ex(key, "microcode", &v));
		ck_assert_str_eq(json_object_get_string(v), "0xa0011d1");
		ck_assert(json_object_object_get_ex(key, "kvm", &v));
		ck_assert_str_eq(json_object_get_string(v), "1");
		ck_assert(json_object_object_get_ex(doc, "qemu_version", &v));
		ck_assert_str_eq(json_object_get_string(v), "7.2.22");
		json_object_put(doc);
	}
	/* the same key computed again still hits */
	cp_cache_key_free(&k);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	assert_hit(c, &k, &e.probe);
	free(ep);
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- invalidation: each change of an input makes the entry stale ---- */

static void touch_binary(struct env *e)
{
	struct timespec t[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	ck_assert_int_eq(utimensat(AT_FDCWD, e->binary, t, 0), 0);
}

/* Only the change time moves (a chmod to the same mode, as a package
 * manager's metadata pass does): retried until the clock ticks. */
static void chmod_binary(struct env *e)
{
	struct stat before, after;

	ck_assert_int_eq(stat(e->binary, &before), 0);
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(chmod(e->binary, before.st_mode & 07777), 0);
		ck_assert_int_eq(stat(e->binary, &after), 0);
		if (after.st_ctim.tv_sec != before.st_ctim.tv_sec ||
		    after.st_ctim.tv_nsec != before.st_ctim.tv_nsec)
			break;
		usleep(1000);
	}
	ck_assert(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
		  after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

static void replace_binary(struct env *e)
{
	char *tmp = path_in(e, "new-binary");
	struct stat st;
	struct timespec t[2];

	/* same content, size and mtime: only the inode (and ctime) differ */
	ck_assert_int_eq(stat(e->binary, &st), 0);
	write_file(tmp, "#!/bin/false\n");
	t[0] = st.st_atim;
	t[1] = st.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, tmp, t, 0), 0);
	ck_assert_int_eq(rename(tmp, e->binary), 0);
	free(tmp);
}

static void add_module(struct env *e)
{
	char *m = path_in(e, "mods/hw-display-qxl.so");

	write_file(m, "qxl");
	free(m);
}

static void change_module(struct env *e)
{
	char *m = path_in(e, "mods/accel-tcg-x86_64.so");

	write_file(m, "a rebuilt module");
	free(m);
}

static void kernel_update(struct env *e)
{
	e->in.kernel = "6.1.0-22-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.94-1 (2024-06-21)";
}

static void microcode_update(struct env *e)
{
	write_file(e->cpuinfo, "processor\t: 0\nmicrocode\t: 0xa0011d3\n");
}

static void signature_change(struct env *e)
{
	e->in.signature = "cpuid1.eax=0x00a00f12";
}

static void kvm_gone(struct env *e)
{
	char *k = path_in(e, "facts/kvm");

	write_file(k, "0\n");
	free(k);
}

static void version_change(struct env *e)
{
	e->in.version = "0.2.0";
}

static void fake_env(struct env *e)
{
	(void)e;
	setenv("CAPSPROBE_FAKE_FAULT", "hang", 1);
}

START_TEST(invalidation)
{
	static const struct {
		const char *what;
		void (*change)(struct env *e);
		enum cp_ck field;
	} cases[] = {
		{ "touch", touch_binary, CP_CK_MTIME },
		{ "chmod", chmod_binary, CP_CK_CTIME },
		{ "replace", replace_binary, CP_CK_INO },
		{ "module installed", add_module, CP_CK_MODULES },
		{ "module rebuilt", change_module, CP_CK_MODULES },
		{ "kernel", kernel_update, CP_CK_KERNEL },
		{ "microcode", microcode_update, CP_CK_MICROCODE },
		{ "signature", signature_change, CP_CK_SIGNATURE },
		{ "kvm", kvm_gone, CP_CK_KVM },
		{ "version", version_change, CP_CK_CAPSPROBE },
		{ "fake-qemu env", fake_env, CP_CK_ENV },
	};
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k, k2;

	unsetenv("CAPSPROBE_FAKE_FAULT");
	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cases[i].change(&e);
		ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k2), 0);
		ck_assert_msg(strcmp(k.f[cases[i].field], k2.f[cases[i].field]) != 0,
			      "%s: %s unchanged", cases[i].what, cp_cache_key_names[cases[i].field]);
		ck_assert_msg(cp_cache_load(c, &k2, NULL, &(struct cp_qemu_probe){ 0 }) == -ESTALE,
			      "%s: entry not stale", cases[i].what);
		/* the old key still matches the entry: only the field changed */
		assert_hit(c, &k, &e.probe);
		/* rewritten, then valid for the new state */
		ck_assert_int_eq(cp_cache_store(c, &k2, &e.probe), 0);
		assert_hit(c, &k2, &e.probe);
		cp_cache_key_free(&k);
		k = k2;
		memset(&k2, 0, sizeof(k2));
	}
	unsetenv("CAPSPROBE_FAKE_FAULT");
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* Without injected module dirs the key lists QEMU's search path relative
 * to the binary: <prefix>/lib64/qemu (and the other layouts) and *.so files
 * in the binary's own directory. */
START_TEST(invalidation_default_moddirs)
{
	struct env e;
	struct cp_cache_key k1, k2, k3, k4;
	char *bindir, *bin, *libdir, *mod, *other, *so;

	env_setup(&e);
	bindir = path_in(&e, "usr");
	ck_assert_int_eq(mkdir(bindir, 0755), 0);
	free(bindir);
	bindir = path_in(&e, "usr/bin");
	ck_assert_int_eq(mkdir(bindir, 0755), 0);
	libdir = path_in(&e, "usr/lib64");
	ck_assert_int_eq(mkdir(libdir, 0755), 0);
	free(libdir);
	libdir = path_in(&e, "usr/lib64/qemu");
	ck_assert_int_eq(mkdir(libdir, 0755), 0);
	bin = path_in(&e, "usr/bin/qemu-system-x86_64");
	write_file(bin, "x");
	e.in.module_dirs = NULL;

	ck_assert_int_eq(cp_cache_key_get(NULL, bin, &e.in, &k1), 0);
	ck_assert_ptr_nonnull(strstr(k1.f[CP_CK_MODULES], libdir));
	mod = cp_asprintf("%s/ui-gtk.so", libdir);
	write_file(mod, "gtk");
	ck_assert_int_eq(cp_cache_key_get(NULL, bin, &e.in, &k2), 0);
	ck_assert_str_ne(k1.f[CP_CK_MODULES], k2.f[CP_CK_MODULES]);
	ck_assert_ptr_nonnull(strstr(k2.f[CP_CK_MODULES], " ui-gtk.so 3 "));
	other = cp_asprintf("%s/qemu-img", bindir);
	write_file(other, "img");
	ck_assert_int_eq(cp_cache_key_get(NULL, bin, &e.in, &k3), 0);
	ck_assert_str_eq(k2.f[CP_CK_MODULES], k3.f[CP_CK_MODULES]);
	so = cp_asprintf("%s/block-curl.so", bindir);
	write_file(so, "curl");
	ck_assert_int_eq(cp_cache_key_get(NULL, bin, &e.in, &k4), 0);
	ck_assert_str_ne(k3.f[CP_CK_MODULES], k4.f[CP_CK_MODULES]);

	cp_cache_key_free(&k1);
	cp_cache_key_free(&k2);
	cp_cache_key_free(&k3);
	cp_cache_key_free(&k4);
	free(bindir);
	free(libdir);
	free(bin);
	free(mod);
	free(other);
	free(so);
	env_teardown(&e);
}
END_TEST

START_TEST(key_inputs)
{
	struct env e;
	struct cp_cache_key k;
	char *missing;

	env_setup(&e);
	/* no microcode line (non-x86) keys as empty; several distinct ones all count */
	write_file(e.cpuinfo, "processor\t: 0\nmodel name\t: x\n");
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_str_eq(k.f[CP_CK_MICROCODE], "");
	cp_cache_key_free(&k);
	write_file(e.cpuinfo, "microcode\t: 0x10\nmicrocode\t: 0x1\nmicrocode\t: 0x10\n");
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_str_eq(k.f[CP_CK_MICROCODE], "0x10,0x1");
	ck_assert_str_eq(k.f[CP_CK_BINARY], e.binary);
	ck_assert_str_eq(k.f[CP_CK_SIZE], "13");
	ck_assert_str_eq(k.f[CP_CK_KVM], "1");
	cp_cache_key_free(&k);
	/* an unreadable source is "absent", not an error */
	free(e.cpuinfo);
	e.cpuinfo = path_in(&e, "no-cpuinfo");
	e.in.cpuinfo_path = e.cpuinfo;
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_str_eq(k.f[CP_CK_MICROCODE], "");
	cp_cache_key_free(&k);
	/* a missing binary is */
	missing = path_in(&e, "qemu-system-none");
	ck_assert_int_eq(cp_cache_key_get(NULL, missing, &e.in, &k), -ENOENT);
	for (int i = 0; i < CP_CK_COUNT; i++)
		ck_assert_ptr_null(k.f[i]);
	free(missing);
	/* the live sources answer something for every field */
	ck_assert_int_eq(cp_cache_key_get(NULL, "/bin/sh", NULL, &k), 0);
	ck_assert_str_eq(k.f[CP_CK_CAPSPROBE], PACKAGE_VERSION);
	ck_assert(strlen(k.f[CP_CK_KERNEL]) > 2);
	ck_assert(!strcmp(k.f[CP_CK_KVM], "0") || !strcmp(k.f[CP_CK_KVM], "1"));
	ck_assert_ptr_nonnull(strstr(k.f[CP_CK_MODULES], "/run/qemu\n"));
	/* a second live key (shared per-process results) is the same key */
	{
		struct cp_cache_key k2;

		ck_assert_int_eq(cp_cache_key_get(NULL, "/bin/sh", NULL, &k2), 0);
		for (int i = 0; i < CP_CK_COUNT; i++)
			ck_assert(strcmp(k.f[i], k2.f[i]) == 0);
		cp_cache_key_free(&k2);
	}
	cp_cache_key_free(&k);
	env_teardown(&e);
}
END_TEST

/* ---- the memo of the *.so names in binaries' directories ---- */

/* A distinct old mtime (ctime becomes now): any later change of the
 * directory's entries then changes its stamp, however coarse the clock. */
static void age_dir(const char *dir)
{
	static time_t old = 1000000000;
	struct timespec t[2] = { { old, 0 }, { old, 0 } };

	old += 10;
	ck_assert_int_eq(utimensat(AT_FDCWD, dir, t, 0), 0);
}

static char *modules_key(struct cp_cache *c, struct env *e)
{
	struct cp_cache_key k;
	char *m;

	ck_assert_int_eq(cp_cache_key_get(c, e->binary, &e->in, &k), 0);
	m = cp_strdup(k.f[CP_CK_MODULES]);
	cp_cache_key_free(&k);
	return m;
}

static char *memo_file(const struct env *e)
{
	return cp_asprintf("%s/" CP_CACHE_MODULES, e->cache);
}

/* The memo's inode (0: none): a store replaces the file. */
static ino_t memo_ino(const struct env *e)
{
	char *p = memo_file(e);
	struct stat st;
	ino_t ino = stat(p, &st) == 0 ? st.st_ino : 0;

	free(p);
	return ino;
}

static json_object *strs(const char *first, ...)
{
	json_object *a = json_object_new_array();
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		json_object_array_add(a, json_object_new_string(s));
	va_end(ap);
	return a;
}

/* The memo's entry for dir (NULL: none) in *doc (put it). */
static json_object *memo_entry(const struct env *e, const char *dir, json_object **doc)
{
	char *p = memo_file(e);
	json_object *dirs;

	*doc = json_object_from_file(p);
	free(p);
	if (!*doc || !json_object_object_get_ex(*doc, "dirs", &dirs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(dirs); i++) {
		json_object *d = json_object_array_get_idx(dirs, i), *v;

		if (json_object_object_get_ex(d, "path", &v) && strcmp(json_object_get_string(v), dir) == 0)
			return d;
	}
	return NULL;
}

/* Set member k of dir's entry in the memo to v (taken; NULL removes it). */
static void memo_edit(const struct env *e, const char *dir, const char *k, json_object *v)
{
	char *p = memo_file(e);
	json_object *doc, *d = memo_entry(e, dir, &doc);

	ck_assert_ptr_nonnull(d);
	if (v)
		json_object_object_add(d, k, v);
	else
		json_object_object_del(d, k);
	write_doc(p, doc);
	json_object_put(doc);
	free(p);
}

/* The memo holds dir with exactly these names, stamped as it is now. */
static void assert_memo(const struct env *e, const char *dir, json_object *names)
{
	json_object *doc, *d = memo_entry(e, dir, &doc), *v;
	struct stat st;
	char *mt;

	ck_assert_msg(d != NULL, "no memo of %s", dir);
	ck_assert(json_object_object_get_ex(d, "names", &v));
	ck_assert_msg(json_object_equal(v, names), "memo of %s: %s", dir, json_object_get_string(v));
	ck_assert_int_eq(stat(dir, &st), 0);
	mt = cp_asprintf("%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	ck_assert(json_object_object_get_ex(d, "mtime", &v));
	ck_assert_str_eq(json_object_get_string(v), mt);
	free(mt);
	json_object_put(names);
	json_object_put(doc);
}

/* A memo entry that must not be used: with a made-up name in it, the key
 * is still the directory's own. */
static void assert_distrusted(struct cp_cache *c, struct env *e, const char *dir, const char *k, json_object *v,
			      const char *want)
{
	char *m;

	memo_edit(e, dir, "names", strs("a.so", "b.so", "ghost.so", NULL));
	memo_edit(e, dir, k, v);
	m = modules_key(c, e);
	ck_assert_msg(strcmp(m, want) == 0, "%s: the memo was used", k);
	ck_assert_ptr_null(strstr(m, "ghost"));
	free(m);
	/* and it was rewritten from the listing */
	assert_memo(e, dir, strs("a.so", "b.so", NULL));
}

static char *file_in(const char *dir, const char *name, const char *text)
{
	char *p = cp_asprintf("%s/%s", dir, name);

	if (text)
		write_file(p, text);
	return p;
}

/* A new directory rel under the test's own, with files given as name,
 * text pairs (NULL-terminated). */
static char *dir_with(const struct env *e, const char *rel, ...)
{
	char *d = path_in(e, rel);
	const char *name;
	va_list ap;

	ck_assert_int_eq(mkdir(d, 0755), 0);
	va_start(ap, rel);
	while ((name = va_arg(ap, const char *)))
		free(file_in(d, name, va_arg(ap, const char *)));
	va_end(ap);
	return d;
}

/* Key as if "3 s later": a listing then is settled (cache.c's racy rule);
 * tests that need the real clock say so. */
static void clock_settled(struct env *e, struct timespec *later)
{
	clock_gettime(CLOCK_REALTIME, later);
	later->tv_sec += 3;
	e->in.clock = later;
}

START_TEST(so_memo)
{
	struct env e;
	struct cp_cache *c;
	struct timespec later;
	struct stat st1, st2;
	char *bin, *bin2, *fresh, *m, *m2, *f;
	const char *sodirs[3];
	ino_t ino;

	env_setup(&e);
	bin = dir_with(&e, "bin", "a.so", "a", "b.so", "bb", "qemu-img", "img", NULL);
	bin2 = dir_with(&e, "bin2", "c.so", "ccc", NULL);
	sodirs[0] = bin;
	sodirs[1] = bin2;
	sodirs[2] = NULL;
	e.in.so_dirs = sodirs;
	/* real-clock runs are below */
	clock_settled(&e, &later);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);

	/* no cache, no memo: the plain listing (module_dirs fully, then *.so) */
	fresh = modules_key(NULL, &e);
	ck_assert_ptr_nonnull(strstr(fresh, "/mods\n accel-tcg-x86_64.so 6 "));
	ck_assert_ptr_nonnull(strstr(fresh, "/bin\n a.so 1 "));
	ck_assert_ptr_nonnull(strstr(fresh, " b.so 2 "));
	ck_assert_ptr_nonnull(strstr(fresh, "/bin2\n c.so 3 "));
	ck_assert_ptr_null(strstr(fresh, "qemu-img"));
	ck_assert_uint_eq(memo_ino(&e), 0);

	/* with a cache: the same key, and the names memoized */
	m = modules_key(c, &e);
	ck_assert_str_eq(m, fresh);
	free(m);
	assert_memo(&e, bin, strs("a.so", "b.so", NULL));
	assert_memo(&e, bin2, strs("c.so", NULL));

	/* unchanged directories: the memo is used, not a listing (a name only
	 * the memo has is keyed, as "?"), and left as it is */
	memo_edit(&e, bin, "names", strs("a.so", "b.so", "ghost.so", NULL));
	ino = memo_ino(&e);
	m = modules_key(c, &e);
	ck_assert_ptr_nonnull(strstr(m, " b.so 2 "));
	ck_assert_ptr_nonnull(strstr(m, " ghost.so ?\n"));
	ck_assert_uint_eq(memo_ino(&e), ino);
	free(m);
	memo_edit(&e, bin, "names", strs("a.so", "b.so", NULL));
	m = modules_key(c, &e);
	ck_assert_str_eq(m, fresh);
	free(m);

	/* a file that is not a module added: listed again, the same key */
	age_dir(bin);
	m = modules_key(c, &e);
	ck_assert_str_eq(m, fresh);
	free(m);
	memo_edit(&e, bin, "names", strs("a.so", "b.so", "ghost.so", NULL));
	free(file_in(bin, "qemu-nbd", "nbd"));
	m = modules_key(c, &e);
	ck_assert_str_eq(m, fresh);
	free(m);
	assert_memo(&e, bin, strs("a.so", "b.so", NULL));
	assert_memo(&e, bin2, strs("c.so", NULL));

	/* a module installed beside the binary: a new key, the listing's */
	age_dir(bin);
	free(modules_key(c, &e));
	f = file_in(bin, "d.so", "dddd");
	m = modules_key(c, &e);
	ck_assert_ptr_nonnull(strstr(m, " d.so 4 "));
	m2 = modules_key(NULL, &e);
	ck_assert_str_eq(m, m2);
	free(m2);
	assert_memo(&e, bin, strs("a.so", "b.so", "d.so", NULL));
	/* removed again */
	age_dir(bin);
	free(modules_key(c, &e));
	ck_assert_int_eq(unlink(f), 0);
	free(f);
	m2 = modules_key(c, &e);
	ck_assert_str_eq(m2, fresh);
	ck_assert_str_ne(m2, m);
	free(m);
	free(m2);
	assert_memo(&e, bin, strs("a.so", "b.so", NULL));

	/* a module rebuilt in place: the directory is as it was, the memo is
	 * used, and the module's own stat changes the key */
	age_dir(bin);
	free(modules_key(c, &e));
	ck_assert_int_eq(stat(bin, &st1), 0);
	ino = memo_ino(&e);
	free(file_in(bin, "b.so", "a rebuilt module"));
	m = modules_key(c, &e);
	ck_assert_int_eq(stat(bin, &st2), 0);
	ck_assert(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec && st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
	ck_assert_uint_eq(memo_ino(&e), ino);
	ck_assert_str_ne(m, fresh);
	ck_assert_ptr_nonnull(strstr(m, " b.so 16 "));
	free(fresh);
	fresh = modules_key(NULL, &e);
	ck_assert_str_eq(m, fresh);
	free(m);

	/* racy: listed less than 2 s after the directory's last change */
	{
		char *racy;

		ck_assert_int_eq(stat(bin, &st1), 0);
		racy = cp_asprintf("%lld.%09ld", (long long)st1.st_ctim.tv_sec + 1, st1.st_ctim.tv_nsec);
		assert_distrusted(c, &e, bin, "listed", json_object_new_string(racy), fresh);
		free(racy);
	}
	/* listed in the future (the clock was set back) */
	{
		char *future = cp_asprintf("%lld.000000000", (long long)later.tv_sec + 100);

		assert_distrusted(c, &e, bin, "listed", json_object_new_string(future), fresh);
		free(future);
	}
	/* a stamp that is not the directory's */
	assert_distrusted(c, &e, bin, "ino", json_object_new_string("1"), fresh);
	assert_distrusted(c, &e, bin, "dev", json_object_new_string("1"), fresh);
	assert_distrusted(c, &e, bin, "ctime", json_object_new_string("1.000000000"), fresh);
	/* malformed entries */
	assert_distrusted(c, &e, bin, "dev", json_object_new_int(1), fresh);
	assert_distrusted(c, &e, bin, "listed", NULL, fresh);
	assert_distrusted(c, &e, bin, "listed", json_object_new_string("99999999999"), fresh);
	assert_distrusted(c, &e, bin, "listed", json_object_new_string("1.5"), fresh);
	assert_distrusted(c, &e, bin, "names", NULL, fresh);
	assert_distrusted(c, &e, bin, "names", strs("b.so", "a.so", "ghost.so", NULL), fresh);
	assert_distrusted(c, &e, bin, "names", strs("a.so", "a.so", "b.so", "ghost.so", NULL), fresh);
	assert_distrusted(c, &e, bin, "names", strs("a.so", "b.so", "ghost", NULL), fresh);
	assert_distrusted(c, &e, bin, "names", strs("a.so", "b.so", "sub/ghost.so", NULL), fresh);
	assert_distrusted(c, &e, bin, "names", json_object_new_string("ghost.so"), fresh);
	{
		json_object *a = strs("a.so", "b.so", "ghost.so", NULL);

		json_object_array_add(a, json_object_new_int(7));
		assert_distrusted(c, &e, bin, "names", a, fresh);
	}
	assert_memo(&e, bin2, strs("c.so", NULL));

	/* a corrupt or foreign memo file: listed, then rewritten */
	{
		static const char *const bad[] = {
			"garbage",
			"{\"format\":1,\"dirs\":[]}",
			"{\"format\":2,\"dirs\":{}}",
			"{\"format\":2,\"dirs\":[7,{\"path\":3},{\"path\":\"/x\"}]}",
			"[]",
		};
		char *p = memo_file(&e);

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			write_file(p, bad[i]);
			m = modules_key(c, &e);
			ck_assert_msg(strcmp(m, fresh) == 0, "memo #%zu", i);
			free(m);
			assert_memo(&e, bin, strs("a.so", "b.so", NULL));
			assert_memo(&e, bin2, strs("c.so", NULL));
		}
		/* another format with a made-up name: not used */
		write_file(p, "{\"format\":1,\"dirs\":[]}");
		free(modules_key(c, &e));
		memo_edit(&e, bin, "names", strs("a.so", "b.so", "ghost.so", NULL));
		{
			json_object *doc = json_object_from_file(p);

			json_object_object_add(doc, "format", json_object_new_int(1));
			write_doc(p, doc);
			json_object_put(doc);
		}
		m = modules_key(c, &e);
		ck_assert_str_eq(m, fresh);
		free(m);
		free(p);
	}

	/* the real clock: a directory changed just now is listed, and that
	 * listing is not memoized (it could not be trusted); a memo listed
	 * "later" is from the future */
	e.in.clock = NULL;
	free(file_in(bin, "qemu-io", "io"));
	age_dir(bin2);	/* changed just now too, however long this test took */
	ino = memo_ino(&e);
	memo_edit(&e, bin2, "names", strs("c.so", "ghost.so", NULL));
	m = modules_key(c, &e);
	ck_assert_str_eq(m, fresh);
	free(m);
	ck_assert_uint_eq(memo_ino(&e), ino);
	{
		json_object *doc, *d = memo_entry(&e, bin, &doc), *v;
		char *mt;

		ck_assert_int_eq(stat(bin, &st1), 0);
		mt = cp_asprintf("%lld.%09ld", (long long)st1.st_mtim.tv_sec, st1.st_mtim.tv_nsec);
		ck_assert(json_object_object_get_ex(d, "mtime", &v));
		ck_assert_str_ne(json_object_get_string(v), mt);
		free(mt);
		json_object_put(doc);
	}

	/* no cache: no memo read or written */
	{
		char *p = memo_file(&e);

		ck_assert_int_eq(unlink(p), 0);
		e.in.clock = &later;
		m = modules_key(NULL, &e);
		ck_assert_str_eq(m, fresh);
		free(m);
		ck_assert_uint_eq(memo_ino(&e), 0);
		free(p);
	}

	free(fresh);
	free(bin);
	free(bin2);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* The binary's own directory, found from its path, goes through the memo. */
START_TEST(so_memo_default_dirs)
{
	struct env e;
	struct cp_cache *c;
	struct timespec later;
	char *bindir, *bin, *fresh, *m;

	env_setup(&e);
	bindir = path_in(&e, "usr");
	ck_assert_int_eq(mkdir(bindir, 0755), 0);
	free(bindir);
	bindir = path_in(&e, "usr/bin");
	ck_assert_int_eq(mkdir(bindir, 0755), 0);
	bin = file_in(bindir, "qemu-system-x86_64", "x");
	free(file_in(bindir, "block-curl.so", "curl"));
	free(file_in(bindir, "qemu-img", "img"));
	e.in.module_dirs = NULL;
	clock_settled(&e, &later);
	free(e.binary);
	e.binary = bin;
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);

	fresh = modules_key(NULL, &e);
	ck_assert_ptr_nonnull(strstr(fresh, "/usr/bin\n block-curl.so 4 "));
	m = modules_key(c, &e);
	ck_assert_str_eq(m, fresh);
	free(m);
	assert_memo(&e, bindir, strs("block-curl.so", NULL));
	memo_edit(&e, bindir, "names", strs("block-curl.so", "ghost.so", NULL));
	m = modules_key(c, &e);
	ck_assert_ptr_nonnull(strstr(m, "/usr/bin\n block-curl.so 4 "));
	ck_assert_ptr_nonnull(strstr(m, " ghost.so ?\n"));
	free(m);

	free(fresh);
	free(bindir);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* In a child, with the cache directory read-only (root becomes nobody, as
 * in store_readonly): the key is the listing's, the memo is left as it
 * was, and nothing is said. */
static int memo_readonly(struct env *e, const char *want, int errfd)
{
	struct cp_cache *c;
	struct stat before, after;
	char *p = memo_file(e), *m;
	int had = stat(p, &before) == 0;
	int rc = 0;

	if (dup2(errfd, 2) < 0)
		return 9;
	if (geteuid() == 0) {
		if (chmod(e->root, 0711) < 0 || chown(e->cache, NOBODY, NOBODY) < 0 ||
		    (had && lchown(p, NOBODY, NOBODY) < 0) || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			return 10;
	}
	if (chmod(e->cache, 0500) < 0)
		return 11;
	if (cp_cache_open(e->cache, true, &c) < 0)
		return 12;
	m = modules_key(c, e);
	if (strcmp(m, want) != 0)
		rc = 13;
	else if (had != (stat(p, &after) == 0) || (had && before.st_ino != after.st_ino))
		rc = 14;
	free(m);
	free(p);
	cp_cache_close(c);
	return rc;
}

START_TEST(so_memo_readonly)
{
	struct env e;
	struct cp_cache *c;
	struct timespec later;
	const char *sodirs[2];
	char *bin, *fresh, *p;

	env_setup(&e);
	bin = dir_with(&e, "bin", "a.so", "a", "b.so", "bb", NULL);
	sodirs[0] = bin;
	sodirs[1] = NULL;
	e.in.so_dirs = sodirs;
	clock_settled(&e, &later);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	fresh = modules_key(NULL, &e);
	p = memo_file(&e);
	for (int round = 0; round < 2; round++) {
		int fds[2], status;
		char out[256];
		ssize_t n;
		pid_t pid;

		if (round == 0) {
			ck_assert_uint_eq(memo_ino(&e), 0);	/* none: none written */
		} else {
			/* a stale memo with a made-up name: not used, not rewritten */
			free(modules_key(c, &e));
			memo_edit(&e, bin, "names", strs("a.so", "b.so", "ghost.so", NULL));
			age_dir(bin);
		}
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			_exit(memo_readonly(&e, fresh, fds[1]));
		}
		close(fds[1]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		n = read(fds[0], out, sizeof(out) - 1);
		close(fds[0]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "round %d: status %d", round, status);
		out[n > 0 ? n : 0] = '\0';
		ck_assert_msg(n == 0, "round %d said: %s", round, out);
		ck_assert_int_eq(chown(e.cache, geteuid(), getegid()), 0);
		ck_assert_int_eq(chmod(e.cache, 0700), 0);
		if (round)
			ck_assert_int_eq(lchown(p, geteuid(), getegid()), 0);
	}
	free(p);
	free(fresh);
	free(bin);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* `host` keys its emulators in parallel threads: the live keys, through
 * the per-process results and the memo, are each the plain listing's. */
struct live_key {
	struct cp_cache *c;
	const char *binary;
	char *modules;
};

static void *live_key_thread(void *p)
{
	struct live_key *a = p;
	struct cp_cache_key k;

	if (cp_cache_key_get(a->c, a->binary, NULL, &k) == 0) {
		a->modules = cp_strdup(k.f[CP_CK_MODULES]);
		cp_cache_key_free(&k);
	}
	return NULL;
}

START_TEST(so_memo_live_threads)
{
	static const char *const bins[] = { "/bin/sh", "/usr/bin/env", "/bin/true", "/usr/bin/true" };
	struct live_key a[2 * sizeof(bins) / sizeof(bins[0])];
	pthread_t t[sizeof(a) / sizeof(a[0])];
	struct env e;
	struct cp_cache *c;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		a[i] = (struct live_key){ .c = c, .binary = bins[i % (sizeof(bins) / sizeof(bins[0]))] };
		ck_assert_int_eq(pthread_create(&t[i], NULL, live_key_thread, &a[i]), 0);
	}
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	e.in.module_dirs = NULL;
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		struct cp_cache_key k;

		if (access(a[i].binary, F_OK) < 0) {
			ck_assert_ptr_null(a[i].modules);
			continue;
		}
		ck_assert_ptr_nonnull(a[i].modules);
		ck_assert_int_eq(cp_cache_key_get(NULL, a[i].binary, &e.in, &k), 0);
		ck_assert_str_eq(a[i].modules, k.f[CP_CK_MODULES]);
		cp_cache_key_free(&k);
		free(a[i].modules);
	}
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* `cache` lists the memo as the directories' *.so files; `cache clear`
 * removes it. */
START_TEST(so_memo_list_clear)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_entry *v;
	struct timespec later;
	const char *sodirs[3];
	char *bin, *bin2, *want;
	unsigned removed;
	size_t n;

	env_setup(&e);
	bin = dir_with(&e, "bin", NULL);
	bin2 = dir_with(&e, "bin2", NULL);
	sodirs[0] = bin;
	sodirs[1] = NULL;
	e.in.so_dirs = sodirs;
	clock_settled(&e, &later);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	free(modules_key(c, &e));
	sodirs[0] = bin2;	/* the newest first, the other kept */
	free(modules_key(c, &e));
	ck_assert_int_eq(cp_cache_list(c, &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].file, CP_CACHE_MODULES);
	want = cp_asprintf("%s/*.so %s/*.so", bin2, bin);
	ck_assert_str_eq(v[0].emulator, want);
	ck_assert_ptr_null(v[0].qemu_version);
	ck_assert_int_gt(v[0].written, 0);
	cp_cache_entries_free(v, n);
	ck_assert_int_eq(cp_cache_clear(c, &removed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_uint_eq(memo_ino(&e), 0);
	free(want);
	free(bin);
	free(bin2);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- bad entries are misses, then rewritten ---- */

static void put_bytes(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct cp_buf b = { 0 };
	char buf[65536];
	size_t n;

	ck_assert_ptr_nonnull(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		cp_buf_add(&b, buf, n);
	fclose(f);
	*len = b.len;
	return cp_buf_steal(&b);
}

static char *replace_once(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	ck_assert_ptr_nonnull(at);
	return cp_asprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

START_TEST(corrupt_entries)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	char *ep, *good, *bad;
	size_t len;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	ep = entry_path(&e, e.binary);
	good = slurp(ep, &len);
	ck_assert_uint_gt(len, 10000);

	/* truncated at several points, empty, garbage, trailing bytes */
	for (size_t cut = 0; cut < len; cut += len / 7 + 1) {
		put_bytes(ep, good, cut);
		assert_miss(c, &k, -EBADMSG);
	}
	put_bytes(ep, good, len - 1);
	assert_miss(c, &k, -EBADMSG);
	put_bytes(ep, "\x7f" "ELF\x02\x01", 6);
	assert_miss(c, &k, -EBADMSG);
	bad = cp_asprintf("%s{}", good);
	put_bytes(ep, bad, len + 2);
	assert_miss(c, &k, -EBADMSG);
	free(bad);
	/* foreign format, a JSON array, a probe with a broken answer */
	{
		char *ours = cp_asprintf("\"format\":%d,", CP_CACHE_FORMAT);

		bad = replace_once(good, ours, "\"format\":999,");
		free(ours);
	}
	put_bytes(ep, bad, strlen(bad));
	assert_miss(c, &k, -EBADMSG);
	free(bad);
	put_bytes(ep, "[1,2,3]", 7);
	assert_miss(c, &k, -EBADMSG);
	bad = replace_once(good, "{\"p\":1,\"q\":\"version\"", "{\"p\":1,\"q\":\"bogus\"");
	put_bytes(ep, bad, strlen(bad));
	assert_miss(c, &k, -EBADMSG);
	free(bad);
	/* the stored key of another binary (a name collision) */
	{
		char *from = cp_asprintf("\"binary\":\"%s\"", e.binary);

		bad = replace_once(good, from, "\"binary\":\"/usr/bin/qemu-system-other\"");
		put_bytes(ep, bad, strlen(bad));
		assert_miss(c, &k, -ESTALE);
		free(bad);
		free(from);
	}
	/* too large to be read: refused before reading */
	ck_assert_int_eq(truncate(ep, CP_CACHE_MAX_ENTRY + 1), 0);
	assert_miss(c, &k, -EBADMSG);
	/* not a regular file */
	ck_assert_int_eq(unlink(ep), 0);
	ck_assert_int_eq(mkfifo(ep, 0600), 0);
	assert_miss(c, &k, -EBADMSG);
	ck_assert_int_eq(unlink(ep), 0);
	ck_assert_int_eq(symlink(e.binary, ep), 0);
	assert_miss(c, &k, -ELOOP);

	/* each time, the next store replaces it */
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	assert_hit(c, &k, &e.probe);
	free(good);
	free(ep);
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- a load gives what a probe for the request would give ---- */

START_TEST(partial_loads)
{
	static const enum cp_q light_qs[] = { CP_Q_VERSION, CP_Q_TARGET, CP_Q_KVM, CP_Q_TYPES, CP_Q_MACHINES };
	struct cp_probe_req full = { .binary = "x" }, full_tcg = { .binary = "x", .need_tcg = true },
			    light = { .binary = "x", .light = true };
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	struct cp_qemu_probe got, lp;
	char *ep, *text, *bad;
	size_t len;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);

	/* light: the five light answers of both passes, nothing else */
	ck_assert_int_eq(cp_cache_load(c, &k, &light, &got), 1);
	for (int q = 0; q < CP_Q_COUNT; q++) {
		bool is_light = false;

		for (size_t i = 0; i < sizeof(light_qs) / sizeof(light_qs[0]); i++)
			is_light |= light_qs[i] == (enum cp_q)q;
		ck_assert(got.pass1.a[q].asked == (is_light && e.probe.pass1.a[q].asked));
		ck_assert(json_object_equal(got.pass1.a[q].ret, is_light ? e.probe.pass1.a[q].ret : NULL));
	}
	ck_assert(!got.pass2.ran);	/* a light request without need_tcg */
	ck_assert(!cp_cache_covers(&got, &full));
	cp_qemu_probe_free(&got);
	/* full without TCG: pass 1 whole, no pass 2 */
	ck_assert_int_eq(cp_cache_load(c, &k, &full, &got), 1);
	ck_assert(got.pass1.a[CP_Q_SCHEMA].asked && got.pass1.a[CP_Q_CPU_DEFS].asked && !got.pass2.ran);
	ck_assert(!got.pass2.a[CP_Q_CPU_DEFS].asked);
	/* the schema loads as the name set a probe keeps (cp_schema_reduce) */
	ck_assert(json_object_equal(got.pass1.a[CP_Q_SCHEMA].ret, e.probe.pass1.a[CP_Q_SCHEMA].ret));
	ck_assert(cp_json_name_set_has(got.pass1.a[CP_Q_SCHEMA].ret, "query-cpu-definitions"));
	{
		struct cp_qemu_probe again;

		/* a loaded probe stored again loads the same */
		ck_assert_int_eq(cp_cache_store(c, &k, &got), 0);
		ck_assert_int_eq(cp_cache_load(c, &k, &full, &again), 1);
		ck_assert(json_object_equal(again.pass1.a[CP_Q_SCHEMA].ret, got.pass1.a[CP_Q_SCHEMA].ret));
		ck_assert(json_object_equal(again.pass1.a[CP_Q_CPU_DEFS].ret, e.probe.pass1.a[CP_Q_CPU_DEFS].ret));
		cp_qemu_probe_free(&again);
		/* back to the whole probe (that load dropped pass 2) */
		ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	}
	cp_qemu_probe_free(&got);
	ck_assert_int_eq(cp_cache_load(c, &k, &full_tcg, &got), 1);
	ck_assert(got.pass2.ran && got.pass2.a[CP_Q_CPU_DEFS].asked);
	cp_qemu_probe_free(&got);

	/* a damaged answer that a light load skips: only full loads see it */
	ep = entry_path(&e, e.binary);
	text = slurp(ep, &len);
	bad = replace_once(text, "{\"p\":1,\"q\":\"schema\",\"ret\":", "{\"p\":1,\"q\":\"schema\",\"ret\":}");
	put_bytes(ep, bad, strlen(bad));
	ck_assert_int_eq(cp_cache_load(c, &k, &light, &got), 1);
	cp_qemu_probe_free(&got);
	ck_assert_int_eq(cp_cache_load(c, &k, &full, &got), -EBADMSG);
	ck_assert_ptr_null(got.binary);
	free(bad);
	free(text);

	/* an entry from a light probe does not answer a full request */
	lp = (struct cp_qemu_probe){ .binary = cp_strdup(e.binary), .arch = "x86_64", .version = 7002022,
				     .kvm = true, .tcg = true };
	lp.pass1.ran = true;
	snprintf(lp.pass1.accel, sizeof(lp.pass1.accel), "kvm:tcg");
	for (size_t i = 0; i < sizeof(light_qs) / sizeof(light_qs[0]); i++) {
		lp.pass1.a[light_qs[i]].asked = true;
		lp.pass1.a[light_qs[i]].ret = json_object_get(e.probe.pass1.a[light_qs[i]].ret);
	}
	ck_assert_int_eq(cp_cache_store(c, &k, &lp), 0);
	ck_assert_int_eq(cp_cache_load(c, &k, &light, &got), 1);
	cp_qemu_probe_free(&got);
	ck_assert_int_eq(cp_cache_load(c, &k, &full, &got), -ENODATA);
	ck_assert_int_eq(cp_cache_load(c, &k, &(struct cp_probe_req){ .binary = "x", .light = true,
								     .need_tcg = true }, &got), -ENODATA);
	ck_assert_ptr_null(got.binary);

	cp_qemu_probe_free(&lp);
	free(ep);
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- permissions and unsafe directories ---- */

START_TEST(permissions)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	struct stat st;
	char *nested, *ep;
	mode_t old = umask(0);

	env_setup(&e);
	nested = cp_asprintf("%s/a/b/capsprobe", e.cache);
	ck_assert_int_eq(cp_cache_open(nested, true, &c), 0);
	ck_assert_int_eq(stat(nested, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(e.cache, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	cp_cache_close(c);
	free(e.cache);
	e.cache = nested;
	ep = entry_path(&e, e.binary);
	ck_assert_int_eq(stat(ep, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	umask(old);

	/* writable by others: refused */
	ck_assert_int_eq(chmod(nested, 0777), 0);
	ck_assert_int_eq(cp_cache_open(nested, true, &c), -EPERM);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(chmod(nested, 0755), 0);
	ck_assert_int_eq(cp_cache_open(nested, true, &c), 0);
	cp_cache_close(c);
	/* not a directory */
	ck_assert_int_ne(cp_cache_open(e.binary, true, &c), 0);
	ck_assert_ptr_null(c);
	free(ep);
	cp_cache_key_free(&k);
	env_teardown(&e);
}
END_TEST

START_TEST(foreign_owner)
{
	struct env e;
	struct cp_cache *c;
	char *link, *theirs;

	if (geteuid() != 0)
		SKIP_TEST("needs root, to chown to another user");
	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	cp_cache_close(c);
	/* our symlink to our directory: followed */
	link = path_in(&e, "link");
	ck_assert_int_eq(symlink(e.cache, link), 0);
	ck_assert_int_eq(cp_cache_open(link, false, &c), 0);
	cp_cache_close(c);
	/* the same symlink owned by nobody: refused */
	ck_assert_int_eq(lchown(link, NOBODY, NOBODY), 0);
	ck_assert_int_eq(cp_cache_open(link, false, &c), -EPERM);
	ck_assert_int_eq(cp_cache_open(link, true, &c), -EPERM);
	ck_assert_ptr_null(c);
	/* a directory owned by nobody: refused, even through our symlink */
	theirs = path_in(&e, "theirs");
	ck_assert_int_eq(mkdir(theirs, 0700), 0);
	ck_assert_int_eq(chown(theirs, NOBODY, NOBODY), 0);
	ck_assert_int_eq(cp_cache_open(theirs, true, &c), -EPERM);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(theirs, link), 0);
	ck_assert_int_eq(cp_cache_open(link, true, &c), -EPERM);
	ck_assert_ptr_null(c);
	free(link);
	free(theirs);
	env_teardown(&e);
}
END_TEST

/* ---- stores that cannot write: warnings, no entry, no leftovers ---- */

static size_t count_files(const char *dir)
{
	struct cp_strv v = { 0 };
	struct cp_root *r;
	size_t n;

	ck_assert_int_eq(cp_root_new(NULL, &r), 0);
	ck_assert_int_ge(cp_list(r, &v, "%s", dir), 0);
	n = v.n;
	cp_strv_free(&v);
	cp_root_free(r);
	return n;
}

/* In a child: make the directory read-only for us (root ignores modes,
 * so root becomes nobody first), then store. */
static int store_readonly(struct env *e, const struct cp_cache_key *k)
{
	struct cp_cache *c;
	int rc;

	if (geteuid() == 0) {
		if (chmod(e->root, 0711) < 0 || chown(e->cache, NOBODY, NOBODY) < 0 ||
		    setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			return 10;
	}
	if (chmod(e->cache, 0500) < 0)
		return 11;
	if (cp_cache_open(e->cache, true, &c) < 0)
		return 12;
	rc = cp_cache_store(c, k, &e->probe);
	cp_cache_close(c);
	return rc == -EACCES ? 0 : 13;
}

/* A full disk, emulated by a file size limit (EFBIG on write). */
static int store_full(struct env *e, const struct cp_cache_key *k)
{
	struct rlimit rl = { 4096, 4096 };
	struct cp_cache *c;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 10;
	if (cp_cache_open(e->cache, true, &c) < 0)
		return 12;
	rc = cp_cache_store(c, k, &e->probe);
	cp_cache_close(c);
	return rc == -EFBIG ? 0 : 13;
}

START_TEST(store_failures)
{
	int (*const children[])(struct env *, const struct cp_cache_key *) = { store_readonly, store_full };
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	cp_cache_close(c);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		pid_t pid = fork();
		int status;

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(children[i](&e, &k));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %zu: status %d", i, status);
		/* nothing half-written is left behind */
		ck_assert_uint_eq(count_files(e.cache), 0);
		ck_assert_int_eq(chown(e.cache, geteuid(), getegid()), 0);
		ck_assert_int_eq(chmod(e.cache, 0700), 0);
	}
	cp_cache_key_free(&k);
	env_teardown(&e);
}
END_TEST

/* ---- concurrency ---- */

#define WRITERS 8
#define READERS 8
#define ROUNDS 15

/* Every load is a miss (nothing written yet) or a whole entry: one of the
 * writers' probes, identical to the original but for its package string. */
static int hammer(struct env *e, const struct cp_cache_key *k, int id, const char *want)
{
	struct cp_cache *c;
	int bad = 0;

	if (cp_cache_open(e->cache, true, &c) < 0)
		return 10;
	for (int r = 0; r < ROUNDS && !bad; r++) {
		struct cp_qemu_probe got;
		int rc;

		if (id < WRITERS) {
			char *pkg = e->probe.package;

			e->probe.package = cp_asprintf("writer-%d", id);
			bad |= cp_cache_store(c, k, &e->probe) != 0;
			free(e->probe.package);
			e->probe.package = pkg;
		}
		rc = cp_cache_load(c, k, NULL, &got);
		if (rc == 1) {
			char *s;

			bad |= !cp_startswith(got.package, "writer-");
			free(got.package);
			got.package = cp_strdup(e->probe.package);
			s = probe_text(&got);
			bad |= strcmp(s, want) != 0;
			free(s);
			cp_qemu_probe_free(&got);
		} else {
			bad |= rc != 0 || id < WRITERS;	/* a writer always finds an entry */
		}
	}
	cp_cache_close(c);
	return bad;
}

START_TEST(concurrency)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	pid_t pids[WRITERS + READERS];
	char *want;
	size_t n;
	struct cp_cache_entry *list;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	want = probe_text(&e.probe);
	for (int i = 0; i < WRITERS + READERS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(hammer(&e, &k, i, want));
	}
	for (int i = 0; i < WRITERS + READERS; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d: status %d", i, status);
	}
	/* one entry, no temporary files left */
	ck_assert_uint_eq(count_files(e.cache), 1);
	ck_assert_int_eq(cp_cache_list(c, &list, &n), 0);
	ck_assert_uint_eq(n, 1);
	cp_cache_entries_free(list, n);
	free(want);
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- list and clear ---- */

START_TEST(list_clear)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k1, k2;
	struct cp_cache_entry *v;
	struct cp_qemu_probe p2;
	char *bin2, *ep1, *notes, *tmp, *junk;
	size_t n;
	unsigned removed;
	struct stat st;
	time_t before = time(NULL);

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_list(c, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	cp_cache_entries_free(v, n);

	bin2 = path_in(&e, "qemu-system-i386");
	write_file(bin2, "#!/bin/false\n");
	load_probe(bin2, &p2);
	p2.version = 8001003;
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k1), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, bin2, &e.in, &k2), 0);
	ck_assert_int_eq(cp_cache_store(c, &k1, &e.probe), 0);
	ck_assert_int_eq(cp_cache_store(c, &k2, &p2), 0);
	/* a file that is not ours, a leftover temporary, a corrupt entry */
	notes = path_in(&e, "cache/notes.txt");
	write_file(notes, "keep me");
	tmp = path_in(&e, "cache/.tmp-0123456789ab");
	write_file(tmp, "{\"format\":");
	junk = cp_asprintf("%s/%064d.json", e.cache, 0);
	write_file(junk, "garbage");

	ck_assert_int_eq(cp_cache_list(c, &v, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		char *p = cp_asprintf("%s/%s", e.cache, v[i].file);

		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_uint_eq(v[i].size, (uint64_t)st.st_size);
		free(p);
		if (i)
			ck_assert_int_lt(strcmp(v[i - 1].file, v[i].file), 0);
		if (strcmp(v[i].file, junk + strlen(e.cache) + 1) == 0) {
			ck_assert_ptr_null(v[i].emulator);
			ck_assert_ptr_null(v[i].qemu_version);
			continue;
		}
		ck_assert_ptr_nonnull(v[i].emulator);
		ck_assert_int_ge(v[i].written, before);
		ck_assert_int_le(v[i].written, time(NULL));
		if (strcmp(v[i].emulator, e.binary) == 0)
			ck_assert_str_eq(v[i].qemu_version, "7.2.22");
		else
			ck_assert(strcmp(v[i].emulator, bin2) == 0 && strcmp(v[i].qemu_version, "8.1.3") == 0);
	}
	cp_cache_entries_free(v, n);

	ck_assert_int_eq(cp_cache_clear(c, &removed), 0);
	ck_assert_uint_eq(removed, 3);
	ck_assert_uint_eq(count_files(e.cache), 1);
	ck_assert_int_eq(stat(notes, &st), 0);
	ep1 = entry_path(&e, e.binary);
	ck_assert_int_eq(stat(ep1, &st), -1);
	ck_assert_int_eq(stat(tmp, &st), -1);
	assert_miss(c, &k1, 0);
	ck_assert_int_eq(cp_cache_list(c, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	cp_cache_entries_free(v, n);
	ck_assert_int_eq(cp_cache_clear(c, &removed), 0);
	ck_assert_uint_eq(removed, 0);

	handmade_free(&p2);
	cp_cache_key_free(&k1);
	cp_cache_key_free(&k2);
	free(bin2);
	free(ep1);
	free(notes);
	free(tmp);
	free(junk);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- does an entry answer a request ---- */

START_TEST(covers)
{
	struct cp_qemu_probe p;
	struct cp_probe_req full = { .binary = "/b" }, full_tcg = { .binary = "/b", .need_tcg = true },
			    light = { .binary = "/b", .light = true },
			    light_tcg = { .binary = "/b", .light = true, .need_tcg = true },
			    record = { .binary = "/b", .record_dir = "/tmp" };

	load_probe("/b", &p);
	ck_assert(p.kvm && p.pass2.ran);
	ck_assert(cp_cache_covers(&p, &full) && cp_cache_covers(&p, &full_tcg));
	ck_assert(cp_cache_covers(&p, &light) && cp_cache_covers(&p, &light_tcg));
	ck_assert(!cp_cache_covers(&p, &record));
	/* KVM without the TCG pass: only requests that do not need TCG */
	p.pass2.ran = false;
	ck_assert(cp_cache_covers(&p, &full) && !cp_cache_covers(&p, &full_tcg));
	ck_assert(cp_cache_covers(&p, &light) && !cp_cache_covers(&p, &light_tcg));
	/* without KVM pass 1 is the TCG data */
	p.kvm = false;
	ck_assert(cp_cache_covers(&p, &full_tcg) && cp_cache_covers(&p, &light_tcg));
	/* a light probe (no schema asked) answers only light requests */
	p.pass1.a[CP_Q_SCHEMA].asked = false;
	ck_assert(!cp_cache_covers(&p, &full) && !cp_cache_covers(&p, &full_tcg));
	ck_assert(cp_cache_covers(&p, &light) && cp_cache_covers(&p, &light_tcg));
	handmade_free(&p);
}
END_TEST

START_TEST(default_dir)
{
	char *d;

	setenv("XDG_CACHE_HOME", "/xdg", 1);
	setenv("HOME", "/home/someone", 1);
	d = cp_cache_default_dir();
	ck_assert_str_eq(d, geteuid() == 0 ? "/var/cache/capsprobe" : "/xdg/capsprobe");
	free(d);
	setenv("XDG_CACHE_HOME", "relative", 1);
	d = cp_cache_default_dir();
	ck_assert_str_eq(d, geteuid() == 0 ? "/var/cache/capsprobe" : "/home/someone/.cache/capsprobe");
	free(d);
	ck_assert_int_eq(cp_cache_open("", true, &(struct cp_cache *){ NULL }), -EINVAL);
}
END_TEST

/* A user's default directory: XDG_CACHE_HOME when absolute, else HOME,
 * else the password database's home, else an error that says what to do.
 * Run in a child as nobody and as a user the database does not know; the
 * child's exit status says which check failed. */
static int default_dir_as(uid_t uid, const char *xdg, const char *home, const char *want)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc = 0;
		char *d;

		/* only the effective ids: root again before exiting, so that
		 * a coverage build can write its counts */
		if (setresgid((gid_t)-1, uid, 0) < 0 || setresuid((uid_t)-1, uid, 0) < 0)
			exit(100);
		if (xdg)
			setenv("XDG_CACHE_HOME", xdg, 1);
		else
			unsetenv("XDG_CACHE_HOME");
		if (home)
			setenv("HOME", home, 1);
		else
			unsetenv("HOME");
		cp_clear_error();
		d = cp_cache_default_dir();
		if (want ? !d || strcmp(d, want) != 0 : d != NULL)
			rc = 101;
		else if (!want && strcmp(cp_last_error(), "no home directory for the probe cache "
							   "(set XDG_CACHE_HOME or use --cache-dir)") != 0)
			rc = 102;
		free(d);
		if (seteuid(0) < 0 || setegid(0) < 0)
			exit(103);
		exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

START_TEST(default_dir_user)
{
	struct passwd *pw;
	char *nobody_dir = NULL;
	uid_t stranger = 54321;

	if (geteuid() != 0)
		SKIP_TEST("needs root, to become other users");
	pw = getpwuid(NOBODY);
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
		nobody_dir = cp_asprintf("%s/.cache/capsprobe", pw->pw_dir);
	while (getpwuid(stranger))
		stranger++;
	ck_assert_int_eq(default_dir_as(NOBODY, "/xdg", "/home/someone", "/xdg/capsprobe"), 0);
	ck_assert_int_eq(default_dir_as(NOBODY, "", "/home/someone", "/home/someone/.cache/capsprobe"), 0);
	ck_assert_int_eq(default_dir_as(NOBODY, "rel", "/home/someone", "/home/someone/.cache/capsprobe"), 0);
	/* a relative or missing HOME: the database's */
	ck_assert_int_eq(default_dir_as(NOBODY, NULL, "rel", nobody_dir), 0);
	ck_assert_int_eq(default_dir_as(NOBODY, NULL, NULL, nobody_dir), 0);
	/* nowhere */
	ck_assert_int_eq(default_dir_as(stranger, NULL, NULL, NULL), 0);
	ck_assert_int_eq(default_dir_as(stranger, "x", "", NULL), 0);
	ck_assert_int_eq(default_dir_as(stranger, "/xdg", NULL, "/xdg/capsprobe"), 0);
	free(nobody_dir);
}
END_TEST

/* Without /proc (an O_TMPFILE cannot be linked into place), an entry is
 * written to a named temporary file and renamed: it loads, and no
 * temporary file is left.  In a child with an empty /proc of its own. */
START_TEST(store_without_proc)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		SKIP_TEST("needs root, for a mount namespace");
	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct stat st;
		int rc;

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("none", "/proc", "tmpfs", 0, NULL) < 0)
			exit(77);
		if (stat("/proc/self", &st) == 0)
			exit(100);
		rc = cp_cache_store(c, &k, &e.probe) == 0 ? 0 : 101;
		/* /proc back for what runs at exit (a sanitizer reads it) */
		exit(umount2("/proc", MNT_DETACH) == 0 ? rc : 102);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		cp_cache_key_free(&k);
		cp_cache_close(c);
		env_teardown(&e);
		SKIP_TEST("cannot mount a private /proc here");
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	assert_hit(c, &k, &e.probe);
	{
		char *entry = entry_path(&e, e.binary);
		char *cmd = cp_asprintf("test \"$(ls -A '%s')\" = \"$(basename '%s')\"", e.cache, entry);

		ck_assert_msg(system(cmd) == 0, "more than the entry in %s", e.cache);
		free(cmd);
		free(entry);
	}
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

/* ---- what a load may hold: shapes and memory ---- */

/* good with the "ret" of answer line (pass 1, question name) replaced */
static char *with_answer(const char *good, const char *name, const char *ret)
{
	char *prefix = cp_asprintf("\n{\"p\":1,\"q\":\"%s\",\"ret\":", name);
	const char *at = strstr(good, prefix), *eol;
	char *out;

	ck_assert_ptr_nonnull(at);
	eol = strchr(at + 1, '\n');
	out = cp_asprintf("%.*s%s%s}%s%s", (int)(at - good), good, prefix, ret, eol[-1] == ',' ? "," : "", eol);
	free(prefix);
	return out;
}

START_TEST(entry_shapes_and_memory)
{
	struct env e;
	struct cp_cache *c;
	struct cp_cache_key k;
	struct cp_qemu_probe got;
	char *ep, *good, *bad, *items;
	size_t len, n = 300000;

	env_setup(&e);
	ck_assert_int_eq(cp_cache_open(e.cache, true, &c), 0);
	ck_assert_int_eq(cp_cache_key_get(NULL, e.binary, &e.in, &k), 0);
	ck_assert_int_eq(cp_cache_store(c, &k, &e.probe), 0);
	ep = entry_path(&e, e.binary);
	good = slurp(ep, &len);

	/* a hit holds its answers' memory until the probe is freed */
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	ck_assert_int_eq(cp_cache_load(c, &k, NULL, &got), 1);
	ck_assert_uint_gt(cp_json_budget_used(), len);
	ck_assert_uint_eq(cp_json_budget_used(), got.pass1.mem);
	cp_qemu_probe_free(&got);
	ck_assert_uint_eq(cp_json_budget_used(), 0);

	/* an answer of a shape QEMU's could not have had */
	bad = with_answer(good, "machines", "[[[]],[[]]]");
	put_bytes(ep, bad, strlen(bad));
	assert_miss(c, &k, -EBADMSG);
	free(bad);
	bad = with_answer(good, "kvm", "{\"enabled\":true}");
	put_bytes(ep, bad, strlen(bad));
	assert_miss(c, &k, -EBADMSG);
	free(bad);

	/* well-shaped, well under the file size cap, too dear in memory:
	 * refused before json-c builds it, nothing left charged */
	items = malloc(n * 16 + 16);
	len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(items + len, "%s{\"name\":\"m\"}", i ? "," : "[");
	strcpy(items + len, "]");
	bad = with_answer(good, "machines", items);
	ck_assert_uint_lt(strlen(bad), CP_CACHE_MAX_ENTRY);
	put_bytes(ep, bad, strlen(bad));
	assert_miss(c, &k, -EBADMSG);
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	free(bad);
	free(items);

	/* nor does a good entry load when the process's budget is spent */
	put_bytes(ep, good, strlen(good));
	cp_json_budget_set_limit(4096);
	assert_miss(c, &k, -EBADMSG);
	cp_json_budget_set_limit(0);
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	assert_hit(c, &k, &e.probe);

	free(good);
	free(ep);
	cp_cache_key_free(&k);
	cp_cache_close(c);
	env_teardown(&e);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_set_timeout(tc, 120);	/* valgrind runs take about a minute */
	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, probe_json_roundtrip);
	tcase_add_test(tc, answer_reduce);
	tcase_add_test(tc, probe_json_rejects);
	tcase_add_test(tc, store_load_hit);
	tcase_add_test(tc, invalidation);
	tcase_add_test(tc, invalidation_default_moddirs);
	tcase_add_test(tc, key_inputs);
	tcase_add_test(tc, so_memo);
	tcase_add_test(tc, so_memo_default_dirs);
	tcase_add_test(tc, so_memo_readonly);
	tcase_add_test(tc, so_memo_list_clear);
	tcase_add_test(tc, so_memo_live_threads);
	tcase_add_test(tc, corrupt_entries);
	tcase_add_test(tc, entry_shapes_and_memory);
	tcase_add_test(tc, partial_loads);
	tcase_add_test(tc, permissions);
	tcase_add_test(tc, foreign_owner);
	tcase_add_test(tc, store_failures);
	tcase_add_test(tc, concurrency);
	tcase_add_test(tc, list_clear);
	tcase_add_test(tc, covers);
	tcase_add_test(tc, default_dir);
	tcase_add_test(tc, default_dir_user);
	tcase_add_test(tc, store_without_proc);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
