#include "config.h"

#include <check.h>
#include <errno.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "model/domcaps.h"
#include "xml/domcaps.h"

static void add(struct cp_dc_enum *e, const char *v)
{
	ck_assert_int_eq(cp_dc_enum_add(e, v), 0);
}

/* The text between the first line containing from and the next line
 * containing to, both included. */
static char *section(const char *doc, const char *from, const char *to)
{
	const char *a = strstr(doc, from), *b;

	ck_assert_msg(a != NULL, "no '%s'", from);
	while (a > doc && a[-1] != '\n')
		a--;
	b = strstr(a, to);
	ck_assert_msg(b != NULL, "no '%s' after '%s'", to, from);
	b = strchr(b, '\n');
	return cp_strndup(a, (size_t)(b + 1 - a));
}

static void assert_section(const char *doc, const char *from, const char *to, const char *want)
{
	char *got = section(doc, from, to);

	ck_assert_str_eq(got, want);
	free(got);
}

static void base(struct cp_domcaps *dc)
{
	cp_domcaps_init(dc);
	dc->domain = cp_strdup("kvm");
	dc->arch = cp_strdup("x86_64");
}

START_TEST(enum_order)
{
	struct cp_domcaps dc;
	struct cp_dc_enum *bus = &dc.devices.disk.bus;

	cp_domcaps_init(&dc);
	ck_assert(!bus->report);
	add(bus, "sata");
	add(bus, "ide");
	add(bus, "usb");
	add(bus, "fdc");
	add(bus, "usb");
	ck_assert_uint_eq(bus->values.n, 4);
	ck_assert_str_eq(bus->values.v[0], "ide");
	ck_assert_str_eq(bus->values.v[1], "fdc");
	ck_assert_str_eq(bus->values.v[2], "usb");
	ck_assert_str_eq(bus->values.v[3], "sata");
	ck_assert_ptr_null(bus->values.v[4]);
	ck_assert(cp_dc_enum_has(bus, "fdc"));
	ck_assert(!cp_dc_enum_has(bus, "scsi"));
	ck_assert_int_eq(cp_dc_enum_add(bus, "floppy"), -EINVAL);
	ck_assert_uint_eq(bus->values.n, 4);
	/* Without an order table values keep insertion order. */
	add(&dc.os.loader.values, "/b");
	add(&dc.os.loader.values, "/a");
	add(&dc.os.loader.values, "/b");
	ck_assert_uint_eq(dc.os.loader.values.values.n, 2);
	ck_assert_str_eq(dc.os.loader.values.values.v[0], "/b");
	cp_domcaps_free(&dc);
}
END_TEST

/* The least a document has: the fixed elements and four cpu modes. */
START_TEST(minimal_document)
{
	struct cp_domcaps dc;
	char *s;

	base(&dc);
	s = cp_domcaps_format(&dc, CP_DOC_XML);
	ck_assert_str_eq(s,
		"<domainCapabilities>\n"
		"  <domain>kvm</domain>\n"
		"  <arch>x86_64</arch>\n"
		"  <cpu>\n"
		"    <mode name='host-passthrough' supported='no'/>\n"
		"    <mode name='maximum' supported='no'/>\n"
		"    <mode name='host-model' supported='no'/>\n"
		"    <mode name='custom' supported='no'/>\n"
		"  </cpu>\n"
		"  <devices>\n"
		"  </devices>\n"
		"  <features>\n"
		"  </features>\n"
		"</domainCapabilities>\n"
		"\n");
	free(s);
	cp_domcaps_free(&dc);
}
END_TEST

/* supported='no' is self-closed whatever the enums hold; an unreported enum
 * is left out, a reported empty one is <enum name='x'/>. */
START_TEST(element_rules)
{
	struct cp_domcaps dc;
	struct cp_dc_devices *d = &dc.devices;
	char *s;

	base(&dc);
	d->tpm.supported = CP_DC_NO;
	add(&d->tpm.model, "tpm-tis");
	d->hostdev.supported = CP_DC_YES;
	add(&d->hostdev.mode, "subsystem");
	cp_dc_enum_report(&d->hostdev.caps_type);
	cp_dc_enum_report(&d->hostdev.pci_backend);
	d->redirdev.supported = CP_DC_YES;
	d->panic.supported = CP_DC_NO;
	dc.features.s390_pv = CP_DC_ABSENT;
	dc.features.ps2 = CP_DC_YES;
	dc.features.sev.supported = CP_DC_NO;
	dc.features.sev.cbitpos = 47;
	dc.features.gic.supported = CP_DC_NO;
	add(&dc.features.gic.version, "3");
	s = cp_domcaps_format(&dc, CP_DOC_XML);
	assert_section(s, "<devices>", "</devices>",
		"  <devices>\n"
		"    <hostdev supported='yes'>\n"
		"      <enum name='mode'>\n"
		"        <value>subsystem</value>\n"
		"      </enum>\n"
		"      <enum name='capsType'/>\n"
		"      <enum name='pciBackend'/>\n"
		"    </hostdev>\n"
		"    <tpm supported='no'/>\n"
		"    <redirdev supported='yes'/>\n"
		"    <panic supported='no'/>\n"
		"  </devices>\n");
	assert_section(s, "<features>", "</features>",
		"  <features>\n"
		"    <gic supported='no'/>\n"
		"    <ps2 supported='yes'/>\n"
		"    <sev supported='no'/>\n"
		"  </features>\n");
	ck_assert_ptr_null(strstr(s, "s390-pv"));
	ck_assert_ptr_null(strstr(s, "hyperv"));
	free(s);
	cp_domcaps_free(&dc);
}
END_TEST

