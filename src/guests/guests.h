/* The <guest> elements of `capsprobe host`: libvirt's emulator search over
 * its arch list, one light probe per emulator (run in parallel, each with
 * its own deadline), and each probe turned into the guest model
 * (struct cp_guest in model/host.h) the way libvirt 11.3 does.
 *
 * Which emulators:
 *   live            libvirt's search (domcaps/resolve.h) over PATH, per arch
 *   --emulator P..  the same search over the given paths only (as if they
 *                   were the only emulators installed); a given emulator
 *                   that no arch name finds serves the arch it reports
 *   --sysroot DIR   the search recorded in DIR/capsprobe/emulators (a
 *                   fact, see below), or with --emulator the given paths
 *                   whose conversations DIR/capsprobe/qemu/<path>/ holds
 *
 * The "emulators" fact, written when recording: one line per guest arch the
 * search served, "<arch> <absolute path>\n" in arch order ('#' lines are
 * comments).  A tree without it has no guests. */
#ifndef CP_GUESTS_GUESTS_H
#define CP_GUESTS_GUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "model/host.h"
#include "probe/probe.h"
#include "util/path.h"

#define CP_GUEST_TIMEOUT_MS 30000

struct cp_cache;

struct cp_guests_opts {
	const char *const *emulators;	/* --emulator paths; none: the search */
	size_t nemulators;
	const char *path_env;		/* PATH for the search (NULL: resolve.c's default) */
	int64_t timeout_ms;		/* each probe; 0: CP_GUEST_TIMEOUT_MS */
	unsigned jobs;			/* probes at once; 0: the CPUs we may run on */
	const char *record;		/* NULL, or the --record DIR (live only) the
					 * root records into: conversations too */
	struct cp_cache *cache;		/* NULL: no probe cache (see probe_binary) */
	bool refresh;			/* probe (and store) even when an entry is valid */
};

struct cp_guests_stats {
	unsigned probed;		/* emulators probed (or replayed) */
	unsigned failed;		/* of those, left out with a warning */
};

/* Fill h->guests in libvirt's arch order.  An emulator that fails is left
 * out with one "warning: ..." line (printed in a fixed order once every
 * probe is done).  < 0 (message formed) only when the emulator list cannot
 * be had (a malformed recorded fact) or capsprobe itself ran out of
 * descriptors, processes or memory even probing an emulator alone; every
 * probe failing is for the caller to judge from *st. */
int cp_guests_probe(const struct cp_root *r, const char *host_arch, const struct cp_guests_opts *o,
		    struct cp_host *h, struct cp_guests_stats *st);

/* `capsprobe emulators`: the emulators the live search over o->path_env
 * finds (each binary once, in the order of the first arch it serves), each
 * light-probed (or answered from o->cache) in parallel as for <guest>. */
struct cp_emulator {
	char *binary;
	const char *arch;	/* the binary's own, libvirt's name; NULL when it failed */
	unsigned version;	/* major * 1000000 + minor * 1000 + micro */
	bool kvm;		/* KVM usable through it */
	bool cached;		/* answered from a valid cache entry */
	char *error;		/* NULL, or why the probe failed */
};
/* A negative errno (cp_fail message) when capsprobe itself ran out of
 * descriptors, processes or memory even probing alone: nothing listed. */
int cp_emulators_probe(const char *host_arch, const struct cp_guests_opts *o,
		       struct cp_emulator **out, size_t *n);
void cp_emulators_free(struct cp_emulator *v, size_t n);

/* ---- pieces (tests) ---- */

/* libvirt's <machine> list from a query-machines answer: "none" dropped,
 * the preferred machine of binary_arch (by name or alias; else QEMU's
 * default) moved first, aliases shown with their canonical name, and each
 * canonical name that is not itself listed inserted before its alias. */
void cp_guest_machines(json_object *machines, const char *binary_arch,
		       struct cp_guest_machine **out, size_t *n);
/* The CP_GF_* features libvirt 11.3 gives a guest arch. */
unsigned cp_guest_features(const char *arch);
/* The guest for arch served by emulator, from its probe. */
void cp_guest_from_probe(const char *arch, const char *emulator, const struct cp_qemu_probe *p,
			 struct cp_guest *g);

/* The "emulators" fact: parse (arches point into cp_arches) or format. */
struct cp_guest_bin {
	const char *arch;
	char *binary;
};
int cp_guest_bins_parse(const char *text, struct cp_guest_bin **out, size_t *n);
char *cp_guest_bins_format(const struct cp_guest_bin *v, size_t n);
void cp_guest_bins_free(struct cp_guest_bin *v, size_t n);

/* libvirt's search for every arch: over path_env with exists(), as in
 * cp_qemu_find_binary().  Arches no binary serves are not listed. */
void cp_guest_search(const char *host_arch, const char *path_env,
		     bool (*exists)(const char *path, void *ctx), void *ctx,
		     struct cp_guest_bin **out, size_t *n);

#endif
