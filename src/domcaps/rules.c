/* libvirt 11.3's domain-capabilities rules (virQEMUCapsFillDomainCaps and
 * the virQEMUCapsFill* functions it calls): raw QEMU answers and host facts in, the model out.
 * Capability flags are computed once from the answers (tables below), then
 * each element is filled from flags and host checks. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/cpu.h"
#include "host/cpuid.h"
#include "host/host.h"
#include "cpumap/nonx86_cpumap.h"
#include "cpumap/x86_cpumap.h"
#include "domcaps/firmware.h"
#include "domcaps/hostmodel.h"
#include "domcaps/rules.h"
#include "probe/schema.h"
#include "domcaps/swtpm.h"
#include "util/err.h"
#include "util/hostdev.h"
#include "util/json.h"
#include "cpumap/x86_guestmap.h"

/* ------------------------------------------------------------------ */
/* Capability flags */

enum flag {
	F_TCG,
	F_USB_STORAGE,
	F_ICH9_AHCI,
	F_VIRTIO_TRANSITIONAL,
	F_VGA, F_CIRRUS, F_VMVGA, F_QXL, F_VIRTIO_GPU, F_BOCHS, F_RAMFB,
	F_USB_HOST_CONTROLLER,
	F_VFIO_PCI,
	F_VIRTIO_RNG, F_RNG_RANDOM, F_RNG_EGD, F_RNG_BUILTIN,
	F_VHOST_USER_FS,
	F_TPM_SPAPR, F_SPAPR_TPM_PROXY,
	F_USB_REDIR,
	F_MEMFD,
	F_VMCOREINFO, F_VMGENID,
	F_SEV_GUEST, F_SEV_SNP_GUEST, F_SGX_EPC,
	F_S390_PV_GUEST,
	F_VIRTIO_CRYPTO, F_CRYPTO_LKCF,
	F_PVPANIC_ISA, F_PVPANIC_PCI,
	/* from the schema */
	F_SDL, F_EGL_HEADLESS, F_DISPLAY_DBUS, F_BITMAP_TRANSFORM, F_NETDEV_STREAM,
	F_VNC, F_BLOCKDEV_REOPEN, F_CPU_DEFS_CMD,
	/* other answers */
	F_SPICE, F_ASYNC_TEARDOWN, F_TPM_TIS, F_TPM_CRB, F_TPM_PASSTHROUGH, F_TPM_EMULATOR,
	F_CPU_MAX, F_CPU_MIGRATABLE, F_CANONICAL_FEATURES, F_CONFIDENTIAL_GUEST, F_I8042,
	F_COUNT
};

/* QOM type -> flag (qom-list-types); several types may set one flag. */
static const struct {
	const char *type;
	enum flag flag;
} qom_flags[] = {
	{ "tcg-accel", F_TCG },
	{ "usb-storage", F_USB_STORAGE },
	{ "ich9-ahci", F_ICH9_AHCI },
	{ "virtio-blk-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-blk-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-net-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-net-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "vhost-scsi-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "vhost-scsi-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-rng-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-rng-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-9p-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-9p-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-balloon-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-balloon-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "vhost-vsock-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "vhost-vsock-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-scsi-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-scsi-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-serial-pci-transitional", F_VIRTIO_TRANSITIONAL },
	{ "virtio-serial-pci-non-transitional", F_VIRTIO_TRANSITIONAL },
	{ "VGA", F_VGA },
	{ "cirrus-vga", F_CIRRUS },
	{ "vmware-svga", F_VMVGA },
	{ "qxl", F_QXL },
	{ "virtio-gpu-pci", F_VIRTIO_GPU },
	{ "virtio-gpu-device", F_VIRTIO_GPU },
	{ "bochs-display", F_BOCHS },
	{ "ramfb", F_RAMFB },
	{ "piix3-usb-uhci", F_USB_HOST_CONTROLLER },
	{ "piix4-usb-uhci", F_USB_HOST_CONTROLLER },
	{ "usb-ehci", F_USB_HOST_CONTROLLER },
	{ "ich9-usb-ehci1", F_USB_HOST_CONTROLLER },
	{ "vt82c686b-usb-uhci", F_USB_HOST_CONTROLLER },
	{ "pci-ohci", F_USB_HOST_CONTROLLER },
	{ "nec-usb-xhci", F_USB_HOST_CONTROLLER },
	{ "qemu-xhci", F_USB_HOST_CONTROLLER },
	{ "vfio-pci", F_VFIO_PCI },
	{ "virtio-rng-pci", F_VIRTIO_RNG },
	{ "virtio-rng-ccw", F_VIRTIO_RNG },
	{ "virtio-rng-device", F_VIRTIO_RNG },
	{ "rng-random", F_RNG_RANDOM },
	{ "rng-egd", F_RNG_EGD },
	{ "rng-builtin", F_RNG_BUILTIN },
	{ "vhost-user-fs-device", F_VHOST_USER_FS },
	{ "tpm-spapr", F_TPM_SPAPR },
	{ "spapr-tpm-proxy", F_SPAPR_TPM_PROXY },
	{ "usb-redir", F_USB_REDIR },
	{ "memory-backend-memfd", F_MEMFD },
	{ "vmcoreinfo", F_VMCOREINFO },
	{ "vmgenid", F_VMGENID },
	{ "sev-guest", F_SEV_GUEST },
	{ "sev-snp-guest", F_SEV_SNP_GUEST },
	{ "sgx-epc", F_SGX_EPC },
	{ "s390-pv-guest", F_S390_PV_GUEST },
	{ "virtio-crypto-pci", F_VIRTIO_CRYPTO },
	{ "virtio-crypto-device", F_VIRTIO_CRYPTO },
	{ "cryptodev-backend-lkcf", F_CRYPTO_LKCF },
	{ "pvpanic", F_PVPANIC_ISA },
	{ "pvpanic-pci", F_PVPANIC_PCI },
};

