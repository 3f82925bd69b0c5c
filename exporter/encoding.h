/*
 * encoding.h - HTTP content coding: Accept-Encoding negotiation and gzip.
 *
 * Only gzip is offered; identity is always acceptable to us.  gzip is made
 * either in one go or streamed (fed in pieces).
 */
#ifndef KVMMEM_ENCODING_H
#define KVMMEM_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when an Accept-Encoding header value (NULL when absent) allows gzip
 * (RFC 9110 section 12.5.3): an explicit "gzip" or "x-gzip" entry decides
 * by its q-value, else a "*" entry does; q=0 means "not acceptable".  An
 * entry with a malformed q-value counts as q=0.
 */
bool encoding_accepts_gzip(const char *accept_encoding);

struct gzip_stream;

/*
 * Starts one gzip member, compressed at zlib's fastest level, that is fed
 * a piece at a time: a large document is compressed without ever being
 * whole in memory.  size_hint (0: none) is the expected compressed size,
 * allocated up front so the output is not grown by doubling.  NULL when
 * out of memory.  Free with gzip_stream_free().
 */
struct gzip_stream *gzip_stream_new(size_t size_hint);

/*
 * Compresses in[0..len) as the next bytes of the member.  Returns 0,
 * -ENOMEM or -EIO (zlib error); errors are sticky.
 */
int gzip_stream_write(struct gzip_stream *g, const void *in, size_t len);

/*
 * Ends the member.  On success *out is a malloc'ed buffer the caller frees
 * and *outlen its size; g can then only be freed.  Returns 0, or the
 * sticky error of an earlier write, -ENOMEM or -EIO; then *out is untouched.
 */
int gzip_stream_finish(struct gzip_stream *g, char **out, size_t *outlen);

/* Frees g and whatever output it still holds; NULL is fine. */
void gzip_stream_free(struct gzip_stream *g);

/*
 * Compresses in[0..len) into a single gzip member in one go (a
 * gzip_stream fed once).  On success *out is a malloc'ed buffer the caller
 * frees and *outlen its size.  Returns 0, -ENOMEM or -EIO (zlib error).
 */
int encoding_gzip(const void *in, size_t len, char **out, size_t *outlen);

#endif
