/* The host document's probes in order, and the "kvm" fact. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "util/hostdev.h"

int cp_host_probe(const struct cp_root *r, struct cp_host *h)
{
	struct cp_nodeinfo ni = { 0 };
	char *ni_why = NULL;
	int rc;

	if ((rc = cp_probe_arch(r, h)) < 0)
		return rc;
	if ((rc = cp_probe_uuid(r, h)) < 0)
		return rc;
	/* libvirt builds the host CPU from nodeinfo; when that fails the CPU
	 * keeps only its arch and pages, and the fake NUMA cell is impossible. */
	if ((rc = cp_probe_nodeinfo(r, &ni)) < 0) {
		ni_why = cp_strdup(*cp_last_error() ? cp_last_error() : strerror(-rc));
		cp_clear_error();
	}
	if ((rc = cp_probe_cpu(r, &ni, !ni_why, h)) < 0 ||
	    (rc = cp_probe_pages(r, h)) < 0 ||
	    (rc = cp_probe_power(r, h)) < 0 ||
	    (rc = cp_probe_iommu(r, h)) < 0 ||
	    (rc = cp_probe_numa(r, &ni, !ni_why, h)) < 0)
		goto out;
	if (ni_why) {
		/* /proc/cpuinfo under ProcSubset=pid, no /proc, a recorded tree
		 * without it: say so, and what the document lacks for it */
		bool def = cp_cpu_has_definition(h->cpu.arch);

		cp_warn("%s; left out: %s%s%s", ni_why,
			def ? "the host CPU's model, vendor, topology and features" : "",
			def && !h->have_topology ? ", and " : "",
			!h->have_topology ? "the NUMA <topology>" : !def ? "nothing" : "");
	}
	rc = cp_probe_cachebanks(r, h);
	if (rc == 0)
		rc = cp_probe_secmodel(r, h);
out:
	free(ni_why);
	return rc;
}

bool cp_host_kvm_usable(const struct cp_root *r)
{
	char *s = NULL;
	bool ok = cp_fact(r, "kvm", cp_hostdev_kvm_usable, NULL, &s) == 0 && s[0] == '1';

	free(s);
	return ok;
}

void cp_node_probe_all(const struct cp_root *r)
{
	struct cp_node_info ni;
	struct cp_node_cpumap map;
	struct cp_node_memstats ms;
	struct cp_node_cpustats cs;
	struct cp_node_pages pages;
	struct cp_sysinfo si;
	struct cp_host topo = { 0 };
	uint64_t total, free_bytes;

	/* each reads what it needs; what fails here fails in the replay too */
	cp_probe_node_info(r, &ni);
	if (cp_probe_cpumap(r, &map) == 0)
		cp_node_cpumap_free(&map);
	cp_host_mem_info(r, &total, &free_bytes);
	if (cp_probe_memstats(r, CP_CELL_NONE, &ms) == 0)
		cp_node_memstats_free(&ms);
	cp_probe_cpustats(r, CP_CPU_ALL, &cs);
	if (cp_probe_sysinfo(r, &si) == 0)
		cp_sysinfo_free(&si);
	if (cp_node_topology(r, &topo) == 0) {
		for (size_t i = 0; i < topo.ncells; i++)
			if (cp_probe_memstats(r, (int)topo.cells[i].id, &ms) == 0)
				cp_node_memstats_free(&ms);
		if (cp_probe_freepages(r, &topo, true, 0, 0, &pages) == 0)
			cp_node_pages_free(&pages);
	}
	cp_host_free(&topo);
	cp_clear_error();
}