/* Schema paths (probe/schema.h) and commands (query-qmp-schema). */
static const struct {
	enum cp_schema_path path;
	enum flag flag;
} schema_paths[] = {
	{ CP_SCHEMA_SDL, F_SDL },
	{ CP_SCHEMA_EGL_HEADLESS, F_EGL_HEADLESS },
	{ CP_SCHEMA_DISPLAY_DBUS, F_DISPLAY_DBUS },
	{ CP_SCHEMA_BITMAP_TRANSFORM, F_BITMAP_TRANSFORM },
	{ CP_SCHEMA_NETDEV_STREAM, F_NETDEV_STREAM },
};

static const struct {
	const char *command;
	enum flag flag;
} schema_commands[] = {
	{ "query-vnc", F_VNC },
	{ "blockdev-reopen", F_BLOCKDEV_REOPEN },
	{ "query-cpu-definitions", F_CPU_DEFS_CMD },
};

struct ctx {
	const struct cp_root *host;
	const struct cp_qemu_probe *p;
	const struct cp_dc_request *req;
	bool flags[F_COUNT];
	const char *host_arch;		/* libvirt name; NULL when unknown */
};

/* Accelerator-specific questions follow the requested virttype; the rest
 * always come from pass 1.  (Mirrors cp_probe_answer() so the rules can be
 * tested without the prober.) */
static json_object *answer(const struct ctx *c, enum cp_q q)
{
	const struct cp_qemu_probe *p = c->p;
	const struct cp_qemu_pass *pass = &p->pass1;

	switch (q) {
	case CP_Q_MACHINES:
	case CP_Q_CPU_DEFS:
	case CP_Q_EXPAND:
	case CP_Q_EXPAND_FULL:
	case CP_Q_EXPAND_NONMIG:
	case CP_Q_EXPAND_NONMIG_FULL:
		if (!c->req->kvm && p->pass2.ran)
			pass = &p->pass2;
		break;
	default:
		break;
	}
	return pass->a[q].asked ? pass->a[q].ret : NULL;
}

