/* virsh sysinfo's document: <sysinfo type='smbios'>, its sections in
 * libvirt's order, an entry for each field that is set. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "xml/sysinfo.h"
#include "xml/writer.h"

struct entry {
	const char *name;
	const char *value;
};

static void entry(struct cp_xml *x, const char *name, const char *value)
{
	if (!value)
		return;
	cp_xml_begin(x, "entry");
	cp_xml_attr(x, "name", "%s", name);
	cp_xml_text(x, "entry", "%s", value);
}

/* A section with its entries; libvirt leaves out a processor or memory
 * device with none (a whole-NULL BIOS, system or chassis never gets here). */
static void group(struct cp_xml *x, const char *tag, const struct entry *e, size_t n, bool skip_empty)
{
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any = any || e[i].value;
	if (skip_empty && !any)
		return;
	cp_xml_begin(x, tag);
	cp_xml_open(x);
	for (size_t i = 0; i < n; i++)
		entry(x, e[i].name, e[i].value);
	cp_xml_close(x, tag);
}

#define NENTRIES 11	/* the most fields of a section */

static size_t processor_entries(const struct cp_sysinfo_processor *d, struct entry e[NENTRIES])
{
	const struct entry v[] = { { "socket_destination", d->socket_destination },
		{ "type", d->type }, { "family", d->family },
		{ "manufacturer", d->manufacturer }, { "signature", d->signature },
		{ "version", d->version }, { "external_clock", d->external_clock },
		{ "max_speed", d->max_speed }, { "status", d->status },
		{ "serial_number", d->serial_number }, { "part_number", d->part_number } };

	memcpy(e, v, sizeof(v));
	return sizeof(v) / sizeof(v[0]);
}

static size_t memory_entries(const struct cp_sysinfo_memory *d, struct entry e[NENTRIES])
{
	const struct entry v[] = { { "size", d->size }, { "form_factor", d->form_factor },
		{ "locator", d->locator }, { "bank_locator", d->bank_locator },
		{ "type", d->type }, { "type_detail", d->type_detail }, { "speed", d->speed },
		{ "manufacturer", d->manufacturer }, { "serial_number", d->serial_number },
		{ "part_number", d->part_number } };

	memcpy(e, v, sizeof(v));
	return sizeof(v) / sizeof(v[0]);
}

static bool any_entry(const struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].value)
			return true;
	return false;
}

/* Has the document any section (else it is <sysinfo type='smbios'/>)? */
static bool any_section(const struct cp_sysinfo *s)
{
	struct entry e[NENTRIES];

	if (s->bios || s->system || s->nboards || s->chassis || s->have_oem)
		return true;
	for (size_t i = 0; i < s->nprocessors; i++)
		if (any_entry(e, processor_entries(&s->processors[i], e)))
			return true;
	for (size_t i = 0; i < s->nmemory; i++)
		if (any_entry(e, memory_entries(&s->memory[i], e)))
			return true;
	return false;
}

const struct cp_xml_shape cp_sysinfo_shape[] = {
	{ "sysinfo/baseBoard", CP_XML_ARRAY },
	{ "sysinfo/processor", CP_XML_ARRAY },
	{ "sysinfo/memory_device", CP_XML_ARRAY },
	{ "*/entry", CP_XML_ARRAY },
	{ NULL, 0 }
};

#define GROUP(x, tag, e, skip) group(x, tag, e, sizeof(e) / sizeof(e[0]), skip)

char *cp_sysinfo_format(const struct cp_sysinfo *s, enum cp_doc_format f)
{
	struct cp_xml x;
	struct entry e[NENTRIES];

	cp_xml_init(&x, f, cp_sysinfo_shape);
	cp_xml_begin(&x, "sysinfo");
	cp_xml_attr(&x, "type", "smbios");
	if (!any_section(s)) {
		cp_xml_empty(&x);
		/* virsh prints the document and a newline of its own */
		cp_xml_blank(&x);
		return cp_xml_finish(&x);
	}
	cp_xml_open(&x);
	if (s->bios) {
		const struct cp_sysinfo_bios *d = s->bios;
		struct entry v[] = { { "vendor", d->vendor }, { "version", d->version },
			{ "date", d->date }, { "release", d->release } };
		GROUP(&x, "bios", v, false);
	}
	if (s->system) {
		const struct cp_sysinfo_system *d = s->system;
		struct entry v[] = { { "manufacturer", d->manufacturer }, { "product", d->product },
			{ "version", d->version }, { "serial", d->serial }, { "uuid", d->uuid },
			{ "sku", d->sku }, { "family", d->family } };
		GROUP(&x, "system", v, false);
	}
	for (size_t i = 0; i < s->nboards; i++) {
		const struct cp_sysinfo_board *d = &s->boards[i];
		struct entry v[] = { { "manufacturer", d->manufacturer }, { "product", d->product },
			{ "version", d->version }, { "serial", d->serial }, { "asset", d->asset },
			{ "location", d->location } };
		GROUP(&x, "baseBoard", v, false);
	}
	if (s->chassis) {
		const struct cp_sysinfo_chassis *d = s->chassis;
		struct entry v[] = { { "manufacturer", d->manufacturer }, { "version", d->version },
			{ "serial", d->serial }, { "asset", d->asset }, { "sku", d->sku } };
		GROUP(&x, "chassis", v, false);
	}
	for (size_t i = 0; i < s->nprocessors; i++)
		group(&x, "processor", e, processor_entries(&s->processors[i], e), true);
	for (size_t i = 0; i < s->nmemory; i++)
		group(&x, "memory_device", e, memory_entries(&s->memory[i], e), true);
	if (s->have_oem) {
		cp_xml_begin(&x, "oemStrings");
		cp_xml_open(&x);
		for (size_t i = 0; i < s->oem.n; i++)
			cp_xml_leaf(&x, "entry", "%s", s->oem.v[i]);
		cp_xml_close(&x, "oemStrings");
	}
	cp_xml_close(&x, "sysinfo");
	cp_xml_blank(&x);
	return cp_xml_finish(&x);
}
