/* qemu/answers.c: answers of the wrong shape fail as libvirt fails them;
 * shapes libvirt reads leniently pass; every recorded real answer passes. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/answers.h"
#include "qmp/client.h"
#include "util/err.h"
#include "util/jsonmem.h"

struct shape_case {
	enum cp_q q;
	const char *ret;	/* JSON text of the "return" value */
	const char *arch;
	bool reduced;
	const char *fault;	/* NULL: accepted; else the end of the message */
};

static const struct shape_case cases[] = {
	/* the attack: nested empty arrays as machines */
	{ CP_Q_MACHINES, "[[[]],[[]]]", "x86_64", false, "return[0] is not an object" },
	{ CP_Q_MACHINES, "{}", "x86_64", false, "return is not an array" },
	{ CP_Q_MACHINES, "null", "x86_64", false, "return is not an array" },
	{ CP_Q_MACHINES, "[]", "x86_64", false, NULL },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\"}, {}]", "x86_64", false, "return[1].name is missing" },
	{ CP_Q_MACHINES, "[{\"name\": 1}]", "x86_64", false, "return[0].name is not a string" },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"cpu-max\": -1}]", "x86_64", false,
	  "return[0].cpu-max is not an unsigned 32-bit integer" },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"cpu-max\": 4294967296}]", "x86_64", false,
	  "return[0].cpu-max is not an unsigned 32-bit integer" },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"cpu-max\": 2.0}]", "x86_64", false,
	  "return[0].cpu-max is not an unsigned 32-bit integer" },
	/* a key that is there as null is there */
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"alias\": null}]", "x86_64", false,
	  "return[0].alias is not a string" },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"is-default\": \"yes\"}]", "x86_64", false,
	  "return[0].is-default is not a boolean" },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"deprecated\": 1}]", "x86_64", false,
	  "return[0].deprecated is not a boolean" },
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"acpi\": {}}]", "x86_64", false,
	  "return[0].acpi is not a boolean" },
	/* read leniently by libvirt */
	{ CP_Q_MACHINES, "[{\"name\": \"pc\", \"hotpluggable-cpus\": 3, \"x\": []}]", "x86_64", false, NULL },

	{ CP_Q_CPU_DEFS, "[{\"name\": \"a\", \"unavailable-features\": \"x\", \"typename\": 1}]", "x86_64",
	  false, NULL },
	{ CP_Q_CPU_DEFS, "[{\"name\": \"a\", \"unavailable-features\": [\"x\", 1]}]", "x86_64", false,
	  "return[0].unavailable-features[1] is not a string" },
	{ CP_Q_CPU_DEFS, "[{\"name\": \"a\", \"deprecated\": null}]", "x86_64", false,
	  "return[0].deprecated is not a boolean" },
	{ CP_Q_CPU_DEFS, "[\"a\"]", "x86_64", false, "return[0] is not an object" },

	{ CP_Q_VERSION, "{\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}", "", false,
	  "return.package is missing" },
	{ CP_Q_VERSION, "{\"qemu\": {\"major\": 7.5, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}", "", false,
	  "return.qemu.major is not a 32-bit integer" },
	{ CP_Q_VERSION, "{\"qemu\": [], \"package\": \"\"}", "", false, "return.qemu is not an object" },
	{ CP_Q_VERSION, "{\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}", "", false,
	  NULL },
	{ CP_Q_TARGET, "{\"arch\": 5}", "", false, "return.arch is not a string" },
	{ CP_Q_TARGET, "[\"x86_64\"]", "", false, "return is not an object" },
	{ CP_Q_KVM, "{\"enabled\": true}", "", false, "return.present is missing" },
	{ CP_Q_KVM, "{\"enabled\": 1, \"present\": true}", "", false, "return.enabled is not a boolean" },

	{ CP_Q_SCHEMA, "[{\"name\": \"x\"}, 3]", "", false, "return[1] is not an object" },
	{ CP_Q_SCHEMA, "{\"name\": \"x\"}", "", false, "return is not an array" },

	/* name lists: as QEMU sends them, and as a cache entry keeps them */
	{ CP_Q_TYPES, "[{\"name\": \"a\"}, {\"parent\": \"b\"}]", "", false, "return[1].name is missing" },
	{ CP_Q_TYPES, "[\"a\", \"b\"]", "", false, "return[0] is not an object" },
	{ CP_Q_TYPES, "[\"a\", \"b\"]", "", true, NULL },
	{ CP_Q_TYPES, "[\"a\", {}]", "", true, "return[1] is not a string" },
	{ CP_Q_MAX_CPU_PROPS, "[{\"name\": []}]", "", false, "return[0].name is not a string" },
	{ CP_Q_CMDLINE, "[{\"option\": \"spice\"}]", "", false, "return[0].parameters is missing" },
	{ CP_Q_CMDLINE, "[{\"option\": \"spice\", \"parameters\": {}}]", "", false,
	  "return[0].parameters is not an array" },
	{ CP_Q_CMDLINE, "[{\"option\": \"spice\", \"parameters\": [7]}]", "", false, NULL },

	{ CP_Q_TPM_MODELS, "[\"tpm-tis\", 1]", "", false, "return[1] is not a string" },
	{ CP_Q_TPM_TYPES, "{}", "", false, "return is not an array" },

	{ CP_Q_GIC, "[{\"version\": 3, \"kernel\": true}]", "aarch64", false, "return[0].emulated is missing" },
	{ CP_Q_GIC, "[7]", "aarch64", false, "return[0] is not an object" },
	{ CP_Q_SEV, "{\"cbitpos\": 47, \"reduced-phys-bits\": 1, \"pdh\": \"p\"}", "x86_64", false,
	  "return.cert-chain is missing" },
	{ CP_Q_SEV, "{\"cbitpos\": 47, \"reduced-phys-bits\": 1, \"pdh\": \"p\", \"cert-chain\": \"c\", "
		    "\"cpu0-id\": 5}", "x86_64", false, NULL },
	{ CP_Q_SGX, "{\"flc\": true, \"sgx1\": true, \"sgx2\": false, \"sections\": [{\"size\": 1}]}",
	  "x86_64", false, "return.sections[0].node is missing" },
	{ CP_Q_SGX, "{\"flc\": true, \"sgx1\": true, \"sgx2\": false, \"sections\": 3}", "x86_64", false, NULL },

	/* props are required, but not of s390 */
	{ CP_Q_EXPAND, "{\"model\": {\"name\": \"host\"}}", "x86_64", false, "return.model.props is missing" },
	{ CP_Q_EXPAND, "{\"model\": {\"name\": \"host\"}}", "s390x", false, NULL },
	{ CP_Q_EXPAND, "{\"model\": {\"name\": \"host\", \"props\": []}}", "x86_64", false,
	  "return.model.props is not an object" },
	{ CP_Q_EXPAND_FULL, "{}", "x86_64", false, "return.model is missing" },
	{ CP_Q_HV_EXPAND, "{\"model\": {\"name\": \"host\"}}", "x86_64", false, NULL },
	{ CP_Q_HV_EXPAND, "{\"model\": {\"name\": \"host\"}, \"deprecated-props\": [null]}", "x86_64", false,
	  "return.deprecated-props[0] is not a string" },
};

