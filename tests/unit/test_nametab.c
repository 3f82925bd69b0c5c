/* test_strhash.c - str_hash is 64-bit FNV-1a, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/nametab.h"

static void test_fnv1a_vectors(void **state)
{
	(void)state;
	/* The published FNV-1a 64 test vectors (the offset basis for ""). */
	static const struct {
		const char *s;
		uint64_t h;
	} t[] = {
	    {"", 0xcbf29ce484222325ULL},
	    {"a", 0xaf63dc4c8601ec8cULL},
	    {"foobar", 0x85944171f73967e8ULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(str_hash(t[i].s), (size_t)t[i].h);
	/* Bytes above 0x7f count as unsigned, whatever char's sign (a
	 * sign-extended 0xff would flip all 64 bits). */
	assert_int_equal(str_hash("\xff"
	                          "caf\xc3\xa9"),
	                 (size_t)0xafc0f7fcc9fa339cULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fnv1a_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