/* <os> as libvirt prints it for a machine without descriptors. */
START_TEST(os_loader)
{
	struct cp_domcaps dc;
	struct cp_dc_loader *l = &dc.os.loader;
	char *s;

	base(&dc);
	dc.os.supported = CP_DC_YES;
	cp_dc_enum_report(&dc.os.firmware);
	l->supported = CP_DC_YES;
	add(&l->values, "/usr/share/OVMF/OVMF_CODE.fd");
	add(&l->values, "/odd/<&'>.fd");
	add(&l->type, "pflash");
	add(&l->type, "rom");
	add(&l->readonly, "no");
	add(&l->readonly, "yes");
	add(&l->secure, "no");
	s = cp_domcaps_format(&dc, CP_DOC_XML);
	assert_section(s, "<os ", "</os>",
		"  <os supported='yes'>\n"
		"    <enum name='firmware'/>\n"
		"    <loader supported='yes'>\n"
		"      <value>/usr/share/OVMF/OVMF_CODE.fd</value>\n"
		"      <value>/odd/&lt;&amp;&apos;&gt;.fd</value>\n"
		"      <enum name='type'>\n"
		"        <value>rom</value>\n"
		"        <value>pflash</value>\n"
		"      </enum>\n"
		"      <enum name='readonly'>\n"
		"        <value>yes</value>\n"
		"        <value>no</value>\n"
		"      </enum>\n"
		"      <enum name='secure'>\n"
		"        <value>no</value>\n"
		"      </enum>\n"
		"    </loader>\n"
		"  </os>\n");
	free(s);
	cp_domcaps_free(&dc);
}
END_TEST

START_TEST(cpu_modes)
{
	struct cp_domcaps dc;
	struct cp_dc_cpu *c = &dc.cpu;
	struct cp_dc_cpu_model *m;
	char *s;

	base(&dc);
	c->host_passthrough = CP_DC_YES;
	add(&c->host_passthrough_migratable, "off");
	add(&c->host_passthrough_migratable, "on");
	c->maximum = CP_DC_YES;
	add(&c->maximum_migratable, "on");
	add(&c->maximum_migratable, "off");
	c->host_model.supported = CP_DC_YES;
	c->host_model.model = cp_strdup("EPYC-Milan");
	c->host_model.fallback = cp_strdup("forbid");
	c->host_model.vendor = cp_strdup("AMD");
	c->host_model.maxphysaddr_mode = cp_strdup("passthrough");
	c->host_model.maxphysaddr_limit = 48;
	cp_dc_host_model_add_feature(&c->host_model, "require", "x2apic");
	cp_dc_host_model_add_feature(&c->host_model, "disable", "pni");
	c->custom = CP_DC_YES;
	cp_dc_cpu_add_model(c, "486", CP_DC_USABLE_YES, "unknown", "486-v1");
	m = cp_dc_cpu_add_model(c, "Opteron_G1", CP_DC_USABLE_NO, "AMD", "Opteron_G1-v1");
	m->deprecated = true;
	cp_strv_push(&m->blockers, cp_strdup("3dnow"));
	cp_strv_push(&m->blockers, cp_strdup("sse4.1"));
	cp_dc_cpu_add_model(c, "a64fx", CP_DC_USABLE_UNKNOWN, "unknown", NULL);
	s = cp_domcaps_format(&dc, CP_DOC_XML);
	assert_section(s, "<cpu>", "</cpu>",
		"  <cpu>\n"
		"    <mode name='host-passthrough' supported='yes'>\n"
		"      <enum name='hostPassthroughMigratable'>\n"
		"        <value>on</value>\n"
		"        <value>off</value>\n"
		"      </enum>\n"
		"    </mode>\n"
		"    <mode name='maximum' supported='yes'>\n"
		"      <enum name='maximumMigratable'>\n"
		"        <value>on</value>\n"
		"        <value>off</value>\n"
		"      </enum>\n"
		"    </mode>\n"
		"    <mode name='host-model' supported='yes'>\n"
		"      <model fallback='forbid'>EPYC-Milan</model>\n"
		"      <vendor>AMD</vendor>\n"
		"      <maxphysaddr mode='passthrough' limit='48'/>\n"
		"      <feature policy='require' name='x2apic'/>\n"
		"      <feature policy='disable' name='pni'/>\n"
		"    </mode>\n"
		"    <mode name='custom' supported='yes'>\n"
		"      <model usable='yes' vendor='unknown' canonical='486-v1'>486</model>\n"
		"      <model usable='no' deprecated='yes' vendor='AMD' canonical='Opteron_G1-v1'>Opteron_G1</model>\n"
		"      <blockers model='Opteron_G1'>\n"
		"        <feature name='3dnow'/>\n"
		"        <feature name='sse4.1'/>\n"
		"      </blockers>\n"
		"      <model usable='unknown' vendor='unknown'>a64fx</model>\n"
		"    </mode>\n"
		"  </cpu>\n");
	free(s);
	cp_domcaps_free(&dc);
}
END_TEST

