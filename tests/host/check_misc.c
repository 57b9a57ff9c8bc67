#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "host/arch.h"
#include "host/cpu.h"
#include "host/host.h"
#include "host/power.h"
#include "host/secmodel.h"
#include "host/uuid.h"
#include "cpumap/nonx86_cpumap.h"
#include "util/path.h"
#include "util/str.h"

/* --- scratch sysroots ---------------------------------------------------- */

static char root_dir[64];

static void root_begin(void)
{
	strcpy(root_dir, "/tmp/cp-misc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root_dir));
}

static void put(const char *rel, const char *content)
{
	char *p = cp_asprintf("%s/%s", root_dir, rel), *cmd;
	char *slash = strrchr(p, '/');
	FILE *f;

	*slash = '\0';
	cmd = cp_asprintf("mkdir -p '%s'", p);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	*slash = '/';
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	free(p);
}

static struct cp_root *root_open(void)
{
	struct cp_root *r;

	ck_assert_int_eq(cp_root_new(root_dir, &r), 0);
	return r;
}

static void root_end(struct cp_root *r)
{
	char *cmd = cp_asprintf("rm -rf '%s'", root_dir);

	cp_root_free(r);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* --- uuid ---------------------------------------------------------------- */

static const char *fmt_uuid(const char *in, char out[37])
{
	unsigned char u[16];

	if (cp_uuid_parse(in, u) < 0)
		return NULL;
	cp_uuid_format(u, out);
	return out;
}

START_TEST(uuid_parse)
{
	static const struct { const char *in, *out; } good[] = {
		{ "F44376FE-6117-4F92-A273-6F7DEC359889", "f44376fe-6117-4f92-a273-6f7dec359889" },
		{ "f44376fe61174f92a2736f7dec359889", "f44376fe-6117-4f92-a273-6f7dec359889" },
		{ "  f4 43 76 fe 61 17 4f 92 a2 73 6f 7d ec 35 98 89\n", "f44376fe-6117-4f92-a273-6f7dec359889" },
		{ "-0123--4567-89ab-cdef-0123-4567-89ab-cdef", "01234567-89ab-cdef-0123-456789abcdef" },
	};
	static const char *const bad[] = {
		"", "junk", "f44376fe-6117-4f92-a273-6f7dec35988",	/* 31 digits */
		"f44376fe-6117-4f92-a273-6f7dec3598891",		/* 33 digits */
		"f4437-6fe-6117-4f92-a273-6f7dec359889",		/* dash inside a byte */
		"f44376fe-6117-4f92-a273-6f7dec35988g",
		"f44376fe-6117-4f92-a273-6f7dec359889 x",
		"00000000-0000-0000-0000-000000000000",		/* all bytes equal */
		"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
		"03030303-0303-0303-0303-030303030303",
	};
	char out[37];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(fmt_uuid(good[i].in, out), "'%s' rejected", good[i].in);
		ck_assert_str_eq(out, good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!fmt_uuid(bad[i], out), "'%s' accepted", bad[i]);
}
END_TEST

static void probe_uuid(char out[37])
{
	struct cp_root *r = root_open();
	struct cp_host h = { 0 };

	ck_assert_int_eq(cp_probe_uuid(r, &h), 0);
	strcpy(out, h.uuid);
	cp_host_free(&h);
	root_end(r);
}

START_TEST(uuid_sources)
{
	char got[37];

	/* DMI wins over machine-id */
	root_begin();
	put("sys/devices/virtual/dmi/id/product_uuid", "4C4C4544-0042-3510-8052-B4C04F4E4B32\n");
	put("etc/machine-id", "0123456789abcdef0123456789abcdef\n");
	probe_uuid(got);
	ck_assert_str_eq(got, "4c4c4544-0042-3510-8052-b4c04f4e4b32");

	/* the first path is too short to count: the second one is used */
	root_begin();
	put("sys/devices/virtual/dmi/id/product_uuid", "4C4C\n");
	put("sys/class/dmi/id/product_uuid", "11111111-2222-3333-4444-555555555555\n");
	probe_uuid(got);
	ck_assert_str_eq(got, "11111111-2222-3333-4444-555555555555");

	/* a firmware pattern that is still a valid UUID is used */
	root_begin();
	put("sys/devices/virtual/dmi/id/product_uuid", "03000200-0400-0500-0006-000700080009\n");
	put("sys/class/dmi/id/product_uuid", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n");
	probe_uuid(got);
	ck_assert_str_eq(got, "03000200-0400-0500-0006-000700080009");
	/* junk firmware UUID: libvirt stops at the first readable file, and
	 * we fall back to machine-id */
	root_begin();
	put("sys/devices/virtual/dmi/id/product_uuid", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n");
	put("sys/class/dmi/id/product_uuid", "11111111-2222-3333-4444-555555555555\n");
	put("etc/machine-id", "0123456789ABCDEF0123456789abcdef\n");
	probe_uuid(got);
	ck_assert_str_eq(got, "01234567-89ab-cdef-0123-456789abcdef");

	/* unreadable DMI (unprivileged): machine-id */
	root_begin();
	put("sys/devices/virtual/dmi/id/product_uuid", "4C4C4544-0042-3510-8052-B4C04F4E4B32\n");
	put("capsprobe/denied", "EACCES /sys/devices/virtual/dmi/id/product_uuid\n");
	put("etc/machine-id", "fedcba98765432100123456789abcdef\n");
	probe_uuid(got);
	ck_assert_str_eq(got, "fedcba98-7654-3210-0123-456789abcdef");

	/* neither, or a junk machine-id: no <uuid> */
	root_begin();
	probe_uuid(got);
	ck_assert_str_eq(got, "");
	root_begin();
	put("etc/machine-id", "uninitialized\n");
	probe_uuid(got);
	ck_assert_str_eq(got, "");
}
END_TEST

START_TEST(iommu_groups)
{
	struct cp_root *r;
	struct cp_host h = { 0 };

	root_begin();
	put("sys/kernel/iommu_groups/0/type", "DMA\n");
	r = root_open();
	ck_assert_int_eq(cp_probe_iommu(r, &h), 0);
	ck_assert(h.iommu);
	root_end(r);

	root_begin();
	put("sys/kernel/other", "");
	r = root_open();
	h.iommu = true;
	ck_assert_int_eq(cp_probe_iommu(r, &h), 0);
	ck_assert(!h.iommu);
	root_end(r);
}
END_TEST

/* --- secmodel ------------------------------------------------------------ */

START_TEST(qemu_conf_parse)
{
	struct cp_qemu_conf c;

	ck_assert_int_eq(cp_qemu_conf_parse(
		"# user = \"root\"\n"
		"vnc_listen = \"0.0.0.0\"   # trailing comment\n"
		"user = \"qemu\"\n"
		"group='+107'\n"
		"max_files = 32768\n"
		"security_driver = [ \"selinux\",\n"
		"    # a comment inside the list\n"
		"    \"none\" ]\n"
		"cgroup_device_acl = [\n \"/dev/null\", \"/dev/full\",\n]\n", &c), 0);
	ck_assert_str_eq(c.user, "qemu");
	ck_assert_str_eq(c.group, "+107");
	ck_assert_uint_eq(c.security_driver.n, 2);
	ck_assert_str_eq(c.security_driver.v[0], "selinux");
	ck_assert_str_eq(c.security_driver.v[1], "none");
	cp_qemu_conf_free(&c);

	/* later settings win; a single string is a one-item driver list */
	ck_assert_int_eq(cp_qemu_conf_parse("user = \"a\"\nuser = \"b\"\nsecurity_driver = \"none\"\n", &c), 0);
	ck_assert_str_eq(c.user, "b");
	ck_assert_ptr_null(c.group);
	ck_assert_uint_eq(c.security_driver.n, 1);
	cp_qemu_conf_free(&c);

	ck_assert_int_eq(cp_qemu_conf_parse("", &c), 0);
	ck_assert_ptr_null(c.user);
	cp_qemu_conf_free(&c);

	ck_assert_int_eq(cp_qemu_conf_parse("user = \"unterminated\n", &c), -EINVAL);
	ck_assert_int_eq(cp_qemu_conf_parse("user \"x\"\n", &c), -EINVAL);
	ck_assert_int_eq(cp_qemu_conf_parse("security_driver = [ \"a\" \"b\" ]\n", &c), -EINVAL);
	ck_assert_int_eq(cp_qemu_conf_parse("user = \"a\" junk\n", &c), -EINVAL);
	ck_assert_ptr_null(c.user);
}
END_TEST

START_TEST(user_group_lookup)
{
	struct cp_root *r;
	uint32_t id;

	root_begin();
	put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
			  "libvirt:x:500:500::/:/bin/false\n"
			  "libvirt-qemu:x:64055:993:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n"
			  "broken:x:notanumber:1::/:\n");
	put("etc/group", "root:x:0:\nkvm:x:993:libvirt-qemu\nlibvirt-qemu:x:64055:libvirt-qemu\n");
	r = root_open();
	ck_assert_int_eq(cp_resolve_user(r, "libvirt-qemu", &id), 0);
	ck_assert_uint_eq(id, 64055);
	ck_assert_int_eq(cp_resolve_user(r, "libvirt", &id), 0);
	ck_assert_uint_eq(id, 500);
	ck_assert_int_eq(cp_resolve_user(r, "root", &id), 0);
	ck_assert_uint_eq(id, 0);
	ck_assert_int_eq(cp_resolve_group(r, "kvm", &id), 0);
	ck_assert_uint_eq(id, 993);
	ck_assert_int_eq(cp_resolve_group(r, "libvirt-qemu", &id), 0);
	ck_assert_uint_eq(id, 64055);
	/* "+N" is always a number, even when N is also a name */
	ck_assert_int_eq(cp_resolve_user(r, "+107", &id), 0);
	ck_assert_uint_eq(id, 107);
	/* unknown names fall back to numbers, then fail */
	ck_assert_int_eq(cp_resolve_group(r, "4242", &id), 0);
	ck_assert_uint_eq(id, 4242);
	ck_assert_int_eq(cp_resolve_user(r, "libvirt-q", &id), -ENOENT);
	ck_assert_int_eq(cp_resolve_user(r, "nobody", &id), -ENOENT);
	ck_assert_int_eq(cp_resolve_user(r, "broken", &id), -ENOENT);
	ck_assert_int_eq(cp_resolve_user(r, "+x", &id), -ENOENT);
	ck_assert_int_eq(cp_resolve_user(r, "+", &id), -ENOENT);
	ck_assert_int_eq(cp_resolve_user(r, "+99999999999", &id), -ENOENT);
	root_end(r);
}
END_TEST

/* Probe the scratch root's secmodels into "model[labels];model..." */
static char *secmodels(void)
{
	struct cp_root *r = root_open();
	struct cp_host h = { 0 };
	struct cp_buf b = { 0 };

	ck_assert_int_eq(cp_probe_secmodel(r, &h), 0);
	for (size_t i = 0; i < h.nsecmodels; i++) {
		const struct cp_secmodel *s = &h.secmodels[i];

		ck_assert_str_eq(s->doi, "0");
		cp_buf_printf(&b, "%s%s", i ? ";" : "", s->model);
		if (s->label_kvm)
			cp_buf_printf(&b, "[%s|%s]", s->label_kvm, s->label_qemu);
	}
	cp_host_free(&h);
	root_end(r);
	return cp_buf_steal(&b);
}

#define PASSWD "root:x:0:0::/:\nlibvirt-qemu:x:64055:993::/:\nqemu:x:107:107::/:\n"
#define GROUP "root:x:0:\nkvm:x:993:\nlibvirt-qemu:x:64055:\nqemu:x:107:\n"

static void expect_models(const char *want)
{
	char *got = secmodels();

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(secmodel_stacks)
{
	/* privileged Debian: none, then dac with the configured group (not
	 * the user's primary group) */
	root_begin();
	put("capsprobe/privileged", "1\n");
	put("etc/passwd", PASSWD);
	put("etc/group", GROUP);
	expect_models("none;dac[+64055:+64055|+64055:+64055]");

	/* unprivileged: no dac */
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("etc/passwd", PASSWD);
	expect_models("none");

	/* Fedora-style host: no libvirt-qemu, qemu:qemu */
	root_begin();
	put("capsprobe/privileged", "1\n");
	put("etc/passwd", "root:x:0:0::/:\nqemu:x:107:107::/:\n");
	put("etc/group", "root:x:0:\nqemu:x:107:\n");
	expect_models("none;dac[+107:+107|+107:+107]");

	/* qemu.conf user and group; a missing half takes the default */
	root_begin();
	put("capsprobe/privileged", "1\n");
	put("etc/passwd", PASSWD);
	put("etc/group", GROUP);
	put("etc/libvirt/qemu.conf", "user = \"root\"\ngroup = \"+5\"\n");
	expect_models("none;dac[+0:+5|+0:+5]");
	root_begin();
	put("capsprobe/privileged", "1\n");
	put("etc/passwd", PASSWD);
	put("etc/group", GROUP);
	put("etc/libvirt/qemu.conf", "group = \"kvm\"\n");
	expect_models("none;dac[+64055:+993|+64055:+993]");

	/* an unknown configured user: no dac (libvirt would not start) */
	root_begin();
	put("capsprobe/privileged", "1\n");
	put("etc/passwd", PASSWD);
	put("etc/group", GROUP);
	put("etc/libvirt/qemu.conf", "user = \"nosuchuser\"\n");
	expect_models("none");

	/* no QEMU user at all */
	root_begin();
	put("capsprobe/privileged", "1\n");
	put("etc/passwd", "root:x:0:0::/:\n");
	put("etc/group", "root:x:0:\n");
	expect_models("none");

	/* a recorded tree must say whether it was privileged */
	root_begin();
	{
		struct cp_root *r = root_open();
		struct cp_host h = { 0 };

		ck_assert_int_lt(cp_probe_secmodel(r, &h), 0);
		cp_host_free(&h);
		root_end(r);
	}
}
END_TEST

START_TEST(secmodel_selinux_apparmor)
{
	/* SELinux: selinuxfs mounted read-write and a config file */
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/fs/selinux/enforce", "1");
	put("proc/mounts", "sysfs /sys sysfs rw,nosuid 0 0\nselinuxfs /sys/fs/selinux selinuxfs rw,relatime 0 0\n");
	put("etc/selinux/config", "# comment\nSELINUX=enforcing\n  SELINUXTYPE=mls  \n");
	put("etc/selinux/mls/contexts/virtual_domain_context",
	    "system_u:system_r:svirt_t:s0\nsystem_u:system_r:svirt_tcg_t:s0\n");
	expect_models("selinux[system_u:system_r:svirt_t:s0|system_u:system_r:svirt_tcg_t:s0]");

	/* one line: qemu takes the same label; SELINUXTYPE defaults to
	 * targeted; the old mount point; no mount table */
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("selinux/enforce", "0");
	put("etc/selinux/config", "SELINUX=permissive\n");
	put("etc/selinux/targeted/contexts/virtual_domain_context", "system_u:system_r:svirt_t:s0\n");
	expect_models("selinux[system_u:system_r:svirt_t:s0|system_u:system_r:svirt_t:s0]");

	/* read-only selinuxfs (containers), no selinuxfs, or no config: not
	 * enabled */
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/fs/selinux/enforce", "1");
	put("proc/mounts", "selinuxfs /sys/fs/selinux selinuxfs ro,relatime 0 0\n");
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
	expect_models("none");
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/fs/selinux/.keep", "");
	put("proc/mounts", "selinuxfs /sys/fs/selinux selinuxfs rw 0 0\n");
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
	expect_models("none");
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/fs/selinux/enforce", "1");
	expect_models("none");

	/* AppArmor: the daemon confined in enforce mode and both templates */
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("proc/mounts", "sysfs /sys sysfs rw 0 0\n");
	put("sys/kernel/security/apparmor/profiles", "virt-aa-helper (enforce)\nlibvirtd (enforce)\n");
	put("etc/apparmor.d/libvirt/TEMPLATE.qemu", "");
	put("etc/apparmor.d/libvirt/TEMPLATE.lxc", "");
	expect_models("apparmor");
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/kernel/security/apparmor/profiles", "libvirtd (complain)\n");
	put("etc/apparmor.d/libvirt/TEMPLATE.qemu", "");
	put("etc/apparmor.d/libvirt/TEMPLATE.lxc", "");
	expect_models("none");
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/kernel/security/apparmor/profiles", "virtqemud (enforce)\n");
	put("etc/apparmor.d/libvirt/TEMPLATE.qemu", "");
	expect_models("none");
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("sys/kernel/security/apparmor/profiles", "virtqemud (enforce)\n");
	put("capsprobe/denied", "EACCES /sys/kernel/security/apparmor/profiles\n");
	put("etc/apparmor.d/libvirt/TEMPLATE.qemu", "");
	put("etc/apparmor.d/libvirt/TEMPLATE.lxc", "");
	expect_models("none");

	/* security_driver in qemu.conf overrides the probing */
	root_begin();
	put("capsprobe/privileged", "0\n");
	put("etc/libvirt/qemu.conf", "security_driver = [ \"apparmor\", \"bogus\", \"none\" ]\n");
	expect_models("apparmor;none");
}
END_TEST

/* --- arm / ppc ----------------------------------------------------------- */

#define HWCAP_BIT(n) (1ull << (n))

START_TEST(arm_decode)
{
	struct cp_host_cpu cpu = { 0 };
	/* fp asimd aes cpuid + bit 40 (AT_HWCAP bits above 31 are not printed) */
	uint64_t hwcap = HWCAP_BIT(0) | HWCAP_BIT(1) | HWCAP_BIT(3) | HWCAP_BIT(11) | HWCAP_BIT(31) | HWCAP_BIT(40);

	/* Neoverse-N1 r3p1 */
	ck_assert_int_eq(cp_arm_decode(0x413fd0c1, hwcap, &cpu), 0);
	ck_assert_str_eq(cpu.model, "Neoverse-N1");
	ck_assert_str_eq(cpu.vendor, "ARM");
	ck_assert_uint_eq(cpu.features.n, 5);
	ck_assert_str_eq(cpu.features.v[0], "fp");
	ck_assert_str_eq(cpu.features.v[1], "asimd");
	ck_assert_str_eq(cpu.features.v[2], "aes");
	ck_assert_str_eq(cpu.features.v[3], "cpuid");
	ck_assert_str_eq(cpu.features.v[4], "pacg");
	cp_host_free(&(struct cp_host){ .cpu = cpu });
	cpu = (struct cp_host_cpu){ 0 };

	/* the part number alone decides: HiSilicon's 0xd01 is Kunpeng-920,
	 * Ampere's 0xac3 Ampere-1 */
	ck_assert_int_eq(cp_arm_decode(0x481fd010, HWCAP_BIT(11), &cpu), 0);
	ck_assert_str_eq(cpu.model, "Kunpeng-920");
	ck_assert_str_eq(cpu.vendor, "HiSilicon");
	ck_assert_uint_eq(cpu.features.n, 1);
	cp_host_free(&(struct cp_host){ .cpu = cpu });
	cpu = (struct cp_host_cpu){ 0 };
	ck_assert_int_eq(cp_arm_decode(0xc00fac30, HWCAP_BIT(11), &cpu), 0);
	ck_assert_str_eq(cpu.model, "Ampere-1");
	ck_assert_str_eq(cpu.vendor, "Ampere");
	cp_host_free(&(struct cp_host){ .cpu = cpu });
	cpu = (struct cp_host_cpu){ 0 };

	/* unknown implementer: model only, no vendor, no features */
	ck_assert_int_eq(cp_arm_decode(0x993fd0c1, hwcap, &cpu), -ENOENT);
	ck_assert_str_eq(cpu.model, "Neoverse-N1");
	ck_assert_ptr_null(cpu.vendor);
	ck_assert_uint_eq(cpu.features.n, 0);
	cp_host_free(&(struct cp_host){ .cpu = cpu });
	cpu = (struct cp_host_cpu){ 0 };

	/* implementer 0: no vendor, features still listed */
	ck_assert_int_eq(cp_arm_decode(0x003fd0c1, hwcap, &cpu), 0);
	ck_assert_str_eq(cpu.model, "Neoverse-N1");
	ck_assert_ptr_null(cpu.vendor);
	ck_assert_uint_eq(cpu.features.n, 5);
	cp_host_free(&(struct cp_host){ .cpu = cpu });
	cpu = (struct cp_host_cpu){ 0 };

	/* unknown part (Cortex-A76 0xd0b is not in the map): nothing */
	ck_assert_int_eq(cp_arm_decode(0x414fd0b1, hwcap, &cpu), -ENOENT);
	ck_assert_ptr_null(cpu.model);
	ck_assert_ptr_null(cpu.vendor);
	ck_assert_uint_eq(cpu.features.n, 0);

	/* no HWCAP_CPUID: nothing */
	ck_assert_int_eq(cp_arm_decode(0x413fd0c1, HWCAP_BIT(0), &cpu), -ENOENT);
	ck_assert_ptr_null(cpu.model);
}
END_TEST

START_TEST(arm_probe_recorded)
{
	struct cp_root *r;
	struct cp_host h = { 0 };

	root_begin();
	put("capsprobe/hwcap", "0x0000000000000803\n");
	put("sys/devices/system/cpu/cpu0/regs/identification/midr_el1", "0x00000000410fd034\n");
	r = root_open();
	ck_assert_int_eq(cp_cpu_arm(r, &h.cpu), 0);
	ck_assert_str_eq(h.cpu.model, "cortex-a53");
	ck_assert_str_eq(h.cpu.vendor, "ARM");
	ck_assert_uint_eq(h.cpu.features.n, 3);
	cp_host_free(&h);
	root_end(r);

	/* no midr file, or a bad hwcap fact: the probe fails cleanly */
	root_begin();
	put("capsprobe/hwcap", "0x0000000000000803\n");
	r = root_open();
	ck_assert_int_lt(cp_cpu_arm(r, &h.cpu), 0);
	ck_assert_ptr_null(h.cpu.model);
	root_end(r);
	root_begin();
	put("capsprobe/hwcap", "lots\n");
	put("sys/devices/system/cpu/cpu0/regs/identification/midr_el1", "0x00000000410fd034\n");
	r = root_open();
	ck_assert_int_lt(cp_cpu_arm(r, &h.cpu), 0);
	ck_assert_ptr_null(h.cpu.model);
	root_end(r);
}
END_TEST

START_TEST(ppc_decode)
{
	static const struct { uint32_t pvr; const char *model, *vendor; } cases[] = {
		{ 0x004e1202, "POWER9", "IBM" },
		{ 0x004d0200, "POWER8", "IBM" },
		{ 0x004a0201, "POWER7", "IBM" },
		{ 0x00800100, "POWER10", "IBM" },
		{ 0x80240020, "POWERPC_e5500", "Freescale" },
	};
	struct cp_root *r;
	struct cp_host h = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_host_cpu cpu = { 0 };

		ck_assert_int_eq(cp_ppc_decode(cases[i].pvr, &cpu), 0);
		ck_assert_str_eq(cpu.model, cases[i].model);
		ck_assert_str_eq(cpu.vendor, cases[i].vendor);
		ck_assert_uint_eq(cpu.features.n, 0);
		free(cpu.model);
		free(cpu.vendor);
	}
	ck_assert_int_eq(cp_ppc_decode(0x12345678, &h.cpu), -ENOENT);
	ck_assert_ptr_null(h.cpu.model);

	root_begin();
	put("capsprobe/pvr", "0x004e1202\n");
	r = root_open();
	ck_assert_int_eq(cp_cpu_ppc(r, &h.cpu), 0);
	ck_assert_str_eq(h.cpu.model, "POWER9");
	cp_host_free(&h);
	root_end(r);
	root_begin();
	put("capsprobe/pvr", "0x1004e1202\n");
	r = root_open();
	ck_assert_int_lt(cp_cpu_ppc(r, &h.cpu), 0);
	root_end(r);
}
END_TEST

/* --- D-Bus ----------------------------------------------------------------
 * A fake bus in a thread: it checks what the client sends (its own little
 * demarshaller, independent of the client's code) and answers. */

enum scenario { FAKE_LOGIND, FAKE_ERROR, FAKE_GARBAGE, FAKE_SILENT, FAKE_REJECT, FAKE_BIG,
		FAKE_HANGUP, FAKE_LONG_LINE, FAKE_HELLO_ERROR, FAKE_LONG_ANSWER, FAKE_REFUSE_HANGUP };

struct fake {
	int lfd;
	enum scenario sc;
	const char *answers[3];
	char sock[108];
	/* what the server saw */
	bool auth_ok;
	int calls_ok;			/* well-formed Can* calls to logind */
	bool hello_ok;
};

static int srv_read(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)buf + got, n - got);

		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static int srv_line(int fd, char *line, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		if (srv_read(fd, line + n, 1) < 0)
			return -1;
		if (n && line[n - 1] == '\r' && line[n] == '\n') {
			line[n - 1] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

/* The client may hang up first: no SIGPIPE, no assertion in this thread. */
static void srv_write(int fd, const void *buf, size_t n)
{
	if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
		return;
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

struct call {
	uint32_t serial;
	char path[64], iface[64], member[64], dest[64];
};

/* Read one method call; -1 when it is not a well-formed one. */
static int srv_call(int fd, struct call *c)
{
	unsigned char h[16], f[1024];
	uint32_t flen;
	size_t off = 0;

	memset(c, 0, sizeof(*c));
	if (srv_read(fd, h, 16) < 0 || h[0] != 'l' || h[1] != 1 || h[3] != 1 || le32(h + 4) != 0)
		return -1;
	c->serial = le32(h + 8);
	flen = le32(h + 12);
	if (flen > sizeof(f) - 8 || srv_read(fd, f, (flen + 16 + 7) / 8 * 8 - 16) < 0)
		return -1;
	while (off < flen) {
		char *dst;
		uint32_t n;

		off = (off + 16 + 7) / 8 * 8 - 16;	/* offsets are from the message start */
		if (f[off + 1] != 1 || f[off + 3] != 0)
			return -1;
		switch (f[off]) {
		case 1: dst = c->path; if (f[off + 2] != 'o') return -1; break;
		case 2: dst = c->iface; if (f[off + 2] != 's') return -1; break;
		case 3: dst = c->member; if (f[off + 2] != 's') return -1; break;
		case 6: dst = c->dest; if (f[off + 2] != 's') return -1; break;
		default: return -1;
		}
		off += 4;	/* already 4-aligned: fields start 8-aligned */
		n = le32(f + off);
		if (n >= 64 || off + 4 + n >= flen + 1 || f[off + 4 + n] != 0)
			return -1;
		memcpy(dst, f + off + 4, n + 1);
		off += 4 + n + 1;
	}
	return 0;
}

static void put32(struct cp_buf *b, uint32_t v)
{
	unsigned char le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	while (b->len % 4)
		cp_buf_putc(b, '\0');
	cp_buf_add(b, (const char *)le, 4);
}

/* A message of the given type with a REPLY_SERIAL, a SENDER and a string
 * body (or a signal with a string body when reply_to is 0). */
static void srv_send(int fd, unsigned type, uint32_t serial, uint32_t reply_to, const char *body)
{
	struct cp_buf b = { 0 };
	size_t fstart;
	const char *sender = "org.freedesktop.login1";

	cp_buf_add(&b, "l", 1);
	cp_buf_putc(&b, (char)type);
	cp_buf_add(&b, "\0\1", 2);
	put32(&b, 4 + (uint32_t)strlen(body) + 1);
	put32(&b, serial);
	put32(&b, 0);
	fstart = b.len;
	cp_buf_add(&b, "\7\1s\0", 4);		/* SENDER */
	put32(&b, (uint32_t)strlen(sender));
	cp_buf_add(&b, sender, strlen(sender) + 1);
	if (reply_to) {
		while (b.len % 8)
			cp_buf_putc(&b, '\0');
		cp_buf_add(&b, "\5\1u\0", 4);	/* REPLY_SERIAL */
		put32(&b, reply_to);
	} else {
		while (b.len % 8)
			cp_buf_putc(&b, '\0');
		cp_buf_add(&b, "\3\1s\0", 4);	/* MEMBER */
		put32(&b, 12);
		cp_buf_add(&b, "NameAcquired", 13);
	}
	while (b.len % 8)
		cp_buf_putc(&b, '\0');
	cp_buf_add(&b, "\10\1g\0\1s\0", 7);	/* SIGNATURE "s" */
	{
		uint32_t flen = (uint32_t)(b.len - fstart);
		unsigned char le[4] = { flen & 0xff, (flen >> 8) & 0xff, 0, 0 };

		memcpy(b.s + 12, le, 4);
	}
	while (b.len % 8)
		cp_buf_putc(&b, '\0');
	put32(&b, (uint32_t)strlen(body));
	cp_buf_add(&b, body, strlen(body) + 1);
	srv_write(fd, b.s, b.len);
	cp_buf_free(&b);
}

static void *fake_bus(void *arg)
{
	struct fake *fk = arg;
	char line[256];
	struct call c;
	int fd = accept(fk->lfd, NULL, NULL);
	unsigned char nul;

	if (fd < 0)
		return NULL;
	if (srv_read(fd, &nul, 1) < 0 || nul != 0 || srv_line(fd, line, sizeof(line)) < 0)
		goto out;
	{
		/* AUTH EXTERNAL <hex of our uid in decimal> */
		char want[64], uid[16];
		size_t n = (size_t)snprintf(want, sizeof(want), "AUTH EXTERNAL ");

		snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
		for (const char *p = uid; *p; p++)
			n += (size_t)snprintf(want + n, sizeof(want) - n, "%02x", *p);
		fk->auth_ok = strcmp(line, want) == 0;
	}
	switch (fk->sc) {
	case FAKE_GARBAGE:
		srv_write(fd, "OK 1234\r\n", 9);
		srv_line(fd, line, sizeof(line));
		srv_write(fd, "\x7fGARBAGE GARBAGE GARBAGE", 24);
		break;
	case FAKE_SILENT:
		/* answer nothing; wait for the client to hang up */
		srv_read(fd, line, sizeof(line));
		break;
	case FAKE_REJECT:
		srv_write(fd, "REJECTED EXTERNAL\r\n", 19);
		break;
	case FAKE_HANGUP:
		/* half an answer, then gone */
		srv_write(fd, "OK 01", 5);
		break;
	case FAKE_LONG_LINE: {
		char big[600];

		memset(big, 'O', sizeof(big));
		srv_write(fd, big, sizeof(big));
		srv_read(fd, line, 1);
		break;
	}
	case FAKE_HELLO_ERROR:
		srv_write(fd, "OK 0123456789abcdef0123456789abcdef\r\n", 37);
		if (srv_line(fd, line, sizeof(line)) < 0 || srv_call(fd, &c) < 0)
			goto out;
		srv_send(fd, 3, 1, c.serial, "org.freedesktop.DBus.Error.AccessDenied");
		srv_read(fd, line, 1);
		break;
	case FAKE_REFUSE_HANGUP:
		/* refuse the Hello before it comes and hang up unread: the
		 * client's next sends meet a closed peer (EPIPE) */
		srv_write(fd, "OK 0123456789abcdef0123456789abcdef\r\n", 37);
		srv_send(fd, 3, 1, 1, "org.freedesktop.DBus.Error.AccessDenied");
		break;
	default:
		srv_write(fd, "OK 0123456789abcdef0123456789abcdef\r\n", 37);
		if (srv_line(fd, line, sizeof(line)) < 0 || strcmp(line, "BEGIN") != 0)
			goto out;
		if (srv_call(fd, &c) < 0)
			goto out;
		fk->hello_ok = c.serial != 0 && strcmp(c.member, "Hello") == 0 &&
			       strcmp(c.path, "/org/freedesktop/DBus") == 0 &&
			       strcmp(c.iface, "org.freedesktop.DBus") == 0 &&
			       strcmp(c.dest, "org.freedesktop.DBus") == 0;
		srv_send(fd, 2, 1, c.serial, ":1.42");
		srv_send(fd, 4, 2, 0, ":1.42");	/* a signal in between */
		for (unsigned i = 0; i < 3; i++) {
			static const char *const members[] = { "CanSuspend", "CanHibernate", "CanHybridSleep" };

			if (srv_call(fd, &c) < 0)
				goto out;
			if (strcmp(c.member, members[i]) == 0 &&
			    strcmp(c.path, "/org/freedesktop/login1") == 0 &&
			    strcmp(c.iface, "org.freedesktop.login1.Manager") == 0 &&
			    strcmp(c.dest, "org.freedesktop.login1") == 0)
				fk->calls_ok++;
			if (fk->sc == FAKE_LONG_ANSWER && i == 0)
				srv_send(fd, 2, 10 + i, c.serial,
					 "yes-and-then-a-great-deal-more-than-any-answer-logind-gives-to-a-Can-call");
			else if (fk->sc == FAKE_ERROR && i == 1)
				srv_send(fd, 3, 10 + i, c.serial, "org.freedesktop.DBus.Error.AccessDenied");
			else if (fk->sc == FAKE_BIG && i == 2) {
				unsigned char h[16] = { 'l', 2, 0, 1, 0, 0, 0, 0x40, 9, 0, 0, 0, 0, 0, 0, 0 };

				srv_write(fd, h, 16);
			} else
				srv_send(fd, 2, 10 + i, c.serial, fk->answers[i]);
		}
		/* keep the connection open until the client closes it */
		srv_read(fd, line, 1);
		break;
	}
out:
	close(fd);
	return NULL;
}

static void fake_start(struct fake *fk, pthread_t *th)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(fk->sock, sizeof(fk->sock), "/tmp/cp-bus-%d-%d", (int)getpid(), (int)fk->sc);
	unlink(fk->sock);
	strcpy(sa.sun_path, fk->sock);
	fk->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fk->lfd, 0);
	ck_assert_int_eq(bind(fk->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fk->lfd, 1), 0);
	ck_assert_int_eq(pthread_create(th, NULL, fake_bus, fk), 0);
}

static void fake_stop(struct fake *fk, pthread_t th)
{
	pthread_join(th, NULL);
	close(fk->lfd);
	unlink(fk->sock);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deadline no conversation that should succeed reaches, however loaded
 * or slow (valgrind) the machine. */
#define LONG_MS 60000

START_TEST(dbus_logind)
{
	struct fake fk = { .sc = FAKE_LOGIND, .answers = { "yes", "na", "challenge" } };
	unsigned mask = 99;
	pthread_t th;

	fake_start(&fk, &th);
	ck_assert_int_eq(cp_dbus_logind_pm(fk.sock, LONG_MS, &mask), 0);
	fake_stop(&fk, th);
	ck_assert(fk.auth_ok);
	ck_assert(fk.hello_ok);
	ck_assert_int_eq(fk.calls_ok, 3);
	ck_assert_uint_eq(mask, CP_PM_SUSPEND_MEM | CP_PM_SUSPEND_HYBRID);

	fk = (struct fake){ .sc = FAKE_LOGIND, .answers = { "no", "yes", "yes" } };
	fake_start(&fk, &th);
	ck_assert_int_eq(cp_dbus_logind_pm(fk.sock, LONG_MS, &mask), 0);
	fake_stop(&fk, th);
	ck_assert_uint_eq(mask, CP_PM_SUSPEND_DISK | CP_PM_SUSPEND_HYBRID);
}
END_TEST

START_TEST(dbus_failures)
{
	static const enum scenario bad[] = { FAKE_ERROR, FAKE_GARBAGE, FAKE_SILENT, FAKE_REJECT, FAKE_BIG };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake fk = { .sc = bad[i], .answers = { "yes", "yes", "yes" } };
		bool silent = bad[i] == FAKE_SILENT;
		unsigned mask = 99;
		pthread_t th;
		double t0 = now_s();
		int rc;

		/* only the silent bus is left to the deadline; every other one
		 * must end the conversation by what it says, long before its */
		fake_start(&fk, &th);
		rc = cp_dbus_logind_pm(fk.sock, silent ? 300 : LONG_MS, &mask);
		ck_assert_int_lt(rc, 0);
		ck_assert_uint_eq(mask, 0);
		ck_assert_msg((rc == -ETIMEDOUT) == silent, "scenario %d: %s", (int)bad[i], cp_last_error());
		/* and the silent one by the deadline: bounded (a guard far above
		 * its 0.3 s, for a loaded machine or valgrind) */
		ck_assert_msg(now_s() - t0 < LONG_MS / 2000.0, "scenario %d took too long", (int)bad[i]);
		fake_stop(&fk, th);
		cp_clear_error();
	}
	{
		unsigned mask = 99;

		ck_assert_int_lt(cp_dbus_logind_pm("/nonexistent/bus/socket", 300, &mask), 0);
		ck_assert_uint_eq(mask, 0);
	}
}
END_TEST

/* Each way a bus can fail, with the error it must give (libvirt then
 * reports no power management: see cp_probe_power). */
START_TEST(dbus_failure_texts)
{
	static const struct { enum scenario sc; const char *text; } cases[] = {
		{ FAKE_HANGUP, "D-Bus: connection closed" },
		{ FAKE_LONG_LINE, "D-Bus: authentication line too long" },
		{ FAKE_HELLO_ERROR, "D-Bus: Hello refused" },
		{ FAKE_LONG_ANSWER, "D-Bus: unexpected answer to CanSuspend" },
		{ FAKE_ERROR, "D-Bus: logind CanHibernate failed" },
		{ FAKE_BIG, "D-Bus: message too large" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake fk = { .sc = cases[i].sc, .answers = { "yes", "yes", "yes" } };
		unsigned mask = 99;
		pthread_t th;

		fake_start(&fk, &th);
		ck_assert_int_lt(cp_dbus_logind_pm(fk.sock, LONG_MS, &mask), 0);
		ck_assert_uint_eq(mask, 0);
		ck_assert_msg(strcmp(cp_last_error(), cases[i].text) == 0, "scenario %d: '%s', not '%s'",
			      (int)cases[i].sc, cp_last_error(), cases[i].text);
		fake_stop(&fk, th);
		cp_clear_error();
	}
	/* A bus that refuses and hangs up races our sends: whether they meet
	 * EPIPE or not, the reason it gave is what we report.  Rounds make
	 * the losing order (EPIPE first) all but certain to be met. */
	for (int round = 0; round < 20; round++) {
		struct fake fk = { .sc = FAKE_REFUSE_HANGUP };
		unsigned mask = 99;
		pthread_t th;

		fake_start(&fk, &th);
		ck_assert_int_lt(cp_dbus_logind_pm(fk.sock, LONG_MS, &mask), 0);
		ck_assert_uint_eq(mask, 0);
		ck_assert_msg(strcmp(cp_last_error(), "D-Bus: Hello refused") == 0, "round %d: '%s'", round,
			      cp_last_error());
		fake_stop(&fk, th);
		cp_clear_error();
	}
	{
		unsigned mask = 99;

		ck_assert_int_lt(cp_dbus_logind_pm("", 300, &mask), 0);
		ck_assert_str_eq(cp_last_error(), "D-Bus: bad socket path");
		cp_clear_error();
	}
}
END_TEST

START_TEST(dbus_address)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "unix:path=/run/dbus/system_bus_socket", "/run/dbus/system_bus_socket" },
		{ "unix:path=/tmp/a%2cb,guid=0123", "/tmp/a,b" },
		{ "tcp:host=x,port=1;unix:abstract=/tmp/dbus-x", "@/tmp/dbus-x" },
		{ "unix:guid=1,path=/p", "/p" },
		{ "tcp:host=x", NULL },
		{ "unix:path=", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = cp_dbus_address_socket(cases[i].in);

		if (cases[i].out)
			ck_assert_str_eq(got, cases[i].out);
		else
			ck_assert_ptr_null(got);
		free(got);
	}
}
END_TEST

START_TEST(power_fact)
{
	struct cp_root *r;
	struct cp_host h = { 0 };

	root_begin();
	put("capsprobe/power", "suspend_mem suspend_hybrid\n");
	r = root_open();
	ck_assert_int_eq(cp_probe_power(r, &h), 0);
	ck_assert_uint_eq(h.pm, CP_PM_SUSPEND_MEM | CP_PM_SUSPEND_HYBRID);
	root_end(r);

	root_begin();
	put("capsprobe/power", "suspend_memory\n");
	r = root_open();
	ck_assert_int_eq(cp_probe_power(r, &h), 0);
	ck_assert_uint_eq(h.pm, 0);
	root_end(r);

	root_begin();
	put("capsprobe/other", "\n");
	r = root_open();
	h.pm = 7;
	ck_assert_int_eq(cp_probe_power(r, &h), 0);
	ck_assert_uint_eq(h.pm, 0);
	root_end(r);
}
END_TEST

/* --- arch and page size -------------------------------------------------- */

START_TEST(arch_names)
{
	static const struct {
		const char *uname, *arch;
	} cases[] = {
		{ "i386", "i686" }, { "i486", "i686" }, { "i686", "i686" }, { "amd64", "x86_64" },
		{ "x86_64", "x86_64" }, { "arm64", "aarch64" }, { "aarch64", "aarch64" }, { "ppc64le", "ppc64le" },
		{ "i68", NULL }, { "x686", NULL }, { "i6x6", NULL }, { "i68x", NULL }, { "i6866", NULL },
		{ "vax", NULL }, { "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = cp_arch_from_uname(cases[i].uname);

		ck_assert_msg(cases[i].arch ? got && strcmp(got, cases[i].arch) == 0 : !got, "%s: %s", cases[i].uname,
			      got ? got : "(none)");
	}
}
END_TEST

/* recorded facts: a machine name and a page size, or an error that names the fact */
START_TEST(arch_facts)
{
	static const char *const bad_sizes[] = { "1000\n", "512\n", "3000\n", "4k\n", "\n", "-4096\n" };
	struct cp_root *r;
	struct cp_host h = { 0 };
	uint64_t ps;
	char *m;

	unsetenv("CAPSPROBE_FACTS");
	root_begin();
	put("capsprobe/uname-machine", "amd64\n");
	put("capsprobe/pagesize", "65536\n");
	r = root_open();
	ck_assert_int_eq(cp_probe_arch(r, &h), 0);
	ck_assert_str_eq(h.cpu.arch, "x86_64");
	ck_assert_int_eq(cp_host_pagesize(r, &ps), 0);
	ck_assert_uint_eq(ps, 65536);
	root_end(r);
	root_begin();
	put("capsprobe/other", "\n");
	r = root_open();
	ck_assert_int_eq(cp_host_machine(r, &m), -ENOENT);
	ck_assert_str_eq(cp_last_error(), "cannot learn the host's machine name (fact uname-machine): "
					  "No such file or directory");
	ck_assert_int_eq(cp_probe_arch(r, &h), -ENOENT);
	ck_assert_int_eq(cp_host_pagesize(r, &ps), -ENOENT);
	ck_assert_str_eq(cp_last_error(), "cannot learn the page size (fact pagesize): No such file or directory");
	root_end(r);
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		root_begin();
		put("capsprobe/pagesize", bad_sizes[i]);
		r = root_open();
		ck_assert_msg(cp_host_pagesize(r, &ps) == -EINVAL, "%s", bad_sizes[i]);
		ck_assert_str_eq(cp_last_error(), "recorded /capsprobe/pagesize is not a page size");
		root_end(r);
	}
}
END_TEST

/* libvirt's virHostCPUReadSignature rules: the first of each field, split
 * at the first ": ", whitespace stripped, fgets() pieces of 1023 bytes. */
START_TEST(cpuinfo_signature)
{
	static const struct { const char *arch, *text, *sig; } cases[] = {
		{ "x86_64", "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 45\n"
			    "model name\t: Intel(R) Xeon(R)  CPU \nstepping\t: 7\nmodel\t: 99\n",
		  "GenuineIntel, Intel(R) Xeon(R)  CPU, family: 6, model: 45, stepping: 7" },
		{ "i686", "vendor_id: A\nmodel name: B\ncpu family: 1\nmodel: 2\nstepping: 3", "A, B, family: 1, model: 2, stepping: 3" },
		{ "x86_64", "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t: 45\nmodel name\t: X\n", NULL },
		{ "x86_64", "vendor_id:GenuineIntel\ncpu family: 6\nmodel: 45\nmodel name: X\nstepping: 7\n", NULL },
		{ "ppc64le", "processor\t: 0\ncpu\t\t: POWER9, altivec supported\nrevision\t: 2.2 (pvr 004e 1202)\n",
		  "POWER9, altivec supported, rev 2.2 (pvr 004e 1202)" },
		{ "ppc64", "cpu : a: b\nrevision :  c \r\n", "a: b, rev c" },
		{ "s390x", "vendor_id : IBM/S390\nfacilities : 0 1 2\nprocessor 0: version = 00\n",
		  "IBM/S390, version = 00, facilities: 0 1 2" },
		{ "s390", "vendor_id : IBM/S390\nprocessor 0: v\n", NULL },
		{ "aarch64", "vendor_id : X\ncpu : Y\nrevision : Z\n", NULL },
		{ "ppc", "cpu : Y\nrevision : Z\n", NULL },
		{ NULL, "cpu : Y\nrevision : Z\n", NULL },
	};
	char *sig, *longtext;
	struct cp_buf b = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(cp_cpuinfo_signature(cases[i].text, strlen(cases[i].text), cases[i].arch, &sig), 0);
		if (cases[i].sig)
			ck_assert_msg(sig && strcmp(sig, cases[i].sig) == 0, "case %zu: %s", i, sig ? sig : "(none)");
		else
			ck_assert_msg(!sig, "case %zu: %s", i, sig);
		free(sig);
	}

	/* a line past 1023 bytes: its first piece is the value, and the rest
	 * (here "cpu: late") is a line of its own */
	cp_buf_printf(&b, "revision : ");
	while (b.len < 1023)
		cp_buf_putc(&b, 'r');
	cp_buf_printf(&b, "cpu: late\ncpu : early\n");
	longtext = cp_buf_steal(&b);
	ck_assert_int_eq(cp_cpuinfo_signature(longtext, strlen(longtext), "ppc64", &sig), 0);
	ck_assert_ptr_nonnull(sig);
	ck_assert_str_eq(sig + strlen(sig) - 5, "rrrrr");
	ck_assert(cp_startswith(sig, "late, rev rrr"));
	ck_assert_uint_eq(strlen(sig), strlen("late, rev ") + 1023 - strlen("revision : "));
	free(sig);
	free(longtext);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("host-misc");
	TCase *tc = tcase_create("misc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, uuid_parse);
	tcase_add_test(tc, uuid_sources);
	tcase_add_test(tc, iommu_groups);
	tcase_add_test(tc, qemu_conf_parse);
	tcase_add_test(tc, user_group_lookup);
	tcase_add_test(tc, secmodel_stacks);
	tcase_add_test(tc, secmodel_selinux_apparmor);
	tcase_add_test(tc, arm_decode);
	tcase_add_test(tc, arm_probe_recorded);
	tcase_add_test(tc, ppc_decode);
	tcase_add_test(tc, dbus_logind);
	tcase_add_test(tc, dbus_failures);
	tcase_add_test(tc, dbus_failure_texts);
	tcase_add_test(tc, dbus_address);
	tcase_add_test(tc, arch_names);
	tcase_add_test(tc, arch_facts);
	tcase_add_test(tc, power_fact);
	tcase_add_test(tc, cpuinfo_signature);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
