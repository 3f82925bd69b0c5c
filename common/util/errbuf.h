/*
 * errbuf.h - error text for callers that pass in their own buffer.
 *
 * The command-line and configuration parsers of every front-end, the web
 * config loader and the HTTP front report a failure as a negative errno
 * plus one line of text in a caller's (err, errsz) buffer; this is the one
 * helper that fills it.
 */
#ifndef KVMMEM_ERRBUF_H
#define KVMMEM_ERRBUF_H

#include <stddef.h>

/*
 * Formats fmt into err (at most errsz bytes, always terminated, truncated
 * when longer; nothing is written when errsz is 0) and returns rc, so a
 * failure path reads `return errbuf_fail(err, errsz, -EINVAL, "...", ...)`.
 */
int errbuf_fail(char *err, size_t errsz, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
