#include "config.h"

#include "host/host.h"

/* libvirt: an IOMMU is in use iff the kernel made at least one IOMMU group;
 * any failure to list the directory means no. */
int cp_probe_iommu(const struct cp_root *r, struct cp_host *h)
{
	struct cp_strv groups = { 0 };
	int n = cp_list(r, &groups, "/sys/kernel/iommu_groups");

	h->iommu = n > 0;
	cp_strv_free(&groups);
	return 0;
}
