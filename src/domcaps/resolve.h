/* `capsprobe domain`: from the user's request (emulator, arch, machine,
 * virttype, all optional) to a probed emulator and the domain capabilities,
 * resolving what is missing the way libvirt 11.3 does, except that the
 * default arch is the emulator's own (virsh assumes the host's and fails).
 *
 * Replay (--sysroot DIR): no QEMU is started.  The recorded conversations
 * of a binary PATH are read from DIR/capsprobe/qemu/PATH/ (a directory named
 * like the binary, holding the .replies files of its passes, named as
 * probe.h describes) and served by an in-process replay peer to the same
 * prober and QMP client; the binary "exists" in the sysroot when that
 * directory does.  When both <ver>-<arch>-kvm.replies and <ver>-<arch>.replies
 * are there, the recorded /dev/kvm fact (DIR/capsprobe/kvm) picks one.
 * Everything else (firmware descriptors, KVM and host facts) comes from the
 * sysroot through the cp_root, as for `capsprobe host`. */
#ifndef CP_DOMCAPS_RESOLVE_H
#define CP_DOMCAPS_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/domcaps.h"
#include "util/path.h"

#define CP_DOMAIN_TIMEOUT_MS 30000

struct cp_cache;

struct cp_domain_args {
	const char *emulator;	/* NULL: qemu-system-<arch> as libvirt finds it */
	const char *arch;	/* NULL: the emulator's own */
	const char *machine;	/* NULL: libvirt's preferred machine */
	const char *virttype;	/* NULL: kvm when usable, else qemu */
	int64_t timeout_ms;	/* whole probe; 0: CP_DOMAIN_TIMEOUT_MS */
	const char *sysroot;	/* NULL: live */
	const char *record_qmp;	/* NULL, or a directory for the .replies files */
	const char *record;	/* NULL, or a directory that becomes a replayable sysroot */
	struct cp_cache *cache;	/* NULL, or the probe cache (live runs that record nothing) */
	bool refresh;		/* probe (and store) even when the cache holds a valid entry */
};

/* Checks that need no probing (names libvirt does not know): -EINVAL with
 * a message ("unknown virttype: X", "unknown architecture: X"). */
int cp_domain_check_args(const struct cp_domain_args *a);

/* Resolve, probe (or replay) and build the document model. */
int cp_domain_caps(const struct cp_domain_args *a, struct cp_domcaps *dc);

/* ---- pieces (tests) ---- */

/* guest runs natively (KVM-capable) on host: equal, x86_64+i686,
 * aarch64+armv7l, ppc64/ppc64le both ways. */
bool cp_arch_native(const char *host, const char *guest);
/* same family: x86, ppc, arm, s390 (or equal). */
bool cp_arch_same_family(const char *a, const char *b);
/* binary arch can run guest arch: equal, x86_64+i686, aarch64+armv7l,
 * armv7l+armv6l, ppc64+ppc64le. */
bool cp_arch_binary_supports(const char *binary, const char *guest);

/* The emulator libvirt would pick for guest arch on host arch: *out is a
 * new string.  exists(path, ctx) says whether a candidate is there. */
int cp_qemu_find_binary(const char *host_arch, const char *arch, const char *path_env,
			bool (*exists)(const char *path, void *ctx), void *ctx, char **out);

/* The canonical machine for want (NULL: the preferred one) in a
 * query-machines answer, with libvirt's preferred machine for binary_arch
 * moved first.  *out is NULL when the list is empty and want is NULL;
 * -ENOENT when want is not in the list (message formed with emulator). */
struct json_object;
int cp_qemu_resolve_machine(struct json_object *machines, const char *binary_arch,
			    const char *want, const char *emulator, char **out);

/* The recorded passes of binary in a sysroot: *p1 on success, *p2 too when
 * pass 1 is a KVM one (*kvm1) and a TCG pass was recorded.  Free both with
 * cp_replay_free(). */
struct cp_replay;
int cp_qemu_load_replays(const struct cp_root *r, const char *binary, bool kvm_fact,
			 struct cp_replay **p1, struct cp_replay **p2, bool *kvm1);

#endif
