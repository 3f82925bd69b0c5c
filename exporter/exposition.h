/*
 * exposition.h - a snapshot as Prometheus text exposition format 0.0.4.
 *
 * A sink (sink.h) that writes "# HELP", "# TYPE" and sample lines into a
 * struct buf, or, streamed, hands them on a piece at a time.  The cap and
 * sticky errors make the document all or nothing: callers serve it only
 * when rendering returned 0.
 */
#ifndef KVMMEM_EXPOSITION_H
#define KVMMEM_EXPOSITION_H

#include "util/buf.h"
#include "model/emit.h"
#include "model/sink.h"
#include "model/snapshot.h"

/* The Content-Type of the format this module writes. */
#define EXPOSITION_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Fills sink so that emit_snapshot() appends to out (borrowed). */
void exposition_sink(struct sink *sink, struct buf *out);

/*
 * Appends the whole exposition of s to out.  Returns 0, or the buffer's
 * negative errno (-E2BIG past its cap, -ENOMEM); then out must not be
 * served.  build may be NULL (no build_info family).
 */
int exposition_render(const struct snapshot *s, const struct build_labels *build, struct buf *out);

/*
 * How much text exposition_stream() gathers before handing it on: a piece
 * is this long or a little longer (the line that crosses it), the last
 * one shorter.
 */
#define EXPOSITION_PIECE (64 * 1024)

/* Takes the next piece of a document; returns 0 or a negative errno,
 * which stops the rendering. */
typedef int (*exposition_write_fn)(void *ctx, const char *data, size_t len);

/*
 * Renders the same text as exposition_render() but hands it to write (with
 * ctx) in pieces of about EXPOSITION_PIECE bytes, so the whole document
 * is never in memory.  max caps the whole document as a buffer capped at
 * max would.  Returns 0 and sets *total to the document's length, or
 * -E2BIG past max, -ENOMEM, or what write returned; then the pieces
 * already written are no document and must not be served.
 */
int exposition_stream(const struct snapshot *s, const struct build_labels *build, size_t max, exposition_write_fn write,
                      void *ctx, size_t *total);

#endif