START_TEST(security_features)
{
	struct cp_domcaps dc;
	struct cp_dc_features *f = &dc.features;
	struct cp_dc_sgx_section secs[] = { { 0, 262144 }, { 1, 262144 } };
	char *s;

	base(&dc);
	f->sev.supported = CP_DC_YES;
	f->sev.cbitpos = 51;
	f->sev.reduced_phys_bits = 1;
	f->sev.max_guests = 15;
	f->sev.max_es_guests = 494;
	f->sev.cpu0_id = cp_strdup("2pzN");
	f->sgx.supported = CP_DC_YES;
	f->sgx.sgx1 = true;
	f->sgx.section_size_kib = 524288;
	f->sgx.have_sections = true;
	f->sgx.sections = cp_malloc(sizeof(secs));
	memcpy(f->sgx.sections, secs, sizeof(secs));
	f->sgx.nsections = 2;
	f->hyperv.supported = CP_DC_YES;
	add(&f->hyperv.features, "vendor_id");
	add(&f->hyperv.features, "spinlocks");
	f->launch_security.supported = CP_DC_YES;
	add(&f->launch_security.sectype, "sev-snp");
	add(&f->launch_security.sectype, "sev");
	s = cp_domcaps_format(&dc, CP_DOC_XML);
	assert_section(s, "<features>", "</features>",
		"  <features>\n"
		"    <sev supported='yes'>\n"
		"      <cbitpos>51</cbitpos>\n"
		"      <reducedPhysBits>1</reducedPhysBits>\n"
		"      <maxGuests>15</maxGuests>\n"
		"      <maxESGuests>494</maxESGuests>\n"
		"      <cpu0Id>2pzN</cpu0Id>\n"
		"    </sev>\n"
		"    <sgx supported='yes'>\n"
		"      <flc>no</flc>\n"
		"      <sgx1>yes</sgx1>\n"
		"      <sgx2>no</sgx2>\n"
		"      <section_size unit='KiB'>524288</section_size>\n"
		"      <sections>\n"
		"        <section node='0' size='262144' unit='KiB'/>\n"
		"        <section node='1' size='262144' unit='KiB'/>\n"
		"      </sections>\n"
		"    </sgx>\n"
		"    <hyperv supported='yes'>\n"
		"      <enum name='features'>\n"
		"        <value>spinlocks</value>\n"
		"        <value>vendor_id</value>\n"
		"      </enum>\n"
		"    </hyperv>\n"
		"    <launchSecurity supported='yes'>\n"
		"      <enum name='sectype'>\n"
		"        <value>sev</value>\n"
		"        <value>sev-snp</value>\n"
		"      </enum>\n"
		"    </launchSecurity>\n"
		"  </features>\n");
	free(s);
	cp_domcaps_free(&dc);
}
END_TEST

/* Names of the element children of n, comma-separated. */
static void child_names(xmlNode *n, struct cp_buf *b)
{
	for (xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (b->len)
			cp_buf_putc(b, ',');
		cp_buf_puts(b, (const char *)c->name);
	}
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	ck_abort_msg("no <%s>", name);
	return NULL;
}

/* Every element filled: the document is well-formed and keeps libvirt's
 * order at each level. */
