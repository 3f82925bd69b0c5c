/* utf8.c - text made valid UTF-8. */
#include "util/utf8.h"

void utf8_put_valid(struct buf *out, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	while (*p) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
		size_t i = 1;
		for (; i < n && (p[i] & 0xc0) == 0x80; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
		if (n == 0 || i < n || cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			buf_puts(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		buf_append(out, p, n);
		p += n;
	}
}
