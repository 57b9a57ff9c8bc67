/* Internals of the small host probes (uuid, power, secmodel) that the unit
 * tests exercise directly. */
#ifndef CP_HOST_MISC_H
#define CP_HOST_MISC_H

#include <stdbool.h>
#include <stdint.h>

#include "util/path.h"

/* libvirt's UUID syntax: optional surrounding whitespace, 32 hex digits,
 * any number of '-' or ' ' before each byte pair.  A UUID whose 16 bytes
 * are all equal (firmware junk such as all-zero or all-FF) is -EINVAL too. */
int cp_uuid_parse(const char *s, unsigned char uuid[16]);
/* Lowercase 8-4-4-4-12 into out[37]. */
void cp_uuid_format(const unsigned char uuid[16], char out[37]);

/* Ask systemd-logind over the D-Bus socket at sockpath (a leading '@'
 * means the abstract namespace) for CanSuspend, CanHibernate and
 * CanHybridSleep, all within timeout_ms.  On success *mask holds CP_PM_*
 * bits; any failure returns -errno with the message set. */
int cp_dbus_logind_pm(const char *sockpath, int timeout_ms, unsigned *mask);
/* The socket named by a D-Bus address ("unix:path=..." or
 * "unix:abstract=..."; the first usable entry of a ';' list).  NULL when
 * there is none.  Caller frees. */
char *cp_dbus_address_socket(const char *address);

/* qemu.conf values the secmodels need (NULL: not set). */
struct cp_qemu_conf {
	char *user, *group;
	struct cp_strv security_driver;	/* n == 0: not set */
};
/* Parse libvirt's config syntax (key = "string" | number | [ list ],
 * '#' comments); unknown keys are ignored.  -EINVAL on a syntax error. */
int cp_qemu_conf_parse(const char *text, struct cp_qemu_conf *conf);
void cp_qemu_conf_free(struct cp_qemu_conf *conf);
/* libvirt's user/group resolution: "+N" is the number N; otherwise the
 * name is looked up in /etc/passwd or /etc/group of the root and, when
 * absent, parsed as a number.  -ENOENT when it is neither. */
int cp_resolve_user(const struct cp_root *r, const char *user, uint32_t *uid);
int cp_resolve_group(const struct cp_root *r, const char *group, uint32_t *gid);

#endif
