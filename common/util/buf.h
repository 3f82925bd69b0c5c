/*
 * buf.h - a growable byte buffer with a hard size cap (curl's dynbuf idea).
 *
 * Errors are sticky: once an append fails (cap exceeded or out of memory)
 * every later append fails too and buf_failed() says so, so a caller can
 * write a whole document and check once at the end.  A failed buffer is
 * never to be served: the rule is "no truncated bodies".
 */
#ifndef KVMMEM_BUF_H
#define KVMMEM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;   /* NUL-terminated while len < alloc */
	size_t len;   /* bytes used, excluding the NUL */
	size_t alloc; /* bytes allocated */
	size_t max;   /* hard cap on len */
	int err;      /* 0, -ENOMEM or -E2BIG; sticky */
};

/* Starts an empty buffer that may grow to max bytes.  Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Frees the storage and leaves an empty buffer with the same cap. */
void buf_free(struct buf *b);
/* Empties the buffer and clears the error, keeping the storage. */
void buf_reset(struct buf *b);

/* Allocates room for about size bytes (capped at max) ahead of time, so a
 * large document is not grown by doubling.  Only a hint: when memory is
 * short nothing happens and the buffer grows as usual, never failing. */
void buf_presize(struct buf *b, size_t size);

/* Appends; each returns 0 or the (sticky) negative errno. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exact decimal integers, no locale involved. */
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_i64(struct buf *b, int64_t v);
/* A float in Prometheus text syntax: shortest text that reads back to the
 * same double, "NaN", "+Inf", "-Inf"; always '.' whatever the locale. */
int buf_put_double(struct buf *b, double v);

static inline bool buf_failed(const struct buf *b)
{
	return b->err != 0;
}

/* Hands the storage to the caller (free() it) and resets b.  Returns NULL
 * if the buffer failed; *len gets the length. */
char *buf_steal(struct buf *b, size_t *len);

#endif
