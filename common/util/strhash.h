/*
 * strhash.h - the hash of a NUL-terminated string for the tables keyed by
 * domain name (the XML cache, the domain-to-pid cache).
 */
#ifndef KVMMEM_STRHASH_H
#define KVMMEM_STRHASH_H

#include <stddef.h>

/* 64-bit FNV-1a of s, as a size_t: cheap, and spreads names that differ
 * in one trailing digit (guest-00017, guest-00018) over the whole range. */
size_t str_hash(const char *s);

#endif
