/* A QEMU probe through the probe cache (cache/store.h): the one recipe that
 * `capsprobe host` (each <guest>), `domain` and `emulators` share. */
#ifndef CP_CACHE_LOOKUP_H
#define CP_CACHE_LOOKUP_H

#include <stdbool.h>

#include "cache/store.h"
#include "probe/probe.h"

/* Probe for req, answering from the cache c when it holds a valid entry
 * that covers req.  c NULL (no cache), a recording or a replay request: a
 * plain cp_qemu_probe().  refresh: probe even when an entry is valid, and
 * ask at least what that entry held (a full probe, the TCG pass), so that
 * *out may hold more than req asked.  A
 * successful probe is stored (a failed store is only a warning).  The key
 * is computed before QEMU starts, so a binary replaced during the probe
 * keys as the old one and is probed again next time.  *from_cache says
 * where *out (free with cp_qemu_probe_free) came from; --verbose says it
 * too, and why an entry was not used. */
int cp_probe_cached(struct cp_cache *c, const struct cp_probe_req *req, bool refresh,
		    struct cp_qemu_probe *out, bool *from_cache);

#endif
