/* exchange A B: swap two paths at once (renameat2 RENAME_EXCHANGE), as an
 * attacker who owns their parent directory can; tests/hostile-record.sh
 * swaps a tree of links in for a directory capsprobe is recording into.
 * No shell tool does it (mv --exchange is newer than many systems' mv).
 * Test-only; never installed.  Exit 0, or 1 with the reason. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: exchange A B\n");
		return 2;
	}
	if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
		fprintf(stderr, "exchange: %s, %s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
