#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/domcaps.h"
#include "domcaps/firmware.h"
#include "util/err.h"
#include "util/jsonmem.h"

static inline const char *fixture_dir(void);	/* check_main.h */

static struct cp_root *open_tree(const char *name)
{
	struct cp_root *r;
	char *dir = cp_asprintf("%s/firmware/%s", fixture_dir(), name);

	ck_assert_int_eq(cp_root_new(dir, &r), 0);
	free(dir);
	return r;
}

/* Assert the values of e, in order; list ends with NULL. */
static void assert_values(const struct cp_dc_enum *e, const char *const *want)
{
	size_t n = 0;

	ck_assert(e->report);
	for (; want[n]; n++) {
		ck_assert_uint_lt(n, e->values.n);
		ck_assert_str_eq(e->values.v[n], want[n]);
	}
	ck_assert_uint_eq(e->values.n, n);
}

#define VALUES(e, ...) assert_values(e, (const char *const[]){ __VA_ARGS__, NULL })
#define NO_VALUES(e) assert_values(e, (const char *const[]){ NULL })

/* Fill <os> for (arch, machine) from the tree's descriptors. */
static void fill(const char *tree, const char *xdg, const char *home, const char *arch,
		 const char *machine, struct cp_domcaps *dc)
{
	struct cp_root *r = open_tree(tree);
	struct cp_fw_list l;

	cp_domcaps_init(dc);
	ck_assert_int_eq(cp_fw_load(r, xdg, home, &l), 0);
	ck_assert_int_eq(cp_fw_fill_os(r, &l, arch, machine, NULL, &dc->os), 0);
	cp_fw_list_free(&l);
	cp_root_free(r);
}

static void assert_fixed_enums(const struct cp_domcaps *dc)
{
	ck_assert_int_eq(dc->os.supported, CP_DC_YES);
	ck_assert_int_eq(dc->os.loader.supported, CP_DC_YES);
	VALUES(&dc->os.loader.type, "rom", "pflash");
	VALUES(&dc->os.loader.readonly, "yes", "no");
}

/* Debian 12, q35: the three OVMF descriptors match, in file-name order;
 * two need SMM, hence secure yes. */
START_TEST(debian_q35)
{
	struct cp_domcaps dc;

	fill("debian12", NULL, NULL, "x86_64", "pc-q35-7.2", &dc);
	assert_fixed_enums(&dc);
	VALUES(&dc.os.firmware, "efi");
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
	       "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_CODE_4M.fd");
	VALUES(&dc.os.loader.secure, "yes", "no");
	cp_domcaps_free(&dc);
}
END_TEST

/* i440fx has no SMM: only the plain descriptor targets it. */
START_TEST(debian_i440fx)
{
	struct cp_domcaps dc;

	fill("debian12", NULL, NULL, "x86_64", "pc-i440fx-7.2", &dc);
	assert_fixed_enums(&dc);
	VALUES(&dc.os.firmware, "efi");
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE_4M.fd");
	VALUES(&dc.os.loader.secure, "no");
	cp_domcaps_free(&dc);
}
END_TEST

/* aarch64: the secure-boot image named by 50-edk2-aarch64-secure.json is
 * not installed, so it is not offered. */
START_TEST(debian_aarch64_virt)
{
	struct cp_domcaps dc;

	fill("debian12", NULL, NULL, "aarch64", "virt-7.2", &dc);
	assert_fixed_enums(&dc);
	VALUES(&dc.os.firmware, "efi");
	VALUES(&dc.os.loader.values, "/usr/share/AAVMF/AAVMF_CODE.ms.fd",
	       "/usr/share/AAVMF/AAVMF_CODE.fd");
	VALUES(&dc.os.loader.secure, "no");
	cp_domcaps_free(&dc);
}
END_TEST

/* QEMU's "arm" target is libvirt's armv7l. */
START_TEST(debian_armv7l_virt)
{
	struct cp_domcaps dc;

	fill("debian12", NULL, NULL, "armv7l", "virt-7.2", &dc);
	VALUES(&dc.os.firmware, "efi");
	VALUES(&dc.os.loader.values, "/usr/share/AAVMF/AAVMF32_CODE.fd");
	cp_domcaps_free(&dc);
}
END_TEST

/* No descriptor for isapc or i686: empty firmware enum and the legacy
 * list, as libvirt 11.3 prints it on Debian. */
