/* Request resolution (arch relations, emulator search, machine choice) and
 * the replay peer, without any QEMU. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "qmp/replay.h"
#include "domcaps/resolve.h"
#include "util/err.h"

START_TEST(arch_relations)
{
	ck_assert(cp_arch_native("x86_64", "i686"));
	ck_assert(!cp_arch_native("i686", "x86_64"));
	ck_assert(cp_arch_native("aarch64", "armv7l"));
	ck_assert(cp_arch_native("ppc64le", "ppc64"));
	ck_assert(!cp_arch_native("x86_64", "aarch64"));
	ck_assert(cp_arch_same_family("i686", "x86_64"));
	ck_assert(cp_arch_same_family("aarch64", "armv6l"));
	ck_assert(cp_arch_same_family("s390", "s390x"));
	ck_assert(!cp_arch_same_family("x86_64", "aarch64"));
	ck_assert(!cp_arch_same_family("riscv64", "riscv32"));
	ck_assert(cp_arch_binary_supports("x86_64", "i686"));
	ck_assert(!cp_arch_binary_supports("i686", "x86_64"));
	ck_assert(cp_arch_binary_supports("armv7l", "armv6l"));
	ck_assert(!cp_arch_binary_supports("ppc64le", "ppc64"));
}
END_TEST

/* A fake file system: the NULL-terminated list in ctx exists. */
static bool in_list(const char *path, void *ctx)
{
	for (const char *const *p = ctx; *p; p++)
		if (strcmp(*p, path) == 0)
			return true;
	return false;
}

static char *find(const char *host, const char *arch, const char *const *files)
{
	char *out = NULL;
	int rc = cp_qemu_find_binary(host, arch, "/opt/q/bin:relative:/usr/bin", in_list, (void *)files, &out);

	if (rc < 0) {
		ck_assert_ptr_null(out);
		return cp_strdup(cp_last_error());
	}
	return out;
}

