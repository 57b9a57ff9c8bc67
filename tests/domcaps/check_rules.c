#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpumap/x86_cpumap.h"
#include "domcaps/hostmodel.h"
#include "domcaps/rules.h"
#include "probe/schema.h"
#include "util/json.h"
#include "util/str.h"
#include "xml/domcaps.h"
#include "handmade.h"

static inline const char *fixture_dir(void);	/* check_main.h */

static char *fixture(const char *rel)
{
	return cp_asprintf("%s/%s", fixture_dir(), rel);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct cp_buf b = { 0 };
	char buf[4096];
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		cp_buf_add(&b, buf, n);
	fclose(f);
	return cp_buf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* The libvirt 11.3 reference documents from the hand-recorded answers. */

static const struct golden {
	const char *binary, *arch, *file1, *file2, *machine;
	bool kvm;
	const char *expected;
} goldens[] = {
	{ "/usr/bin/qemu-system-x86_64", "x86_64", "x86_64-kvm.json", "x86_64-tcg.json", "pc-q35-7.2",
	  true, "x86_64-q35-kvm.xml" },
	{ "/usr/bin/qemu-system-x86_64", "x86_64", "x86_64-kvm.json", "x86_64-tcg.json", "pc-q35-7.2",
	  false, "x86_64-q35-qemu.xml" },
	{ "/usr/bin/qemu-system-x86_64", "x86_64", "x86_64-kvm.json", "x86_64-tcg.json", "pc-i440fx-7.2",
	  true, "x86_64-pc-kvm.xml" },
	{ "/usr/bin/qemu-system-x86_64", "x86_64", "x86_64-kvm.json", "x86_64-tcg.json", "pc-i440fx-7.2",
	  true, "x86_64-default-kvm.xml" },
	{ "/usr/bin/qemu-system-x86_64", "x86_64", "x86_64-kvm.json", "x86_64-tcg.json", "isapc",
	  true, "x86_64-isapc-kvm.xml" },
	{ "/usr/bin/qemu-system-x86_64", "i686", "x86_64-kvm.json", "x86_64-tcg.json", "pc-i440fx-7.2",
	  true, "i686-pc-kvm.xml" },
	{ "/usr/bin/qemu-system-aarch64", "aarch64", "aarch64-tcg.json", NULL, "virt-7.2",
	  false, "aarch64-virt-qemu.xml" },
	{ "/usr/bin/qemu-system-arm", "armv7l", "arm-tcg.json", NULL, "virt-7.2",
	  false, "armv7l-virt-qemu.xml" },
};

START_TEST(test_golden)
{
	const struct golden *g = &goldens[_i];
	char *f1 = cp_asprintf("%s/qemu/handmade/%s", fixture_dir(), g->file1);
	char *f2 = g->file2 ? cp_asprintf("%s/qemu/handmade/%s", fixture_dir(), g->file2) : NULL;
	char *tree = fixture("rules-host");
	char *exp = cp_asprintf("%s/qemu/libvirt-11.3/%s", fixture_dir(), g->expected);
	struct cp_dc_request req = { .arch = g->arch, .machine = g->machine, .kvm = g->kvm };
	struct cp_qemu_probe p;
	struct cp_domcaps dc;
	struct cp_root *r;
	char *got, *want;

	ck_assert_int_eq(cp_root_new(tree, &r), 0);
	ck_assert_int_eq(handmade_load(g->binary, g->arch, f1, f2, &p), 0);
	cp_domcaps_init(&dc);
	ck_assert_msg(cp_domcaps_build(r, &p, &req, &dc) == 0, "%s", cp_last_error());
	got = cp_domcaps_format(&dc, CP_DOC_XML);
	want = slurp(exp);
	ck_assert_msg(strcmp(got, want) == 0, "%s differs from libvirt 11.3", g->expected);
	free(got);
	free(want);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	cp_root_free(r);
	free(f1);
	free(f2);
	free(tree);
	free(exp);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Schema paths */

static const char schema_json[] =
	"[{\"name\":\"cmd\",\"meta-type\":\"command\",\"arg-type\":\"A\",\"ret-type\":\"R\"},"
	"{\"name\":\"A\",\"meta-type\":\"object\",\"features\":[\"fa\"],\"members\":["
	"{\"name\":\"req\",\"type\":\"E\"},{\"name\":\"opt\",\"type\":\"int\",\"default\":null},"
	"{\"name\":\"list\",\"type\":\"[B]\"},{\"name\":\"alt\",\"type\":\"Alt\"}],"
	"\"tag\":\"req\",\"variants\":[{\"case\":\"one\",\"type\":\"B\"}]},"
	"{\"name\":\"[B]\",\"meta-type\":\"array\",\"element-type\":\"B\"},"
	"{\"name\":\"B\",\"meta-type\":\"object\",\"members\":[{\"name\":\"x\",\"type\":\"str\"}]},"
	"{\"name\":\"Alt\",\"meta-type\":\"alternate\",\"members\":[{\"type\":\"str\"},{\"type\":\"B\"}]},"
	"{\"name\":\"E\",\"meta-type\":\"enum\",\"members\":[{\"name\":\"one\"},"
	"{\"name\":\"two\",\"features\":[\"deprecated\"]}],\"values\":[\"one\",\"two\"]},"
	"{\"name\":\"L\",\"meta-type\":\"enum\",\"values\":[\"old\"]},"
	"{\"name\":\"ev\",\"meta-type\":\"event\",\"arg-type\":\"L2\"},"
	"{\"name\":\"L2\",\"meta-type\":\"object\",\"members\":[{\"name\":\"e\",\"type\":\"L\"}]},"
	"{\"name\":\"R\",\"meta-type\":\"object\",\"members\":[]},"
	"{\"name\":\"str\",\"meta-type\":\"builtin\",\"json-type\":\"string\"},"
	"{\"name\":\"int\",\"meta-type\":\"builtin\",\"json-type\":\"int\"}]";

/* cp_json_skip as it was first written, byte by byte: the faster one must
 * give the same answer for every input. */
static const char *ref_skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *ref_skip(const char *p, const char *end)
{
	int depth = 0;

	do {
		if (p >= end)
			return NULL;
		if (*p == '"') {
			if (!(p = ref_skip_string(p, end)))
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth < 0)
				return NULL;
		} else if (depth == 0) {
			while (p < end && !strchr(",}] \t\r\n", *p))
				p++;
			return p;
		}
		p++;
	} while (depth > 0);
	return p;
}

/* Every prefix of t (its NULs included) skips as the reference does. */
static void assert_skip_like_ref(const char *t, size_t len)
{
	for (size_t n = 0; n <= len; n++) {
		const char *got = cp_json_skip(t, t + n), *want = ref_skip(t, t + n);

		ck_assert_msg(got == want, "\"%.*s\" (%zu bytes): %td, want %td", (int)n, t, n,
			      got ? got - t : -1, want ? want - t : -1);
	}
}

START_TEST(test_json_skip)
{
	static const struct {
		const char *t;
		int end;		/* offset past the value, -1: NULL */
	} cases[] = {
		{ "\"abc\",", 5 },
		{ "\"a\\\"b\"x", 6 },		/* escaped quote */
		{ "\"a\\\\\"x", 5 },		/* escaped backslash, then the end */
		{ "\"\\\\\\\"\"", 6 },		/* three backslashes: the quote is escaped */
		{ "\"\\\\\\\\\"", 6 },		/* four: it is not */
		{ "\"\\\"", -1 },		/* the only closing quote is escaped */
		{ "\"abc", -1 },		/* truncated string */
		{ "\"ab\\", -1 },		/* truncated in an escape */
		{ "{\"a\":[1,\"]}\"]}x", 14 },	/* brackets inside strings */
		{ "[[[]]", -1 },		/* truncated nesting */
		{ "[1,{\"k\":\"}\"},2]", 15 },
		{ "123", 3 },			/* scalar at the end */
		{ "true}", 4 },
		{ "null ", 4 },
		{ "-1.5e3,", 6 },
		{ ",", 0 },			/* empty scalar */
		{ "]", -1 },			/* stray closer */
		{ "}", -1 },
		{ "", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].t, *e = cp_json_skip(t, t + strlen(t));

		ck_assert_msg(cases[i].end < 0 ? e == NULL : e == t + cases[i].end,
			      "%s: %td", t, e ? e - t : -1);
		assert_skip_like_ref(t, strlen(t));
	}
	/* a NUL ends a scalar; inside strings and nesting it is a byte */
	assert_skip_like_ref("12\0003", 4);
	assert_skip_like_ref("\"a\0\"", 4);
	assert_skip_like_ref("[\0]", 3);

	/* every string of up to 5 bytes over the bytes that matter, then
	 * random longer ones */
	{
		static const char alpha[] = "\"\\{}[]a ,";
		const size_t na = sizeof(alpha) - 1;
		char t[40];
		uint32_t r = 12345;

		for (size_t len = 1; len <= 5; len++) {
			size_t total = 1;

			for (size_t k = 0; k < len; k++)
				total *= na;
			for (size_t c = 0; c < total; c++) {
				size_t v = c;

				for (size_t k = 0; k < len; k++, v /= na)
					t[k] = alpha[v % na];
				assert_skip_like_ref(t, len);
			}
		}
		for (int i = 0; i < 20000; i++) {
			size_t len = 6 + (r >> 8) % 30;

			for (size_t k = 0; k < len; k++) {
				r = r * 1103515245u + 12345u;
				t[k] = alpha[(r >> 16) % na];
			}
			assert_skip_like_ref(t, len);
		}
	}
}
END_TEST

/* A probe keeps the schema as a name set (cp_schema_reduce): its commands
 * (not events, types or names with a '/') and the rules' paths that exist;
 * a name set reduces to itself, garbage to an empty set. */
START_TEST(test_schema_reduce)
{
	static const char t[] =
		"[{\"name\":\"query-display-options\",\"meta-type\":\"command\",\"ret-type\":\"D\"},"
		"{\"name\":\"D\",\"meta-type\":\"object\",\"members\":[{\"name\":\"type\",\"type\":\"str\"}],"
		"\"tag\":\"type\",\"variants\":[{\"case\":\"sdl\",\"type\":\"S\"},{\"case\":\"dbus\",\"type\":\"S\"}]},"
		"{\"name\":\"S\",\"meta-type\":\"object\",\"members\":[]},"
		"{\"name\":\"str\",\"meta-type\":\"builtin\",\"json-type\":\"string\"},"
		"{\"name\":\"query-vnc\",\"meta-type\":\"command\"},"
		"{\"name\":\"a/b\",\"meta-type\":\"command\"},"
		"{\"name\":\"blockdev-reopen\",\"meta-type\":\"event\"},"
		"{\"meta-type\":\"command\"},\"x\",3]";
	json_object *raw = json_tokener_parse(t), *set, *again, *none;

	ck_assert_ptr_nonnull(raw);
	set = cp_schema_reduce(raw);
	ck_assert_str_eq(json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			 "[\"query-display-options\",\"query-display-options/ret-type/+dbus\","
			 "\"query-display-options/ret-type/+sdl\",\"query-vnc\"]");
	ck_assert(cp_json_name_set_has(set, cp_schema_paths[CP_SCHEMA_SDL]));
	ck_assert(!cp_json_name_set_has(set, cp_schema_paths[CP_SCHEMA_EGL_HEADLESS]));
	again = cp_schema_reduce(set);
	ck_assert(json_object_equal(again, set));
	json_object_put(again);
	json_object_put(set);
	json_object_put(raw);
	raw = json_tokener_parse("{\"name\":\"query-vnc\",\"meta-type\":\"command\"}");
	none = cp_schema_reduce(raw);
	ck_assert(json_object_is_type(none, json_type_array) && json_object_array_length(none) == 0);
	json_object_put(none);
	json_object_put(raw);
	none = cp_schema_reduce(NULL);
	ck_assert(json_object_is_type(none, json_type_array) && json_object_array_length(none) == 0);
	json_object_put(none);
}
END_TEST

START_TEST(test_schema_paths)
{
	json_object *j = json_tokener_parse(schema_json);
	struct cp_schema *s = cp_schema_new(j);
	static const struct {
		const char *path;
		bool exists;
	} cases[] = {
		{ "cmd", true },
		{ "cmd/arg-type", true },
		{ "cmd/ret-type", true },
		{ "cmd/bad-type", false },
		{ "cmd/arg-type/req", true },
		{ "cmd/arg-type/*req", false },	/* not optional */
		{ "cmd/arg-type/*opt", true },
		{ "cmd/arg-type/opt/!int", true },
		{ "cmd/arg-type/opt/!string", false },
		{ "cmd/arg-type/+one", true },
		{ "cmd/arg-type/+one/x", true },
		{ "cmd/arg-type/+two", false },
		{ "cmd/arg-type/$fa", true },
		{ "cmd/arg-type/$fb", false },
		{ "cmd/arg-type/$fa/req", false },	/* $ is terminal */
		{ "cmd/arg-type/list/x", true },	/* arrays are transparent */
		{ "cmd/arg-type/list/y", false },
		{ "cmd/arg-type/alt/x", true },		/* second alternative */
		{ "cmd/arg-type/alt/!string", true },	/* first alternative */
		{ "cmd/arg-type/req/^one", true },
		{ "cmd/arg-type/req/^three", false },
		{ "cmd/arg-type/req/^two/$deprecated", true },
		{ "cmd/arg-type/req/^one/$deprecated", false },
		{ "ev/arg-type/e/^old", true },		/* legacy "values" */
		{ "nothing", false },
		{ "", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(cp_schema_path_exists(s, cases[i].path) == cases[i].exists, "%s", cases[i].path);
	ck_assert(cp_schema_has_command(s, "cmd"));
	ck_assert(!cp_schema_has_command(s, "ev"));
	ck_assert(!cp_schema_has_command(s, "A"));
	cp_schema_free(s);
	json_object_put(j);

	/* Garbage instead of an array: nothing exists, nothing crashes. */
	j = json_tokener_parse("{\"name\":\"cmd\"}");
	s = cp_schema_new(j);
	ck_assert(!cp_schema_path_exists(s, "cmd"));
	cp_schema_free(s);
	json_object_put(j);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Synthetic probes and host trees */

struct tmp_tree {
	char dir[64];
};

static void write_file(const char *dir, const char *rel, const char *text)
{
	char *path = cp_asprintf("%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	char *parent = cp_strndup(path, (size_t)(slash - path));
	char *cmd = cp_asprintf("mkdir -p '%s'", parent);
	FILE *f;

	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs(text, f);
	fclose(f);
	free(cmd);
	free(parent);
	free(path);
}

/* A host tree with the facts every build needs; extra files as pairs. */
static struct cp_root *make_host(struct tmp_tree *t, const char *swtpm, const char *const *extra)
{
	struct cp_root *r;

	strcpy(t->dir, "/tmp/check_rules.XXXXXX");
	ck_assert(mkdtemp(t->dir) != NULL);
	write_file(t->dir, "capsprobe/uname-machine", "x86_64\n");
	write_file(t->dir, "capsprobe/kvm-max-vcpus", "710\n");
	write_file(t->dir, "capsprobe/swtpm", swtpm);
	write_file(t->dir, "proc/cpuinfo", "processor\t: 0\naddress sizes\t: 43 bits physical, 48 bits virtual\n");
	for (size_t i = 0; extra && extra[i]; i += 2)
		write_file(t->dir, extra[i], extra[i + 1]);
	ck_assert_int_eq(cp_root_new(t->dir, &r), 0);
	return r;
}

static void drop_host(struct tmp_tree *t, struct cp_root *r)
{
	char *cmd = cp_asprintf("rm -rf '%s'", t->dir);

	cp_root_free(r);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* A pass-1-only probe of an x86_64 binary from a JSON object text. */
static void make_probe(const char *arch, const char *json, struct cp_qemu_probe *p)
{
	json_object *o = json_tokener_parse(json);

	ck_assert_msg(o != NULL, "bad test JSON");
	memset(p, 0, sizeof(*p));
	handmade_pass(o, "kvm:tcg", &p->pass1);
	json_object_put(o);
	p->binary = cp_strdup("/usr/bin/qemu-test");
	p->arch = arch;
	p->kvm = true;
}

static int build(struct cp_root *r, struct cp_qemu_probe *p, const char *arch, const char *machine,
		 bool kvm, struct cp_domcaps *dc)
{
	struct cp_dc_request req = { .arch = arch, .machine = machine, .kvm = kvm };

	cp_domcaps_init(dc);
	return cp_domcaps_build(r, p, &req, dc);
}

static const char machines_json[] =
	"\"machines\":[{\"name\":\"pc-i440fx-7.2\",\"alias\":\"pc\",\"cpu-max\":255},"
	"{\"name\":\"pc-q35-7.2\",\"alias\":\"q35\",\"cpu-max\":4096},{\"name\":\"isapc\",\"cpu-max\":1},"
	"{\"name\":\"microvm\",\"cpu-max\":288},{\"name\":\"pc-1.3\",\"cpu-max\":255}]";

START_TEST(test_machine_rules)
{
	static const struct {
		const char *machine;
		bool ide, ps2;
		unsigned kvm_vcpus, tcg_vcpus;
	} cases[] = {
		{ "pc-i440fx-7.2", true, true, 255, 255 },
		{ "pc-1.3", true, true, 255, 255 },
		{ "pc-q35-7.2", false, true, 710, 4096 },	/* KVM limit 710 */
		{ "isapc", false, true, 1, 1 },
		{ "microvm", false, false, 288, 288 },
	};
	struct tmp_tree t;
	struct cp_root *r = make_host(&t, "none\n", NULL);
	struct cp_qemu_probe p;
	char *json = cp_asprintf("{%s,\"pc_machine_props\":[{\"name\":\"i8042\",\"type\":\"bool\"}],"
				 "\"types\":[{\"name\":\"usb-storage\"},{\"name\":\"ich9-ahci\"}]}",
				 machines_json);

	make_probe("x86_64", json, &p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int kvm = 0; kvm < 2; kvm++) {
			struct cp_domcaps dc;

			ck_assert_msg(build(r, &p, "x86_64", cases[i].machine, kvm, &dc) == 0, "%s",
				      cp_last_error());
			ck_assert_msg(cp_dc_enum_has(&dc.devices.disk.bus, "ide") == cases[i].ide, "%s",
				      cases[i].machine);
			ck_assert(cp_dc_enum_has(&dc.devices.disk.bus, "fdc"));
			ck_assert(cp_dc_enum_has(&dc.devices.disk.bus, "usb"));
			ck_assert(cp_dc_enum_has(&dc.devices.disk.bus, "sata"));
			ck_assert_int_eq(dc.features.ps2, cases[i].ps2 ? CP_DC_YES : CP_DC_NO);
			ck_assert_uint_eq(dc.vcpu_max, kvm ? cases[i].kvm_vcpus : cases[i].tcg_vcpus);
			/* No swtpm, no TPM types: tpm says no; x86 panics hyperv. */
			ck_assert_int_eq(dc.devices.tpm.supported, CP_DC_NO);
			ck_assert(cp_dc_enum_has(&dc.devices.panic.model, "hyperv"));
			ck_assert_int_eq(dc.cpu.custom, CP_DC_NO);	/* no query-cpu-definitions */
			ck_assert_int_eq(dc.cpu.host_passthrough, kvm ? CP_DC_YES : CP_DC_NO);
			cp_domcaps_free(&dc);
		}
	}
	/* Without the i8042 property no machine has ps2. */
	handmade_free(&p);
	free(json);
	json = cp_asprintf("{%s}", machines_json);
	make_probe("x86_64", json, &p);
	{
		struct cp_domcaps dc;

		ck_assert_int_eq(build(r, &p, "x86_64", "pc-q35-7.2", true, &dc), 0);
		ck_assert_int_eq(dc.features.ps2, CP_DC_NO);
		ck_assert(!cp_dc_enum_has(&dc.devices.disk.bus, "sata"));
		cp_domcaps_free(&dc);
	}
	handmade_free(&p);
	free(json);
	drop_host(&t, r);
}
END_TEST

START_TEST(test_host_checks)
{
	static const char *const vfio[] = {
		"sys/kernel/iommu_groups/7/type", "DMA\n", "dev/vfio/vfio", "",
		"capsprobe/cpuid", "0x8000001f 0x00000000 0x0001000f 0x0000016f 0x000001fd 0x00000065\n",
		NULL
	};
	struct tmp_tree t;
	struct cp_root *r = make_host(&t, "{\"type\":\"swtpm_setup\",\"features\":[\"tpm-2.0\"]}\n", vfio);
	struct cp_qemu_probe p;
	struct cp_domcaps dc;

	make_probe("x86_64",
		   "{\"types\":[{\"name\":\"vfio-pci\"},{\"name\":\"sev-guest\"},{\"name\":\"sev-snp-guest\"}],"
		   "\"tpm_models\":[\"tpm-tis\"],\"tpm_types\":[\"emulator\"],"
		   "\"sev\":{\"cbitpos\":51,\"reduced-phys-bits\":1,\"cpu0-id\":\"abc\"}}",
		   &p);
	ck_assert_msg(build(r, &p, "x86_64", "pc-q35-7.2", true, &dc) == 0, "%s", cp_last_error());
	ck_assert(cp_dc_enum_has(&dc.devices.hostdev.pci_backend, "default"));
	ck_assert(cp_dc_enum_has(&dc.devices.hostdev.pci_backend, "vfio"));
	ck_assert_int_eq(dc.devices.tpm.supported, CP_DC_YES);
	ck_assert(!cp_dc_enum_has(&dc.devices.tpm.backend_model, "passthrough"));
	ck_assert(cp_dc_enum_has(&dc.devices.tpm.backend_model, "emulator"));
	ck_assert(cp_dc_enum_has(&dc.devices.tpm.backend_model, "external"));
	ck_assert_uint_eq(dc.devices.tpm.backend_version.values.n, 1);
	ck_assert_str_eq(dc.devices.tpm.backend_version.values.v[0], "2.0");
	/* 0x1fd ASIDs, the first non-ES one 0x65. */
	ck_assert_int_eq(dc.features.sev.supported, CP_DC_YES);
	ck_assert_uint_eq(dc.features.sev.cbitpos, 51);
	ck_assert_uint_eq(dc.features.sev.max_guests, 0x1fd - 0x65 + 1);
	ck_assert_uint_eq(dc.features.sev.max_es_guests, 0x65 - 1);
	ck_assert_str_eq(dc.features.sev.cpu0_id, "abc");
	ck_assert_int_eq(dc.features.launch_security.supported, CP_DC_YES);
	ck_assert_uint_eq(dc.features.launch_security.sectype.values.n, 2);
	ck_assert_int_eq(dc.vcpu_max, 0);	/* no machine list */
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);

	/* swtpm missing: emulator backends and versions go. */
	r = make_host(&t, "none\n", NULL);
	make_probe("x86_64", "{\"tpm_models\":[\"tpm-crb\"],\"tpm_types\":[\"passthrough\",\"emulator\"]}", &p);
	ck_assert_int_eq(build(r, &p, "x86_64", "pc-q35-7.2", true, &dc), 0);
	ck_assert_int_eq(dc.devices.tpm.supported, CP_DC_YES);
	ck_assert_uint_eq(dc.devices.tpm.backend_model.values.n, 1);
	ck_assert(!dc.devices.tpm.backend_version.report);
	ck_assert(dc.devices.hostdev.pci_backend.report);
	ck_assert_uint_eq(dc.devices.hostdev.pci_backend.values.n, 0);
	ck_assert_int_eq(dc.features.sev.supported, CP_DC_NO);
	ck_assert_int_eq(dc.features.launch_security.supported, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);

	/* A recorded tree without the KVM vCPU fact cannot answer for kvm. */
	strcpy(t.dir, "/tmp/check_rules.XXXXXX");
	ck_assert(mkdtemp(t.dir) != NULL);
	write_file(t.dir, "capsprobe/uname-machine", "x86_64\n");
	ck_assert_int_eq(cp_root_new(t.dir, &r), 0);
	make_probe("x86_64", "{\"machines\":[{\"name\":\"pc-q35-7.2\",\"cpu-max\":288}]}", &p);
	ck_assert_int_eq(build(r, &p, "x86_64", "pc-q35-7.2", true, &dc), -ENOENT);
	ck_assert(strstr(cp_last_error(), "kvm-max-vcpus") != NULL);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);
}
END_TEST

/* SGX from query-sgx-capabilities (sections in KiB, bad sections left
 * out) and s390 Protected Virtualization from the host's ultravisor and
 * kernel command line. */
START_TEST(test_sgx_s390_pv)
{
	static const struct { const char *cmdline; bool uv; enum cp_dc_support pv; } pv_cases[] = {
		{ "root=/dev/vda prot_virt=1\n", true, CP_DC_YES },
		{ "prot_virt=on quiet\n", true, CP_DC_YES },
		{ "prot_virt=0\n", true, CP_DC_NO },
		{ "noprot_virt=1\n", true, CP_DC_NO },		/* not the parameter */
		{ "prot_virt=1 prot_virt=0\n", true, CP_DC_NO },	/* the last one counts */
		{ "prot_virt=1\n", false, CP_DC_NO },		/* no ultravisor */
	};
	struct tmp_tree t;
	struct cp_root *r = make_host(&t, "none\n", NULL);
	struct cp_qemu_probe p;
	struct cp_domcaps dc;

	make_probe("x86_64",
		   "{\"types\":[{\"name\":\"sgx-epc\"}],"
		   "\"sgx\":{\"flc\":true,\"sgx1\":true,\"sgx2\":false,\"section-size\":1048576,"
		   "\"sections\":[{\"node\":0,\"size\":524288},{\"node\":-1,\"size\":4096},"
		   "{\"node\":1,\"size\":\"big\"},{\"node\":1,\"size\":1024}]}}",
		   &p);
	ck_assert_msg(build(r, &p, "x86_64", "pc-q35-7.2", true, &dc) == 0, "%s", cp_last_error());
	ck_assert_int_eq(dc.features.sgx.supported, CP_DC_YES);
	ck_assert(dc.features.sgx.flc && dc.features.sgx.sgx1 && !dc.features.sgx.sgx2);
	ck_assert_uint_eq(dc.features.sgx.section_size_kib, 1024);
	ck_assert(dc.features.sgx.have_sections);
	ck_assert_uint_eq(dc.features.sgx.nsections, 2);
	ck_assert_uint_eq(dc.features.sgx.sections[0].node, 0);
	ck_assert_uint_eq(dc.features.sgx.sections[0].size_kib, 512);
	ck_assert_uint_eq(dc.features.sgx.sections[1].node, 1);
	ck_assert_uint_eq(dc.features.sgx.sections[1].size_kib, 1);
	ck_assert_int_eq(dc.features.s390_pv, CP_DC_ABSENT);	/* not s390 */
	cp_domcaps_free(&dc);
	handmade_free(&p);
	/* without the sgx-epc device the answer is not believed */
	make_probe("x86_64", "{\"sgx\":{\"flc\":true,\"sgx1\":true}}", &p);
	ck_assert_int_eq(build(r, &p, "x86_64", "pc-q35-7.2", true, &dc), 0);
	ck_assert_int_eq(dc.features.sgx.supported, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);

	for (size_t i = 0; i < sizeof(pv_cases) / sizeof(pv_cases[0]); i++) {
		const char *extra[] = { "proc/cmdline", pv_cases[i].cmdline,
					pv_cases[i].uv ? "sys/firmware/uv/prot_virt_host" : NULL, "1\n", NULL };

		r = make_host(&t, "none\n", extra);
		make_probe("s390x",
			   "{\"types\":[{\"name\":\"s390-pv-guest\"}],"
			   "\"none_machine_props\":[{\"name\":\"confidential-guest-support\",\"type\":\"link\"}]}",
			   &p);
		ck_assert_msg(build(r, &p, "s390x", "s390-ccw-virtio", true, &dc) == 0, "%s", cp_last_error());
		ck_assert_msg(dc.features.s390_pv == pv_cases[i].pv, "'%s': %d", pv_cases[i].cmdline,
			      (int)dc.features.s390_pv);
		ck_assert_int_eq(dc.features.launch_security.supported, pv_cases[i].pv);
		ck_assert(cp_dc_enum_has(&dc.features.launch_security.sectype, "s390-pv") ==
			  (pv_cases[i].pv == CP_DC_YES));
		cp_domcaps_free(&dc);
		handmade_free(&p);
		drop_host(&t, r);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Custom models */

START_TEST(test_custom_models)
{
	struct tmp_tree t;
	struct cp_root *r = make_host(&t, "none\n", NULL);
	struct cp_qemu_probe p;
	struct cp_domcaps dc;
	const struct cp_dc_cpu_model *m;

	make_probe("x86_64",
		   "{\"schema\":[{\"name\":\"query-cpu-definitions\",\"meta-type\":\"command\"}],"
		   "\"cpu_defs\":["
		   "{\"name\":\"qemu64\",\"unavailable-features\":[\"sse4-1\",\"pclmulqdq\",\"kvm-pv-eoi\","
		   "\"kvm_pv_eoi\",\"abm\",\"Zzz\"]},"
		   "{\"name\":\"max\",\"unavailable-features\":[]},{\"name\":\"host\"},{\"name\":\"base\"},"
		   "{\"name\":\"kvm64-v1\",\"unavailable-features\":[]},"
		   "{\"name\":\"EPYC\",\"unavailable-features\":[],\"deprecated\":true},"
		   "{\"name\":\"486\"},{\"name\":\"Nonsense\",\"unavailable-features\":[]}]}",
		   &p);
	ck_assert_int_eq(build(r, &p, "x86_64", NULL, false, &dc), 0);
	ck_assert_int_eq(dc.cpu.custom, CP_DC_YES);
	ck_assert_uint_eq(dc.cpu.nmodels, 4);
	/* Byte order: upper case first. */
	m = &dc.cpu.models[0];
	ck_assert_str_eq(m->name, "486");
	ck_assert_int_eq(m->usable, CP_DC_USABLE_UNKNOWN);
	ck_assert_str_eq(m->vendor, "unknown");
	ck_assert_str_eq(m->canonical, "486-v1");
	m = &dc.cpu.models[1];
	ck_assert_str_eq(m->name, "EPYC");
	ck_assert(m->deprecated);
	ck_assert_str_eq(m->vendor, "AMD");
	ck_assert_str_eq(m->canonical, "EPYC-v1");
	ck_assert_uint_eq(m->blockers.n, 0);
	m = &dc.cpu.models[2];
	ck_assert_str_eq(m->name, "kvm64-v1");
	ck_assert_int_eq(m->usable, CP_DC_USABLE_YES);
	ck_assert(m->canonical == NULL);
	m = &dc.cpu.models[3];
	ck_assert_str_eq(m->name, "qemu64");
	ck_assert_int_eq(m->usable, CP_DC_USABLE_NO);
	/* T1 translations, duplicates folded, others verbatim, byte order. */
	ck_assert_uint_eq(m->blockers.n, 5);
	ck_assert_str_eq(m->blockers.v[0], "Zzz");
	ck_assert_str_eq(m->blockers.v[1], "abm");
	ck_assert_str_eq(m->blockers.v[2], "kvm_pv_eoi");
	ck_assert_str_eq(m->blockers.v[3], "pclmuldq");
	ck_assert_str_eq(m->blockers.v[4], "sse4-1");
	cp_domcaps_free(&dc);

	/* Another arch: no filter but host, vendor unknown, no canonical. */
	p.arch = "aarch64";
	ck_assert_int_eq(build(r, &p, "aarch64", NULL, false, &dc), 0);
	ck_assert_uint_eq(dc.cpu.nmodels, 7);
	ck_assert_str_eq(dc.cpu.models[2].name, "Nonsense");
	ck_assert_str_eq(dc.cpu.models[1].vendor, "unknown");
	ck_assert(dc.cpu.models[1].canonical == NULL);
	ck_assert_str_eq(dc.cpu.models[3].name, "base");
	ck_assert_int_eq(dc.cpu.maximum, CP_DC_YES);
	ck_assert_int_eq(dc.cpu.host_model.supported, CP_DC_NO);
	ck_assert_int_eq(dc.cpu.host_passthrough, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* host-model on synthetic expansions */

/* The props object text of a host that has exactly the features of the
 * map model name, plus extra (a JSON fragment, may be ""). */
static char *props_of(const char *model, const char *vendor, int family, int mdl, const char *extra)
{
	struct cp_buf b = { 0 };
	size_t i;

	for (i = 0; i < cp_x86_nmodels; i++)
		if (strcmp(cp_x86_models[i].name, model) == 0)
			break;
	ck_assert(i < cp_x86_nmodels);
	cp_buf_printf(&b, "{\"vendor\":\"%s\",\"family\":%d,\"model\":%d,\"stepping\":1", vendor, family, mdl);
	for (size_t k = 0; k < cp_x86_models[i].nfeatures; k++)
		cp_buf_printf(&b, ",\"%s\":true", cp_x86_features[cp_x86_models[i].features[k]].name);
	cp_buf_printf(&b, "%s}", extra);
	return cp_buf_steal(&b);
}

static void host_model(const char *props, const char *nonmig, const char *defs, bool canonical,
		       struct cp_dc_host_model *hm)
{
	char *a = cp_asprintf("{\"model\":{\"name\":\"base\",\"props\":%s}}", props);
	char *b = nonmig ? cp_asprintf("{\"model\":{\"name\":\"base\",\"props\":%s}}", nonmig) : NULL;
	struct cp_hm_input in = { .canonical_names = canonical, .maxphysaddr = 40 };

	in.expand = json_tokener_parse(a);
	in.expand_nonmig = b ? json_tokener_parse(b) : NULL;
	in.cpu_defs = json_tokener_parse(defs);
	ck_assert(in.expand && in.cpu_defs);
	memset(hm, 0, sizeof(*hm));
	ck_assert_int_eq(cp_x86_host_model(&in, hm), 0);
	json_object_put(in.expand);
	json_object_put(in.expand_nonmig);
	json_object_put(in.cpu_defs);
	free(a);
	free(b);
}

static void hm_free(struct cp_dc_host_model *hm)
{
	struct cp_domcaps dc;

	cp_domcaps_init(&dc);
	dc.cpu.host_model = *hm;
	cp_domcaps_free(&dc);
}

START_TEST(test_host_model)
{
	struct cp_dc_host_model hm;
	char *props, *nonmig;

	/* Exact fit: no features; the nonmig round adds invtsc as require. */
	props = props_of("kvm64", "AuthenticAMD", 15, 6, ",\"invtsc\":false,\"kvmclock\":true");
	nonmig = props_of("kvm64", "AuthenticAMD", 15, 6, ",\"invtsc\":true");
	host_model(props, NULL, "[{\"name\":\"kvm64\",\"unavailable-features\":[]},"
		   "{\"name\":\"qemu64\",\"unavailable-features\":[]}]", true, &hm);
	ck_assert_int_eq(hm.supported, CP_DC_YES);
	ck_assert_str_eq(hm.model, "kvm64");
	ck_assert_str_eq(hm.vendor, "AMD");
	ck_assert_str_eq(hm.fallback, "forbid");
	ck_assert_str_eq(hm.maxphysaddr_mode, "passthrough");
	ck_assert_uint_eq(hm.maxphysaddr_limit, 40);
	ck_assert_uint_eq(hm.nfeatures, 0);
	hm_free(&hm);
	host_model(props, nonmig, "[{\"name\":\"kvm64\",\"unavailable-features\":[]}]", true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 1);
	ck_assert_str_eq(hm.features[0].policy, "require");
	ck_assert_str_eq(hm.features[0].name, "invtsc");
	hm_free(&hm);

	/* A QEMU blocker becomes a disabled feature (QEMU spelling mapped). */
	host_model(props, NULL, "[{\"name\":\"kvm64\",\"unavailable-features\":[\"pni\",\"nonsense\"]}]",
		   true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 1);
	ck_assert_str_eq(hm.features[0].policy, "disable");
	ck_assert_str_eq(hm.features[0].name, "pni");
	hm_free(&hm);

	/* Models QEMU does not offer, or of another vendor, are never picked. */
	host_model(props, NULL, "[{\"name\":\"Opteron_G1\",\"unavailable-features\":[]},"
		   "{\"name\":\"core2duo\",\"unavailable-features\":[]}]", true, &hm);
	ck_assert_str_eq(hm.model, "Opteron_G1");
	hm_free(&hm);
	host_model(props, NULL, "[{\"name\":\"kvm64-v1\"},{\"name\":\"Nehalem\"}]", true, &hm);
	ck_assert_int_eq(hm.supported, CP_DC_NO);	/* -v1 is guest='off', Nehalem Intel */
	hm_free(&hm);
	free(props);
	free(nonmig);

	/* A matching signature beats a better score: family 23 model 1 is
	 * EPYC's, though the host is exactly kvm64. */
	props = props_of("kvm64", "AuthenticAMD", 23, 1, "");
	host_model(props, NULL, "[{\"name\":\"kvm64\"},{\"name\":\"EPYC\"}]", true, &hm);
	ck_assert_str_eq(hm.model, "EPYC");
	ck_assert_str_eq(hm.features[hm.nfeatures - 1].policy, "disable");
	hm_free(&hm);
	free(props);

	/* EPYC's removed monitor: a host lacking it gets it disabled, last. */
	props = props_of("EPYC", "AuthenticAMD", 23, 1, "");
	host_model(props, NULL, "[{\"name\":\"EPYC\",\"unavailable-features\":[]}]", true, &hm);
	ck_assert_str_eq(hm.model, "EPYC");
	ck_assert_uint_eq(hm.nfeatures, 1);
	ck_assert_str_eq(hm.features[0].policy, "disable");
	ck_assert_str_eq(hm.features[0].name, "monitor");
	hm_free(&hm);
	free(props);

	/* MSR features count but are not printed without canonical names. */
	props = props_of("kvm64", "AuthenticAMD", 15, 6, ",\"mds-no\":true,\"abm\":true");
	host_model(props, NULL, "[{\"name\":\"kvm64\"}]", false, &hm);
	ck_assert_uint_eq(hm.nfeatures, 1);
	ck_assert_str_eq(hm.features[0].name, "abm");
	hm_free(&hm);
	host_model(props, NULL, "[{\"name\":\"kvm64\"}]", true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 2);
	ck_assert_str_eq(hm.features[1].name, "mds-no");
	hm_free(&hm);
	free(props);

	/* Intel's TSX erratum: Haswell-EP before stepping 4 (and models 60,
	 * 69, 70) lose hle and rtm; stepping 4 keeps them. */
	props = props_of("kvm64", "GenuineIntel", 6, 63, ",\"stepping\":2,\"hle\":true,\"rtm\":true");
	host_model(props, NULL, "[{\"name\":\"kvm64\"}]", true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 0);
	hm_free(&hm);
	free(props);
	props = props_of("kvm64", "GenuineIntel", 6, 63, ",\"stepping\":4,\"hle\":true,\"rtm\":true");
	host_model(props, NULL, "[{\"name\":\"kvm64\"}]", true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 2);
	ck_assert(strcmp(hm.features[0].name, "hle") == 0 || strcmp(hm.features[1].name, "hle") == 0);
	hm_free(&hm);
	free(props);
	props = props_of("kvm64", "GenuineIntel", 6, 70, ",\"stepping\":9,\"hle\":true,\"rtm\":true");
	host_model(props, NULL, "[{\"name\":\"kvm64\"}]", true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 0);
	hm_free(&hm);
	free(props);

	/* No expansion props: not supported. */
	host_model("null", NULL, "[]", true, &hm);
	ck_assert_int_eq(hm.supported, CP_DC_NO);
	hm_free(&hm);
}
END_TEST

/* Table T1 is searched by bisection: every entry, and names before, after
 * and between them. */
/* ------------------------------------------------------------------ */
/* host-model on s390x (QEMU's static expansion) and ppc64 (the PVR) */

START_TEST(test_host_model_s390_ppc64)
{
	static const char *const s390_host[] = { "capsprobe/uname-machine", "s390x\n", NULL };
	static const char *const ppc_host[] = { "capsprobe/uname-machine", "ppc64le\n",
						"capsprobe/pvr", "0x004d0200\n", NULL };
	static const char *const ppc_unknown[] = { "capsprobe/uname-machine", "ppc64le\n",
						   "capsprobe/pvr", "0x12340000\n", NULL };
	static const char ppc_defs[] = "{\"cpu_defs\":[{\"name\":\"power9\"},{\"name\":\"POWER8\"}]}";
	struct tmp_tree t;
	struct cp_root *r = make_host(&t, "none\n", s390_host);
	struct cp_qemu_probe p;
	struct cp_domcaps dc;
	const struct cp_dc_host_model *hm = &dc.cpu.host_model;

	make_probe("s390x",
		   "{\"expand\":{\"model\":{\"name\":\"gen16a-base\",\"props\":"
		   "{\"nnpa\":true,\"aen\":true,\"te\":false,\"level\":3,\"csske\":true}}}}",
		   &p);
	ck_assert_msg(build(r, &p, "s390x", "s390-ccw-virtio-9.2", true, &dc) == 0, "%s", cp_last_error());
	ck_assert_int_eq(hm->supported, CP_DC_YES);
	ck_assert_str_eq(hm->model, "gen16a-base");
	ck_assert_str_eq(hm->fallback, "forbid");
	ck_assert(hm->vendor == NULL && hm->maxphysaddr_mode == NULL);
	/* booleans only, in QEMU's order, false ones disabled */
	ck_assert_uint_eq(hm->nfeatures, 4);
	ck_assert_str_eq(hm->features[0].name, "nnpa");
	ck_assert_str_eq(hm->features[0].policy, "require");
	ck_assert_str_eq(hm->features[2].name, "te");
	ck_assert_str_eq(hm->features[2].policy, "disable");
	ck_assert_str_eq(hm->features[3].name, "csske");
	cp_domcaps_free(&dc);
	handmade_free(&p);
	/* no expansion (QEMU gave an error): no host model */
	make_probe("s390x", "{\"expand\":{\"error\":{\"class\":\"GenericError\"}}}", &p);
	ck_assert_int_eq(build(r, &p, "s390x", "s390-ccw-virtio-9.2", true, &dc), 0);
	ck_assert_int_eq(hm->supported, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);
	/* not native (an x86_64 host): none */
	r = make_host(&t, "none\n", NULL);
	make_probe("s390x", "{\"expand\":{\"model\":{\"name\":\"gen16a-base\",\"props\":{}}}}", &p);
	ck_assert_int_eq(build(r, &p, "s390x", "s390-ccw-virtio-9.2", false, &dc), 0);
	ck_assert_int_eq(hm->supported, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);

	/* ppc64 on a POWER8: the PVR's model, offered by QEMU (any case) */
	r = make_host(&t, "none\n", ppc_host);
	make_probe("ppc64", ppc_defs, &p);
	ck_assert_msg(build(r, &p, "ppc64", "pseries-9.2", true, &dc) == 0, "%s", cp_last_error());
	ck_assert_int_eq(hm->supported, CP_DC_YES);
	ck_assert_str_eq(hm->model, "POWER8");
	ck_assert_str_eq(hm->fallback, "allow");
	ck_assert(hm->vendor == NULL && hm->maxphysaddr_mode == NULL && hm->nfeatures == 0);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	/* QEMU without that model: none */
	make_probe("ppc64", "{\"cpu_defs\":[{\"name\":\"power9\"}]}", &p);
	ck_assert_int_eq(build(r, &p, "ppc64", "pseries-9.2", true, &dc), 0);
	ck_assert_int_eq(hm->supported, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);
	/* a PVR no model has: none, and no error */
	r = make_host(&t, "none\n", ppc_unknown);
	make_probe("ppc64", ppc_defs, &p);
	ck_assert_int_eq(build(r, &p, "ppc64", "pseries-9.2", true, &dc), 0);
	ck_assert_int_eq(hm->supported, CP_DC_NO);
	cp_domcaps_free(&dc);
	handmade_free(&p);
	drop_host(&t, r);
}
END_TEST

START_TEST(test_feature_from_qemu)
{
	static const char *const pairs[][2] = {
		{ "cmp-legacy", "cmp_legacy" }, { "ds-cpl", "ds_cpl" }, { "fxsr-opt", "fxsr_opt" },
		{ "kvm-pv-eoi", "kvm_pv_eoi" }, { "kvm-pv-unhalt", "kvm_pv_unhalt" },
		{ "lahf-lm", "lahf_lm" }, { "nodeid-msr", "nodeid_msr" }, { "pclmulqdq", "pclmuldq" },
		{ "perfctr-core", "perfctr_core" }, { "perfctr-nb", "perfctr_nb" },
		{ "tsc-adjust", "tsc_adjust" },
		{ "vmx-invept-single-context-noglobals", "vmx-invvpid-single-context-noglobals" },
	};
	static const char *const same[] = {
		"", "a", "cmp", "cmp-legacy2", "kvm-pv", "kvm-pv-eoj", "pni", "perfctr",
		"tsc-adjus", "zzz", "\xff", "vmx-invept-single-context-noglobalsx",
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert_str_eq(cp_x86_feature_from_qemu(pairs[i][0]), pairs[i][1]);
		/* libvirt's spellings are not QEMU's */
		if (strcmp(pairs[i][1], "vmx-invvpid-single-context-noglobals") != 0)
			ck_assert_ptr_eq(cp_x86_feature_from_qemu(pairs[i][1]), pairs[i][1]);
	}
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		ck_assert_ptr_eq(cp_x86_feature_from_qemu(same[i]), same[i]);
}
END_TEST

/* Of two definitions of one model the first counts; nameless ones are
 * skipped. */
START_TEST(test_host_model_defs)
{
	struct cp_dc_host_model hm;
	char *props = props_of("kvm64", "AuthenticAMD", 15, 6, "");

	host_model(props, NULL, "[{\"unavailable-features\":[\"pni\"]},{\"name\":1},"
		   "{\"name\":\"kvm64\",\"unavailable-features\":[]},"
		   "{\"name\":\"kvm64\",\"unavailable-features\":[\"pni\"]}]", true, &hm);
	ck_assert_int_eq(hm.supported, CP_DC_YES);
	ck_assert_str_eq(hm.model, "kvm64");
	ck_assert_uint_eq(hm.nfeatures, 0);
	hm_free(&hm);
	host_model(props, NULL, "[{\"name\":\"kvm64\",\"unavailable-features\":[\"pni\"]},"
		   "{\"name\":\"kvm64\",\"unavailable-features\":[]}]", true, &hm);
	ck_assert_uint_eq(hm.nfeatures, 1);
	ck_assert_str_eq(hm.features[0].name, "pni");
	hm_free(&hm);
	/* no definitions at all */
	host_model(props, NULL, "[]", true, &hm);
	ck_assert_int_eq(hm.supported, CP_DC_NO);
	hm_free(&hm);
	free(props);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_golden, 0, sizeof(goldens) / sizeof(goldens[0]));
	tcase_add_test(tc, test_schema_paths);
	tcase_add_test(tc, test_json_skip);
	tcase_add_test(tc, test_schema_reduce);
	tcase_add_test(tc, test_machine_rules);
	tcase_add_test(tc, test_host_checks);
	tcase_add_test(tc, test_sgx_s390_pv);
	tcase_add_test(tc, test_custom_models);
	tcase_add_test(tc, test_host_model);
	tcase_add_test(tc, test_host_model_s390_ppc64);
	tcase_add_test(tc, test_feature_from_qemu);
	tcase_add_test(tc, test_host_model_defs);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
