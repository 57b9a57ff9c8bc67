#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "xml/domcaps.h"
#include "xml/writer.h"

/* libvirt's layout rules, shared by every element:
 *  - ABSENT elements are not printed;
 *  - supported='no' is always self-closed, whatever the children hold;
 *  - an unreported enum is not printed, a reported empty one is <enum name='x'/>. */

static const char *yes_no(enum cp_dc_support s)
{
	return s == CP_DC_YES ? "yes" : "no";
}

static void format_values(struct cp_xml *x, const struct cp_dc_enum *e)
{
	for (size_t i = 0; i < e->values.n; i++)
		cp_xml_leaf(x, "value", "%s", e->values.v[i]);
}

static void format_enum(struct cp_xml *x, const struct cp_dc_enum *e)
{
	if (!e->report)
		return;
	cp_xml_begin(x, "enum");
	cp_xml_attr(x, "name", "%s", e->name);
	if (!e->values.n) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	format_values(x, e);
	cp_xml_close(x, "enum");
}

static bool any_reported(const struct cp_dc_enum *const *enums, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (enums[i]->report)
			return true;
	return false;
}

/* <name supported='..'> + enums, the shape of most elements. */
static void format_elem(struct cp_xml *x, const char *name, enum cp_dc_support s,
			const struct cp_dc_enum *const *enums, size_t n)
{
	if (s == CP_DC_ABSENT)
		return;
	cp_xml_begin(x, name);
	cp_xml_attr(x, "supported", "%s", yes_no(s));
	if (s != CP_DC_YES || !any_reported(enums, n)) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	for (size_t i = 0; i < n; i++)
		format_enum(x, enums[i]);
	cp_xml_close(x, name);
}

#define ELEM(x, name, s, ...) \
	format_elem(x, name, s, (const struct cp_dc_enum *const[]){ __VA_ARGS__ }, \
		    sizeof((const struct cp_dc_enum *const[]){ __VA_ARGS__ }) / sizeof(void *))

static void format_flag(struct cp_xml *x, const char *name, enum cp_dc_support s)
{
	format_elem(x, name, s, NULL, 0);
}

static void format_os(struct cp_xml *x, const struct cp_dc_os *os)
{
	const struct cp_dc_loader *l = &os->loader;

	if (os->supported == CP_DC_ABSENT)
		return;
	cp_xml_begin(x, "os");
	cp_xml_attr(x, "supported", "%s", yes_no(os->supported));
	if (os->supported != CP_DC_YES) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	format_enum(x, &os->firmware);
	if (l->supported != CP_DC_ABSENT) {
		cp_xml_begin(x, "loader");
		cp_xml_attr(x, "supported", "%s", yes_no(l->supported));
		if (l->supported != CP_DC_YES ||
		    (!l->values.values.n && !l->type.report && !l->readonly.report &&
		     !l->secure.report)) {
			cp_xml_empty(x);
		} else {
			cp_xml_open(x);
			format_values(x, &l->values);
			format_enum(x, &l->type);
			format_enum(x, &l->readonly);
			format_enum(x, &l->secure);
			cp_xml_close(x, "loader");
		}
	}
	cp_xml_close(x, "os");
}

static void format_mode_enum(struct cp_xml *x, const char *name, enum cp_dc_support s,
			     const struct cp_dc_enum *e)
{
	cp_xml_begin(x, "mode");
	cp_xml_attr(x, "name", "%s", name);
	cp_xml_attr(x, "supported", "%s", yes_no(s));
	if (s != CP_DC_YES || !e->report) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	format_enum(x, e);
	cp_xml_close(x, "mode");
}

static void format_host_model(struct cp_xml *x, const struct cp_dc_host_model *hm)
{
	cp_xml_begin(x, "mode");
	cp_xml_attr(x, "name", "host-model");
	cp_xml_attr(x, "supported", "%s", yes_no(hm->supported));
	if (hm->supported != CP_DC_YES || !hm->model) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	cp_xml_begin(x, "model");
	if (hm->fallback)
		cp_xml_attr(x, "fallback", "%s", hm->fallback);
	cp_xml_text(x, "model", "%s", hm->model);
	if (hm->vendor)
		cp_xml_leaf(x, "vendor", "%s", hm->vendor);
	if (hm->maxphysaddr_mode) {
		cp_xml_begin(x, "maxphysaddr");
		cp_xml_attr(x, "mode", "%s", hm->maxphysaddr_mode);
		if (hm->maxphysaddr_bits)
			cp_xml_attr(x, "bits", "%u", hm->maxphysaddr_bits);
		if (hm->maxphysaddr_limit)
			cp_xml_attr(x, "limit", "%u", hm->maxphysaddr_limit);
		cp_xml_empty(x);
	}
	for (size_t i = 0; i < hm->nfeatures; i++) {
		cp_xml_begin(x, "feature");
		cp_xml_attr(x, "policy", "%s", hm->features[i].policy);
		cp_xml_attr(x, "name", "%s", hm->features[i].name);
		cp_xml_empty(x);
	}
	cp_xml_close(x, "mode");
}