START_TEST(emulator_search)
{
	static const char *const usr[] = {
		"/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-i386", "/usr/bin/qemu-system-arm",
		"/usr/bin/qemu-system-aarch64", "/opt/q/bin/qemu-system-x86_64", NULL,
	};
	static const char *const kvm_only[] = { "/usr/libexec/qemu-kvm", "relative/qemu-system-x86_64", NULL };
	static const char *const ppc[] = { "/usr/bin/qemu-system-ppc64", NULL };
	static const struct { const char *host, *arch; const char *const *files; const char *want; } cases[] = {
		{ "x86_64", "x86_64", usr, "/opt/q/bin/qemu-system-x86_64" },	/* PATH order */
		{ "x86_64", "i686", usr, "/usr/bin/qemu-system-i386" },
		{ "x86_64", "armv7l", usr, "/usr/bin/qemu-system-arm" },
		{ "aarch64", "armv7l", usr, "/usr/bin/qemu-system-aarch64" },	/* the host's own first */
		{ "x86_64", "i686", ppc, "unable to find any emulator to serve 'i686' architecture" },
		{ "x86_64", "i686", kvm_only, "/usr/libexec/qemu-kvm" },	/* native: qemu-kvm */
		{ "x86_64", "aarch64", kvm_only, "unable to find any emulator to serve 'aarch64' architecture" },
		{ "ppc64le", "ppc64le", ppc, "/usr/bin/qemu-system-ppc64" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = find(cases[i].host, cases[i].arch, cases[i].files);

		ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s on %s: %s", cases[i].arch, cases[i].host, got);
		free(got);
	}
}
END_TEST

static const char machines_x86[] =
	"[{\"name\": \"pc-q35-7.2\", \"alias\": \"q35\", \"cpu-max\": 288},"
	" {\"name\": \"none\", \"cpu-max\": 1},"
	" {\"name\": \"isapc\", \"cpu-max\": 1},"
	" {\"name\": \"pc-i440fx-7.2\", \"alias\": \"pc\", \"is-default\": true, \"cpu-max\": 255}]";
static const char machines_riscv[] =
	"[{\"name\": \"spike\", \"is-default\": true}, {\"name\": \"virt\"}, {\"name\": \"sifive_u\"}]";
static const char machines_odd[] = "[{\"name\": \"none\"}, {\"name\": \"b\"}, {\"name\": \"a\"}]";
/* only a JSON true makes a default (as in <guest> machine lists) */
static const char machines_not_bool[] =
	"[{\"name\": \"b\", \"is-default\": 1}, {\"name\": \"c\", \"is-default\": \"yes\"},"
	" {\"name\": \"d\", \"is-default\": true}]";

static char *machine(const char *json, const char *arch, const char *want)
{
	json_object *m = json_tokener_parse(json);
	char *out = NULL;
	int rc = cp_qemu_resolve_machine(m, arch, want, "/bin/q", &out);

	json_object_put(m);
	if (rc < 0)
		return cp_strdup(cp_last_error());
	return out ? out : cp_strdup("(none)");
}

START_TEST(machine_choice)
{
	static const struct { const char *json, *arch, *want, *got; } cases[] = {
		{ machines_x86, "x86_64", NULL, "pc-i440fx-7.2" },	/* preferred "pc" by alias */
		{ machines_x86, "x86_64", "q35", "pc-q35-7.2" },
		{ machines_x86, "x86_64", "pc-q35-7.2", "pc-q35-7.2" },
		{ machines_x86, "x86_64", "isapc", "isapc" },
		/* libvirt's message, then the nearest machines or all of them */
		{ machines_x86, "x86_64", "none", "the machine 'none' is not supported by emulator '/bin/q'"
		  "; valid: isapc, pc, pc-i440fx-7.2, pc-q35-7.2, q35" },
		{ machines_x86, "x86_64", "foo", "the machine 'foo' is not supported by emulator '/bin/q'"
		  "; valid: isapc, pc, pc-i440fx-7.2, pc-q35-7.2, q35" },
		{ machines_x86, "x86_64", "q53", "the machine 'q53' is not supported by emulator '/bin/q'"
		  "; did you mean 'q35'?" },
		{ machines_x86, "x86_64", "pc-q35-7", "the machine 'pc-q35-7' is not supported by emulator '/bin/q'"
		  "; did you mean 'pc-q35-7.2'?" },
		{ machines_x86, "x86_64", "PC", "the machine 'PC' is not supported by emulator '/bin/q'"
		  "; did you mean 'pc'?" },
		{ machines_riscv, "riscv64", NULL, "virt" },		/* libvirt 11.3 prefers virt over spike */
		{ machines_riscv, "ppc", NULL, "spike" },		/* no preferred match: QEMU's default */
		{ machines_odd, "ppc", NULL, "b" },			/* nothing: the first one */
		{ machines_not_bool, "ppc", NULL, "d" },
		{ "[]", "x86_64", NULL, "(none)" },
		{ "{}", "x86_64", "pc", "the machine 'pc' is not supported by emulator '/bin/q'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = machine(cases[i].json, cases[i].arch, cases[i].want);

		ck_assert_msg(strcmp(got, cases[i].got) == 0, "case %zu: %s", i, got);
		free(got);
	}
}
END_TEST

START_TEST(request_names)
{
	struct cp_domain_args a = { .virttype = "kvm", .arch = "x86_64" };

	ck_assert_int_eq(cp_domain_check_args(&a), 0);
	a.virttype = "hvf";
	ck_assert_int_eq(cp_domain_check_args(&a), 0);	/* a libvirt name; the probe refuses it */
	a.virttype = "kvmx";
	ck_assert_int_eq(cp_domain_check_args(&a), -EINVAL);
	ck_assert_str_eq(cp_last_error(), "unknown virttype: kvmx; did you mean 'kvm'?");
	a.virttype = "bar";
	ck_assert_int_eq(cp_domain_check_args(&a), -EINVAL);
	ck_assert_str_eq(cp_last_error(), "unknown virttype: bar; valid: kvm, qemu");
	a.virttype = NULL;
	a.arch = "nios2";
	ck_assert_int_eq(cp_domain_check_args(&a), -EINVAL);
	/* every arch, in libvirt's order */
	ck_assert_msg(strncmp(cp_last_error(), "unknown architecture: nios2; valid: alpha, armv6l, ", 51) == 0 &&
		      strstr(cp_last_error(), ", x86_64, xtensa, xtensaeb") &&
		      strlen(strstr(cp_last_error(), ", x86_64, xtensa, xtensaeb")) == 26, "%s", cp_last_error());
	a.arch = "x86-64";
	ck_assert_int_eq(cp_domain_check_args(&a), -EINVAL);
	ck_assert_str_eq(cp_last_error(), "unknown architecture: x86-64; did you mean 'x86_64'?");
}
END_TEST

static const char replies[] =
	"# session accel=kvm:tcg binary=/x\n"
	"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}}}\n\n"
	"{\"execute\": \"query-kvm\", \"id\": \"a\"}\n\n"
	"{\"event\": \"X\"}\n\n"
	"{\"return\": {\"enabled\": true}, \"id\": \"a\"}\n\n"
	"# session accel=tcg binary=/x\n"
	"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 1}}}}\n\n"
	"{\"execute\": \"query-kvm\", \"arguments\": {}, \"id\": \"b\"}\n\n"
	"{\"return\": {\"enabled\": false}, \"id\": \"b\"}\n\n"
	"{\"execute\": \"query-kvm\", \"id\": \"c\"}\n\n"
	"{\"return\": {\"enabled\": 2}, \"id\": \"c\"}\n";

static json_object *respond(struct cp_replay *r, const char *req)
{
	json_object *q = json_tokener_parse(req), *out = cp_replay_respond(r, q);

	json_object_put(q);
	return out;
}

static const char *reply_text(json_object *msgs, size_t i)
{
	return json_object_to_json_string_ext(json_object_array_get_idx(msgs, i), JSON_C_TO_STRING_PLAIN);
}

START_TEST(replay_answers)
{
	struct cp_replay *r;
	json_object *m;

	ck_assert_int_eq(cp_replay_load(replies, strlen(replies), "t", &r), 0);
	m = respond(r, "{\"execute\": \"query-kvm\", \"id\": 7}");
	ck_assert_int_eq(json_object_array_length(m), 2);	/* the event, then the reply */
	ck_assert_str_eq(reply_text(m, 0), "{\"event\":\"X\"}");
	ck_assert_str_eq(reply_text(m, 1), "{\"return\":{\"enabled\":true},\"id\":7}");
	json_object_put(m);

	cp_replay_select(r, "tcg");
	m = respond(r, "{\"execute\": \"query-kvm\", \"id\": \"x\"}");
	ck_assert_str_eq(reply_text(m, 0), "{\"return\":{\"enabled\":false},\"id\":\"x\"}");
	json_object_put(m);
	m = respond(r, "{\"execute\": \"query-kvm\", \"id\": \"y\"}");	/* next unused one */
	ck_assert_str_eq(reply_text(m, 0), "{\"return\":{\"enabled\":2},\"id\":\"y\"}");
	json_object_put(m);
	m = respond(r, "{\"execute\": \"query-kvm\"}");			/* all used: the last again */
	ck_assert_str_eq(reply_text(m, 0), "{\"return\":{\"enabled\":2}}");
	json_object_put(m);
	m = respond(r, "{\"execute\": \"query-nothing\", \"id\": 1}");
	ck_assert_str_eq(reply_text(m, 0),
			 "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command query-nothing has not been found\"},\"id\":1}");
	json_object_put(m);
	m = respond(r, "{\"execute\": \"qmp_capabilities\", \"id\": 1}");
	ck_assert_str_eq(reply_text(m, 0), "{\"return\":{},\"id\":1}");
	json_object_put(m);
	cp_replay_select(r, "hvf");					/* unknown: the first session */
	ck_assert_int_eq(json_object_get_int(json_object_object_get(json_object_object_get(
		json_object_object_get(json_object_object_get(cp_replay_greeting(r), "QMP"), "version"), "qemu"),
		"micro")), 0);
	cp_replay_free(r);
}
END_TEST

START_TEST(replay_bad_files)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "", "t: no QMP greeting recorded" },
		{ "# just a comment\n", "t: no QMP greeting recorded" },
		{ "{\"execute\": \"x\"}\n", "t: a message before any QMP greeting" },
		{ "{\"QMP\": {}}\n{\"return\": \n", "t: ends in the middle of a message" },
		{ "{\"QMP\": {}}\n[1]\n", "t: a recorded message is not a JSON object" },
	};
	struct cp_replay *r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(cp_replay_load(cases[i].text, strlen(cases[i].text), "t", &r), -EINVAL);
		ck_assert_ptr_null(r);
		ck_assert_str_eq(cp_last_error(), cases[i].msg);
	}
	ck_assert_int_eq(cp_replay_load("{\"QMP\": {}}\n}{\n", 15, "t", &r), -EINVAL);
	ck_assert(strncmp(cp_last_error(), "t: malformed JSON", 17) == 0);
}
END_TEST

