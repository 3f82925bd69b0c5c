/*
 * test_utf8.c - utf8_put_valid over a case table: valid text kept byte for
 * byte, every kind of invalid byte replaced by U+FFFD one byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/utf8.h"

#define R "\xef\xbf\xbd"

static void test_put_valid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"", ""},
	    {"web-01", "web-01"},
	    /* Two, three and four bytes, the largest code point. */
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x96\xa5 \xf4\x8f\xbf\xbf",
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x96\xa5 \xf4\x8f\xbf\xbf"},
	    /* A stray continuation byte, a lead byte cut short, a byte never
	     * used in UTF-8. */
	    {"a\x80z", "a" R "z"},
	    {"a\xc3", "a" R},
	    {"a\xe2\x82z", "a" R R "z"},
	    {"\xff\xfe", R R},
	    /* Overlong forms, a surrogate, past U+10FFFF. */
	    {"\xc0\xaf", R R},
	    {"\xe0\x80\xaf", R R R},
	    {"\xed\xa0\x80", R R R},
	    {"\xf4\x90\x80\x80", R R R R},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;
		buf_init(&b, 256);
		utf8_put_valid(&b, t[i].in);
		assert_false(buf_failed(&b));
		if (b.len != strlen(t[i].want) || memcmp(b.data ? b.data : "", t[i].want, b.len) != 0)
			fail_msg("case %zu: got %.*s", i, (int)b.len, b.data ? b.data : "");
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
