#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/domcaps.h"

/* libvirt 11.3's enum declarations, in order, without the placeholder
 * entries libvirt never prints ("none", and "default" where it means
 * "unset"); a "default" that is a real value (pciBackend) stays. */
const char *const cp_dc_order_firmware[] = { "bios", "efi", NULL };
const char *const cp_dc_order_loader_type[] = { "rom", "pflash", NULL };
const char *const cp_dc_order_yes_no[] = { "yes", "no", NULL };
const char *const cp_dc_order_on_off[] = { "on", "off", NULL };
const char *const cp_dc_order_memory_source[] = { "file", "anonymous", "memfd", NULL };
const char *const cp_dc_order_disk_device[] = { "disk", "cdrom", "floppy", "lun", NULL };
const char *const cp_dc_order_disk_bus[] = {
	"ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd", NULL
};
const char *const cp_dc_order_disk_model[] = {
	"virtio", "virtio-transitional", "virtio-non-transitional", NULL
};
const char *const cp_dc_order_graphics[] = {
	"sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus", NULL
};
const char *const cp_dc_order_video[] = {
	"vga", "cirrus", "vmvga", "xen", "vbox", "qxl", "parallels", "virtio",
	"gop", "none", "bochs", "ramfb", NULL
};
const char *const cp_dc_order_hostdev_mode[] = { "subsystem", "capabilities", NULL };
const char *const cp_dc_order_startup_policy[] = {
	"default", "mandatory", "requisite", "optional", NULL
};
const char *const cp_dc_order_subsys[] = { "usb", "pci", "scsi", "scsi_host", "mdev", NULL };
const char *const cp_dc_order_caps_type[] = { "storage", "misc", "net", NULL };
const char *const cp_dc_order_pci_backend[] = { "default", "kvm", "vfio", "xen", NULL };
const char *const cp_dc_order_rng_model[] = {
	"virtio", "virtio-transitional", "virtio-non-transitional", NULL
};
const char *const cp_dc_order_rng_backend[] = { "random", "egd", "builtin", NULL };
const char *const cp_dc_order_fs_driver[] = {
	"default", "path", "handle", "loop", "nbd", "ploop", "virtiofs", NULL
};
const char *const cp_dc_order_tpm_model[] = {
	"tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy", NULL
};
const char *const cp_dc_order_tpm_backend[] = { "passthrough", "emulator", "external", NULL };
const char *const cp_dc_order_tpm_version[] = { "1.2", "2.0", NULL };
const char *const cp_dc_order_redirdev_bus[] = { "usb", NULL };
const char *const cp_dc_order_channel[] = {
	"null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix",
	"spicevmc", "spiceport", "nmdm", "qemu-vdagent", "dbus", NULL
};
const char *const cp_dc_order_crypto_model[] = { "virtio", NULL };
const char *const cp_dc_order_crypto_type[] = { "qemu", NULL };
const char *const cp_dc_order_crypto_backend[] = { "builtin", "lkcf", NULL };
const char *const cp_dc_order_interface_backend[] = { "default", "passt", NULL };
const char *const cp_dc_order_panic[] = { "isa", "pseries", "hyperv", "s390", "pvpanic", NULL };
const char *const cp_dc_order_gic[] = { "2", "3", NULL };
const char *const cp_dc_order_hyperv[] = {
	"relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "stimer",
	"reset", "vendor_id", "frequencies", "reenlightenment", "tlbflush", "ipi",
	"evmcs", "avic", "emsr_bitmap", "xmm_input", NULL
};
const char *const cp_dc_order_sectype[] = { "sev", "sev-snp", "s390-pv", NULL };

static long order_index(const char *const *order, const char *v)
{
	for (long i = 0; order[i]; i++)
		if (strcmp(order[i], v) == 0)
			return i;
	return -1;
}

bool cp_dc_enum_has(const struct cp_dc_enum *e, const char *value)
{
	for (size_t i = 0; i < e->values.n; i++)
		if (strcmp(e->values.v[i], value) == 0)
			return true;
	return false;
}

void cp_dc_enum_report(struct cp_dc_enum *e)
{
	e->report = true;
}

