/*
 * logfmt.h - the exporter's log backend: logfmt lines on stderr.
 *
 *   ts=2026-11-26T06:45:29.123Z level=info msg="listening on :19177"
 *
 * the shape Prometheus exporters log in, so the same tooling parses both.
 */
#ifndef KVMMEM_LOGFMT_H
#define KVMMEM_LOGFMT_H

#include <time.h>

#include "util/buf.h"
#include "util/log.h"

/* Appends one line (with its newline) for a message logged at time ts
 * (CLOCK_REALTIME).  The message is quoted, escaping \, ", and control
 * characters.  Returns 0 or the buf error. */
int logfmt_line(struct buf *b, const struct timespec *ts, enum log_level level, const char *msg);

/* A log_backend_fn writing logfmt_line() to stderr in one write(); ctx is
 * unused.  Safe to call from several threads. */
void logfmt_stderr(void *ctx, enum log_level level, const char *msg);

#endif
