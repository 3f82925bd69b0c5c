/* test_encoding.c - Accept-Encoding negotiation table and gzip round trips (one go, streamed) through zlib. */
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
#include "gunzip_check.h"

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

	assert_int_equal(encoding_gzip(in, len, &gz, &gzlen), 0);
	assert_true(gzlen >= 18);
	/* The gzip magic and the deflate method byte. */
	assert_int_equal((unsigned char)gz[0], 0x1f);
	assert_int_equal((unsigned char)gz[1], 0x8b);
	assert_int_equal((unsigned char)gz[2], 8);
	assert_gunzips_to(gz, gzlen, in, len);
	free(gz);
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

/* Fed in pieces of every awkward size, from an output of the minimum size
 * that must grow many times, the stream is one member of the same bytes. */
static void test_gzip_stream_pieces(void **state)
{
	(void)state;
	size_t n = 2 * 1024 * 1024 + 12345;
	char *in = malloc(n);
	uint32_t x = 99;

	assert_non_null(in);
	static const char line[] = "kvmmem_domain_rss_bytes{domain=\"g\"} 1\n";
	/* Half text-like (compressible), half noise (output grows past input). */
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		in[i] = i < n / 2 ? line[i % (sizeof(line) - 1)] : (char)(x >> 23);
	}
	static const size_t sizes[] = {1, 7, 0, 4096, 65536, 65537, 300000, 1 << 20};
	static const size_t hints[] = {0, 1 << 22};
	for (size_t h = 0; h < 2; h++) {
		struct gzip_stream *g = gzip_stream_new(hints[h]);
		size_t off = 0;
		assert_non_null(g);
		for (size_t k = 0; off < n; k++) {
			size_t m = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];
			if (m > n - off)
				m = n - off;
			assert_int_equal(gzip_stream_write(g, in + off, m), 0);
			off += m;
		}
		char *gz = NULL;
		size_t gzlen = 0;
		assert_int_equal(gzip_stream_finish(g, &gz, &gzlen), 0);
		assert_gunzips_to(gz, gzlen, in, n);
		/* Finished: nothing more goes in, and the output is the caller's. */
		assert_int_equal(gzip_stream_write(g, "x", 1), -EIO);
		char *again = NULL;
		assert_int_equal(gzip_stream_finish(g, &again, &gzlen), -EIO);
		assert_null(again);
		gzip_stream_free(g);
		free(gz);
	}
	/* An empty member, and freeing an unfinished stream. */
	struct gzip_stream *g = gzip_stream_new(0);
	char *gz = NULL;
	size_t gzlen = 0;
	assert_non_null(g);
	assert_int_equal(gzip_stream_finish(g, &gz, &gzlen), 0);
	assert_gunzips_to(gz, gzlen, "", 0);
	gzip_stream_free(g);
	free(gz);
	g = gzip_stream_new(10);
	assert_non_null(g);
	assert_int_equal(gzip_stream_write(g, in, n), 0);
	gzip_stream_free(g);
	gzip_stream_free(NULL);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_encoding),
	    cmocka_unit_test(test_gzip_roundtrip),
	    cmocka_unit_test(test_gzip_stream_pieces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