int cp_dc_enum_add(struct cp_dc_enum *e, const char *value)
{
	struct cp_strv *sv = &e->values;
	size_t at = sv->n;

	if (e->order) {
		long want = order_index(e->order, value);

		if (want < 0)
			return cp_fail(-EINVAL, "'%s' is not a value of enum '%s'", value,
				       e->name ? e->name : "?");
		for (at = 0; at < sv->n; at++)
			if (order_index(e->order, sv->v[at]) > want)
				break;
	}
	e->report = true;
	if (cp_dc_enum_has(e, value))
		return 0;
	cp_strv_push(sv, cp_strdup(value));
	/* cp_strv_push appended; move the new value to its place. */
	if (at < sv->n - 1) {
		char *v = sv->v[sv->n - 1];

		memmove(&sv->v[at + 1], &sv->v[at], (sv->n - 1 - at) * sizeof(sv->v[0]));
		sv->v[at] = v;
	}
	return 0;
}

static void enum_init(struct cp_dc_enum *e, const char *name, const char *const *order)
{
	e->name = name;
	e->order = order;
}

void cp_domcaps_init(struct cp_domcaps *dc)
{
	struct cp_dc_devices *d = &dc->devices;

	memset(dc, 0, sizeof(*dc));
	enum_init(&dc->os.firmware, "firmware", cp_dc_order_firmware);
	enum_init(&dc->os.loader.values, NULL, NULL);
	enum_init(&dc->os.loader.type, "type", cp_dc_order_loader_type);
	enum_init(&dc->os.loader.readonly, "readonly", cp_dc_order_yes_no);
	enum_init(&dc->os.loader.secure, "secure", cp_dc_order_yes_no);
	enum_init(&dc->cpu.host_passthrough_migratable, "hostPassthroughMigratable",
		  cp_dc_order_on_off);
	enum_init(&dc->cpu.maximum_migratable, "maximumMigratable", cp_dc_order_on_off);
	enum_init(&dc->memory_backing.source_type, "sourceType", cp_dc_order_memory_source);
	enum_init(&d->disk.device, "diskDevice", cp_dc_order_disk_device);
	enum_init(&d->disk.bus, "bus", cp_dc_order_disk_bus);
	enum_init(&d->disk.model, "model", cp_dc_order_disk_model);
	enum_init(&d->graphics.type, "type", cp_dc_order_graphics);
	enum_init(&d->video.model_type, "modelType", cp_dc_order_video);
	enum_init(&d->hostdev.mode, "mode", cp_dc_order_hostdev_mode);
	enum_init(&d->hostdev.startup_policy, "startupPolicy", cp_dc_order_startup_policy);
	enum_init(&d->hostdev.subsys_type, "subsysType", cp_dc_order_subsys);
	enum_init(&d->hostdev.caps_type, "capsType", cp_dc_order_caps_type);
	enum_init(&d->hostdev.pci_backend, "pciBackend", cp_dc_order_pci_backend);
	enum_init(&d->rng.model, "model", cp_dc_order_rng_model);
	enum_init(&d->rng.backend_model, "backendModel", cp_dc_order_rng_backend);
	enum_init(&d->filesystem.driver_type, "driverType", cp_dc_order_fs_driver);
	enum_init(&d->tpm.model, "model", cp_dc_order_tpm_model);
	enum_init(&d->tpm.backend_model, "backendModel", cp_dc_order_tpm_backend);
	enum_init(&d->tpm.backend_version, "backendVersion", cp_dc_order_tpm_version);
	enum_init(&d->redirdev.bus, "bus", cp_dc_order_redirdev_bus);
	enum_init(&d->channel.type, "type", cp_dc_order_channel);
	enum_init(&d->crypto.model, "model", cp_dc_order_crypto_model);
	enum_init(&d->crypto.type, "type", cp_dc_order_crypto_type);
	enum_init(&d->crypto.backend_model, "backendModel", cp_dc_order_crypto_backend);
	enum_init(&d->interface.backend_type, "backendType", cp_dc_order_interface_backend);
	enum_init(&d->panic.model, "model", cp_dc_order_panic);
	enum_init(&dc->features.gic.version, "version", cp_dc_order_gic);
	enum_init(&dc->features.hyperv.features, "features", cp_dc_order_hyperv);
	enum_init(&dc->features.launch_security.sectype, "sectype", cp_dc_order_sectype);
}

