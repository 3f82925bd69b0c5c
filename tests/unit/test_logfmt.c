/* test_logfmt.c - exact logfmt lines: timestamp, level, escaping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "logfmt.h"

static void test_lines(void **state)
{
	(void)state;
	static const struct {
		time_t sec;
		long nsec;
		enum log_level lvl;
		const char *msg;
		const char *line;
	} t[] = {
	    {0, 0, LOG_LVL_INFO, "", "ts=1970-01-01T00:00:00.000Z level=info msg=\"\"\n"},
	    {1764139529, 123999999, LOG_LVL_WARN, "listening on :19177",
	     "ts=2025-11-26T06:45:29.123Z level=warn msg=\"listening on :19177\"\n"},
	    {1764139529, 5000000, LOG_LVL_ERROR, "a \"quoted\" C:\\path\nnext\tx\ry\x01z\x7f",
	     "ts=2025-11-26T06:45:29.005Z level=error msg=\"a \\\"quoted\\\" C:\\\\path\\nnext\\tx\\ry\\x01z\\x7f\"\n"},
	    {1764139529, 999999999, LOG_LVL_DEBUG, "caf\xc3\xa9",
	     "ts=2025-11-26T06:45:29.999Z level=debug msg=\"caf\xc3\xa9\"\n"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;
		struct timespec ts = {.tv_sec = t[i].sec, .tv_nsec = t[i].nsec};
		buf_init(&b, 4096);
		assert_int_equal(logfmt_line(&b, &ts, t[i].lvl, t[i].msg), 0);
		assert_string_equal(b.data, t[i].line);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
