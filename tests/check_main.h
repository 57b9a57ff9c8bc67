/* Shared main() for the Check unit-test programs: each file defines
 * make_suite() and includes this header last. */
#ifndef CP_CHECK_MAIN_H
#define CP_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static Suite *make_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(make_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Path of a fixture below tests/fixtures (FIXTURES is set by make check). */
static inline const char *fixture_dir(void)
{
	const char *d = getenv("FIXTURES");

	return d ? d : "tests/fixtures";
}

#endif
