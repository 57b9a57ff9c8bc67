/* Fuzz target: the probe cache's entry reader (cache/entry.h) on a real
 * file: the input is written as the entry of FUZZ_BINARY in a private
 * cache directory and loaded for the three kinds of request (everything,
 * a light <guest> probe, a full TCG one), then listed as `capsprobe cache`
 * lists it.  The key every load compares against is fixed: each field is
 * its own name (binary: FUZZ_BINARY), so seeds can carry a matching key. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "cache/store.h"
#include "util/sha256.h"

#define FUZZ_BINARY "/usr/bin/qemu-system-x86_64"

static char dir[] = "/tmp/capsprobe-fuzz-cache.XXXXXX";
static char *entry;
static struct cp_cache *cache;
static struct cp_cache_key key;

static void cleanup(void)
{
	unlink(entry);
	rmdir(dir);
	free(entry);
	cp_cache_close(cache);
	for (int i = 0; i < CP_CK_COUNT; i++)
		key.f[i] = NULL;	/* static strings */
}

static void setup(void)
{
	char sha[65];

	if (!mkdtemp(dir) || cp_cache_open(dir, false, &cache) < 0)
		abort();
	cp_sha256_hex(FUZZ_BINARY, strlen(FUZZ_BINARY), sha);
	entry = cp_asprintf("%s/%s.json", dir, sha);
	for (int i = 0; i < CP_CK_COUNT; i++)
		key.f[i] = (char *)cp_cache_key_names[i];
	key.f[CP_CK_BINARY] = (char *)FUZZ_BINARY;
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cp_probe_req reqs[] = {
		{ .binary = FUZZ_BINARY, .light = true },
		{ .binary = FUZZ_BINARY, .need_tcg = true },
	};
	struct cp_cache_entry *ents;
	struct cp_qemu_probe p;
	size_t n;
	int fd;

	if (!cache)
		setup();
	fd = open(entry, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (cp_cache_load(cache, &key, NULL, &p) == 1)
		cp_qemu_probe_free(&p);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (cp_cache_load(cache, &key, &reqs[i], &p) == 1)
			cp_qemu_probe_free(&p);
	if (cp_cache_list(cache, &ents, &n) == 0)
		cp_cache_entries_free(ents, n);
	cp_clear_error();
	return 0;
}
