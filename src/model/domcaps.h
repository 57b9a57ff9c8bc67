/* The domain-capabilities model: plain data for everything libvirt 11.3's
 * <domainCapabilities> can hold, filled by the QEMU rules and the firmware
 * descriptors and printed by src/xml/domcaps.c.  Nothing here knows XML;
 * nothing in the printer reads the system.
 *
 * Most of the document is "enums": <enum name='x'><value>..</value></enum>.
 * A cp_dc_enum carries its name and libvirt's declaration order, so values
 * added in any order come out in libvirt's order. */
#ifndef CP_MODEL_DOMCAPS_H
#define CP_MODEL_DOMCAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/str.h"

/* libvirt's tristate "supported": ABSENT elements are not printed at all. */
enum cp_dc_support {
	CP_DC_ABSENT = 0,
	CP_DC_NO,
	CP_DC_YES,
};

struct cp_dc_enum {
	const char *name;		/* the name='' attribute */
	const char *const *order;	/* NULL-terminated libvirt order; NULL: insertion order */
	bool report;			/* printed (as <enum name='x'/> when empty) */
	struct cp_strv values;		/* in output order */
};

/* Add value (copied) at its libvirt position and mark the enum reported;
 * a value already present is ignored.  A value unknown to the order table
 * is a caller bug: -EINVAL, nothing added. */
int cp_dc_enum_add(struct cp_dc_enum *e, const char *value);
/* Mark reported without values (printed as an empty enum). */
void cp_dc_enum_report(struct cp_dc_enum *e);
bool cp_dc_enum_has(const struct cp_dc_enum *e, const char *value);

/* libvirt's enum declaration orders, NULL-terminated. */
extern const char *const cp_dc_order_firmware[];
extern const char *const cp_dc_order_loader_type[];
extern const char *const cp_dc_order_yes_no[];
extern const char *const cp_dc_order_on_off[];
extern const char *const cp_dc_order_memory_source[];
extern const char *const cp_dc_order_disk_device[];
extern const char *const cp_dc_order_disk_bus[];
extern const char *const cp_dc_order_disk_model[];
extern const char *const cp_dc_order_graphics[];
extern const char *const cp_dc_order_video[];
extern const char *const cp_dc_order_hostdev_mode[];
extern const char *const cp_dc_order_startup_policy[];
extern const char *const cp_dc_order_subsys[];
extern const char *const cp_dc_order_caps_type[];
extern const char *const cp_dc_order_pci_backend[];
extern const char *const cp_dc_order_rng_model[];
extern const char *const cp_dc_order_rng_backend[];
extern const char *const cp_dc_order_fs_driver[];
extern const char *const cp_dc_order_tpm_model[];
extern const char *const cp_dc_order_tpm_backend[];
extern const char *const cp_dc_order_tpm_version[];
extern const char *const cp_dc_order_redirdev_bus[];
extern const char *const cp_dc_order_channel[];
extern const char *const cp_dc_order_crypto_model[];
extern const char *const cp_dc_order_crypto_type[];
extern const char *const cp_dc_order_crypto_backend[];
extern const char *const cp_dc_order_interface_backend[];
extern const char *const cp_dc_order_panic[];
extern const char *const cp_dc_order_gic[];
extern const char *const cp_dc_order_hyperv[];
extern const char *const cp_dc_order_sectype[];

/* <os>: firmware enum, then <loader> with its values (paths, insertion
 * order) and the type/readonly/secure enums. */
struct cp_dc_loader {
	enum cp_dc_support supported;
	struct cp_dc_enum values;	/* name unused: printed as bare <value>s */
	struct cp_dc_enum type, readonly, secure;
};

struct cp_dc_os {
	enum cp_dc_support supported;
	struct cp_dc_enum firmware;
	struct cp_dc_loader loader;
};

struct cp_dc_feature {
	char *policy;			/* require | disable */
	char *name;
};

/* host-model: what libvirt prints from its host CPU definition. */
struct cp_dc_host_model {
	enum cp_dc_support supported;
	char *model;
	char *fallback;			/* "forbid" | "allow"; NULL: attribute omitted */
	char *vendor;			/* NULL: no <vendor> */
	char *maxphysaddr_mode;		/* NULL: no <maxphysaddr> */
	unsigned maxphysaddr_bits;	/* 0: attribute omitted */
	unsigned maxphysaddr_limit;	/* 0: attribute omitted */
	struct cp_dc_feature *features;	/* in output order */
	size_t nfeatures;
};

/* usable='yes|no|unknown' */
enum cp_dc_usable {
	CP_DC_USABLE_UNKNOWN = 0,
	CP_DC_USABLE_YES,
	CP_DC_USABLE_NO,
};

struct cp_dc_cpu_model {
	char *name;
	enum cp_dc_usable usable;
	bool deprecated;		/* deprecated='yes' */
	char *vendor;			/* NULL: attribute omitted */
	char *canonical;		/* NULL: attribute omitted */
	struct cp_strv blockers;	/* printed when non-empty, in this order */
};

struct cp_dc_cpu {
	enum cp_dc_support host_passthrough;
	struct cp_dc_enum host_passthrough_migratable;
	enum cp_dc_support maximum;
	struct cp_dc_enum maximum_migratable;
	struct cp_dc_host_model host_model;
	enum cp_dc_support custom;	/* YES with no models prints as NO */
	struct cp_dc_cpu_model *models;	/* in output order */
	size_t nmodels;

