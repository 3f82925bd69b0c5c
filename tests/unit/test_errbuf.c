/* test_errbuf.c - errbuf_fail: exact text, truncation, a zero-sized buffer left alone, rc passed through. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/errbuf.h"

static void test_formats_and_returns_rc(void **state)
{
	(void)state;
	char err[64];

	assert_int_equal(errbuf_fail(err, sizeof(err), -EINVAL, "line %d: unknown key '%s'", 4, "x"), -EINVAL);
	assert_string_equal(err, "line 4: unknown key 'x'");
	assert_int_equal(errbuf_fail(err, sizeof(err), -ENOENT, "%s", ""), -ENOENT);
	assert_string_equal(err, "");
}

static void test_truncates_and_terminates(void **state)
{
	(void)state;
	char err[8];

	memset(err, 'z', sizeof(err));
	assert_int_equal(errbuf_fail(err, sizeof(err), -EIO, "cannot read %s", "/etc/web.yml"), -EIO);
	assert_string_equal(err, "cannot ");
}

static void test_zero_size_writes_nothing(void **state)
{
	(void)state;
	char err[4] = "old";

	assert_int_equal(errbuf_fail(err, 0, -ENOMEM, "out of memory"), -ENOMEM);
	assert_string_equal(err, "old");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_formats_and_returns_rc),
	    cmocka_unit_test(test_truncates_and_terminates),
	    cmocka_unit_test(test_zero_size_writes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