static const char *const usable_names[] = {
	[CP_DC_USABLE_UNKNOWN] = "unknown",
	[CP_DC_USABLE_YES] = "yes",
	[CP_DC_USABLE_NO] = "no",
};

static void format_custom(struct cp_xml *x, const struct cp_dc_cpu *cpu)
{
	bool yes = cpu->custom == CP_DC_YES && cpu->nmodels;

	cp_xml_begin(x, "mode");
	cp_xml_attr(x, "name", "custom");
	cp_xml_attr(x, "supported", "%s", yes ? "yes" : "no");
	if (!yes) {
		cp_xml_empty(x);
		return;
	}
	cp_xml_open(x);
	for (size_t i = 0; i < cpu->nmodels; i++) {
		const struct cp_dc_cpu_model *m = &cpu->models[i];

		cp_xml_begin(x, "model");
		cp_xml_attr(x, "usable", "%s", usable_names[m->usable]);
		if (m->deprecated)
			cp_xml_attr(x, "deprecated", "yes");
		if (m->vendor)
			cp_xml_attr(x, "vendor", "%s", m->vendor);
		if (m->canonical)
			cp_xml_attr(x, "canonical", "%s", m->canonical);
		cp_xml_text(x, "model", "%s", m->name);
		if (!m->blockers.n)
			continue;
		cp_xml_begin(x, "blockers");
		cp_xml_attr(x, "model", "%s", m->name);
		cp_xml_open(x);
		for (size_t j = 0; j < m->blockers.n; j++) {
			cp_xml_begin(x, "feature");
			cp_xml_attr(x, "name", "%s", m->blockers.v[j]);
			cp_xml_empty(x);
		}
		cp_xml_close(x, "blockers");
	}
	cp_xml_close(x, "mode");
}

static void format_cpu(struct cp_xml *x, const struct cp_dc_cpu *cpu)
{
	cp_xml_begin(x, "cpu");
	cp_xml_open(x);
	format_mode_enum(x, "host-passthrough", cpu->host_passthrough,
			 &cpu->host_passthrough_migratable);
	format_mode_enum(x, "maximum", cpu->maximum, &cpu->maximum_migratable);
	format_host_model(x, &cpu->host_model);
	format_custom(x, cpu);
	cp_xml_close(x, "cpu");
}

static void format_devices(struct cp_xml *x, const struct cp_dc_devices *d)
{
	cp_xml_begin(x, "devices");
	cp_xml_open(x);
	ELEM(x, "disk", d->disk.supported, &d->disk.device, &d->disk.bus, &d->disk.model);
	ELEM(x, "graphics", d->graphics.supported, &d->graphics.type);
	ELEM(x, "video", d->video.supported, &d->video.model_type);
	ELEM(x, "hostdev", d->hostdev.supported, &d->hostdev.mode,
	     &d->hostdev.startup_policy, &d->hostdev.subsys_type, &d->hostdev.caps_type,
	     &d->hostdev.pci_backend);
	ELEM(x, "rng", d->rng.supported, &d->rng.model, &d->rng.backend_model);
	ELEM(x, "filesystem", d->filesystem.supported, &d->filesystem.driver_type);
	ELEM(x, "tpm", d->tpm.supported, &d->tpm.model, &d->tpm.backend_model,
	     &d->tpm.backend_version);
	ELEM(x, "redirdev", d->redirdev.supported, &d->redirdev.bus);
	ELEM(x, "channel", d->channel.supported, &d->channel.type);
	ELEM(x, "crypto", d->crypto.supported, &d->crypto.model, &d->crypto.type,
	     &d->crypto.backend_model);
	ELEM(x, "interface", d->interface.supported, &d->interface.backend_type);
	ELEM(x, "panic", d->panic.supported, &d->panic.model);
	cp_xml_close(x, "devices");
}

static void format_sev(struct cp_xml *x, const struct cp_dc_sev *sev)
{
	if (sev->supported != CP_DC_YES) {
		format_flag(x, "sev", sev->supported);
		return;
	}
	cp_xml_begin(x, "sev");
	cp_xml_attr(x, "supported", "yes");
	cp_xml_open(x);
	cp_xml_leaf(x, "cbitpos", "%u", sev->cbitpos);
	cp_xml_leaf(x, "reducedPhysBits", "%u", sev->reduced_phys_bits);
	cp_xml_leaf(x, "maxGuests", "%u", sev->max_guests);
	cp_xml_leaf(x, "maxESGuests", "%u", sev->max_es_guests);
	if (sev->cpu0_id)
		cp_xml_leaf(x, "cpu0Id", "%s", sev->cpu0_id);
	cp_xml_close(x, "sev");
}

