/*
 * encoding.h - HTTP content coding: Accept-Encoding negotiation and gzip.
 *
 * Only gzip is offered; identity is always acceptable to us.
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

/*
 * Compresses in[0..len) into a single gzip member.  On success *out is a
 * malloc'ed buffer the caller frees and *outlen its size.  Returns 0,
 * -ENOMEM, -EFBIG (input beyond zlib's 32-bit length) or -EIO (zlib error).
 */
int encoding_gzip(const void *in, size_t len, char **out, size_t *outlen);

#endif
