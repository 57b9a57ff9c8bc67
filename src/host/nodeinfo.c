#include "config.h"

#include <errno.h>

#include "host.h"

/* TODO: being written. */
int cp_probe_nodeinfo(const struct cp_root *r, struct cp_nodeinfo *ni)
{
	(void)r;
	(void)ni;
	return -ENOSYS;
}