static void format_sgx(struct cp_xml *x, const struct cp_dc_sgx *sgx)
{
	if (sgx->supported != CP_DC_YES) {
		format_flag(x, "sgx", sgx->supported);
		return;
	}
	cp_xml_begin(x, "sgx");
	cp_xml_attr(x, "supported", "yes");
	cp_xml_open(x);
	cp_xml_leaf(x, "flc", "%s", sgx->flc ? "yes" : "no");
	cp_xml_leaf(x, "sgx1", "%s", sgx->sgx1 ? "yes" : "no");
	cp_xml_leaf(x, "sgx2", "%s", sgx->sgx2 ? "yes" : "no");
	cp_xml_begin(x, "section_size");
	cp_xml_attr(x, "unit", "KiB");
	cp_xml_text(x, "section_size", "%" PRIu64, sgx->section_size_kib);
	if (sgx->have_sections) {
		cp_xml_begin(x, "sections");
		if (!sgx->nsections) {
			cp_xml_empty(x);
		} else {
			cp_xml_open(x);
			for (size_t i = 0; i < sgx->nsections; i++) {
				cp_xml_begin(x, "section");
				cp_xml_attr(x, "node", "%u", sgx->sections[i].node);
				cp_xml_attr(x, "size", "%" PRIu64, sgx->sections[i].size_kib);
				cp_xml_attr(x, "unit", "KiB");
				cp_xml_empty(x);
			}
			cp_xml_close(x, "sections");
		}
	}
	cp_xml_close(x, "sgx");
}

static void format_features(struct cp_xml *x, const struct cp_dc_features *f)
{
	cp_xml_begin(x, "features");
	cp_xml_open(x);
	ELEM(x, "gic", f->gic.supported, &f->gic.version);
	format_flag(x, "vmcoreinfo", f->vmcoreinfo);
	format_flag(x, "genid", f->genid);
	format_flag(x, "backingStoreInput", f->backing_store_input);
	format_flag(x, "backup", f->backup);
	format_flag(x, "async-teardown", f->async_teardown);
	format_flag(x, "s390-pv", f->s390_pv);
	format_flag(x, "ps2", f->ps2);
	format_sev(x, &f->sev);
	format_sgx(x, &f->sgx);
	ELEM(x, "hyperv", f->hyperv.supported, &f->hyperv.features);
	ELEM(x, "launchSecurity", f->launch_security.supported, &f->launch_security.sectype);
	cp_xml_close(x, "features");
}

const struct cp_xml_shape cp_domcaps_shape[] = {
	{ "*/enum", CP_XML_ARRAY },
	{ "enum/value", CP_XML_ARRAY },
	{ "loader/value", CP_XML_ARRAY },
	{ "cpu/mode", CP_XML_ARRAY },
	{ "mode/model", CP_XML_ARRAY | CP_XML_OBJECT },
	{ "mode/feature", CP_XML_ARRAY },
	{ "mode/blockers", CP_XML_ARRAY },
	{ "blockers/feature", CP_XML_ARRAY },
	{ "sections/section", CP_XML_ARRAY },
	{ NULL, 0 }
};

char *cp_domcaps_format(const struct cp_domcaps *dc, enum cp_doc_format f)
{
	struct cp_xml x;

	cp_xml_init(&x, f, cp_domcaps_shape);

	cp_xml_begin(&x, "domainCapabilities");
	cp_xml_open(&x);
	if (dc->path)
		cp_xml_leaf(&x, "path", "%s", dc->path);
	cp_xml_leaf(&x, "domain", "%s", dc->domain ? dc->domain : "");
	if (dc->machine)
		cp_xml_leaf(&x, "machine", "%s", dc->machine);
	cp_xml_leaf(&x, "arch", "%s", dc->arch ? dc->arch : "");
	if (dc->vcpu_max) {
		cp_xml_begin(&x, "vcpu");
		cp_xml_attr(&x, "max", "%u", dc->vcpu_max);
		cp_xml_empty(&x);
	}
	format_flag(&x, "iothreads", dc->iothreads);
	format_os(&x, &dc->os);
	format_cpu(&x, &dc->cpu);
	ELEM(&x, "memoryBacking", dc->memory_backing.supported,
	     &dc->memory_backing.source_type);
	format_devices(&x, &dc->devices);
	format_features(&x, &dc->features);
	cp_xml_close(&x, "domainCapabilities");
	/* virsh adds one newline after libvirt's document. */
	cp_xml_blank(&x);
	return cp_xml_finish(&x);
}
