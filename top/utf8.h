/* utf8.h - one UTF-8 sequence, checked, for names shown or written as JSON. */
#ifndef KVMMEM_TOP_UTF8_H
#define KVMMEM_TOP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the valid multi-byte sequence at s (s[0] >= 0x80) and its
 * code point in *cp, or 0 for an invalid one: a bad lead or continuation
 * byte, an overlong form, a surrogate or a value beyond U+10FFFF.  s is
 * NUL-terminated, so no read goes past the end. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);

#endif
