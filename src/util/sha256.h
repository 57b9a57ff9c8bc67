/* SHA-256 (FIPS 180-4): names the probe cache's entry files. */
#ifndef CP_UTIL_SHA256_H
#define CP_UTIL_SHA256_H

#include <stddef.h>

/* SHA-256 of len bytes as 64 hex digits and a NUL. */
void cp_sha256_hex(const void *data, size_t len, char out[65]);

#endif
