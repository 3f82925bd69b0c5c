/* test_encoding.c - Accept-Encoding negotiation table and a gzip round trip through zlib. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "encoding.h"

static void test_accept_encoding(void **state)
{
	(void)state;
	static const struct {
		const char *h;
		bool gzip;
	} t[] = {
	    {NULL, false},
	    {"", false},
	    {"gzip", true},
	    {"GZip", true},
	    {"x-gzip", true},
	    {"identity", false},
	    {"deflate, br", false},
	    {"gzip, deflate, br", true},
	    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
	    {"gzip;q=0", false},
	    {"gzip; q=0", false},
	    {"gzip ;q=0.000", false},
	    {"gzip;Q=0.0", false},
	    {"gzip;q=0.001", true},
	    {"gzip;q=1", true},
	    {"gzip;q=1.000", true},
	    {"gzip;q=1.001", false}, /* malformed: counts as q=0 */
	    {"gzip;q=2", false},
	    {"gzip;q=abc", false},
	    {"gzip;q=0.0000", false},
	    {"*", true},
	    {"*;q=0", false},
	    {"*;q=0.5, gzip;q=0", false}, /* the explicit entry wins */
	    {"gzip;q=0, *", false},
	    {"identity, *;q=0.3", true},
	    {"gzipper", false},
	    {"  gzip  ", true},
	    {"deflate,gzip;level=1;q=0.5", true},
	    {",,gzip,,", true},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("Accept-Encoding: %s\n", t[i].h != NULL ? t[i].h : "(absent)");
		assert_int_equal(encoding_accepts_gzip(t[i].h), t[i].gzip);
	}
}

static void roundtrip(const char *in, size_t len)
{
	char *gz = NULL;
	size_t gzlen = 0;
	z_stream zs;
	char *back = malloc(len + 16);

	assert_non_null(back);
	assert_int_equal(encoding_gzip(in, len, &gz, &gzlen), 0);
	assert_true(gzlen >= 18);
	/* The gzip magic and the deflate method byte. */
	assert_int_equal((unsigned char)gz[0], 0x1f);
	assert_int_equal((unsigned char)gz[1], 0x8b);
	assert_int_equal((unsigned char)gz[2], 8);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = (Bytef *)back;
	zs.avail_out = (uInt)(len + 16);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_int_equal(zs.avail_in, 0);
	assert_memory_equal(back, in, len);
	inflateEnd(&zs);
	free(gz);
	free(back);
}

static void test_gzip_roundtrip(void **state)
{
	(void)state;
	size_t n = 3 * 1024 * 1024;
	char *big = malloc(n);
	uint32_t x = 12345;

	assert_non_null(big);
	/* Poorly compressible bytes, so the output bound matters. */
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)(x >> 23);
	}
	roundtrip("", 0);
	roundtrip("kvmmem_ksm_run 1\n", 17);
	roundtrip(big, n);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_encoding),
	    cmocka_unit_test(test_gzip_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