	/* Not printed: what libvirt's hypervisor-cpu-compare and -baseline
	 * read beside the document.  Every model of QEMU's list in its order
	 * (custom mode keeps only those libvirt's map knows), x86 blockers in
	 * libvirt's spelling; and on x86 the properties of QEMU's host CPU
	 * expansion (virQEMUCapsGetCPUFeatures): hv_props when there was one,
	 * every property name in libvirt's spelling, and those only the
	 * non-migratable round turned on, when that round was made
	 * (hv_migratability). */
	struct cp_dc_cpu_model *hv_models;
	size_t nhv_models;
	bool hv_props, hv_migratability;
	struct cp_strv hv_features, hv_nonmigratable;
};

/* An element that is just supported + enums. */
struct cp_dc_disk {
	enum cp_dc_support supported;
	struct cp_dc_enum device, bus, model;
};
struct cp_dc_graphics {
	enum cp_dc_support supported;
	struct cp_dc_enum type;
};
struct cp_dc_video {
	enum cp_dc_support supported;
	struct cp_dc_enum model_type;
};
struct cp_dc_hostdev {
	enum cp_dc_support supported;
	struct cp_dc_enum mode, startup_policy, subsys_type, caps_type, pci_backend;
};
struct cp_dc_rng {
	enum cp_dc_support supported;
	struct cp_dc_enum model, backend_model;
};
struct cp_dc_filesystem {
	enum cp_dc_support supported;
	struct cp_dc_enum driver_type;
};
struct cp_dc_tpm {
	enum cp_dc_support supported;
	struct cp_dc_enum model, backend_model, backend_version;
};
struct cp_dc_redirdev {
	enum cp_dc_support supported;
	struct cp_dc_enum bus;
};
struct cp_dc_channel {
	enum cp_dc_support supported;
	struct cp_dc_enum type;
};
struct cp_dc_crypto {
	enum cp_dc_support supported;
	struct cp_dc_enum model, type, backend_model;
};
struct cp_dc_interface {
	enum cp_dc_support supported;
	struct cp_dc_enum backend_type;
};
struct cp_dc_panic {
	enum cp_dc_support supported;
	struct cp_dc_enum model;
};

struct cp_dc_devices {
	struct cp_dc_disk disk;
	struct cp_dc_graphics graphics;
	struct cp_dc_video video;
	struct cp_dc_hostdev hostdev;
	struct cp_dc_rng rng;
	struct cp_dc_filesystem filesystem;
	struct cp_dc_tpm tpm;
	struct cp_dc_redirdev redirdev;
	struct cp_dc_channel channel;
	struct cp_dc_crypto crypto;
	struct cp_dc_interface interface;
	struct cp_dc_panic panic;
};

struct cp_dc_memory_backing {
	enum cp_dc_support supported;
	struct cp_dc_enum source_type;
};

struct cp_dc_gic {
	enum cp_dc_support supported;
	struct cp_dc_enum version;
};

struct cp_dc_sev {
	enum cp_dc_support supported;	/* children only when YES */
	unsigned cbitpos;
	unsigned reduced_phys_bits;
	unsigned max_guests;
	unsigned max_es_guests;
	char *cpu0_id;			/* NULL: no <cpu0Id> */
	/* not in the document: what 'virsh nodesevinfo' prints besides */
	char *pdh;			/* NULL: QEMU gave none */
	char *cert_chain;		/* NULL: QEMU gave none */
};

struct cp_dc_sgx_section {
	unsigned node;
	uint64_t size_kib;
};

struct cp_dc_sgx {
	enum cp_dc_support supported;	/* children only when YES */
	bool flc, sgx1, sgx2;
	uint64_t section_size_kib;
	bool have_sections;		/* print <sections> (possibly empty) */
	struct cp_dc_sgx_section *sections;
	size_t nsections;
};

struct cp_dc_hyperv {
	enum cp_dc_support supported;	/* ABSENT when QEMU gave no data */
	struct cp_dc_enum features;
};

struct cp_dc_launch_security {
	enum cp_dc_support supported;
	struct cp_dc_enum sectype;
};

struct cp_dc_features {
	struct cp_dc_gic gic;
	enum cp_dc_support vmcoreinfo;
	enum cp_dc_support genid;
	enum cp_dc_support backing_store_input;
	enum cp_dc_support backup;
	enum cp_dc_support async_teardown;
	enum cp_dc_support s390_pv;	/* ABSENT except for s390 binaries */
	enum cp_dc_support ps2;
	struct cp_dc_sev sev;
	struct cp_dc_sgx sgx;
	struct cp_dc_hyperv hyperv;
	struct cp_dc_launch_security launch_security;
};

struct cp_domcaps {
	char *path;			/* NULL: no <path> */
	char *domain;			/* kvm | qemu | ... */
	char *machine;			/* NULL: no <machine> */
	char *arch;
	unsigned vcpu_max;		/* 0: no <vcpu> */
	enum cp_dc_support iothreads;
	struct cp_dc_os os;
	struct cp_dc_cpu cpu;
	struct cp_dc_memory_backing memory_backing;
	struct cp_dc_devices devices;
	struct cp_dc_features features;
};

/* Zero the model and give every enum its name and order.  Every element
 * starts ABSENT and every enum unreported. */
void cp_domcaps_init(struct cp_domcaps *dc);
void cp_domcaps_free(struct cp_domcaps *dc);

/* Builders for the variable parts (strings are copied). */
struct cp_dc_cpu_model *cp_dc_cpu_add_model(struct cp_dc_cpu *cpu, const char *name,
					    enum cp_dc_usable usable, const char *vendor,
					    const char *canonical);
/* The same for the unprinted list of every QEMU model (hv_models). */
struct cp_dc_cpu_model *cp_dc_cpu_add_hv_model(struct cp_dc_cpu *cpu, const char *name,
					       enum cp_dc_usable usable);
void cp_dc_host_model_add_feature(struct cp_dc_host_model *hm, const char *policy,
				  const char *name);

#endif