START_TEST(shapes)
{
	const struct shape_case *c = &cases[_i];
	json_object *ret = json_tokener_parse(c->ret);
	int rc;

	ck_assert_msg(ret || strcmp(c->ret, "null") == 0, "case %d: bad test JSON", _i);
	cp_clear_error();
	rc = cp_answer_check(c->q, ret, c->arch, c->reduced, "some-command", "/bin/qemu");
	if (!c->fault) {
		ck_assert_msg(rc == 0, "case %d (%s): refused: %s", _i, c->ret, cp_last_error());
	} else {
		char want[512];

		snprintf(want, sizeof(want), "malformed QMP reply from /bin/qemu: some-command: %s", c->fault);
		ck_assert_msg(rc == -EPROTO, "case %d (%s): accepted", _i, c->ret);
		ck_assert_msg(strcmp(cp_last_error(), want) == 0, "case %d: '%s', not '%s'", _i,
			      cp_last_error(), want);
	}
	json_object_put(ret);
}
END_TEST

/* ---- every answer in the recordings passes, far inside the caps ---- */

/* What a message costs as QEMU sends it (one line, ", " and ": "). */
static uint64_t wire_cost(json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED);
	struct cp_json_scan sc;

	cp_json_scan_init(&sc);
	cp_json_scan_all(&sc, t, strlen(t));
	return cp_json_scan_cost(&sc) + 2 * CP_JSON_COST_BYTE;	/* "\r\n" */
}

