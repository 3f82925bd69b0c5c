/* test_buf.c - growable capped buffer: exact text, caps and sticky errors. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"

static void test_append_and_steal(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_printf(&b, "-%d-", 42), 0);
	assert_int_equal(buf_putc(&b, 'x'), 0);
	size_t len = 0;
	char *s = buf_steal(&b, &len);
	assert_string_equal(s, "abc-42-x");
	assert_int_equal(len, 8);
	free(s);
}

static void test_cap_is_sticky(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_putc(&b, '6'), -E2BIG);
	/* Later appends that would fit still fail: no truncated documents. */
	buf_free(&b);
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "123456"), -E2BIG);
	assert_int_equal(buf_puts(&b, "1"), -E2BIG);
	assert_true(buf_failed(&b));
	assert_null(buf_steal(&b, NULL));
	buf_free(&b);
}

static void test_long_printf(void **state)
{
	(void)state;
	struct buf b;
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 4096);
	assert_int_equal(buf_printf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[1000], '>');
	buf_free(&b);
}

static void test_integers(void **state)
{
	(void)state;
	static const struct {
		int64_t i;
		const char *want;
	} cases[] = {
	    {0, "0"},
	    {-1, "-1"},
	    {INT64_MAX, "9223372036854775807"},
	    {INT64_MIN, "-9223372036854775808"},
	};
	struct buf b;
	buf_init(&b, 100);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_put_i64(&b, cases[i].i);
		assert_string_equal(b.data, cases[i].want);
	}
	buf_reset(&b);
	buf_put_u64(&b, UINT64_MAX);
	assert_string_equal(b.data, "18446744073709551615");
	buf_free(&b);
}

static void test_doubles(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *want;
	} cases[] = {
	    {0.02, "0.02"},
	    {0.1, "0.1"},
	    {2.0, "2"},
	    {-3.5, "-3.5"},
	    {1e300, "1e+300"},
	    {1.0 / 3.0, "0.3333333333333333"},
	    {9007199254740993.0, "9007199254740992"},
	    {-0.0, "0"},
	};
	struct buf b;
	buf_init(&b, 100);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_put_double(&b, cases[i].v);
		assert_string_equal(b.data, cases[i].want);
	}
	buf_reset(&b);
	buf_put_double(&b, NAN);
	assert_string_equal(b.data, "NaN");
	buf_reset(&b);
	buf_put_double(&b, INFINITY);
	assert_string_equal(b.data, "+Inf");
	buf_reset(&b);
	buf_put_double(&b, -INFINITY);
	assert_string_equal(b.data, "-Inf");
	buf_free(&b);
}

/* Presizing allocates once, is capped, and changes no content. */
static void test_presize(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100);
	buf_presize(&b, 50);
	assert_int_equal(b.alloc, 51);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	char *before = b.data;
	assert_int_equal(buf_puts(&b, "0123456789012345678901234567890123456789012345678"), 0);
	assert_ptr_equal(b.data, before);
	/* Above the cap it stops at the cap; smaller hints do nothing. */
	buf_presize(&b, 1000);
	assert_int_equal(b.alloc, 101);
	buf_presize(&b, 10);
	assert_int_equal(b.alloc, 101);
	assert_string_equal(b.data, "0123456789012345678901234567890123456789012345678");
	assert_false(buf_failed(&b));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_steal), cmocka_unit_test(test_cap_is_sticky),
	    cmocka_unit_test(test_long_printf),      cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_doubles),          cmocka_unit_test(test_presize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