static size_t array_len(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static void compute_flags(struct ctx *c)
{
	json_object *types = answer(c, CP_Q_TYPES), *schema = answer(c, CP_Q_SCHEMA), *a;

	for (size_t k = 0; k < sizeof(qom_flags) / sizeof(qom_flags[0]); k++)
		if (cp_json_name_set_has(types, qom_flags[k].type))
			c->flags[qom_flags[k].flag] = true;

	/* a name set (cp_schema_reduce) */
	for (size_t k = 0; k < sizeof(schema_paths) / sizeof(schema_paths[0]); k++)
		c->flags[schema_paths[k].flag] = cp_json_name_set_has(schema, cp_schema_paths[schema_paths[k].path]);
	for (size_t k = 0; k < sizeof(schema_commands) / sizeof(schema_commands[0]); k++)
		c->flags[schema_commands[k].flag] = cp_json_name_set_has(schema, schema_commands[k].command);

	/* name sets (cp_answer_reduce) */
	a = answer(c, CP_Q_CMDLINE);
	c->flags[F_SPICE] = cp_json_name_set_has(a, "spice");
	c->flags[F_ASYNC_TEARDOWN] = cp_json_name_set_has(a, "run-with.async-teardown");

	a = answer(c, CP_Q_TPM_MODELS);
	c->flags[F_TPM_TIS] = cp_json_find_named(a, NULL, "tpm-tis") != NULL;
	c->flags[F_TPM_CRB] = cp_json_find_named(a, NULL, "tpm-crb") != NULL;
	if (cp_json_find_named(a, NULL, "tpm-spapr"))
		c->flags[F_TPM_SPAPR] = true;
	a = answer(c, CP_Q_TPM_TYPES);
	c->flags[F_TPM_PASSTHROUGH] = cp_json_find_named(a, NULL, "passthrough") != NULL;
	c->flags[F_TPM_EMULATOR] = cp_json_find_named(a, NULL, "emulator") != NULL;

	/* "max" in either pass's model list enables maximum mode. */
	for (int pass = 0; pass < 2; pass++) {
		const struct cp_qemu_pass *ps = pass ? &c->p->pass2 : &c->p->pass1;

		if (ps->a[CP_Q_CPU_DEFS].asked && cp_json_find_named(ps->a[CP_Q_CPU_DEFS].ret, "name", "max"))
			c->flags[F_CPU_MAX] = true;
	}
	a = answer(c, CP_Q_MAX_CPU_PROPS);
	c->flags[F_CPU_MIGRATABLE] = cp_json_name_set_has(a, "migratable");
	c->flags[F_CANONICAL_FEATURES] = cp_json_name_set_has(a, "unavailable-features");
	c->flags[F_CONFIDENTIAL_GUEST] =
		cp_json_name_set_has(answer(c, CP_Q_NONE_MACHINE_PROPS), "confidential-guest-support");
	c->flags[F_I8042] = cp_json_name_set_has(answer(c, CP_Q_PC_MACHINE_PROPS), "i8042");
}

/* ------------------------------------------------------------------ */
/* Arches and machines */

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool arch_is_x86(const char *a)
{
	return streq(a, "x86_64") || streq(a, "i686");
}

static bool arch_is_ppc64(const char *a)
{
	return streq(a, "ppc64") || streq(a, "ppc64le");
}

static bool arch_is_arm(const char *a)
{
	return streq(a, "armv6l") || streq(a, "armv7l") || streq(a, "armv7b") || streq(a, "aarch64");
}

static bool arch_is_s390(const char *a)
{
	return streq(a, "s390") || streq(a, "s390x");
}

/* A guest arch the host runs natively (libvirt's virQEMUCapsGuestIsNative). */
static bool arch_native(const char *host, const char *guest)
{
	if (!host || !guest)
		return false;
	return streq(host, guest) || (streq(host, "x86_64") && streq(guest, "i686")) ||
	       (streq(host, "aarch64") && streq(guest, "armv7l")) ||
	       (arch_is_ppc64(host) && arch_is_ppc64(guest));
}

/* Machine name classes by pattern: "x" exact, "x*" prefix. */
static bool machine_in(const char *m, const char *const *patterns)
{
	if (!m)
		return false;
	for (size_t i = 0; patterns[i]; i++) {
		size_t n = strlen(patterns[i]);

		if (patterns[i][n - 1] == '*' ? strncmp(m, patterns[i], n - 1) == 0
					      : strcmp(m, patterns[i]) == 0)
			return true;
	}
	return false;
}

static const char *const machines_builtin_ide[] = {
	"pc", "pc-0.*", "pc-1.*", "pc-i440fx-*", "rhel*", "malta", "sun4u", "g3beige", NULL
};
/* Machines with an i8042 controller (ps2). */
static const char *const machines_i8042[] = {
	"pc", "pc-0.*", "pc-1.*", "pc-i440fx-*", "rhel*", "q35", "pc-q35-*", "isapc",
	"xenfv", "xenfv-*", NULL
};
static const char *const machines_pseries[] = { "pseries", "pseries-*", NULL };
static const char *const machines_arm_virt[] = { "virt", "virt-*", NULL };
/* s390 machines whose CPU model cannot be passed through. */
static const char *const machines_s390_no_passthrough[] = {
	"s390-ccw-virtio-2.4", "s390-ccw-virtio-2.5", "s390-ccw-virtio-2.6", "s390-ccw-virtio-2.7", NULL
};

static bool is_pseries(const struct ctx *c)
{
	return arch_is_ppc64(c->p->arch) && machine_in(c->req->machine, machines_pseries);
}

/* ------------------------------------------------------------------ */
/* Host facts */

/* KVM's vCPU limit (the kvm-max-vcpus fact). */
static int kvm_max_vcpus(const struct cp_root *r, unsigned *out)
{
	char *s = NULL;
	uint64_t v;
	int rc = cp_fact(r, "kvm-max-vcpus", cp_hostdev_kvm_max_vcpus, NULL, &s);

	if (rc < 0)
		return cp_fail(rc, "cannot learn KVM's vCPU limit (/dev/kvm, fact kvm-max-vcpus): %s", strerror(-rc));
	rc = cp_parse_u64(s, 10, true, &v);
	free(s);
	if (rc < 0 || v == 0 || v > UINT32_MAX)
		return cp_fail(-EBADMSG, "KVM's vCPU limit (fact kvm-max-vcpus) is not a vCPU count");
	*out = (unsigned)v;
	return 0;
}

/* VFIO passthrough: some IOMMU group and the VFIO container device. */
static bool host_vfio(const struct cp_root *r)
{
	struct cp_strv groups = { 0 };
	bool any = cp_list(r, &groups, "/sys/kernel/iommu_groups") > 0 && groups.n > 0;

	cp_strv_free(&groups);
	return any && cp_exists(r, "/dev/vfio/vfio") == 1;
}

/* s390 Protected Virtualization: the ultravisor is present and the kernel
 * was booted with prot_virt enabled. */
static bool host_s390_pv(const struct cp_root *r)
{
	char *cmdline = NULL;
	bool on = false;

	if (cp_is_dir(r, "/sys/firmware/uv") != 1)
		return false;
	if (cp_read_str(r, &cmdline, "/proc/cmdline") < 0)
		return false;
	for (char *p = cmdline; (p = strstr(p, "prot_virt=")); p++) {
		const char *v = p + strlen("prot_virt=");

		if (p != cmdline && p[-1] != ' ')
			continue;
		on = v[0] == '1' || v[0] == 'y' || v[0] == 'Y' || strncmp(v, "on", 2) == 0;
	}
	free(cmdline);
	return on;
}

/* SEV guest counts from CPUID 0x8000001F: ECX = ASIDs, EDX = first
 * non-ES ASID. */
static void host_sev_counts(const struct cp_root *r, unsigned *max_guests, unsigned *max_es)
{
	struct cp_cpuid_table t = { 0 };
	const struct cp_cpuid_leaf *l;

	*max_guests = *max_es = 0;
	if (cp_cpuid_collect(r, &t) < 0)
		return;
	l = cp_cpuid_get(&t, 0x8000001f, 0);
	if (l && l->ecx && l->edx && l->edx <= l->ecx + 1) {
		*max_guests = l->ecx - l->edx + 1;
		*max_es = l->edx - 1;
	}
	cp_cpuid_table_free(&t);
}

/* The qemu-rdp helper in PATH, as libvirt's qemuRdpAvailable() looks for
 * it (virFindFileInPath of qemu.conf's qemu_rdp, "qemu-rdp" by default):
 * the fact holds its path, or an empty line when there is none. */
static int rdp_live(void *arg, char **text)
{
	char *path = cp_find_in_path(getenv("PATH"), "qemu-rdp");

	(void)arg;
	*text = cp_asprintf("%s\n", path ? path : "");
	free(path);
	return 0;
}

/* A tree recorded before the fact existed has no helper. */
static bool host_rdp(const struct cp_root *r)
{
	char *s = NULL;
	bool found;

	if (cp_fact(r, "qemu-rdp", rdp_live, NULL, &s) < 0)
		return false;
	cp_rstrip(s);
	found = s[0] != '\0';
	free(s);
	return found;
}

static unsigned host_phys_bits(const struct cp_root *r)
{
	const char *info;
	unsigned bits = 0;

	if (cp_read_shared(r, &info, NULL, "/proc/cpuinfo") == 0 && cp_x86_parse_physaddr(info, &bits) < 0)
		bits = 0;
	return bits;
}

/* ------------------------------------------------------------------ */
/* Elements */

static int fill_vcpu(struct ctx *c, struct cp_domcaps *dc)
{
	json_object *m = c->req->machine ? cp_json_find_named(answer(c, CP_Q_MACHINES), "name", c->req->machine)
					 : NULL;
	json_object *v;
	int64_t n;
	unsigned lim = 0;
	int rc;

	if (!m || !json_object_object_get_ex(m, "cpu-max", &v) || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	if (n <= 0 || n > UINT32_MAX)
		return 0;
	dc->vcpu_max = (unsigned)n;
	if (c->req->kvm) {
		if ((rc = kvm_max_vcpus(c->host, &lim)) < 0)
			return rc;
		if (lim < dc->vcpu_max)
			dc->vcpu_max = lim;
	}
	return 0;
}

static int fill_os(struct ctx *c, struct cp_domcaps *dc)
{
	struct cp_fw_list l = { 0 };
	int rc;

	if ((rc = cp_fw_load(c->host, c->req->xdg_config_home, c->req->home, &l)) < 0)
		return rc;
	rc = cp_fw_fill_os(c->host, &l, c->req->arch, c->req->machine ? c->req->machine : "", NULL,
			   &dc->os);
	cp_fw_list_free(&l);
	return rc;
}

struct named_def {
	const char *name;		/* printed name */
	json_object *def;
	int x86;			/* index in the x86 map, -1 */
	const char *vendor;
};

static int cmp_named_def(const void *a, const void *b)
{
	return strcmp(((const struct named_def *)a)->name, ((const struct named_def *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Blockers: QEMU names through table T1 on x86, deduplicated, byte order. */
static void add_blockers(struct cp_dc_cpu_model *m, json_object *list, bool x86)
{
	size_t n = array_len(list), k = 0;
	const char **names;

	if (!n)
		return;
	/* sorted and deduplicated before they are copied, into a list sized
	 * once (the model's list is new and empty) */
	names = cp_malloc(n * sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(list, i);

		if (json_object_is_type(b, json_type_string))
			names[k++] = x86 ? cp_x86_feature_from_qemu(json_object_get_string(b))
					 : json_object_get_string(b);
	}
	if (k) {
		qsort(names, k, sizeof(*names), cmp_str);
		for (size_t i = 0; i < k; i++)
			if (!i || strcmp(names[i - 1], names[i]) != 0)
				cp_strv_push(&m->blockers, cp_strdup(names[i]));
	}
	free(names);
}

static void fill_custom(struct ctx *c, struct cp_dc_cpu *cpu)
{
	json_object *defs = answer(c, CP_Q_CPU_DEFS);
	size_t n = array_len(defs), k = 0;
	bool x86 = arch_is_x86(c->req->arch), ppc = arch_is_ppc64(c->req->arch);
	struct named_def *v;

	/* every model QEMU lists, for hypervisor-cpu-compare and -baseline */
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(defs, i), *un;
		const char *name = cp_json_str(d, "name");
		enum cp_dc_usable usable = CP_DC_USABLE_UNKNOWN;
		struct cp_dc_cpu_model *m;

		if (!name)
			continue;
		if (json_object_object_get_ex(d, "unavailable-features", &un) &&
		    json_object_is_type(un, json_type_array))
			usable = json_object_array_length(un) ? CP_DC_USABLE_NO : CP_DC_USABLE_YES;
		m = cp_dc_cpu_add_hv_model(cpu, name, usable);
		/* QEMU's order: libvirt sorts only the document's copy, and
		 * names the blockers of a comparison in this one */
		for (size_t j = 0; usable == CP_DC_USABLE_NO && j < array_len(un); j++) {
			json_object *b = json_object_array_get_idx(un, j);

			if (json_object_is_type(b, json_type_string))
				cp_strv_push(&m->blockers, cp_strdup(x86 ? cp_x86_feature_from_qemu(json_object_get_string(b))
								     : json_object_get_string(b)));
		}
	}
	if (!c->flags[F_CPU_DEFS_CMD] || !defs) {
		cpu->custom = CP_DC_NO;
		return;
	}
	cpu->custom = CP_DC_YES;
	v = cp_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(defs, i);
		const char *name = cp_json_str(d, "name");
		struct named_def nd = { .name = name, .def = d, .x86 = -1, .vendor = "unknown" };

		if (!name || strcmp(name, "host") == 0)
			continue;
		if (x86) {
			if (!cp_x86_guest_find(name, &nd.x86))
				continue;
			if (cp_x86_models[nd.x86].vendor >= 0)
				nd.vendor = cp_x86_vendors[cp_x86_models[nd.x86].vendor].name;
		} else if (ppc) {
			size_t j;

			for (j = 0; j < cp_ppc_npvrs; j++)
				if (strcasecmp(cp_ppc_pvrs[j].model, name) == 0)
					break;
			if (j == cp_ppc_npvrs)
				continue;
			nd.name = cp_ppc_pvrs[j].model;
			if (cp_ppc_pvrs[j].vendor)
				nd.vendor = cp_ppc_pvrs[j].vendor;
		} else if (arch_is_s390(c->req->arch) &&
			   (cp_startswith(name, "z") || cp_startswith(name, "gen"))) {
			/* libvirt 11.3 names IBM for the machine generations, not
			 * for QEMU's generic "qemu" and "max" (seen live). */
			nd.vendor = "IBM";
		}
		v[k++] = nd;
	}
	qsort(v, k, sizeof(*v), cmp_named_def);
	for (size_t i = 0; i < k; i++) {
		json_object *un;
		enum cp_dc_usable usable = CP_DC_USABLE_UNKNOWN;
		struct cp_dc_cpu_model *m;

		/* Duplicates (a ppc name matched in two spellings) print once. */
		if (i && strcmp(v[i - 1].name, v[i].name) == 0)
			continue;
		if (json_object_object_get_ex(v[i].def, "unavailable-features", &un) &&
		    json_object_is_type(un, json_type_array))
			usable = json_object_array_length(un) ? CP_DC_USABLE_NO : CP_DC_USABLE_YES;
		m = cp_dc_cpu_add_model(cpu, v[i].name, usable, v[i].vendor,
					v[i].x86 >= 0 ? cp_x86_guest_models[v[i].x86].canonical : NULL);
		m->deprecated = cp_json_true(v[i].def, "deprecated");
		if (usable == CP_DC_USABLE_NO)
			add_blockers(m, un, x86);
	}
	free(v);
}

/* ppc64: QEMU expands no host model, so libvirt decodes the host CPU
 * itself (virQEMUCapsProbeHostCPU): the model the PVR names, if QEMU
 * offers it, with fallback='allow' and no features.  libvirt knows the
 * physical address size only on x86, sh4 and loongarch: no <maxphysaddr>. */
static void ppc64_host_model(const struct ctx *c, struct cp_dc_host_model *hm)
{
	struct cp_host_cpu hc = { 0 };
	json_object *defs = answer(c, CP_Q_CPU_DEFS);
	bool offered = false;

	hm->supported = CP_DC_NO;
	if (cp_cpu_ppc(c->host, &hc) < 0) {
		cp_verbose("ppc64 host-model: %s", cp_last_error());
		cp_clear_error();
	} else if (hc.model) {
		for (size_t i = 0; i < array_len(defs) && !offered; i++) {
			const char *name = cp_json_str(json_object_array_get_idx(defs, i), "name");

			offered = name && strcasecmp(name, hc.model) == 0;
		}
		if (offered) {
			hm->supported = CP_DC_YES;
			hm->model = cp_strdup(hc.model);
			hm->fallback = cp_strdup("allow");
		}
	}
	free(hc.model);
	free(hc.vendor);
	cp_strv_free(&hc.features);
}

/* virQEMUCapsGetCPUFeatures' list: every property of the host CPU
 * expansion libvirt keeps, and the ones it marks non-migratable (off in
 * the migratable round, on without it). */
static void hv_features(const struct cp_hm_input *in, struct cp_dc_cpu *cpu)
{
	json_object *model, *props, *nm = NULL, *nmv, *v;

	if (!json_object_object_get_ex(in->expand, "model", &model) ||
	    !json_object_object_get_ex(model, "props", &props) || !json_object_is_type(props, json_type_object))
		return;
	cpu->hv_props = true;
	if (in->expand_nonmig && json_object_object_get_ex(in->expand_nonmig, "model", &v) &&
	    json_object_object_get_ex(v, "props", &nm) && json_object_is_type(nm, json_type_object))
		cpu->hv_migratability = true;
	json_object_object_foreach(props, key, val) {
		const char *name = cp_x86_feature_from_qemu(key);

		cp_strv_push(&cpu->hv_features, cp_strdup(name));
		if (cpu->hv_migratability && json_object_is_type(val, json_type_boolean) &&
		    !json_object_get_boolean(val) && json_object_object_get_ex(nm, key, &nmv) &&
		    json_object_is_type(nmv, json_type_boolean) && json_object_get_boolean(nmv))
			cp_strv_push(&cpu->hv_nonmigratable, cp_strdup(name));
	}
}

static int fill_cpu(struct ctx *c, struct cp_domcaps *dc)
{
	struct cp_dc_cpu *cpu = &dc->cpu;
	bool native = arch_native(c->host_arch, c->p->arch);

	cpu->host_passthrough = CP_DC_NO;
	if (c->req->kvm && native &&
	    !(arch_is_s390(c->p->arch) && machine_in(c->req->machine, machines_s390_no_passthrough))) {
		cpu->host_passthrough = CP_DC_YES;
		if (c->flags[F_CPU_MIGRATABLE])
			cp_dc_enum_add(&cpu->host_passthrough_migratable, "on");
		cp_dc_enum_add(&cpu->host_passthrough_migratable, "off");
	}

	cpu->maximum = CP_DC_NO;
	if (c->flags[F_CPU_MAX]) {
		cpu->maximum = CP_DC_YES;
		cp_dc_enum_add(&cpu->maximum_migratable, "on");
		cp_dc_enum_add(&cpu->maximum_migratable, "off");
	}

	cpu->host_model.supported = CP_DC_NO;
	if (native && arch_is_x86(c->p->arch)) {
		struct cp_hm_input in = { 0 };
		json_object *full = answer(c, CP_Q_EXPAND_FULL);
		json_object *full_nm = answer(c, CP_Q_EXPAND_NONMIG_FULL);
		int rc;

		/* Without canonical names the full expansions carry the data. */
		in.expand = full ? full : answer(c, CP_Q_EXPAND);
		in.expand_nonmig = full_nm ? full_nm : answer(c, CP_Q_EXPAND_NONMIG);
		in.cpu_defs = answer(c, CP_Q_CPU_DEFS);
		in.canonical_names = c->flags[F_CANONICAL_FEATURES];
		if (c->req->kvm)
			in.maxphysaddr = host_phys_bits(c->host);
		if ((rc = cp_x86_host_model(&in, &cpu->host_model)) < 0)
			return rc;
		hv_features(&in, cpu);
	} else if (native && arch_is_s390(c->p->arch)) {
		cp_s390_host_model(answer(c, CP_Q_EXPAND), &cpu->host_model);
	} else if (native && arch_is_ppc64(c->p->arch)) {
		ppc64_host_model(c, &cpu->host_model);
	}

	fill_custom(c, cpu);
	return 0;
}

static void fill_memory_backing(struct ctx *c, struct cp_domcaps *dc)
{
	struct cp_dc_enum *e = &dc->memory_backing.source_type;

	dc->memory_backing.supported = CP_DC_YES;
	cp_dc_enum_add(e, "file");
	cp_dc_enum_add(e, "anonymous");
	if (c->flags[F_MEMFD])
		cp_dc_enum_add(e, "memfd");
}

/* Flag-gated enum values, added when the flag is set. */
struct gated {
	enum flag flag;
	const char *value;
};

static void add_gated(const struct ctx *c, struct cp_dc_enum *e, const struct gated *g, size_t n)
{
	cp_dc_enum_report(e);
	for (size_t i = 0; i < n; i++)
		if (c->flags[g[i].flag])
			cp_dc_enum_add(e, g[i].value);
}

#define ADD_GATED(c, e, table) add_gated(c, e, table, sizeof(table) / sizeof(table[0]))

static const struct gated graphics_types[] = {
	{ F_SDL, "sdl" }, { F_VNC, "vnc" }, { F_SPICE, "spice" },
	{ F_EGL_HEADLESS, "egl-headless" }, { F_DISPLAY_DBUS, "dbus" },
};

static const struct gated video_models[] = {
	{ F_VGA, "vga" }, { F_CIRRUS, "cirrus" }, { F_VMVGA, "vmvga" }, { F_QXL, "qxl" },
	{ F_VIRTIO_GPU, "virtio" }, { F_BOCHS, "bochs" }, { F_RAMFB, "ramfb" },
};

static const struct gated rng_backends[] = {
	{ F_RNG_RANDOM, "random" }, { F_RNG_EGD, "egd" }, { F_RNG_BUILTIN, "builtin" },
};

static const struct gated tpm_models[] = {
	{ F_TPM_TIS, "tpm-tis" }, { F_TPM_CRB, "tpm-crb" }, { F_TPM_SPAPR, "tpm-spapr" },
	{ F_SPAPR_TPM_PROXY, "spapr-tpm-proxy" },
};

/* swtpm from the request's source, else the host's recorded fact. */
static int host_swtpm(const struct ctx *c, struct cp_swtpm *sw)
{
	char *s = NULL;
	int rc;

	if (c->req->swtpm)
		return c->req->swtpm(c->req->swtpm_ctx, sw);
	if ((rc = cp_fact_read(c->host, "swtpm", &s)) < 0)
		return cp_fail(rc, "%s has no readable " CP_FACTS_DIR "/swtpm",
			       cp_root_live(c->host) ? "the request" : "recorded tree");
	rc = cp_swtpm_parse(s, sw);
	free(s);
	return rc;
}

static int fill_tpm(struct ctx *c, struct cp_dc_tpm *tpm)
{
	struct cp_swtpm sw;
	int rc;

	ADD_GATED(c, &tpm->model, tpm_models);
	if (!tpm->model.values.n) {
		tpm->supported = CP_DC_NO;
		return 0;
	}
	tpm->supported = CP_DC_YES;
	cp_dc_enum_report(&tpm->backend_model);
	if (c->flags[F_TPM_PASSTHROUGH])
		cp_dc_enum_add(&tpm->backend_model, "passthrough");
	if ((rc = host_swtpm(c, &sw)) < 0)
		return rc;
	if (sw.usable && c->flags[F_TPM_EMULATOR]) {
		cp_dc_enum_add(&tpm->backend_model, "emulator");
		cp_dc_enum_add(&tpm->backend_model, "external");
	}
	if (sw.tpm12)
		cp_dc_enum_add(&tpm->backend_version, "1.2");
	if (sw.tpm20)
		cp_dc_enum_add(&tpm->backend_version, "2.0");
	return 0;
}

static int fill_devices(struct ctx *c, struct cp_domcaps *dc)
{
	struct cp_dc_devices *d = &dc->devices;
	bool pseries = is_pseries(c);
	int rc;

	d->disk.supported = CP_DC_YES;
	cp_dc_enum_add(&d->disk.device, "disk");
	cp_dc_enum_add(&d->disk.device, "cdrom");
	if (!pseries)
		cp_dc_enum_add(&d->disk.device, "floppy");
	cp_dc_enum_add(&d->disk.device, "lun");
	if (machine_in(c->req->machine, machines_builtin_ide))
		cp_dc_enum_add(&d->disk.bus, "ide");
	if (!pseries)
		cp_dc_enum_add(&d->disk.bus, "fdc");
	cp_dc_enum_add(&d->disk.bus, "scsi");
	cp_dc_enum_add(&d->disk.bus, "virtio");
	if (c->flags[F_USB_STORAGE])
		cp_dc_enum_add(&d->disk.bus, "usb");
	if (c->flags[F_ICH9_AHCI])
		cp_dc_enum_add(&d->disk.bus, "sata");
	cp_dc_enum_add(&d->disk.model, "virtio");
	if (c->flags[F_VIRTIO_TRANSITIONAL]) {
		cp_dc_enum_add(&d->disk.model, "virtio-transitional");
		cp_dc_enum_add(&d->disk.model, "virtio-non-transitional");
	}

	d->graphics.supported = CP_DC_YES;
	ADD_GATED(c, &d->graphics.type, graphics_types);
	/* RDP is served by the qemu-rdp helper over QEMU's D-Bus display */
	if (c->flags[F_DISPLAY_DBUS] && host_rdp(c->host))
		cp_dc_enum_add(&d->graphics.type, "rdp");

	d->video.supported = CP_DC_YES;
	ADD_GATED(c, &d->video.model_type, video_models);
	cp_dc_enum_add(&d->video.model_type, "none");

	d->hostdev.supported = CP_DC_YES;
	cp_dc_enum_add(&d->hostdev.mode, "subsystem");
	cp_dc_enum_add(&d->hostdev.startup_policy, "default");
	cp_dc_enum_add(&d->hostdev.startup_policy, "mandatory");
	cp_dc_enum_add(&d->hostdev.startup_policy, "requisite");
	cp_dc_enum_add(&d->hostdev.startup_policy, "optional");
	if (c->flags[F_USB_HOST_CONTROLLER])
		cp_dc_enum_add(&d->hostdev.subsys_type, "usb");
	cp_dc_enum_add(&d->hostdev.subsys_type, "pci");
	cp_dc_enum_add(&d->hostdev.subsys_type, "scsi");
	cp_dc_enum_report(&d->hostdev.caps_type);
	cp_dc_enum_report(&d->hostdev.pci_backend);
	if (c->flags[F_VFIO_PCI] && host_vfio(c->host)) {
		cp_dc_enum_add(&d->hostdev.pci_backend, "default");
		cp_dc_enum_add(&d->hostdev.pci_backend, "vfio");
	}

	d->rng.supported = CP_DC_YES;
	cp_dc_enum_report(&d->rng.model);
	if (c->flags[F_VIRTIO_RNG]) {
		cp_dc_enum_add(&d->rng.model, "virtio");
		if (c->flags[F_VIRTIO_TRANSITIONAL]) {
			cp_dc_enum_add(&d->rng.model, "virtio-transitional");
			cp_dc_enum_add(&d->rng.model, "virtio-non-transitional");
		}
	}
	ADD_GATED(c, &d->rng.backend_model, rng_backends);

	d->filesystem.supported = CP_DC_YES;
	cp_dc_enum_add(&d->filesystem.driver_type, "path");
	cp_dc_enum_add(&d->filesystem.driver_type, "handle");
	if (c->flags[F_VHOST_USER_FS])
		cp_dc_enum_add(&d->filesystem.driver_type, "virtiofs");

	if ((rc = fill_tpm(c, &d->tpm)) < 0)
		return rc;

	d->redirdev.supported = c->flags[F_USB_REDIR] ? CP_DC_YES : CP_DC_NO;
	if (c->flags[F_USB_REDIR])
		cp_dc_enum_add(&d->redirdev.bus, "usb");

	d->channel.supported = CP_DC_YES;
	cp_dc_enum_add(&d->channel.type, "pty");
	cp_dc_enum_add(&d->channel.type, "unix");
	if (c->flags[F_SPICE])
		cp_dc_enum_add(&d->channel.type, "spicevmc");

	d->crypto.supported = CP_DC_YES;
	cp_dc_enum_report(&d->crypto.model);
	if (c->flags[F_VIRTIO_CRYPTO])
		cp_dc_enum_add(&d->crypto.model, "virtio");
	cp_dc_enum_add(&d->crypto.type, "qemu");
	cp_dc_enum_add(&d->crypto.backend_model, "builtin");
	if (c->flags[F_CRYPTO_LKCF])
		cp_dc_enum_add(&d->crypto.backend_model, "lkcf");

	d->interface.supported = CP_DC_YES;
	cp_dc_enum_add(&d->interface.backend_type, "default");
	if (c->flags[F_NETDEV_STREAM])
		cp_dc_enum_add(&d->interface.backend_type, "passt");

	if (c->flags[F_PVPANIC_ISA])
		cp_dc_enum_add(&d->panic.model, "isa");
	if (pseries)
		cp_dc_enum_add(&d->panic.model, "pseries");
	if (arch_is_x86(c->p->arch))
		cp_dc_enum_add(&d->panic.model, "hyperv");
	if (arch_is_s390(c->p->arch))
		cp_dc_enum_add(&d->panic.model, "s390");
	if (c->flags[F_PVPANIC_PCI])
		cp_dc_enum_add(&d->panic.model, "pvpanic");
	d->panic.supported = d->panic.model.values.n ? CP_DC_YES : CP_DC_NO;
	return 0;
}

static void fill_gic(struct ctx *c, struct cp_dc_gic *gic)
{
	json_object *caps = answer(c, CP_Q_GIC);
	size_t n = array_len(caps);

	gic->supported = CP_DC_NO;
	if (!arch_is_arm(c->req->arch) || !machine_in(c->req->machine, machines_arm_virt))
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(caps, i), *ver;
		int64_t v;

		if (!json_object_object_get_ex(g, "version", &ver) || !json_object_is_type(ver, json_type_int))
			continue;
		v = json_object_get_int64(ver);
		if ((v != 2 && v != 3) || !cp_json_true(g, c->req->kvm ? "kernel" : "emulated"))
			continue;
		cp_dc_enum_add(&gic->version, v == 2 ? "2" : "3");
	}
	if (gic->version.values.n)
		gic->supported = CP_DC_YES;
}

static int64_t int_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

static void fill_sev(struct ctx *c, struct cp_dc_sev *sev)
{
	json_object *a = c->flags[F_SEV_GUEST] ? answer(c, CP_Q_SEV) : NULL;
	int64_t cbit, reduced;
	const char *cpu0, *s;

	sev->supported = CP_DC_NO;
	if (!json_object_is_type(a, json_type_object))
		return;
	cbit = int_member(a, "cbitpos");
	reduced = int_member(a, "reduced-phys-bits");
	if (cbit < 0 || cbit > UINT32_MAX || reduced < 0 || reduced > UINT32_MAX)
		return;
	sev->supported = CP_DC_YES;
	sev->cbitpos = (unsigned)cbit;
	sev->reduced_phys_bits = (unsigned)reduced;
	host_sev_counts(c->host, &sev->max_guests, &sev->max_es_guests);
	if ((cpu0 = cp_json_str(a, "cpu0-id")))
		sev->cpu0_id = cp_strdup(cpu0);
	if ((s = cp_json_str(a, "pdh")))
		sev->pdh = cp_strdup(s);
	if ((s = cp_json_str(a, "cert-chain")))
		sev->cert_chain = cp_strdup(s);
}

static void fill_sgx(struct ctx *c, struct cp_dc_sgx *sgx)
{
	json_object *a = c->flags[F_SGX_EPC] ? answer(c, CP_Q_SGX) : NULL, *secs;
	int64_t size;

	sgx->supported = CP_DC_NO;
	if (!json_object_is_type(a, json_type_object))
		return;
	sgx->supported = CP_DC_YES;
	sgx->flc = cp_json_true(a, "flc");
	sgx->sgx1 = cp_json_true(a, "sgx1");
	sgx->sgx2 = cp_json_true(a, "sgx2");
	size = int_member(a, "section-size");
	sgx->section_size_kib = size > 0 ? (uint64_t)size / 1024 : 0;
	if (json_object_object_get_ex(a, "sections", &secs) && json_object_is_type(secs, json_type_array)) {
		size_t n = json_object_array_length(secs);

		sgx->have_sections = true;
		sgx->sections = cp_calloc(n ? n : 1, sizeof(*sgx->sections));
		for (size_t i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(secs, i);
			int64_t node = int_member(s, "node"), sz = int_member(s, "size");

			if (node < 0 || node > UINT32_MAX || sz < 0)
				continue;
			sgx->sections[sgx->nsections].node = (unsigned)node;
			sgx->sections[sgx->nsections++].size_kib = (uint64_t)sz / 1024;
		}
	}
}

/* Hyper-V enlightenments QEMU offers with hv-passthrough: props hv-X with
 * X (dashes as underscores) one of libvirt's names, set (true, a number
 * above 0, or any string). */
static void fill_hyperv(struct ctx *c, struct cp_dc_hyperv *hv)
{
	json_object *a = answer(c, CP_Q_HV_EXPAND), *model, *props;

	if (!json_object_object_get_ex(a, "model", &model) ||
	    !json_object_object_get_ex(model, "props", &props) ||
	    !json_object_is_type(props, json_type_object))
		return;
	json_object_object_foreach(props, key, val) {
		char name[64];
		bool set;

		if (strncmp(key, "hv-", 3) != 0 || strlen(key + 3) >= sizeof(name))
			continue;
		strcpy(name, key + 3);
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		switch (json_object_get_type(val)) {
		case json_type_boolean:
			set = json_object_get_boolean(val);
			break;
		case json_type_int:
			set = json_object_get_int64(val) > 0;
			break;
		case json_type_string:
			set = true;
			break;
		default:
			set = false;
		}
		for (size_t i = 0; set && cp_dc_order_hyperv[i]; i++)
			if (strcmp(cp_dc_order_hyperv[i], name) == 0)
				cp_dc_enum_add(&hv->features, name);
	}
	if (hv->features.values.n)
		hv->supported = CP_DC_YES;
}

static void fill_features(struct ctx *c, struct cp_domcaps *dc)
{
	struct cp_dc_features *f = &dc->features;
	bool s390_pv = false;

	fill_gic(c, &f->gic);
	f->vmcoreinfo = c->flags[F_VMCOREINFO] ? CP_DC_YES : CP_DC_NO;
	f->genid = c->flags[F_VMGENID] ? CP_DC_YES : CP_DC_NO;
	f->backing_store_input = CP_DC_YES;
	f->backup = c->flags[F_BLOCKDEV_REOPEN] && c->flags[F_BITMAP_TRANSFORM] ? CP_DC_YES : CP_DC_NO;
	f->async_teardown = c->flags[F_ASYNC_TEARDOWN] ? CP_DC_YES : CP_DC_NO;
	if (arch_is_s390(c->p->arch)) {
		s390_pv = c->flags[F_CONFIDENTIAL_GUEST] && c->flags[F_S390_PV_GUEST] && c->p->kvm &&
			  host_s390_pv(c->host);
		f->s390_pv = s390_pv ? CP_DC_YES : CP_DC_NO;
	}
	f->ps2 = c->flags[F_I8042] && machine_in(c->req->machine, machines_i8042) ? CP_DC_YES : CP_DC_NO;
	fill_sev(c, &f->sev);
	fill_sgx(c, &f->sgx);
	fill_hyperv(c, &f->hyperv);

	if (f->sev.supported == CP_DC_YES) {
		cp_dc_enum_add(&f->launch_security.sectype, "sev");
		if (c->flags[F_SEV_SNP_GUEST])
			cp_dc_enum_add(&f->launch_security.sectype, "sev-snp");
	}
	if (s390_pv)
		cp_dc_enum_add(&f->launch_security.sectype, "s390-pv");
	f->launch_security.supported = f->launch_security.sectype.values.n ? CP_DC_YES : CP_DC_NO;
}

int cp_domcaps_build(const struct cp_root *host, const struct cp_qemu_probe *p,
		     const struct cp_dc_request *req, struct cp_domcaps *dc)
{
	struct ctx c = { .host = host, .p = p, .req = req };
	struct cp_host h = { 0 };
	int rc;

	if (!p->pass1.ran)
		return cp_fail(-EINVAL, "%s: no probe data", p->binary ? p->binary : "emulator");
	if ((rc = cp_probe_arch(host, &h)) < 0)
		return rc;
	c.host_arch = h.cpu.arch;
	compute_flags(&c);

	dc->path = p->binary ? cp_strdup(p->binary) : NULL;
	dc->domain = cp_strdup(req->kvm ? "kvm" : "qemu");
	dc->machine = req->machine ? cp_strdup(req->machine) : NULL;
	dc->arch = cp_strdup(req->arch);
	if ((rc = fill_vcpu(&c, dc)) < 0)
		return rc;
	dc->iothreads = CP_DC_YES;
	if ((rc = fill_os(&c, dc)) < 0)
		return rc;
	if ((rc = fill_cpu(&c, dc)) < 0)
		return rc;
	fill_memory_backing(&c, dc);
	if ((rc = fill_devices(&c, dc)) < 0)
		return rc;
	fill_features(&c, dc);
	return 0;
}
