#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "xml/caps.h"
#include "xml/writer.h"

START_TEST(escape_like_libvirt)
{
	struct cp_buf b = { 0 };

	cp_xml_escape(&b, "a<b>&\"c'\x01\t\n");
	ck_assert_str_eq(b.s, "a&lt;b&gt;&amp;&quot;c&apos;\t\n");
	cp_buf_free(&b);
}
END_TEST

/* The escaping spelled out byte by byte, to compare the writer with. */
static void ref_escape(struct cp_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '<')
			cp_buf_puts(b, "&lt;");
		else if (c == '>')
			cp_buf_puts(b, "&gt;");
		else if (c == '&')
			cp_buf_puts(b, "&amp;");
		else if (c == '"')
			cp_buf_puts(b, "&quot;");
		else if (c == '\'')
			cp_buf_puts(b, "&apos;");
		else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
			cp_buf_putc(b, (char)c);
	}
}

static void assert_escapes_like_ref(const char *s)
{
	struct cp_buf got = { 0 }, want = { 0 };

	cp_xml_escape(&got, s);
	ref_escape(&want, s);
	cp_buf_puts(&got, "");
	cp_buf_puts(&want, "");
	ck_assert_uint_eq(got.len, want.len);
	ck_assert_str_eq(got.s, want.s);
	cp_buf_free(&got);
	cp_buf_free(&want);
}

/* Every byte value, alone and inside plain runs of every length around the
 * scanner's steps, at the start, middle and end of short and long values. */
START_TEST(escape_every_byte)
{
	char s[700];

	for (int c = 1; c < 256; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		assert_escapes_like_ref(s);
		for (size_t pre = 0; pre < 9; pre++) {
			memset(s, 'a', pre);
			s[pre] = (char)c;
			memset(s + pre + 1, 'b', 5);
			s[pre + 6] = '\0';
			assert_escapes_like_ref(s);
			s[pre + 1] = '\0';
			assert_escapes_like_ref(s);
		}
		memset(s, 'x', 650);
		s[650] = '\0';
		s[0] = s[333] = s[649] = (char)c;
		assert_escapes_like_ref(s);
	}
	/* all special, back to back */
	assert_escapes_like_ref("<>&\"'\x01\x1f\t\r\n<<&&\x7f\xff");
	/* nothing to escape: appended as is, after what the buffer held */
	{
		struct cp_buf b = { 0 };

		cp_buf_puts(&b, "x");
		cp_xml_escape(&b, "");
		cp_xml_escape(&b, "plain");
		ck_assert_str_eq(b.s, "xplain");
		cp_buf_free(&b);
	}
}
END_TEST

/* Values through the writer's own paths: plain ones copied with the markup,
 * escaped ones, formatted ones longer than its 128-byte scratch, and deep
 * indentation. */
START_TEST(layout_values)
{
	struct cp_xml x = { 0 };
	struct cp_buf want = { 0 };
	char big[400];

	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[200] = '<';
	for (int i = 0; i < 20; i++) {
		cp_xml_begin(&x, "d");
		cp_xml_open(&x);
	}
	cp_xml_begin(&x, "e");
	cp_xml_attr(&x, "plain", "%s", "yes");
	cp_xml_attr(&x, "esc", "%s", "a'b\x02");
	cp_xml_attr(&x, "num", "%u-%s", 42u, big);
	cp_xml_empty(&x);
	cp_xml_leaf(&x, "t", "%s", big);
	cp_xml_leaf(&x, "u", "%s", "");
	cp_xml_leaf(&x, "w", "%d%s", -1, "&");
	for (int i = 0; i < 20; i++)
		cp_xml_close(&x, "d");
	cp_xml_blank(&x);

	for (int i = 0; i < 20; i++)
		cp_buf_printf(&want, "%*s<d>\n", 2 * i, "");
	cp_buf_printf(&want, "%40s<e plain='yes' esc='a&apos;b' num='42-", "");
	ref_escape(&want, big);
	cp_buf_printf(&want, "'/>\n%40s<t>", "");
	ref_escape(&want, big);
	cp_buf_printf(&want, "</t>\n%40s<u></u>\n%40s<w>-1&amp;</w>\n", "", "");
	for (int i = 19; i >= 0; i--)
		cp_buf_printf(&want, "%*s</d>\n", 2 * i, "");
	cp_buf_putc(&want, '\n');
	ck_assert_str_eq(x.out.s, want.s);
	ck_assert_uint_eq(x.out.len, strlen(x.out.s));
	cp_buf_free(&x.out);
	cp_buf_free(&want);
}
END_TEST

START_TEST(layout)
{
	struct cp_xml x = { 0 };

	cp_xml_begin(&x, "a");
	cp_xml_open(&x);
	cp_xml_begin(&x, "b");
	cp_xml_attr(&x, "name", "it's <%d>", 1);
	cp_xml_empty(&x);
	cp_xml_leaf(&x, "c", "%s", "x&y");
	cp_xml_close(&x, "a");
	ck_assert_str_eq(x.out.s, "<a>\n  <b name='it&apos;s &lt;1&gt;'/>\n  <c>x&amp;y</c>\n</a>\n");
	cp_buf_free(&x.out);
}
END_TEST

