/* QEMU firmware descriptors (qemu.git docs/interop/firmware.json) and what
 * libvirt 11.3 derives from them for <os>: the firmware enum, the loader
 * paths and the secure enum.
 *
 * Descriptors are read from /usr/share/qemu/firmware, /etc/qemu/firmware
 * and, for a session (unprivileged) daemon only, the user's
 * $XDG_CONFIG_HOME/qemu/firmware (default ~/.config/qemu/firmware).  A file
 * name in a later directory replaces the same name in an earlier one, an
 * empty file masks the name, and the survivors are used in byte order of
 * their names.  A descriptor that cannot be read or parsed is skipped with
 * a warning, as libvirt 11.3 skips it. */
#ifndef CP_DOMCAPS_FIRMWARE_H
#define CP_DOMCAPS_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/path.h"
#include "model/domcaps.h"

/* libvirt refuses descriptors larger than this. */
#define CP_FW_DESC_MAX (1024 * 1024)
/* Nor is one parsed whose JSON would take more memory than this
 * (util/jsonmem.h; a real descriptor, about 1 KB, costs under 64 KiB):
 * such a descriptor is skipped with a warning, where libvirt would parse
 * it. */
#define CP_FW_DESC_MAX_COST ((uint64_t)16 << 20)

enum {
	CP_FW_IF_BIOS = 1 << 0,
	CP_FW_IF_OPENFIRMWARE = 1 << 1,
	CP_FW_IF_UBOOT = 1 << 2,
	CP_FW_IF_UEFI = 1 << 3,
};

enum {
	CP_FW_FEAT_ACPI_S3 = 1 << 0,
	CP_FW_FEAT_ACPI_S4 = 1 << 1,
	CP_FW_FEAT_AMD_SEV = 1 << 2,
	CP_FW_FEAT_AMD_SEV_ES = 1 << 3,
	CP_FW_FEAT_AMD_SEV_SNP = 1 << 4,
	CP_FW_FEAT_ENROLLED_KEYS = 1 << 5,
	CP_FW_FEAT_REQUIRES_SMM = 1 << 6,
	CP_FW_FEAT_SECURE_BOOT = 1 << 7,
	CP_FW_FEAT_VERBOSE_DYNAMIC = 1 << 8,
	CP_FW_FEAT_VERBOSE_STATIC = 1 << 9,
	CP_FW_FEAT_INTEL_TDX = 1 << 10,
	CP_FW_FEAT_HOST_UEFI_VARS = 1 << 11,
};

enum cp_fw_device {
	CP_FW_DEV_FLASH = 1,
	CP_FW_DEV_KERNEL,
	CP_FW_DEV_MEMORY,
};

enum cp_fw_mode {
	CP_FW_MODE_SPLIT = 0,		/* the default when "mode" is missing */
	CP_FW_MODE_COMBINED,
	CP_FW_MODE_STATELESS,
};

struct cp_fw_target {
	char *arch;			/* libvirt name: i386 → i686, arm → armv7l */
	struct cp_strv machines;	/* glob patterns (* and ?) */
};

struct cp_fw_desc {
	char *name;			/* file name, the sort and override key */
	char *path;			/* the file that was used */
	unsigned interfaces;		/* CP_FW_IF_* */
	enum cp_fw_device device;
	enum cp_fw_mode mode;		/* flash only */
	char *executable;		/* flash executable, or kernel/memory filename */
	char *executable_format;	/* flash only */
	char *nvram_template;		/* flash split only */
	char *nvram_format;
	struct cp_fw_target *targets;
	size_t ntargets;
	unsigned features;		/* CP_FW_FEAT_*; unknown names ignored */
};

struct cp_fw_list {
	struct cp_fw_desc *v;		/* sorted by name */
	size_t n;
};

/* Read every descriptor visible in r.  Pass xdg_config_home and home as the
 * environment has them to emulate a session daemon (the user directory is
 * $XDG_CONFIG_HOME when it is an absolute path, else $HOME/.config when
 * that is), or both
 * NULL for the system daemon.  Only an unreadable directory or a failure to
 * list one is an error; bad descriptors are skipped with a warning. */
int cp_fw_load(const struct cp_root *r, const char *xdg_config_home, const char *home,
	       struct cp_fw_list *out);
void cp_fw_list_free(struct cp_fw_list *l);

/* Parse one descriptor's text; path names the file in messages.  On error
 * the message (cp_last_error) names the file and, for JSON syntax errors,
 * the line and column. */
int cp_fw_parse(const char *path, const char *text, size_t len, struct cp_fw_desc *out);
void cp_fw_desc_free(struct cp_fw_desc *d);

/* Glob match with * and ?, as GLib's g_pattern_match_simple. */
bool cp_fw_glob(const char *pattern, const char *s);
/* Some target has this libvirt arch and a machine pattern matching machine. */
bool cp_fw_matches(const struct cp_fw_desc *d, const char *arch, const char *machine);

/* Debian's build-time loader list, used when no descriptor provides a
 * loader for the machine (libvirt's qemu.conf "nvram" default). */
extern const char *const cp_fw_legacy_loaders[];

/* Fill <os> as libvirt 11.3 does for (arch, machine): os and loader
 * supported, firmware enum (bios/efi of matching descriptors), loader
 * values (executables of matching flash/memory descriptors in name order,
 * de-duplicated, only those that exist in r; the fallback list, NULL for
 * cp_fw_legacy_loaders, when no matching descriptor has one), type
 * rom+pflash, readonly yes+no, secure yes (some match requires SMM) + no. */
int cp_fw_fill_os(const struct cp_root *r, const struct cp_fw_list *l, const char *arch,
		  const char *machine, const char *const *fallback, struct cp_dc_os *os);

#endif
