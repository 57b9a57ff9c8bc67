/* cpu-signature TREE: print the host CPU signature libvirt 11.3 reads from
 * a recorded tree's /proc/cpuinfo (cp_host_cpu_signature, the arch from
 * the tree's uname-machine fact), as libvirt's virhostcputest.c prints
 * virHostCPUReadSignature's; nothing when the arch or the file has none.
 * Test-only: no document capsprobe prints holds it (the probe cache keys
 * on it).  Exit 0, or 1 with one "error: " line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "host/host.h"
#include "util/err.h"
#include "util/path.h"

int main(int argc, char **argv)
{
	struct cp_root *r;
	char *sig = NULL;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: cpu-signature TREE\n");
		return 2;
	}
	if ((rc = cp_root_new(argv[1], &r)) == 0) {
		rc = cp_host_cpu_signature(r, &sig);
		cp_root_free(r);
	}
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", *cp_last_error() ? cp_last_error() : "cannot open the tree");
		return 1;
	}
	if (sig)
		printf("%s\n", sig);
	free(sig);
	return 0;
}
