/* Shared by the fuzz targets: each tests/fuzz/fuzz_*.c defines
 * LLVMFuzzerTestOneInput() and is linked either with libFuzzer
 * (scripts/fuzz, clang) or with replay-main.c (make check, any compiler). */
#ifndef CP_FUZZ_H
#define CP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (parsers take C strings; an
 * embedded NUL just ends the text early, as it would in a file read). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = cp_malloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* tests/fixtures, as make check and scripts/fuzz export it. */
static inline const char *fuzz_fixtures(void)
{
	const char *d = getenv("FIXTURES");

	return d && *d ? d : "tests/fixtures";
}

/* The recorded x86_64 AMD host the domain targets read: opened on first
 * use, freed at exit (so leak checkers stay quiet). */
static inline struct cp_root **fuzz_root_slot(void)
{
	static struct cp_root *r;

	return &r;
}

static inline void fuzz_root_drop(void)
{
	cp_root_free(*fuzz_root_slot());
}

static inline struct cp_root *fuzz_host_root(void)
{
	struct cp_root **r = fuzz_root_slot();

	if (!*r) {
		char *dir = cp_asprintf("%s/domain/host-x86_64-amd", fuzz_fixtures());

		if (cp_root_new(dir, r) < 0)
			abort();
		free(dir);
		atexit(fuzz_root_drop);
	}
	return *r;
}

#endif
