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

#endif
