/* logfmt.c - log lines as ts=... level=... msg="..." on stderr. */
#include "logfmt.h"

#include <errno.h>
#include <unistd.h>

int logfmt_line(struct buf *b, const struct timespec *ts, enum log_level level, const char *msg)
{
	struct tm tm;
	char stamp[32];

	if (gmtime_r(&ts->tv_sec, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	buf_printf(b, "ts=%s.%03ldZ level=%s msg=\"", stamp, ts->tv_nsec / 1000000, log_level_name(level));
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		default:
			/* Other control bytes would confuse terminals and parsers. */
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\x%02x", *p);
			else
				buf_putc(b, (char)*p);
		}
	}
	buf_puts(b, "\"\n");
	return b->err;
}

void logfmt_stderr(void *ctx, enum log_level level, const char *msg)
{
	struct timespec ts;
	struct buf b;
	int saved = errno;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* One write() per line keeps lines from different threads whole. */
	buf_init(&b, 16 * 1024);
	if (logfmt_line(&b, &ts, level, msg) == 0) {
		ssize_t n = write(STDERR_FILENO, b.data, b.len);
		(void)n;
	}
	buf_free(&b);
	errno = saved;
}