static enum cp_q question_of(const char *execute, json_object *args)
{
	static const struct {
		const char *execute;
		enum cp_q q;
	} map[] = {
		{ "query-version", CP_Q_VERSION }, { "query-target", CP_Q_TARGET },
		{ "query-qmp-schema", CP_Q_SCHEMA }, { "query-kvm", CP_Q_KVM },
		{ "qom-list-types", CP_Q_TYPES }, { "qom-list-properties", CP_Q_MAX_CPU_PROPS },
		{ "query-machines", CP_Q_MACHINES }, { "query-cpu-definitions", CP_Q_CPU_DEFS },
		{ "query-tpm-models", CP_Q_TPM_MODELS }, { "query-tpm-types", CP_Q_TPM_TYPES },
		{ "query-command-line-options", CP_Q_CMDLINE }, { "query-gic-capabilities", CP_Q_GIC },
		{ "query-sev-capabilities", CP_Q_SEV }, { "query-sgx-capabilities", CP_Q_SGX },
	};
	json_object *m, *props;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].execute, execute) == 0)
			return map[i].q;
	if (strcmp(execute, "query-cpu-model-expansion") == 0)
		return json_object_object_get_ex(args, "model", &m) &&
		       json_object_object_get_ex(m, "props", &props) &&
		       json_object_object_get_ex(props, "hv-passthrough", NULL) ? CP_Q_HV_EXPAND : CP_Q_EXPAND;
	return CP_Q_COUNT;
}

static unsigned check_recording(const char *path, const char *arch)
{
	FILE *f = fopen(path, "r");
	json_tokener *tok = json_tokener_new_ex(256);
	char line[65536];
	json_object *req = NULL;
	unsigned checked = 0;
	uint64_t total = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		json_object *o, *ret, *ex;

		if (line[0] == '#')
			continue;
		o = json_tokener_parse_ex(tok, line, (int)strlen(line));
		if (!o)
			continue;
		json_tokener_reset(tok);
		if (!json_object_object_get_ex(o, "execute", NULL)) {
			uint64_t c = wire_cost(o);

			/* QEMU 7.2's largest, the x86 schema, costs 12 MiB */
			ck_assert_msg(c <= CP_QMP_MAX_MSG_COST / 8, "%s: a message costs %llu", path,
				      (unsigned long long)c);
			total += c;
		}
		if (json_object_object_get_ex(o, "execute", NULL)) {
			json_object_put(req);
			req = o;
			continue;
		}
		if (req && json_object_object_get_ex(o, "return", &ret) &&
		    json_object_object_get_ex(req, "execute", &ex)) {
			json_object *args = NULL;
			enum cp_q q;

			json_object_object_get_ex(req, "arguments", &args);
			q = question_of(json_object_get_string(ex), args);
			if (q != CP_Q_COUNT) {
				ck_assert_msg(cp_answer_check(q, ret, arch, false, json_object_get_string(ex),
							      path) == 0, "%s", cp_last_error());
				checked++;
			}
		}
		json_object_put(o);
	}
	json_object_put(req);
	json_tokener_free(tok);
	fclose(f);
	/* the largest conversation, x86 under KVM, costs 18 MiB */
	ck_assert_msg(total <= CP_QMP_MAX_TOTAL_COST / 8, "%s costs %llu", path, (unsigned long long)total);
	return checked;
}

START_TEST(recordings_pass)
{
	char dir[4096], path[8192], arch[64];
	unsigned files = 0, answers = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/qemu", getenv("FIXTURES") ? getenv("FIXTURES") : "tests/fixtures");
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 9 || strcmp(de->d_name + n - 8, ".replies") != 0)
			continue;
		/* 7.2.22-ARCH[-kvm|-tcg].replies */
		sscanf(strchr(de->d_name, '-') + 1, "%63[^-.]", arch);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		answers += check_recording(path, arch);
		files++;
	}
	closedir(d);
	ck_assert_uint_ge(files, 9);
	ck_assert_uint_ge(answers, files * 5);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("answers");
	TCase *tc = tcase_create("answers");

	tcase_add_loop_test(tc, shapes, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, recordings_pass);
	tcase_set_timeout(tc, 120);	/* sanitized, on a loaded machine */
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
