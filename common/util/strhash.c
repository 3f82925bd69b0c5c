/* strhash.c - FNV-1a over the bytes of a string. */
#include "util/strhash.h"

#include <stdint.h>

size_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}
