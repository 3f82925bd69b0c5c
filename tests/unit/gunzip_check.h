/*
 * gunzip_check.h - asserts that bytes are one whole gzip member inflating
 * to exactly the expected bytes.  Header-only, for cmocka tests.
 */
#ifndef KVMMEM_TEST_GUNZIP_CHECK_H
#define KVMMEM_TEST_GUNZIP_CHECK_H

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gz[0..gzlen) must be one gzip member, ending exactly at gzlen, that
 * inflates to exactly want[0..wantlen). */
static inline void assert_gunzips_to(const char *gz, size_t gzlen, const char *want, size_t wantlen)
{
	char *back = malloc(wantlen + 16);
	z_stream zs;

	assert_non_null(back);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = (Bytef *)back;
	zs.avail_out = (uInt)(wantlen + 16);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	assert_int_equal(zs.total_out, wantlen);
	assert_memory_equal(back, want, wantlen);
	inflateEnd(&zs);
	free(back);
}

#endif