/* The in-process peer speaks the wire protocol: greeting, then replies. */
START_TEST(replay_peer)
{
	struct cp_replay *r;
	struct cp_replay_peer *p;
	char buf[4096];
	size_t have = 0;
	int fd;

	ck_assert_int_eq(cp_replay_load(replies, strlen(replies), "t", &r), 0);
	ck_assert_int_eq(cp_replay_start(r, &fd, &p), 0);
	ck_assert_int_eq(write(fd, "{\"execute\": \"query-kvm\", \"id\": 3}", 34), 34);
	while (!memmem(buf, have, "\"id\": 3", 7)) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

		ck_assert_int_gt(n, 0);
		have += (size_t)n;
	}
	buf[have] = 0;
	ck_assert_ptr_nonnull(strstr(buf, "\"QMP\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"event\": \"X\""));
	ck_assert(strstr(buf, "\"QMP\"") < strstr(buf, "\"enabled\": true"));
	cp_replay_stop(p);
	cp_replay_free(r);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, arch_relations);
	tcase_add_test(tc, emulator_search);
	tcase_add_test(tc, machine_choice);
	tcase_add_test(tc, request_names);
	tcase_add_test(tc, replay_answers);
	tcase_add_test(tc, replay_bad_files);
	tcase_add_test(tc, replay_peer);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