START_TEST(exact_units)
{
	static const struct { uint64_t bytes; uint64_t v; const char *u; } cases[] = {
		{ 33554432, 32, "MiB" }, { 15728640, 15, "MiB" }, { 524288, 512, "KiB" },
		{ 1000, 1000, "B" }, { 3 << 20, 3, "MiB" }, { 0, 0, "B" },
		{ UINT64_C(1) << 50, 1, "PiB" }, { UINT64_C(1) << 60, 1024, "PiB" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v;
		const char *u = cp_exact_unit(cases[i].bytes, &v);

		ck_assert_uint_eq(v, cases[i].v);
		ck_assert_str_eq(u, cases[i].u);
	}
}
END_TEST

/* A host model with every optional part filled prints a well-formed
 * document with libvirt's element order. */
START_TEST(full_document)
{
	struct cp_host h = { 0 };
	struct cp_cell_cpu cpu = { 1, 0, 0, 0, 1, (char *)"1" };
	struct cp_page_count pg[] = { { 4, 100 }, { 2048, 2 } };
	struct cp_distance d[] = { { 0, 10 }, { 1, 21 } };
	struct cp_mem_cache mc = { 1, 10, 8, "direct", "writeback" };
	struct cp_cell cell = { 0, 1024, pg, 2, d, 2, &mc, 1, &cpu, 1 };
	struct cp_interconnect ic = { true, 0, 0, 0, false, 5 << 10 };
	struct cp_cache_control ctl = { 3 << 20, 0, "both", 16 };
	struct cp_cache_bank bank = { 0, 3, "both", 33 << 20, (char *)"0-1", &ctl, 1 };
	struct cp_membw_node mb = { 0, (char *)"0-1", 10, 10, 8 };
	struct cp_secmodel sm = { (char *)"dac", (char *)"0", (char *)"+1:+2", (char *)"+1:+2" };
	char *names[] = { (char *)"vmx", NULL };
	uint64_t pages[] = { 4, 2048 };
	xmlDocPtr doc;
	char *s, *p;

	strcpy(h.uuid, "00000000-0000-0000-0000-000000000001");
	h.cpu.arch = "x86_64";
	h.cpu.model = (char *)"EPYC<v1>";
	h.cpu.vendor = (char *)"AMD";
	h.cpu.microcode = 16777317;
	h.cpu.family = 25;
	h.cpu.tsc_hz = 1000;
	h.cpu.sockets = h.cpu.dies = h.cpu.clusters = h.cpu.cores = h.cpu.threads = 1;
	h.cpu.maxphysaddr = 48;
	h.cpu.features.v = names;
	h.cpu.features.n = 1;
	h.cpu.page_kib = pages;
	h.cpu.npage = 2;
	h.pm = CP_PM_SUSPEND_MEM | CP_PM_SUSPEND_HYBRID;
	h.have_topology = true;
	h.cells = &cell;
	h.ncells = 1;
	h.interconnects = &ic;
	h.ninterconnects = 1;
	h.banks = &bank;
	h.nbanks = 1;
	h.membw = &mb;
	h.nmembw = 1;
	h.secmodels = &sm;
	h.nsecmodels = 1;

	s = cp_caps_format(&h, CP_DOC_XML);
	doc = xmlReadMemory(s, (int)strlen(s), "caps.xml", NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	xmlFreeDoc(doc);
	ck_assert(strncmp(s, "<capabilities>\n\n  <host>\n    <uuid>", 35) == 0);
	ck_assert_ptr_nonnull(strstr(s, "<model>EPYC&lt;v1&gt;</model>"));
	ck_assert_ptr_nonnull(strstr(s, "<power_management>\n      <suspend_mem/>\n      <suspend_hybrid/>\n    </power_management>"));
	ck_assert_ptr_nonnull(strstr(s, "<control granularity='3' unit='MiB' type='both' maxAllocs='16'/>"));
	ck_assert_ptr_nonnull(strstr(s, "<bandwidth initiator='0' target='0' type='read' value='5120' unit='KiB'/>"));
	ck_assert_ptr_nonnull(strstr(s, "<cpu id='1' socket_id='0' die_id='0' cluster_id='0' core_id='1' siblings='1'/>"));
	/* order: cpu, power_management, iommu, migration_features, topology, cache, memory_bandwidth, secmodel */
	p = strstr(s, "</cpu>\n    <power_management>");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "<iommu support='no'/>\n    <migration_features>");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "</migration_features>\n    <topology>");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "</topology>\n    <cache>");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "</cache>\n    <memory_bandwidth>");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "</memory_bandwidth>\n    <secmodel>");
	ck_assert_ptr_nonnull(p);
	ck_assert(strcmp(s + strlen(s) - 19, "  </host>\n\n</capabilities>\n\n") == 0 ||
		  strstr(s, "  </host>\n\n</capabilities>\n\n") != NULL);
	free(s);
}
END_TEST