static struct cp_dc_cpu_model *push_model(struct cp_dc_cpu_model **v, size_t *n, const char *name,
					  enum cp_dc_usable usable)
{
	struct cp_dc_cpu_model *m;

	*v = cp_realloc(*v, (*n + 1) * sizeof(**v));
	m = &(*v)[(*n)++];
	memset(m, 0, sizeof(*m));
	m->name = cp_strdup(name);
	m->usable = usable;
	return m;
}

struct cp_dc_cpu_model *cp_dc_cpu_add_hv_model(struct cp_dc_cpu *cpu, const char *name,
					       enum cp_dc_usable usable)
{
	return push_model(&cpu->hv_models, &cpu->nhv_models, name, usable);
}

struct cp_dc_cpu_model *cp_dc_cpu_add_model(struct cp_dc_cpu *cpu, const char *name,
					    enum cp_dc_usable usable, const char *vendor,
					    const char *canonical)
{
	struct cp_dc_cpu_model *m = push_model(&cpu->models, &cpu->nmodels, name, usable);

	m->vendor = vendor ? cp_strdup(vendor) : NULL;
	m->canonical = canonical ? cp_strdup(canonical) : NULL;
	return m;
}

void cp_dc_host_model_add_feature(struct cp_dc_host_model *hm, const char *policy,
				  const char *name)
{
	struct cp_dc_feature *f;

	hm->features = cp_realloc(hm->features, (hm->nfeatures + 1) * sizeof(*hm->features));
	f = &hm->features[hm->nfeatures++];
	f->policy = cp_strdup(policy);
	f->name = cp_strdup(name);
}

static void enum_free(struct cp_dc_enum *e)
{
	cp_strv_free(&e->values);
}

static void models_free(struct cp_dc_cpu_model *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].vendor);
		free(v[i].canonical);
		cp_strv_free(&v[i].blockers);
	}
	free(v);
}

void cp_domcaps_free(struct cp_domcaps *dc)
{
	struct cp_dc_devices *d = &dc->devices;
	struct cp_dc_host_model *hm = &dc->cpu.host_model;
	struct cp_dc_enum *enums[] = {
		&dc->os.firmware, &dc->os.loader.values, &dc->os.loader.type,
		&dc->os.loader.readonly, &dc->os.loader.secure,
		&dc->cpu.host_passthrough_migratable, &dc->cpu.maximum_migratable,
		&dc->memory_backing.source_type,
		&d->disk.device, &d->disk.bus, &d->disk.model, &d->graphics.type,
		&d->video.model_type, &d->hostdev.mode, &d->hostdev.startup_policy,
		&d->hostdev.subsys_type, &d->hostdev.caps_type, &d->hostdev.pci_backend,
		&d->rng.model, &d->rng.backend_model, &d->filesystem.driver_type,
		&d->tpm.model, &d->tpm.backend_model, &d->tpm.backend_version,
		&d->redirdev.bus, &d->channel.type, &d->crypto.model, &d->crypto.type,
		&d->crypto.backend_model, &d->interface.backend_type, &d->panic.model,
		&dc->features.gic.version, &dc->features.hyperv.features,
		&dc->features.launch_security.sectype,
	};

	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++)
		enum_free(enums[i]);
	free(dc->path);
	free(dc->domain);
	free(dc->machine);
	free(dc->arch);
	free(hm->model);
	free(hm->fallback);
	free(hm->vendor);
	free(hm->maxphysaddr_mode);
	for (size_t i = 0; i < hm->nfeatures; i++) {
		free(hm->features[i].policy);
		free(hm->features[i].name);
	}
	free(hm->features);
	models_free(dc->cpu.models, dc->cpu.nmodels);
	models_free(dc->cpu.hv_models, dc->cpu.nhv_models);
	cp_strv_free(&dc->cpu.hv_features);
	cp_strv_free(&dc->cpu.hv_nonmigratable);
	free(dc->features.sev.cpu0_id);
	free(dc->features.sev.pdh);
	free(dc->features.sev.cert_chain);
	free(dc->features.sgx.sections);
	memset(dc, 0, sizeof(*dc));
}
