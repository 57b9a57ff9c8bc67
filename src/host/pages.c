/* <cpu><pages>: the page sizes of the host (libvirt's virCapabilitiesInitPages).
 * libvirt gathers them with the same routine that
 * counts a node's pages, so the pool counters and the host memory size are
 * read and must be sane even though no count is printed; any error leaves
 * the list out (libvirt only warns). */
#include "config.h"

#include <stdlib.h>

#include "host/sysfs.h"

int cp_probe_pages(const struct cp_root *r, struct cp_host *h)
{
	struct cp_page_count *pages;
	uint64_t pagesize;
	size_t n;
	int rc;

	/* A recorded tree without its page size is malformed: fail loudly. */
	if ((rc = cp_host_pagesize(r, &pagesize)) < 0)
		return rc;
	if (cp_sysfs_get_pages(r, -1, &pages, &n) < 0) {
		/* a kernel without hugetlbfs is not an error (base pages only) */
		cp_warn("%s; left out: the host CPU's <pages>", cp_last_error());
		cp_clear_error();
		return 0;
	}
	h->cpu.page_kib = cp_calloc(n, sizeof(*h->cpu.page_kib));
	for (size_t i = 0; i < n; i++)
		h->cpu.page_kib[i] = pages[i].size_kib;
	h->cpu.npage = n;
	free(pages);
	return 0;
}
