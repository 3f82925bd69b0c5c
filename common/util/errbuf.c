/* errbuf.c - error text into a caller's buffer (see errbuf.h). */
#include "util/errbuf.h"

#include <stdarg.h>
#include <stdio.h>

int errbuf_fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return rc;
}
