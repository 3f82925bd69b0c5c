/*
 * utf8.h - text made valid UTF-8: a command line or a file holds any
 * bytes, a label value is UTF-8.
 */
#ifndef KVMMEM_UTF8_H
#define KVMMEM_UTF8_H

#include "util/buf.h"

/* Appends the NUL-terminated name to out with every byte that is not part
 * of valid UTF-8 (a stray continuation byte, a cut sequence, an overlong
 * form, a surrogate, a code point past U+10FFFF) replaced by U+FFFD.
 * Failures are out's (buf_failed). */
void utf8_put_valid(struct buf *out, const char *name);

#endif
