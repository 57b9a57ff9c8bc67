/* <guest> model: libvirt's machine list rules, guest features, the
 * emulators fact, the per-arch emulator search and the printer, without any
 * QEMU (tests/guests/guests*.sh run the whole command). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guests/guests.h"
#include "util/err.h"
#include "xml/caps.h"

static void machines_free(struct cp_guest_machine *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].canonical);
	}
	free(v);
}

/* "name[>canonical][/maxcpus][!]" per machine, space-separated */
static char *describe(const struct cp_guest_machine *v, size_t n)
{
	struct cp_buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		cp_buf_printf(&b, "%s%s", i ? " " : "", v[i].name);
		if (v[i].canonical)
			cp_buf_printf(&b, ">%s", v[i].canonical);
		if (v[i].max_cpus)
			cp_buf_printf(&b, "/%u", v[i].max_cpus);
		if (v[i].deprecated)
			cp_buf_putc(&b, '!');
	}
	return cp_buf_steal(&b);
}

static void expect_machines(const char *json, const char *arch, const char *want)
{
	json_object *o = json_tokener_parse(json);
	struct cp_guest_machine *v;
	size_t n;
	char *got;

	ck_assert_ptr_nonnull(o);
	cp_guest_machines(o, arch, &v, &n);
	got = describe(v, n);
	ck_assert_str_eq(got, want);
	free(got);
	machines_free(v, n);
	json_object_put(o);
}

START_TEST(machines_preferred_by_alias)
{
	/* x86: "pc" is pc-i440fx's alias; q35's canonical name is inserted
	 * before its alias too, "none" is dropped */
	expect_machines("[{\"name\":\"pc-q35-7.2\",\"alias\":\"q35\",\"cpu-max\":288},"
			"{\"name\":\"none\",\"cpu-max\":1},"
			"{\"name\":\"isapc\",\"cpu-max\":1},"
			"{\"name\":\"pc-i440fx-7.2\",\"alias\":\"pc\",\"is-default\":true,\"cpu-max\":255},"
			"{\"name\":\"pc-i440fx-1.4\",\"cpu-max\":255,\"deprecated\":true}]",
			"x86_64",
			"pc-i440fx-7.2/255 pc>pc-i440fx-7.2/255 pc-q35-7.2/288 q35>pc-q35-7.2/288 "
			"isapc/1 pc-i440fx-1.4/255!");
}
END_TEST

START_TEST(machines_preferred_by_name_over_default)
{
	/* riscv: libvirt's "virt" wins over QEMU's default "spike" */
	expect_machines("[{\"name\":\"sifive_u\",\"cpu-max\":5},"
			"{\"name\":\"spike\",\"is-default\":true,\"cpu-max\":8},"
			"{\"name\":\"virt\",\"cpu-max\":512}]",
			"riscv64", "virt/512 sifive_u/5 spike/8");
	/* the binary's arch decides: arm (armv7l) prefers virt */
	expect_machines("[{\"name\":\"integratorcp\",\"cpu-max\":1},"
			"{\"name\":\"virt-7.2\",\"alias\":\"virt\",\"cpu-max\":512}]",
			"armv7l", "virt-7.2/512 virt>virt-7.2/512 integratorcp/1");
}
END_TEST

START_TEST(machines_default_and_edge_cases)
{
	/* no preferred machine for the arch: QEMU's default first */
	expect_machines("[{\"name\":\"a\"},{\"name\":\"b\",\"is-default\":true},{\"name\":\"c\"}]",
			"parisc", "b a c");
	/* preferred machine absent from the list: the default */
	expect_machines("[{\"name\":\"a\"},{\"name\":\"b\",\"is-default\":true}]", "x86_64", "b a");
	/* no default either: QEMU's order */
	expect_machines("[{\"name\":\"a\"},{\"name\":\"b\"}]", "x86_64", "a b");
	/* the last match counts, as in libvirt */
	expect_machines("[{\"name\":\"x\",\"is-default\":true},{\"name\":\"y\",\"is-default\":true},{\"name\":\"z\"}]",
			"parisc", "y x z");
	/* a canonical name already listed is not inserted again */
	expect_machines("[{\"name\":\"m-1\",\"alias\":\"m\"},{\"name\":\"m-1\"}]", "parisc", "m>m-1 m-1");
	/* garbage: entries without a name skipped, bad cpu-max omitted */
	expect_machines("[{\"alias\":\"x\"},7,{\"name\":\"ok\",\"cpu-max\":-3},{\"name\":\"big\",\"cpu-max\":\"9\"},"
			"{\"name\":\"s\",\"deprecated\":\"yes\",\"is-default\":\"yes\"}]",
			"x86_64", "ok big s");
	expect_machines("[]", "x86_64", "");
	expect_machines("{\"not\":\"a list\"}", "x86_64", "");
	expect_machines("[{\"name\":\"a\"}]", "unknown-arch", "a");
}
END_TEST