START_TEST(control_min_shares_unit)
{
	struct cp_cache_control ctl = { 768 << 10, 1536 << 10, "code", 8 };
	struct cp_cache_bank bank = { 0, 2, "both", 2 << 20, (char *)"0", &ctl, 1 };
	struct cp_host h = { 0 };
	char *s;

	h.banks = &bank;
	h.nbanks = 1;
	s = cp_caps_format(&h, CP_DOC_XML);
	/* 768 KiB and 1.5 MiB: both in KiB */
	ck_assert_ptr_nonnull(strstr(s, "<control granularity='768' min='1536' unit='KiB' type='code' maxAllocs='8'/>"));
	ck_assert_ptr_nonnull(strstr(s, "<bank id='0' level='2' type='both' size='2' unit='MiB' cpus='0'>"));
	/* no uuid, no topology, empty power management */
	ck_assert_ptr_null(strstr(s, "<uuid>"));
	ck_assert_ptr_null(strstr(s, "<topology>"));
	ck_assert_ptr_nonnull(strstr(s, "<power_management/>"));
	free(s);
}
END_TEST

/* JSON strings: RFC 8259's escapes, and each ill-formed UTF-8 sequence
 * (its maximal subpart) one U+FFFD, as Python's "replace" decodes it. */
START_TEST(json_hostile_strings)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "q\"b\\s/", "\"q\\\"b\\\\s/\"" },
		{ "\x01\x1f\t\n\r\x7f", "\"\\u0001\\u001f\\t\\n\\r\x7f\"" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
		/* a stray continuation, an overlong form, a surrogate, past
		 * U+10FFFF, a byte no UTF-8 has */
		{ "\x80", "\"\xef\xbf\xbd\"" },
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },
		/* truncated: the lead and its fitting continuations are one */
		{ "\xe2\x82Z", "\"\xef\xbf\xbdZ\"" },
		{ "\xf0\x9f\x98", "\"\xef\xbf\xbd\"" },
		{ "\xe2", "\"\xef\xbf\xbd\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = cp_json_string(cases[i].in);

		ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE), cases[i].out);
		json_object_put(o);
	}
}
END_TEST

/* The JSON backend: the root as the top object's member, attributes and
 * children as members, numbers from integer conversions only, text as
 * the value or "#text", the shape's arrays even of one, an unlisted
 * repeated child kept whole as an array. */
START_TEST(json_backend)
{
	static const struct cp_xml_shape shape[] = {
		{ "doc/item", CP_XML_ARRAY },
		{ "*/label", CP_XML_OBJECT },
		{ NULL, 0 },
	};
	struct cp_xml x;
	json_object *got, *want;
	char *s;

	cp_xml_init(&x, CP_DOC_JSON, shape);
	cp_xml_begin(&x, "doc");
	cp_xml_attr(&x, "n", "%u", 7u);
	cp_xml_attr(&x, "big", "%" PRIu64, UINT64_MAX);
	cp_xml_attr(&x, "neg", "%d", -3);
	cp_xml_attr(&x, "digits", "%s", "12");
	cp_xml_attr(&x, "hex", "0x%x", 255u);
	cp_xml_open(&x);
	cp_xml_blank(&x);
	cp_xml_begin(&x, "item");
	cp_xml_attr(&x, "id", "%zu", (size_t)1);
	cp_xml_empty(&x);
	cp_xml_leaf(&x, "v", "%s", "a");
	cp_xml_leaf(&x, "v", "%s", "b");
	cp_xml_leaf(&x, "label", "%s", "x");
	cp_xml_begin(&x, "t");
	cp_xml_attr(&x, "unit", "KiB");
	cp_xml_text(&x, "t", "%u", 5u);
	cp_xml_begin(&x, "e");
	cp_xml_empty(&x);
	cp_xml_close(&x, "doc");
	cp_xml_blank(&x);
	s = cp_xml_finish(&x);
	ck_assert(s[strlen(s) - 1] == '\n');
	got = json_tokener_parse(s);
	want = json_tokener_parse("{ \"doc\": { \"n\": 7, \"big\": 18446744073709551615, \"neg\": -3, \"digits\": \"12\","
				  " \"hex\": \"0xff\", \"item\": [ { \"id\": 1 } ], \"v\": [ \"a\", \"b\" ],"
				  " \"label\": { \"#text\": \"x\" }, \"t\": { \"unit\": \"KiB\", \"#text\": 5 }, \"e\": { } } }");
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(json_object_equal(got, want), "got %s", s);
	json_object_put(got);
	json_object_put(want);
	free(s);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("xml");
	TCase *tc = tcase_create("writer");

	tcase_add_test(tc, escape_like_libvirt);
	tcase_add_test(tc, layout);
	tcase_add_test(tc, escape_every_byte);
	tcase_add_test(tc, layout_values);
	tcase_add_test(tc, exact_units);
	suite_add_tcase(s, tc);
	tc = tcase_create("caps");
	tcase_add_test(tc, full_document);
	tcase_add_test(tc, control_min_shares_unit);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_test(tc, json_hostile_strings);
	tcase_add_test(tc, json_backend);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
