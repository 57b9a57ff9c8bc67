/* Check has no "skipped" result: a unit test that cannot run here says so
 * with SKIP_TEST(reason) instead of passing silently.  That prints one line
 * "SKIP: <test>: <reason>", which scripts/test-summary counts as a skip
 * (not a pass), and returns from the test. */
#ifndef CP_CHECK_SKIP_H
#define CP_CHECK_SKIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SKIP_TEST(reason) do { cp_check_skip_(__func__, (reason)); return; } while (0)

/* One write(2) of the whole line: the test may be a forked child whose
 * stdio buffer holds its parent's unwritten output. */
static inline void cp_check_skip_(const char *fn, const char *reason)
{
	char line[512];
	size_t n = strlen(fn);
	int len;

	if (n > 3 && strcmp(fn + n - 3, "_fn") == 0)	/* START_TEST(name) defines name_fn */
		n -= 3;
	len = snprintf(line, sizeof(line), "SKIP: %.*s: %s\n", (int)n, fn, reason);
	if (len < 0 || (size_t)len >= sizeof(line))
		len = snprintf(line, sizeof(line), "SKIP: %.*s\n", (int)(n < 400 ? n : 400), fn);
	if (write(STDOUT_FILENO, line, (size_t)len) != len)
		abort();	/* a skip nobody sees would be a silent pass */
}

#endif