START_TEST(debian_fallback)
{
	static const char *const machines[][2] = {
		{ "x86_64", "isapc" }, { "i686", "pc-i440fx-7.2" }, { "x86_64", "microvm" },
	};

	for (size_t i = 0; i < 3; i++) {
		struct cp_domcaps dc;

		fill("debian12", NULL, NULL, machines[i][0], machines[i][1], &dc);
		assert_fixed_enums(&dc);
		NO_VALUES(&dc.os.firmware);
		VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE.fd",
		       "/usr/share/OVMF/OVMF_CODE.secboot.fd", "/usr/share/AAVMF/AAVMF_CODE.fd",
		       "/usr/share/AAVMF/AAVMF32_CODE.fd");
		VALUES(&dc.os.loader.secure, "no");
		cp_domcaps_free(&dc);
	}
}
END_TEST

/* A caller-supplied fallback (qemu.conf nvram) replaces the built-in one;
 * missing images are dropped. */
START_TEST(custom_fallback)
{
	static const char *const fb[] = {
		"/usr/share/OVMF/OVMF_CODE.secboot.fd", "/nonexistent.fd",
		"/usr/share/OVMF/OVMF_CODE.secboot.fd", NULL,
	};
	struct cp_root *r = open_tree("debian12");
	struct cp_fw_list l;
	struct cp_domcaps dc;

	cp_domcaps_init(&dc);
	ck_assert_int_eq(cp_fw_load(r, NULL, NULL, &l), 0);
	ck_assert_int_eq(cp_fw_fill_os(r, &l, "s390x", "s390-ccw-virtio-7.2", fb, &dc.os), 0);
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE.secboot.fd");
	cp_fw_list_free(&l);
	cp_domcaps_free(&dc);
	cp_root_free(r);
}
END_TEST

