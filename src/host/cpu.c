#include "config.h"

#include "host.h"

/* TODO: being written. */
int cp_probe_cpu(const struct cp_root *r, const struct cp_nodeinfo *ni, bool ni_ok, struct cp_host *h)
{
	(void)r;
	(void)ni;
	(void)ni_ok;
	(void)h;
	return 0;
}
