/*
 * json.h - kvmmem-top --json: one JSON document per collection, on one
 * line, for scripts.
 *
 * Exact numbers: bytes are integers, rates and ratios are shortest
 * round-trip doubles; an absent value is null, never 0.  Strings are
 * escaped as RFC 8259 says and invalid UTF-8 becomes U+FFFD.
 */
#ifndef KVMMEM_TOP_JSON_H
#define KVMMEM_TOP_JSON_H

#include <stddef.h>

#include "model.h"
#include "util/buf.h"

/* Appends the document of v (the domains that match filter, NULL: all)
 * and a newline.  Returns 0 or the buf error. */
int top_json_view(const struct top_view *v, const char *filter, struct buf *b);

/* Appends s as a JSON string, quotes included. */
int top_json_string(struct buf *b, const char *s);

#endif
