/* buf.c - growable, capped byte buffer. */
#include "util/buf.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->err = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for extra more bytes plus the terminating NUL. */
static int buf_reserve(struct buf *b, size_t extra)
{
	if (b->err != 0)
		return b->err;
	if (extra > b->max || b->len > b->max - extra) {
		b->err = -E2BIG;
		return b->err;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	size_t n = b->alloc != 0 ? b->alloc : 256;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	char *p = realloc(b->data, n);
	if (p == NULL) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->alloc = n;
	return 0;
}

void buf_presize(struct buf *b, size_t size)
{
	if (size > b->max)
		size = b->max;
	if (b->err != 0 || size + 1 <= b->alloc)
		return;
	char *p = realloc(b->data, size + 1);
	if (p == NULL)
		return;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->alloc = size + 1;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	int r = buf_reserve(b, len);
	if (r != 0)
		return r;
	if (len != 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (b->err == 0)
			b->err = -EINVAL;
		return b->err;
	}
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	int r = buf_reserve(b, (size_t)n);
	if (r != 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return buf_append(b, tmp + i, sizeof(tmp) - i);
}

int buf_put_i64(struct buf *b, int64_t v)
{
	if (v >= 0)
		return buf_put_u64(b, (uint64_t)v);
	int r = buf_putc(b, '-');
	if (r != 0)
		return r;
	/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
	return buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
}

/* The C locale for numbers, made once.  glibc returns its static C locale
 * for LC_ALL_MASK and "C" without allocating; elsewhere it is one small
 * allocation kept for the life of the process.  (locale_t)0 when even
 * that failed. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int buf_put_double(struct buf *b, double v)
{
	char tmp[40];

	if (isnan(v))
		return buf_puts(b, "NaN");
	if (isinf(v))
		return buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	/* Integral values within 2^53 print as integers: exact and short. */
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return buf_put_i64(b, (int64_t)v);
	/* snprintf and strtod both follow LC_NUMERIC: under a locale with a
	 * decimal comma the text would say "0,1", or, put right, strtod would
	 * stop at the '.' and every value would take 17 digits.  uselocale
	 * switches this thread only, and back. */
	if (pthread_once(&c_locale_once, c_locale_init) != 0 || c_locale == (locale_t)0) {
		/* Without a C locale 17 digits always read back; only the
		 * separator needs putting right. */
		snprintf(tmp, sizeof(tmp), "%.17g", v);
		for (char *p = tmp; *p != '\0'; p++)
			if (*p == ',')
				*p = '.';
		return buf_puts(b, tmp);
	}
	locale_t old = uselocale(c_locale);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	(void)uselocale(old);
	return buf_puts(b, tmp);
}

char *buf_steal(struct buf *b, size_t *len)
{
	if (b->err != 0) {
		buf_free(b);
		return NULL;
	}
	if (b->data == NULL && buf_reserve(b, 0) != 0) {
		buf_free(b);
		return NULL;
	}
	char *p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	buf_free(b);
	return p;
}
