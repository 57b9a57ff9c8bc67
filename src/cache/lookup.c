/* cp_probe_cached(): see cache/lookup.h. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cache/lookup.h"
#include "util/err.h"

int cp_probe_cached(struct cp_cache *c, const struct cp_probe_req *req, bool refresh,
		    struct cp_qemu_probe *out, bool *from_cache)
{
	struct cp_probe_req wide = *req;
	struct cp_cache_key k;
	const char *why = req->replay1 ? NULL : req->record_dir ? "recording" : "cache not used";
	bool keyed = false;
	int rc;

	*from_cache = false;
	/* recordings must talk to QEMU; replays are answers already */
	if (c && !req->record_dir && !req->replay1 && !req->replay2) {
		if (cp_cache_key_get(c, req->binary, NULL, &k) == 0) {
			keyed = true;
		} else {
			cp_verbose("%s: no cache key (%s)", req->binary, cp_last_error());
			cp_clear_error();
		}
	}
	if (keyed && refresh) {
		struct cp_qemu_probe old;

		why = "--refresh";
		/* a refresh rewrites the entry with at least what it held, so a
		 * light `host --refresh` does not cost the next `domain` a probe */
		if (cp_cache_load(c, &k, NULL, &old) == 1) {
			if (req->light && old.pass1.a[CP_Q_SCHEMA].asked)
				wide.light = false;
			if (old.pass2.ran)
				wide.need_tcg = true;
			cp_qemu_probe_free(&old);
		}
		cp_clear_error();
	} else if (keyed) {
		rc = cp_cache_load(c, &k, req, out);
		if (rc == 1) {
			cp_verbose("%s: QEMU's answers from the cache", req->binary);
			cp_cache_key_free(&k);
			*from_cache = true;
			return 0;
		}
		if (rc == -ENOTSUP) {	/* refused before, for what it is */
			cp_verbose("%s: refused by an earlier probe (cache): %s", req->binary, cp_last_error());
			cp_cache_key_free(&k);
			return rc;
		}
		/* cp_cache_load has said why under --verbose */
		why = rc == 0 ? "no cache entry" : rc == -ENODATA ? "the cache entry lacks answers" :
		      "the cache entry is not usable";
	}
	if (why)
		cp_verbose("%s: probing QEMU (%s)", req->binary, why);
	else
		cp_verbose("%s: replaying its recorded conversation", req->binary);
	rc = cp_qemu_probe(&wide, out);
	if (rc == 0 && keyed)
		cp_cache_store(c, &k, out);	/* warns on failure; never fatal */
	if (rc == -ENOTSUP && keyed) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", cp_last_error());
		cp_cache_store_refused(c, &k, msg);
		cp_fail(rc, "%s", msg);
	}
	if (keyed)
		cp_cache_key_free(&k);
	return rc;
}
