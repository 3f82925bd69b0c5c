/* test_paths.c - joined file names: exact text, limits, pids. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/paths.h"

static void test_join3(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(path_join3(out, sizeof(out), "/proc", "/42", "/stat"), 13);
	assert_string_equal(out, "/proc/42/stat");
	assert_int_equal(path_join3(out, sizeof(out), "", "", ""), 0);
	assert_string_equal(out, "");
	/* 15 characters fit a 16-byte buffer, 16 do not, and out stays as it was. */
	assert_int_equal(path_join3(out, sizeof(out), "0123456789", "abcd", "e"), 15);
	assert_string_equal(out, "0123456789abcde");
	assert_int_equal(path_join3(out, sizeof(out), "0123456789", "abcd", "ef"), -ENAMETOOLONG);
	assert_string_equal(out, "0123456789abcde");
}

static void test_slash_pid(void **state)
{
	(void)state;
	static const struct {
		pid_t pid;
		const char *want;
	} cases[] = {{0, "/0"}, {1, "/1"}, {4101, "/4101"}, {4194304, "/4194304"}, {2147483647, "/2147483647"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[16];
		assert_string_equal(path_slash_pid(buf, cases[i].pid), cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_join3),
	    cmocka_unit_test(test_slash_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