START_TEST(features_per_arch)
{
	unsigned base = CP_GF_CPUSELECTION | CP_GF_DEVICEBOOT | CP_GF_DISKSNAPSHOT | CP_GF_EXTERNAL_SNAPSHOT;

	ck_assert_uint_eq(cp_guest_features("i686"), base | CP_GF_PAE | CP_GF_NONPAE | CP_GF_ACPI | CP_GF_APIC);
	ck_assert_uint_eq(cp_guest_features("x86_64"), base | CP_GF_ACPI | CP_GF_APIC);
	ck_assert_uint_eq(cp_guest_features("aarch64"), base | CP_GF_ACPI);
	ck_assert_uint_eq(cp_guest_features("loongarch64"), base | CP_GF_ACPI);
	ck_assert_uint_eq(cp_guest_features("armv7l"), base);
	ck_assert_uint_eq(cp_guest_features("s390x"), base);
}
END_TEST

START_TEST(emulators_fact)
{
	struct cp_guest_bin *v;
	size_t n;
	char *text;

	ck_assert_int_eq(cp_guest_bins_parse("# comment\narmv6l /usr/bin/qemu-system-arm\n\n"
					     "x86_64 /opt/my qemu/bin/x\n", &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].arch, "armv6l");
	ck_assert_str_eq(v[1].binary, "/opt/my qemu/bin/x");
	text = cp_guest_bins_format(v, n);
	ck_assert_str_eq(text, "armv6l /usr/bin/qemu-system-arm\nx86_64 /opt/my qemu/bin/x\n");
	free(text);
	cp_guest_bins_free(v, n);

	ck_assert_int_eq(cp_guest_bins_parse("", &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	cp_guest_bins_free(v, n);
	text = cp_guest_bins_format(NULL, 0);
	ck_assert_str_eq(text, "");
	free(text);

	ck_assert_int_lt(cp_guest_bins_parse("x86_64 /a\nnope /b\n", &v, &n), 0);
	ck_assert_ptr_nonnull(strstr(cp_last_error(), "line 2"));
	ck_assert_ptr_null(v);
	ck_assert_int_lt(cp_guest_bins_parse("x86_64 relative\n", &v, &n), 0);
	ck_assert_int_lt(cp_guest_bins_parse("x86_64\n", &v, &n), 0);
	ck_assert_int_lt(cp_guest_bins_parse("x86_64 /a\nx86_64 /b\n", &v, &n), 0);
	ck_assert_ptr_nonnull(strstr(cp_last_error(), "twice"));
}
END_TEST

static bool in_list(const char *path, void *ctx)
{
	for (const char *const *p = ctx; *p; p++)
		if (strcmp(*p, path) == 0)
			return true;
	return false;
}

static char *search(const char *host, const char *const *files)
{
	struct cp_guest_bin *v;
	size_t n;
	struct cp_buf b = { 0 };

	cp_guest_search(host, "/opt/q:/usr/bin", in_list, (void *)files, &v, &n);
	for (size_t i = 0; i < n; i++)
		cp_buf_printf(&b, "%s%s=%s", i ? " " : "", v[i].arch, v[i].binary);
	cp_guest_bins_free(v, n);
	return cp_buf_steal(&b);
}

START_TEST(search_every_arch)
{
	static const char *const usr[] = {
		"/usr/bin/qemu-system-x86_64", "/usr/bin/qemu-system-arm", "/usr/bin/qemu-system-hppa",
		"/usr/bin/qemu-system-ppc64", "/usr/bin/qemu-system-ppc64le", "/opt/q/qemu-system-alpha",
		"/usr/bin/qemu-system-alpha", NULL,
	};
	char *got = search("x86_64", usr);

	/* arch order; arm serves two arches; i686 falls back to the host's
	 * binary; hppa is no libvirt name; the first PATH entry wins */
	ck_assert_str_eq(got, "alpha=/opt/q/qemu-system-alpha armv6l=/usr/bin/qemu-system-arm "
			      "armv7l=/usr/bin/qemu-system-arm i686=/usr/bin/qemu-system-x86_64 "
			      "ppc64=/usr/bin/qemu-system-ppc64 ppc64le=/usr/bin/qemu-system-ppc64le "
			      "x86_64=/usr/bin/qemu-system-x86_64");
	free(got);
	got = search("aarch64", (const char *const[]){ "/usr/bin/qemu-system-aarch64",
							 "/usr/bin/qemu-system-arm", NULL });
	/* an aarch64 host runs armv7l guests with its own emulator */
	ck_assert_str_eq(got, "armv6l=/usr/bin/qemu-system-arm armv7l=/usr/bin/qemu-system-aarch64 "
			      "aarch64=/usr/bin/qemu-system-aarch64");
	free(got);
	got = search(NULL, (const char *const[]){ NULL });
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(guest_from_probe_and_printed)
{
	struct cp_qemu_probe p;
	struct cp_host h = { 0 };
	char *doc;
	const char *want =
		"  </host>\n"
		"\n"
		"  <guest>\n"
		"    <os_type>hvm</os_type>\n"
		"    <arch name='i686'>\n"
		"      <wordsize>32</wordsize>\n"
		"      <emulator>/x/qemu-&amp;-i386</emulator>\n"
		"      <machine maxCpus='255'>pc-i440fx-7.2</machine>\n"
		"      <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>\n"
		"      <machine deprecated='yes'>old</machine>\n"
		"      <domain type='qemu'/>\n"
		"      <domain type='kvm'/>\n"
		"    </arch>\n"
		"    <features>\n"
		"      <pae/>\n"
		"      <nonpae/>\n"
		"      <acpi default='on' toggle='yes'/>\n"
		"      <apic default='on' toggle='no'/>\n"
		"      <cpuselection/>\n"
		"      <deviceboot/>\n"
		"      <disksnapshot default='on' toggle='no'/>\n"
		"      <externalSnapshot/>\n"
		"    </features>\n"
		"  </guest>\n"
		"\n"
		"  <guest>\n"
		"    <os_type>hvm</os_type>\n"
		"    <arch name='s390x'>\n"
		"      <wordsize>64</wordsize>\n"
		"      <emulator>/s</emulator>\n"
		"    </arch>\n"
		"    <features>\n"
		"      <cpuselection/>\n"
		"      <deviceboot/>\n"
		"      <disksnapshot default='on' toggle='no'/>\n"
		"      <externalSnapshot/>\n"
		"    </features>\n"
		"  </guest>\n"
		"\n"
		"</capabilities>\n"
		"\n";

	memset(&p, 0, sizeof(p));
	p.arch = "x86_64";
	p.kvm = p.tcg = true;
	p.pass1.a[CP_Q_MACHINES].ret = json_tokener_parse(
		"[{\"name\":\"old\",\"deprecated\":true},"
		"{\"name\":\"pc-i440fx-7.2\",\"alias\":\"pc\",\"cpu-max\":255}]");
	h.guests = cp_calloc(2, sizeof(*h.guests));
	/* qemu-system-x86_64 serving i686: i686's word size and features,
	 * the binary's preferred machine */
	cp_guest_from_probe("i686", "/x/qemu-&-i386", &p, &h.guests[h.nguests++]);
	json_object_put(p.pass1.a[CP_Q_MACHINES].ret);
	memset(&p, 0, sizeof(p));
	p.arch = "s390x";	/* neither TCG nor KVM, no machines */
	cp_guest_from_probe("s390x", "/s", &p, &h.guests[h.nguests++]);

	doc = cp_caps_format(&h, CP_DOC_XML);
	ck_assert_ptr_nonnull(strstr(doc, want));
	ck_assert_str_eq(strstr(doc, want), want);
	free(doc);
	cp_host_free(&h);
	ck_assert_ptr_null(h.guests);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("guests");
	TCase *t = tcase_create("model");

	tcase_add_test(t, machines_preferred_by_alias);
	tcase_add_test(t, machines_preferred_by_name_over_default);
	tcase_add_test(t, machines_default_and_edge_cases);
	tcase_add_test(t, features_per_arch);
	tcase_add_test(t, emulators_fact);
	tcase_add_test(t, search_every_arch);
	tcase_add_test(t, guest_from_probe_and_printed);
	suite_add_tcase(s, t);
	return s;
}

#include "check_main.h"