START_TEST(debian_parsed)
{
	struct cp_root *r = open_tree("debian12");
	struct cp_fw_list l;
	const struct cp_fw_desc *d;

	ck_assert_int_eq(cp_fw_load(r, NULL, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 7);
	ck_assert_str_eq(l.v[0].name, "40-edk2-aarch64-secure-enrolled.json");
	ck_assert_str_eq(l.v[6].name, "60-edk2-x86_64.json");
	d = &l.v[1];
	ck_assert_str_eq(d->path, "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json");
	ck_assert_uint_eq(d->interfaces, CP_FW_IF_UEFI);
	ck_assert_int_eq(d->device, CP_FW_DEV_FLASH);
	ck_assert_int_eq(d->mode, CP_FW_MODE_SPLIT);
	ck_assert_str_eq(d->executable, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
	ck_assert_str_eq(d->executable_format, "raw");
	ck_assert_str_eq(d->nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd");
	ck_assert_uint_eq(d->ntargets, 1);
	ck_assert_str_eq(d->targets[0].arch, "x86_64");
	ck_assert_str_eq(d->targets[0].machines.v[0], "pc-q35-*");
	ck_assert_uint_eq(d->features, CP_FW_FEAT_ACPI_S3 | CP_FW_FEAT_AMD_SEV |
			  CP_FW_FEAT_ENROLLED_KEYS | CP_FW_FEAT_REQUIRES_SMM |
			  CP_FW_FEAT_SECURE_BOOT | CP_FW_FEAT_VERBOSE_DYNAMIC);
	ck_assert_str_eq(l.v[5].targets[0].arch, "armv7l");
	cp_fw_list_free(&l);
	cp_root_free(r);
}
END_TEST

/* Masking, overriding, hidden names, directories and bad files. */
START_TEST(overrides_loaded)
{
	static const char *const names[] = {
		"20-riscv64.json", "40-edk2-x86_64-secure-enrolled.json",
		"45-isapc-kernel.json", "60-edk2-x86_64.json",
	};
	struct cp_root *r = open_tree("overrides");
	struct cp_fw_list l;
	const struct cp_fw_desc *d;

	ck_assert_int_eq(cp_fw_load(r, NULL, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(l.v[i].name, names[i]);
	d = &l.v[3];
	ck_assert_str_eq(d->path, "/etc/qemu/firmware/60-edk2-x86_64.json");
	ck_assert_int_eq(d->mode, CP_FW_MODE_STATELESS);
	ck_assert_str_eq(d->executable_format, "qcow2");
	ck_assert_ptr_null(d->nvram_template);
	ck_assert_uint_eq(d->interfaces, CP_FW_IF_BIOS | CP_FW_IF_UEFI);
	ck_assert_uint_eq(d->features, CP_FW_FEAT_ACPI_S3);
	cp_fw_list_free(&l);
	cp_root_free(r);
}
END_TEST

START_TEST(overrides_q35)
{
	struct cp_domcaps dc;

	fill("overrides", NULL, NULL, "x86_64", "pc-q35-7.2", &dc);
	VALUES(&dc.os.firmware, "bios", "efi");
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/opt/fw/CUSTOM_CODE.fd");
	VALUES(&dc.os.loader.secure, "yes", "no");
	cp_domcaps_free(&dc);

	fill("overrides", NULL, NULL, "x86_64", "pc-i440fx-7.2", &dc);
	VALUES(&dc.os.firmware, "bios", "efi");
	VALUES(&dc.os.loader.values, "/opt/fw/CUSTOM_CODE.fd");
	VALUES(&dc.os.loader.secure, "no");
	cp_domcaps_free(&dc);
}
END_TEST

/* A kernel mapping counts for the firmware enum and SMM but names no
 * loader, so the legacy list (only what exists) remains. */
START_TEST(overrides_kernel)
{
	struct cp_domcaps dc;

	fill("overrides", NULL, NULL, "x86_64", "isapc", &dc);
	VALUES(&dc.os.firmware, "bios");
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE.fd",
	       "/usr/share/OVMF/OVMF_CODE.secboot.fd");
	VALUES(&dc.os.loader.secure, "yes", "no");
	cp_domcaps_free(&dc);

	fill("overrides", NULL, NULL, "riscv64", "virt", &dc);
	VALUES(&dc.os.firmware, "efi");
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE.fd");
	cp_domcaps_free(&dc);
}
END_TEST

/* The user directory only for a session daemon; XDG_CONFIG_HOME wins
 * over HOME, an empty XDG_CONFIG_HOME does not count. */
START_TEST(user_dirs)
{
	struct cp_domcaps dc;

	fill("overrides", NULL, "/home/user", "x86_64", "pc-q35-7.2", &dc);
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
	       "/opt/fw/CUSTOM_CODE.fd", "/opt/fw/USER.fd");
	cp_domcaps_free(&dc);

	fill("overrides", "", "/home/user", "x86_64", "pc-q35-7.2", &dc);
	ck_assert_str_eq(dc.os.loader.values.values.v[2], "/opt/fw/USER.fd");
	cp_domcaps_free(&dc);

	fill("overrides", "/xdg", "/home/user", "x86_64", "pc-q35-7.2", &dc);
	VALUES(&dc.os.loader.values, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
	       "/opt/fw/CUSTOM_CODE.fd", "/opt/fw/XDG.fd");
	cp_domcaps_free(&dc);
}
END_TEST

/* A tree without any descriptor directory is not an error. */
START_TEST(no_dirs)
{
	struct cp_root *r;
	struct cp_fw_list l;
	char *dir = cp_asprintf("%s/firmware/debian12/usr/share/OVMF", fixture_dir());

	ck_assert_int_eq(cp_root_new(dir, &r), 0);
	ck_assert_int_eq(cp_fw_load(r, NULL, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	cp_fw_list_free(&l);
	cp_root_free(r);
	free(dir);
}
END_TEST

START_TEST(glob)
{
	ck_assert(cp_fw_glob("pc-q35-*", "pc-q35-7.2"));
	ck_assert(!cp_fw_glob("pc-q35-*", "pc-i440fx-7.2"));
	ck_assert(cp_fw_glob("pc-q35-*", "pc-q35-"));
	ck_assert(!cp_fw_glob("pc-q35-*", "q35"));
	ck_assert(cp_fw_glob("virt*", "virt"));
	ck_assert(cp_fw_glob("*", ""));
	ck_assert(cp_fw_glob("isa?c", "isapc"));
	ck_assert(!cp_fw_glob("isa?c", "isac"));
	ck_assert(cp_fw_glob("*-7.?", "pc-q35-7.2"));
	ck_assert(cp_fw_glob("p*-*-7*2", "pc-q35-7.2"));
	ck_assert(!cp_fw_glob("p*-*-7*3", "pc-q35-7.2"));
	ck_assert(cp_fw_glob("a**b", "ab"));
	ck_assert(!cp_fw_glob("", "x"));
	ck_assert(cp_fw_glob("", ""));
}
END_TEST

static void parse_fails(const char *text, const char *msg_part)
{
	struct cp_fw_desc d;

	ck_assert_int_lt(cp_fw_parse("/d.json", text, strlen(text), &d), 0);
	ck_assert_msg(strstr(cp_last_error(), msg_part), "message '%s' lacks '%s'",
		      cp_last_error(), msg_part);
	ck_assert_ptr_null(d.executable);
}

START_TEST(parse_errors)
{
	const char *ok_tail = "\"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"*\" ] } ],"
			      " \"features\": [] }";
	char *s;

	parse_fails("{\n  \"a\": [1,\n  }", "/d.json:3:");
	parse_fails("{ \"interface-types\": [", "/d.json:1:23: unexpected end");
	parse_fails("[]", "not a JSON object");
	parse_fails("{} x", "/d.json:1:4: unexpected text");
	parse_fails("{}", "missing 'interface-types'");
	parse_fails("{ \"interface-types\": [ \"efi\" ] }", "unknown interface type 'efi'");
	s = cp_asprintf("{ \"interface-types\": [], \"mapping\": { \"device\": \"rom\" }, %s", ok_tail);
	parse_fails(s, "unknown mapping device 'rom'");
	free(s);
	s = cp_asprintf("{ \"interface-types\": [], \"mapping\": { \"device\": \"flash\","
			" \"executable\": { \"filename\": \"/a\", \"format\": \"raw\" } }, %s", ok_tail);
	parse_fails(s, "missing 'mapping.nvram-template'");
	free(s);
	s = cp_asprintf("{ \"interface-types\": [], \"mapping\": { \"device\": \"flash\", \"mode\": \"x\","
			" \"executable\": { \"filename\": \"/a\", \"format\": \"raw\" } }, %s", ok_tail);
	parse_fails(s, "unknown flash mode 'x'");
	free(s);
	parse_fails("{ \"interface-types\": [], \"mapping\": { \"device\": \"memory\", \"filename\": \"/a\" },"
		    " \"targets\": [ { \"architecture\": \"x86_64\" } ], \"features\": [] }",
		    "no 'machines'");
	parse_fails("{ \"interface-types\": [], \"mapping\": { \"device\": \"memory\", \"filename\": \"/a\" },"
		    " \"targets\": [], \"features\": {} }", "missing 'features'");
}
END_TEST

START_TEST(parse_limits)
{
	size_t n = CP_FW_DESC_MAX + 1;
	char *big = cp_malloc(n + 1);
	struct cp_fw_desc d;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	ck_assert_int_eq(cp_fw_parse("/big.json", big, n, &d), -EFBIG);
	ck_assert_int_eq(cp_fw_parse("/nul.json", "{\0}", 3, &d), -EINVAL);
	/* under the size cap, over the memory one: refused before parsing */
	n = (size_t)sprintf(big, "{\"targets\": [");
	while (n < CP_FW_DESC_MAX - 8)
		n += (size_t)sprintf(big + n, "{},");
	strcpy(big + n - 1, "]}");
	ck_assert_int_eq(cp_fw_parse("/dear.json", big, strlen(big), &d), -EFBIG);
	ck_assert_str_eq(cp_last_error(), "/dear.json: its JSON would take more than 16 MiB of memory once parsed");
	ck_assert_uint_eq(cp_json_budget_used(), 0);
	free(big);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("firmware");
	TCase *tc = tcase_create("debian12");

	tcase_add_test(tc, debian_q35);
	tcase_add_test(tc, debian_i440fx);
	tcase_add_test(tc, debian_aarch64_virt);
	tcase_add_test(tc, debian_armv7l_virt);
	tcase_add_test(tc, debian_fallback);
	tcase_add_test(tc, custom_fallback);
	tcase_add_test(tc, debian_parsed);
	suite_add_tcase(s, tc);
	tc = tcase_create("overrides");
	tcase_add_test(tc, overrides_loaded);
	tcase_add_test(tc, overrides_q35);
	tcase_add_test(tc, overrides_kernel);
	tcase_add_test(tc, user_dirs);
	tcase_add_test(tc, no_dirs);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, glob);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_limits);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
