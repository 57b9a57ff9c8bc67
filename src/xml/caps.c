#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "xml/caps.h"
#include "xml/writer.h"

static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

static unsigned exact_unit_index(uint64_t bytes)
{
	unsigned i = 0;

	while (bytes && i + 1 < sizeof(units) / sizeof(units[0]) && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	return i;
}

const char *cp_exact_unit(uint64_t bytes, uint64_t *value)
{
	unsigned i = exact_unit_index(bytes);

	*value = bytes >> (10 * i);
	return units[i];
}

static void format_cpu(struct cp_xml *x, const struct cp_host_cpu *c)
{
	cp_xml_begin(x, "cpu");
	cp_xml_open(x);
	if (c->arch)
		cp_xml_leaf(x, "arch", "%s", c->arch);
	if (c->model)
		cp_xml_leaf(x, "model", "%s", c->model);
	if (c->vendor)
		cp_xml_leaf(x, "vendor", "%s", c->vendor);
	if (c->microcode) {
		cp_xml_begin(x, "microcode");
		cp_xml_attr(x, "version", "%" PRIu64, c->microcode);
		cp_xml_empty(x);
	}
	if (c->family) {
		cp_xml_begin(x, "signature");
		cp_xml_attr(x, "family", "%u", c->family);
		cp_xml_attr(x, "model", "%u", c->model_id);
		cp_xml_attr(x, "stepping", "%u", c->stepping);
		cp_xml_empty(x);
	}
	if (c->tsc_hz) {
		cp_xml_begin(x, "counter");
		cp_xml_attr(x, "name", "tsc");
		cp_xml_attr(x, "frequency", "%" PRIu64, c->tsc_hz);
		cp_xml_attr(x, "scaling", "%s", c->tsc_scaling ? "yes" : "no");
		cp_xml_empty(x);
	}
	if (c->sockets && c->dies && c->clusters && c->cores && c->threads) {
		cp_xml_begin(x, "topology");
		cp_xml_attr(x, "sockets", "%u", c->sockets);
		cp_xml_attr(x, "dies", "%u", c->dies);
		cp_xml_attr(x, "clusters", "%u", c->clusters);
		cp_xml_attr(x, "cores", "%u", c->cores);
		cp_xml_attr(x, "threads", "%u", c->threads);
		cp_xml_empty(x);
	}
	if (c->maxphysaddr) {
		cp_xml_begin(x, "maxphysaddr");
		cp_xml_attr(x, "mode", "emulate");
		cp_xml_attr(x, "bits", "%u", c->maxphysaddr);
		cp_xml_empty(x);
	}
	for (size_t i = 0; i < c->features.n; i++) {
		cp_xml_begin(x, "feature");
		cp_xml_attr(x, "name", "%s", c->features.v[i]);
		cp_xml_empty(x);
	}
	for (size_t i = 0; i < c->npage; i++) {
		cp_xml_begin(x, "pages");
		cp_xml_attr(x, "unit", "KiB");
		cp_xml_attr(x, "size", "%" PRIu64, c->page_kib[i]);
		cp_xml_empty(x);
	}
	cp_xml_close(x, "cpu");
}

static void format_power(struct cp_xml *x, unsigned pm)
{
	static const char *const names[] = { "suspend_mem", "suspend_disk", "suspend_hybrid" };

	cp_xml_begin(x, "power_management");
	if (!pm) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	for (unsigned i = 0; i < 3; i++) {
		if (pm & (1u << i)) {
			cp_xml_begin(x, names[i]);
			cp_xml_empty(x);
		}
	}
	cp_xml_close(x, "power_management");
}

static void format_migration(struct cp_xml *x)
{
	/* libvirt's QEMU driver states these whatever the host. */
	cp_xml_begin(x, "migration_features");
	cp_xml_open(x);
	cp_xml_begin(x, "live");
	cp_xml_empty(x);
	cp_xml_begin(x, "uri_transports");
	cp_xml_open(x);
	cp_xml_leaf(x, "uri_transport", "tcp");
	cp_xml_leaf(x, "uri_transport", "rdma");
	cp_xml_close(x, "uri_transports");
	cp_xml_close(x, "migration_features");
}

static void format_cell(struct cp_xml *x, const struct cp_cell *c)
{
	cp_xml_begin(x, "cell");
	cp_xml_attr(x, "id", "%u", c->id);
	cp_xml_open(x);
	if (c->memory_kib) {
		cp_xml_begin(x, "memory");
		cp_xml_attr(x, "unit", "KiB");
		cp_xml_text(x, "memory", "%" PRIu64, c->memory_kib);
	}
	for (size_t i = 0; i < c->npages; i++) {
		cp_xml_begin(x, "pages");
		cp_xml_attr(x, "unit", "KiB");
		cp_xml_attr(x, "size", "%" PRIu64, c->pages[i].size_kib);
		cp_xml_text(x, "pages", "%" PRIu64, c->pages[i].count);
	}
	if (c->ndistances) {
		cp_xml_begin(x, "distances");
		cp_xml_open(x);
		for (size_t i = 0; i < c->ndistances; i++) {
			cp_xml_begin(x, "sibling");
			cp_xml_attr(x, "id", "%u", c->distances[i].id);
			cp_xml_attr(x, "value", "%u", c->distances[i].value);
			cp_xml_empty(x);
		}
		cp_xml_close(x, "distances");
	}
	for (size_t i = 0; i < c->ncaches; i++) {
		const struct cp_mem_cache *mc = &c->caches[i];

		cp_xml_begin(x, "cache");
		cp_xml_attr(x, "level", "%u", mc->level);
		cp_xml_attr(x, "associativity", "%s", mc->associativity);
		cp_xml_attr(x, "policy", "%s", mc->policy);
		cp_xml_open(x);
		cp_xml_begin(x, "size");
		cp_xml_attr(x, "value", "%" PRIu64, mc->size_kib);
		cp_xml_attr(x, "unit", "KiB");
		cp_xml_empty(x);
		if (mc->line_bytes) {
			cp_xml_begin(x, "line");
			cp_xml_attr(x, "value", "%" PRIu64, mc->line_bytes);
			cp_xml_attr(x, "unit", "B");
			cp_xml_empty(x);
		}
		cp_xml_close(x, "cache");
	}
	cp_xml_begin(x, "cpus");
	cp_xml_attr(x, "num", "%zu", c->ncpus);
	if (!c->ncpus) {
		cp_xml_empty(x);
	} else {
		cp_xml_open(x);
		for (size_t i = 0; i < c->ncpus; i++) {
			const struct cp_cell_cpu *p = &c->cpus[i];

			cp_xml_begin(x, "cpu");
			cp_xml_attr(x, "id", "%u", p->id);
			cp_xml_attr(x, "socket_id", "%u", p->socket_id);
			cp_xml_attr(x, "die_id", "%u", p->die_id);
			cp_xml_attr(x, "cluster_id", "%u", p->cluster_id);
			cp_xml_attr(x, "core_id", "%u", p->core_id);
			cp_xml_attr(x, "siblings", "%s", p->siblings);
			cp_xml_empty(x);
		}
		cp_xml_close(x, "cpus");
	}
	cp_xml_close(x, "cell");
}

static void format_topology(struct cp_xml *x, const struct cp_host *h)
{
	cp_xml_begin(x, "topology");
	cp_xml_open(x);
	cp_xml_begin(x, "cells");
	cp_xml_attr(x, "num", "%zu", h->ncells);
	cp_xml_open(x);
	for (size_t i = 0; i < h->ncells; i++)
		format_cell(x, &h->cells[i]);
	cp_xml_close(x, "cells");
	if (h->ninterconnects) {
		cp_xml_begin(x, "interconnects");
		cp_xml_open(x);
		for (size_t i = 0; i < h->ninterconnects; i++) {
			const struct cp_interconnect *ic = &h->interconnects[i];

			cp_xml_begin(x, ic->bandwidth ? "bandwidth" : "latency");
			cp_xml_attr(x, "initiator", "%u", ic->initiator);
			cp_xml_attr(x, "target", "%u", ic->target);
			if (ic->cache)
				cp_xml_attr(x, "cache", "%u", ic->cache);
			cp_xml_attr(x, "type", "%s", ic->write ? "write" : "read");
			cp_xml_attr(x, "value", "%" PRIu64, ic->value);
			if (ic->bandwidth)
				cp_xml_attr(x, "unit", "KiB");
			cp_xml_empty(x);
		}
		cp_xml_close(x, "interconnects");
	}
	cp_xml_close(x, "topology");
}

static void format_control(struct cp_xml *x, const struct cp_cache_control *ctl)
{
	unsigned gi = exact_unit_index(ctl->granularity);

	/* granularity and min share one unit: the smaller of their own. */
	if (ctl->min) {
		unsigned mi = exact_unit_index(ctl->min);

		if (mi < gi)
			gi = mi;
	}
	cp_xml_begin(x, "control");
	cp_xml_attr(x, "granularity", "%" PRIu64, ctl->granularity >> (10 * gi));
	if (ctl->min)
		cp_xml_attr(x, "min", "%" PRIu64, ctl->min >> (10 * gi));
	cp_xml_attr(x, "unit", "%s", units[gi]);
	cp_xml_attr(x, "type", "%s", ctl->type);
	cp_xml_attr(x, "maxAllocs", "%u", ctl->max_allocs);
	cp_xml_empty(x);
}

static void format_monitor_features(struct cp_xml *x, const struct cp_monitor *m)
{
	for (size_t i = 0; i < m->features.n; i++) {
		cp_xml_begin(x, "feature");
		cp_xml_attr(x, "name", "%s", m->features.v[i]);
		cp_xml_empty(x);
	}
}

static void format_cache(struct cp_xml *x, const struct cp_host *h)
{
	cp_xml_begin(x, "cache");
	cp_xml_open(x);
	for (size_t i = 0; i < h->nbanks; i++) {
		const struct cp_cache_bank *b = &h->banks[i];
		uint64_t v;
		const char *u = cp_exact_unit(b->size, &v);

		cp_xml_begin(x, "bank");
		cp_xml_attr(x, "id", "%u", b->id);
		cp_xml_attr(x, "level", "%u", b->level);
		cp_xml_attr(x, "type", "%s", b->type);
		cp_xml_attr(x, "size", "%" PRIu64, v);
		cp_xml_attr(x, "unit", "%s", u);
		cp_xml_attr(x, "cpus", "%s", b->cpus);
		if (!b->ncontrols) {
			cp_xml_empty(x);
			continue;
		}
		cp_xml_open(x);
		for (size_t j = 0; j < b->ncontrols; j++)
			format_control(x, &b->controls[j]);
		cp_xml_close(x, "bank");
	}
	if (h->cache_monitor.present) {
		cp_xml_begin(x, "monitor");
		cp_xml_attr(x, "level", "%u", h->cache_monitor.level);
		cp_xml_attr(x, "reuseThreshold", "%" PRIu64, h->cache_monitor.reuse_threshold);
		cp_xml_attr(x, "maxMonitors", "%u", h->cache_monitor.max_monitors);
		cp_xml_open(x);
		format_monitor_features(x, &h->cache_monitor);
		cp_xml_close(x, "monitor");
	}
	cp_xml_close(x, "cache");
}

static void format_membw(struct cp_xml *x, const struct cp_host *h)
{
	cp_xml_begin(x, "memory_bandwidth");
	cp_xml_open(x);
	for (size_t i = 0; i < h->nmembw; i++) {
		const struct cp_membw_node *n = &h->membw[i];

		cp_xml_begin(x, "node");
		cp_xml_attr(x, "id", "%u", n->id);
		cp_xml_attr(x, "cpus", "%s", n->cpus);
		cp_xml_open(x);
		cp_xml_begin(x, "control");
		cp_xml_attr(x, "granularity", "%u", n->granularity);
		/* libvirt prints min even when it is 0 (unlike a cache control's) */
		cp_xml_attr(x, "min", "%u", n->min);
		cp_xml_attr(x, "maxAllocs", "%u", n->max_allocs);
		cp_xml_empty(x);
		cp_xml_close(x, "node");
	}
	if (h->membw_monitor.present) {
		cp_xml_begin(x, "monitor");
		cp_xml_attr(x, "maxMonitors", "%u", h->membw_monitor.max_monitors);
		cp_xml_open(x);
		format_monitor_features(x, &h->membw_monitor);
		cp_xml_close(x, "monitor");
	}
	cp_xml_close(x, "memory_bandwidth");
}

static void format_secmodel(struct cp_xml *x, const struct cp_secmodel *s)
{
	cp_xml_begin(x, "secmodel");
	cp_xml_open(x);
	cp_xml_leaf(x, "model", "%s", s->model);
	cp_xml_leaf(x, "doi", "%s", s->doi);
	if (s->label_kvm) {
		cp_xml_begin(x, "baselabel");
		cp_xml_attr(x, "type", "kvm");
		cp_xml_text(x, "baselabel", "%s", s->label_kvm);
	}
	if (s->label_qemu) {
		cp_xml_begin(x, "baselabel");
		cp_xml_attr(x, "type", "qemu");
		cp_xml_text(x, "baselabel", "%s", s->label_qemu);
	}
	cp_xml_close(x, "secmodel");
}

static void format_host(struct cp_xml *x, const struct cp_host *h)
{
	cp_xml_begin(x, "host");
	cp_xml_open(x);
	if (h->uuid[0])
		cp_xml_leaf(x, "uuid", "%s", h->uuid);
	format_cpu(x, &h->cpu);
	format_power(x, h->pm);
	cp_xml_begin(x, "iommu");
	cp_xml_attr(x, "support", "%s", h->iommu ? "yes" : "no");
	cp_xml_empty(x);
	format_migration(x);
	if (h->have_topology)
		format_topology(x, h);
	if (h->nbanks || h->cache_monitor.present)
		format_cache(x, h);
	if (h->nmembw || h->membw_monitor.present)
		format_membw(x, h);
	for (size_t i = 0; i < h->nsecmodels; i++)
		format_secmodel(x, &h->secmodels[i]);
	cp_xml_close(x, "host");
}

/* Guest features in output order, with libvirt's fixed default/toggle
 * attributes (NULL: an empty element without them). */
static const struct {
	unsigned bit;
	const char *name, *def, *toggle;
} guest_features[] = {
	{ CP_GF_PAE, "pae", NULL, NULL },
	{ CP_GF_NONPAE, "nonpae", NULL, NULL },
	{ CP_GF_ACPI, "acpi", "on", "yes" },
	{ CP_GF_APIC, "apic", "on", "no" },
	{ CP_GF_CPUSELECTION, "cpuselection", NULL, NULL },
	{ CP_GF_DEVICEBOOT, "deviceboot", NULL, NULL },
	{ CP_GF_DISKSNAPSHOT, "disksnapshot", "on", "no" },
	{ CP_GF_EXTERNAL_SNAPSHOT, "externalSnapshot", NULL, NULL },
};

static void format_guest(struct cp_xml *x, const struct cp_guest *g)
{
	cp_xml_begin(x, "guest");
	cp_xml_open(x);
	cp_xml_leaf(x, "os_type", "%s", g->os_type ? g->os_type : "hvm");
	cp_xml_begin(x, "arch");
	cp_xml_attr(x, "name", "%s", g->arch);
	cp_xml_open(x);
	cp_xml_leaf(x, "wordsize", "%u", g->wordsize);
	cp_xml_leaf(x, "emulator", "%s", g->emulator);
	for (size_t i = 0; i < g->nmachines; i++) {
		const struct cp_guest_machine *m = &g->machines[i];

		cp_xml_begin(x, "machine");
		if (m->canonical)
			cp_xml_attr(x, "canonical", "%s", m->canonical);
		if (m->max_cpus)
			cp_xml_attr(x, "maxCpus", "%u", m->max_cpus);
		if (m->deprecated)
			cp_xml_attr(x, "deprecated", "yes");
		cp_xml_text(x, "machine", "%s", m->name);
	}
	if (g->tcg) {
		cp_xml_begin(x, "domain");
		cp_xml_attr(x, "type", "qemu");
		cp_xml_empty(x);
	}
	if (g->kvm) {
		cp_xml_begin(x, "domain");
		cp_xml_attr(x, "type", "kvm");
		cp_xml_empty(x);
	}
	cp_xml_close(x, "arch");
	if (g->features) {
		cp_xml_begin(x, "features");
		cp_xml_open(x);
		for (size_t i = 0; i < sizeof(guest_features) / sizeof(guest_features[0]); i++) {
			if (!(g->features & guest_features[i].bit))
				continue;
			cp_xml_begin(x, guest_features[i].name);
			if (guest_features[i].def) {
				cp_xml_attr(x, "default", "%s", guest_features[i].def);
				cp_xml_attr(x, "toggle", "%s", guest_features[i].toggle);
			}
			cp_xml_empty(x);
		}
		cp_xml_close(x, "features");
	}
	cp_xml_close(x, "guest");
}

const struct cp_xml_shape cp_caps_shape[] = {
	{ "capabilities/guest", CP_XML_ARRAY },
	{ "host/secmodel", CP_XML_ARRAY },
	{ "secmodel/baselabel", CP_XML_ARRAY },
	{ "cpu/feature", CP_XML_ARRAY },
	{ "cpu/pages", CP_XML_ARRAY },
	{ "uri_transports/uri_transport", CP_XML_ARRAY },
	{ "cells/cell", CP_XML_ARRAY },
	{ "cell/pages", CP_XML_ARRAY },
	{ "cell/cache", CP_XML_ARRAY },
	{ "distances/sibling", CP_XML_ARRAY },
	{ "cpus/cpu", CP_XML_ARRAY },
	{ "interconnects/latency", CP_XML_ARRAY },
	{ "interconnects/bandwidth", CP_XML_ARRAY },
	{ "cache/bank", CP_XML_ARRAY },
	{ "bank/control", CP_XML_ARRAY },
	{ "monitor/feature", CP_XML_ARRAY },
	{ "memory_bandwidth/node", CP_XML_ARRAY },
	{ "arch/machine", CP_XML_ARRAY | CP_XML_OBJECT },
	{ "arch/domain", CP_XML_ARRAY },
	{ NULL, 0 }
};

char *cp_caps_format(const struct cp_host *h, enum cp_doc_format f)
{
	struct cp_xml x;

	cp_xml_init(&x, f, cp_caps_shape);

	cp_xml_begin(&x, "capabilities");
	cp_xml_open(&x);
	cp_xml_blank(&x);
	format_host(&x, h);
	cp_xml_blank(&x);
	/* each <guest> is followed by a blank line, like the host */
	for (size_t i = 0; i < h->nguests; i++) {
		format_guest(&x, &h->guests[i]);
		cp_xml_blank(&x);
	}
	cp_xml_close(&x, "capabilities");
	/* virsh adds one newline after libvirt's document. */
	cp_xml_blank(&x);
	return cp_xml_finish(&x);
}
