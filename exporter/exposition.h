/*
 * exposition.h - a snapshot as Prometheus text exposition format 0.0.4.
 *
 * A sink (sink.h) that writes "# HELP", "# TYPE" and sample lines into a
 * struct buf.  The buffer's cap and sticky error make the document all or
 * nothing: callers serve it only when rendering returned 0.
 */
#ifndef KVMMEM_EXPOSITION_H
#define KVMMEM_EXPOSITION_H

#include "buf.h"
#include "emit.h"
#include "sink.h"
#include "snapshot.h"

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

#endif