START_TEST(full_document)
{
	struct cp_domcaps dc;
	struct cp_dc_devices *d = &dc.devices;
	struct cp_dc_features *f = &dc.features;
	struct cp_buf b = { 0 };
	xmlDoc *doc;
	xmlNode *root;
	char *s;

	base(&dc);
	dc.path = cp_strdup("/usr/bin/qemu-system-x86_64");
	dc.machine = cp_strdup("pc-q35-7.2");
	dc.vcpu_max = 288;
	dc.iothreads = CP_DC_YES;
	dc.os.supported = CP_DC_YES;
	add(&dc.os.firmware, "efi");
	dc.os.loader.supported = CP_DC_YES;
	add(&dc.os.loader.type, "rom");
	dc.cpu.maximum = CP_DC_YES;
	dc.memory_backing.supported = CP_DC_YES;
	add(&dc.memory_backing.source_type, "memfd");
	add(&dc.memory_backing.source_type, "file");
	d->disk.supported = d->graphics.supported = d->video.supported = CP_DC_YES;
	d->hostdev.supported = d->rng.supported = d->filesystem.supported = CP_DC_YES;
	d->tpm.supported = d->redirdev.supported = d->channel.supported = CP_DC_YES;
	d->crypto.supported = d->interface.supported = d->panic.supported = CP_DC_YES;
	add(&d->disk.device, "disk");
	add(&d->graphics.type, "vnc");
	add(&d->video.model_type, "ramfb");
	add(&d->video.model_type, "vga");
	add(&d->rng.backend_model, "builtin");
	add(&d->filesystem.driver_type, "virtiofs");
	add(&d->tpm.backend_version, "2.0");
	add(&d->tpm.backend_version, "1.2");
	add(&d->redirdev.bus, "usb");
	add(&d->channel.type, "spicevmc");
	add(&d->channel.type, "pty");
	add(&d->crypto.backend_model, "builtin");
	add(&d->interface.backend_type, "passt");
	add(&d->interface.backend_type, "default");
	add(&d->panic.model, "pvpanic");
	add(&d->panic.model, "isa");
	f->gic.supported = f->vmcoreinfo = f->genid = f->backing_store_input = CP_DC_YES;
	f->backup = CP_DC_YES;
	f->async_teardown = f->s390_pv = f->ps2 = CP_DC_NO;
	f->sev.supported = f->sgx.supported = CP_DC_NO;
	f->hyperv.supported = f->launch_security.supported = CP_DC_NO;
	s = cp_domcaps_format(&dc, CP_DOC_XML);
	doc = xmlReadMemory(s, (int)strlen(s), "domcaps.xml", NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	root = xmlDocGetRootElement(doc);
	child_names(root, &b);
	ck_assert_str_eq(b.s, "path,domain,machine,arch,vcpu,iothreads,os,cpu,memoryBacking,devices,features");
	cp_buf_free(&b);
	child_names(child(root, "devices"), &b);
	ck_assert_str_eq(b.s, "disk,graphics,video,hostdev,rng,filesystem,tpm,redirdev,channel,"
			      "crypto,interface,panic");
	cp_buf_free(&b);
	child_names(child(root, "features"), &b);
	ck_assert_str_eq(b.s, "gic,vmcoreinfo,genid,backingStoreInput,backup,async-teardown,"
			      "s390-pv,ps2,sev,sgx,hyperv,launchSecurity");
	cp_buf_free(&b);
	ck_assert_ptr_nonnull(strstr(s, "  <vcpu max='288'/>\n  <iothreads supported='yes'/>\n"));
	ck_assert_ptr_nonnull(strstr(s, "<value>file</value>\n      <value>memfd</value>"));
	ck_assert_ptr_nonnull(strstr(s, "<value>vga</value>\n        <value>ramfb</value>"));
	ck_assert_ptr_nonnull(strstr(s, "<value>1.2</value>\n        <value>2.0</value>"));
	ck_assert_ptr_nonnull(strstr(s, "<value>pty</value>\n        <value>spicevmc</value>"));
	ck_assert_ptr_nonnull(strstr(s, "<value>isa</value>\n        <value>pvpanic</value>"));
	ck_assert_ptr_nonnull(strstr(s, "<value>default</value>\n        <value>passt</value>"));
	ck_assert_ptr_nonnull(strstr(s, "    <gic supported='yes'/>\n"));
	ck_assert_ptr_nonnull(strstr(s, "    <launchSecurity supported='no'/>\n  </features>\n"
					"</domainCapabilities>\n\n"));
	xmlFreeDoc(doc);
	free(s);
	cp_domcaps_free(&dc);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("domcaps");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, enum_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("printer");
	tcase_add_test(tc, minimal_document);
	tcase_add_test(tc, element_rules);
	tcase_add_test(tc, os_loader);
	tcase_add_test(tc, cpu_modes);
	tcase_add_test(tc, security_features);
	tcase_add_test(tc, full_document);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
