/* virsh sysinfo's document: <sysinfo type='smbios'>, its sections in
 * libvirt's order, an entry for each field that is set. */
#include "config.h"

#include <stdbool.h>

#include "xml/sysinfo.h"
#include "xml/writer.h"

struct entry {
	const char *name;
	const char *value;
};

static void entry(struct cp_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	cp_buf_printf(b, "    <entry name='%s'>", name);
	cp_xml_escape(b, value);
	cp_buf_puts(b, "</entry>\n");
}

/* A section with its entries; libvirt leaves out a processor or memory
 * device with none (a whole-NULL BIOS, system or chassis never gets here). */
static void group(struct cp_buf *b, const char *tag, const struct entry *e, size_t n, bool skip_empty)
{
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any = any || e[i].value;
	if (skip_empty && !any)
		return;
	cp_buf_printf(b, "  <%s>\n", tag);
	for (size_t i = 0; i < n; i++)
		entry(b, e[i].name, e[i].value);
	cp_buf_printf(b, "  </%s>\n", tag);
}

#define GROUP(b, tag, e, skip) group(b, tag, e, sizeof(e) / sizeof(e[0]), skip)

char *cp_sysinfo_format(const struct cp_sysinfo *s)
{
	struct cp_buf b = { 0 };

	if (s->bios) {
		const struct cp_sysinfo_bios *d = s->bios;
		struct entry e[] = { { "vendor", d->vendor }, { "version", d->version },
			{ "date", d->date }, { "release", d->release } };
		GROUP(&b, "bios", e, false);
	}
	if (s->system) {
		const struct cp_sysinfo_system *d = s->system;
		struct entry e[] = { { "manufacturer", d->manufacturer }, { "product", d->product },
			{ "version", d->version }, { "serial", d->serial }, { "uuid", d->uuid },
			{ "sku", d->sku }, { "family", d->family } };
		GROUP(&b, "system", e, false);
	}
	for (size_t i = 0; i < s->nboards; i++) {
		const struct cp_sysinfo_board *d = &s->boards[i];
		struct entry e[] = { { "manufacturer", d->manufacturer }, { "product", d->product },
			{ "version", d->version }, { "serial", d->serial }, { "asset", d->asset },
			{ "location", d->location } };
		GROUP(&b, "baseBoard", e, false);
	}
	if (s->chassis) {
		const struct cp_sysinfo_chassis *d = s->chassis;
		struct entry e[] = { { "manufacturer", d->manufacturer }, { "version", d->version },
			{ "serial", d->serial }, { "asset", d->asset }, { "sku", d->sku } };
		GROUP(&b, "chassis", e, false);
	}
	for (size_t i = 0; i < s->nprocessors; i++) {
		const struct cp_sysinfo_processor *d = &s->processors[i];
		struct entry e[] = { { "socket_destination", d->socket_destination },
			{ "type", d->type }, { "family", d->family },
			{ "manufacturer", d->manufacturer }, { "signature", d->signature },
			{ "version", d->version }, { "external_clock", d->external_clock },
			{ "max_speed", d->max_speed }, { "status", d->status },
			{ "serial_number", d->serial_number }, { "part_number", d->part_number } };
		GROUP(&b, "processor", e, true);
	}
	for (size_t i = 0; i < s->nmemory; i++) {
		const struct cp_sysinfo_memory *d = &s->memory[i];
		struct entry e[] = { { "size", d->size }, { "form_factor", d->form_factor },
			{ "locator", d->locator }, { "bank_locator", d->bank_locator },
			{ "type", d->type }, { "type_detail", d->type_detail }, { "speed", d->speed },
			{ "manufacturer", d->manufacturer }, { "serial_number", d->serial_number },
			{ "part_number", d->part_number } };
		GROUP(&b, "memory_device", e, true);
	}
	if (s->have_oem) {
		cp_buf_puts(&b, "  <oemStrings>\n");
		for (size_t i = 0; i < s->oem.n; i++) {
			cp_buf_puts(&b, "    <entry>");
			cp_xml_escape(&b, s->oem.v[i]);
			cp_buf_puts(&b, "</entry>\n");
		}
		cp_buf_puts(&b, "  </oemStrings>\n");
	}
	/* virsh prints the document and a newline of its own */
	struct cp_buf doc = { 0 };
	if (b.len == 0)
		cp_buf_puts(&doc, "<sysinfo type='smbios'/>\n\n");
	else
		cp_buf_printf(&doc, "<sysinfo type='smbios'>\n%s</sysinfo>\n\n", b.s);
	cp_buf_free(&b);
	return cp_buf_steal(&doc);
}
