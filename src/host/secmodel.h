/* qemu.conf and user lookups of the security models (secmodel.c), for the
 * unit tests. */
#ifndef CP_HOST_SECMODEL_H
#define CP_HOST_SECMODEL_H

#include <stdint.h>

#include "util/path.h"
#include "util/str.h"

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
