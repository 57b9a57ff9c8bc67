#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xml/xpath.h"

static const char doc[] =
	"<capabilities>\n\n  <host>\n    <cpu>\n      <model>kvm64-v1</model>\n"
	"      <feature name='a'/>\n      <feature name='b'/>\n    </cpu>\n"
	"    <migration_features>\n      <live/>\n      <uri_transports>\n"
	"        <uri_transport>tcp</uri_transport>\n        <uri_transport>rdma</uri_transport>\n"
	"      </uri_transports>\n    </migration_features>\n"
	"    <cells><cell id='0'/><cell id='1'/></cells>\n  </host>\n\n</capabilities>\n";

static char *query(const char *expr, int wrap)
{
	char *out = NULL;

	ck_assert_int_eq(cp_xpath_query(doc, expr, wrap, &out), 0);
	return out;
}

#define EXPECT(expr, wrap, want) do {					\
		char *got_ = query(expr, wrap);				\
		ck_assert_str_eq(got_, want);				\
		free(got_);						\
	} while (0)

START_TEST(node_sets_like_virsh)
{
	EXPECT("/capabilities/host/cpu/model", 0, "<model>kvm64-v1</model>\n\n");
	EXPECT("//feature", 0, "<feature name=\"a\"/>\n<feature name=\"b\"/>\n\n");
	EXPECT("//cell/@id", 0, " id=\"0\"\n id=\"1\"\n\n");
	EXPECT("//uri_transport/text()", 0, "tcp\nrdma\n\n");
	EXPECT("//nothing", 0, "\n");
	/* children are re-indented by the serializer */
	EXPECT("//migration_features", 0,
	       "<migration_features>\n  <live/>\n  <uri_transports>\n"
	       "    <uri_transport>tcp</uri_transport>\n    <uri_transport>rdma</uri_transport>\n"
	       "  </uri_transports>\n</migration_features>\n\n");
}
END_TEST

START_TEST(wrap_like_virsh)
{
	EXPECT("//feature", 1, "<nodes>\n  <feature name=\"a\"/>\n  <feature name=\"b\"/>\n</nodes>\n\n");
	EXPECT("//nothing", 1, "<nodes/>\n\n");
	EXPECT("//cell/@id", 1, "<nodes id=\"1\"/>\n\n");
	EXPECT("//uri_transport/text()", 1, "<nodes>tcprdma</nodes>\n\n");
}
END_TEST

START_TEST(values)
{
	EXPECT("count(//feature)", 0, "2\n");
	EXPECT("string(//cpu/model)", 0, "kvm64-v1\n");
	EXPECT("count(//x) = 0", 0, "true\n");
	EXPECT("count(//feature) div 4", 0, "0.5\n");
}
END_TEST

START_TEST(invalid)
{
	char *out = NULL;

	ck_assert_int_eq(cp_xpath_query(doc, "//bogus[", 0, &out), -EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(cp_xpath_query(doc, "", 0, &out), -EINVAL);
	ck_assert_int_eq(cp_xpath_query(doc, "unknownfn(1)", 0, &out), -EINVAL);
	ck_assert_int_eq(cp_xpath_query("<a><b></a>", "/a", 0, &out), -EINVAL);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("xpath");
	TCase *tc = tcase_create("query");

	tcase_add_test(tc, node_sets_like_virsh);
	tcase_add_test(tc, wrap_like_virsh);
	tcase_add_test(tc, values);
	tcase_add_test(tc, invalid);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
