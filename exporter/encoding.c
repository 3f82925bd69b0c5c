/* encoding.c - Accept-Encoding q-values and gzip with zlib, in one go or streamed. */
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

struct gzip_stream {
	z_stream zs;
	char *out; /* compressed so far: out[0 .. zs.total_out) */
	size_t alloc;
	int err; /* sticky */
};

/* The first output allocation when no hint is given. */
#define GZ_MIN_ALLOC (16 * 1024)

struct gzip_stream *gzip_stream_new(size_t size_hint)
{
	struct gzip_stream *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	/* 15 + 16: the largest window, with a gzip header and trailer.
	 * Z_BEST_SPEED: on an exposition of 7 MB (5000 domains) zlib's
	 * default level took 36 ms of CPU for 371 KB, level 1 19 ms for 414
	 * KB; the text is so repetitive that speed costs little size, and a
	 * scrape's CPU is what this exporter is judged by. */
	if (deflateInit2(&g->zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return NULL;
	}
	g->alloc = size_hint > GZ_MIN_ALLOC ? size_hint : GZ_MIN_ALLOC;
	g->out = malloc(g->alloc);
	if (g->out == NULL) {
		deflateEnd(&g->zs);
		free(g);
		return NULL;
	}
	return g;
}

/* Runs deflate until it has taken all of avail_in (flush Z_NO_FLUSH) or
 * written the trailer (Z_FINISH), growing the output as it fills. */
static int gz_pump(struct gzip_stream *g, int flush)
{
	for (;;) {
		size_t used = (size_t)g->zs.total_out;
		if (used == g->alloc) {
			size_t grown = g->alloc * 2;
			char *p = grown > g->alloc ? realloc(g->out, grown) : NULL;
			if (p == NULL)
				return -ENOMEM;
			g->out = p;
			g->alloc = grown;
		}
		size_t room = g->alloc - used;
		g->zs.next_out = (Bytef *)g->out + used;
		g->zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		int r = deflate(&g->zs, flush);
		if (flush == Z_FINISH && r == Z_STREAM_END)
			return 0;
		/* Z_BUF_ERROR only says no progress was possible, which the
		 * loop resolves by growing the output. */
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -EIO;
		if (flush != Z_FINISH && g->zs.avail_in == 0 && g->zs.avail_out != 0)
			return 0;
	}
}

int gzip_stream_write(struct gzip_stream *g, const void *in, size_t len)
{
	const Bytef *p = in;

	while (g->err == 0 && len > 0) {
		uInt n = len > UINT_MAX ? UINT_MAX : (uInt)len;
		g->zs.next_in = (Bytef *)(uintptr_t)p;
		g->zs.avail_in = n;
		g->err = gz_pump(g, Z_NO_FLUSH);
		p += n;
		len -= n;
	}
	return g->err;
}

int gzip_stream_finish(struct gzip_stream *g, char **out, size_t *outlen)
{
	if (g->err != 0)
		return g->err;
	g->zs.next_in = NULL;
	g->zs.avail_in = 0;
	g->err = gz_pump(g, Z_FINISH);
	if (g->err != 0)
		return g->err;
	size_t len = (size_t)g->zs.total_out;
	/* Give back the slack of the last doubling: the body may be kept
	 * while other requests are served from it. */
	char *p = len < g->alloc ? realloc(g->out, len) : NULL;
	*out = p != NULL ? p : g->out;
	*outlen = len;
	g->out = NULL;
	g->alloc = 0;
	/* Nothing more can be written. */
	g->err = -EIO;
	return 0;
}

void gzip_stream_free(struct gzip_stream *g)
{
	if (g == NULL)
		return;
	deflateEnd(&g->zs);
	free(g->out);
	free(g);
}

int encoding_gzip(const void *in, size_t len, char **out, size_t *outlen)
{
	/* Text this exporter writes compresses to well under a quarter. */
	struct gzip_stream *g = gzip_stream_new(len / 4);
	if (g == NULL)
		return -ENOMEM;
	int rc = gzip_stream_write(g, in, len);
	if (rc == 0)
		rc = gzip_stream_finish(g, out, outlen);
	gzip_stream_free(g);
	return rc;
}
