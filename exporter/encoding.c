/* encoding.c - Accept-Encoding q-values and one-shot gzip with zlib. */
#include "encoding.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A qvalue (RFC 9110 section 12.4.2): "0" [ "." 0*3DIGIT ] or
 * "1" [ "." 0*3("0") ], in thousandths.  Returns -1 when malformed.
 */
static int parse_qvalue(const char *p, const char *end)
{
	int q;
	int scale = 100;

	if (p >= end || (*p != '0' && *p != '1'))
		return -1;
	q = (*p - '0') * 1000;
	p++;
	if (p < end && *p == '.') {
		p++;
		for (int n = 0; p < end && n < 3; n++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			q += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (p != end || q > 1000)
		return -1;
	return q;
}

/* The q of one "coding *( OWS ; OWS param )" element; 1000 when none. */
static int element_q(const char *p, const char *end)
{
	int q = 1000;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			break;
		p = semi + 1;
		while (p < end && is_ows(*p))
			p++;
		const char *pe = p < end ? memchr(p, ';', (size_t)(end - p)) : NULL;
		if (pe == NULL)
			pe = end;
		const char *ve = pe;
		while (ve > p && is_ows(ve[-1]))
			ve--;
		if (ve - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			q = parse_qvalue(p + 2, ve);
		p = pe;
	}
	return q < 0 ? 0 : q;
}

bool encoding_accepts_gzip(const char *ae)
{
	int gzip_q = -1, star_q = -1;

	if (ae == NULL)
		return false;
	const char *p = ae;
	const char *end = ae + strlen(ae);
	while (p < end) {
		const char *ee = memchr(p, ',', (size_t)(end - p));
		if (ee == NULL)
			ee = end;
		while (p < ee && is_ows(*p))
			p++;
		const char *ne = p;
		while (ne < ee && *ne != ';' && !is_ows(*ne))
			ne++;
		size_t nlen = (size_t)(ne - p);
		int q = element_q(ne, ee);
		if ((nlen == 4 && strncasecmp(p, "gzip", 4) == 0) || (nlen == 6 && strncasecmp(p, "x-gzip", 6) == 0)) {
			if (q > gzip_q)
				gzip_q = q;
		} else if (nlen == 1 && *p == '*') {
			star_q = q;
		}
		p = ee + 1;
	}
	if (gzip_q >= 0)
		return gzip_q > 0;
	return star_q > 0;
}

int encoding_gzip(const void *in, size_t len, char **out, size_t *outlen)
{
	z_stream zs;
	char *dst;
	uLong bound;
	int r;

	if (len > UINT_MAX / 2)
		return -EFBIG;
	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: the largest window, with a gzip header and trailer. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	/* deflateBound() after deflateInit2() includes the gzip wrapper, so
	 * one Z_FINISH call always completes. */
	bound = deflateBound(&zs, (uLong)len);
	dst = malloc(bound);
	if (dst == NULL) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)dst;
	zs.avail_out = (uInt)bound;
	r = deflate(&zs, Z_FINISH);
	if (r != Z_STREAM_END) {
		deflateEnd(&zs);
		free(dst);
		return -EIO;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	*out = dst;
	return 0;
}
