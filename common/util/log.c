/* log.c - formatting and rate limiting for the core's log lines. */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

static void vlog(const struct kvm_log *lg, enum log_level level, int err, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (lg == NULL || lg->backend == NULL || level > lg->max_level) {
		errno = saved;
		return;
	}
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (err != 0 && (size_t)n < sizeof(msg)) {
		/* strerror may write a shared buffer and workers log at the
		 * same time; strerrordesc_np only returns constant text. */
		int e = err < 0 ? -err : err;
		const char *desc = strerrordesc_np(e);
		if (desc != NULL)
			snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", desc);
		else
			snprintf(msg + n, sizeof(msg) - (size_t)n, ": Unknown error %d", e);
	}
	lg->backend(lg->ctx, level, msg);
	errno = saved;
}

#define DEFINE_LOG(fn, level, with_errno)                                                                              \
	void fn(const struct kvm_log *lg, const char *fmt, ...)                                                        \
	{                                                                                                              \
		int e = (with_errno) ? errno : 0;                                                                      \
		va_list ap;                                                                                            \
		va_start(ap, fmt);                                                                                     \
		vlog(lg, level, e, fmt, ap);                                                                           \
		va_end(ap);                                                                                            \
	}

DEFINE_LOG(log_warn, LOG_LVL_WARN, 1)
DEFINE_LOG(log_warnx, LOG_LVL_WARN, 0)
DEFINE_LOG(log_errx, LOG_LVL_ERROR, 0)
DEFINE_LOG(log_info, LOG_LVL_INFO, 0)
DEFINE_LOG(log_debug, LOG_LVL_DEBUG, 0)

void log_warnerr(const struct kvm_log *lg, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lg, LOG_LVL_WARN, err, fmt, ap);
	va_end(ap);
}

enum { COMPLAIN_MIN_INTERVAL = 60, COMPLAIN_MAX_INTERVAL = 86400 };

/* Seconds on CLOCK_MONOTONIC.  The back-off is a duration, and the wall
 * clock is no measure of one: setting it back (an NTP step, an operator's
 * date) would silence a failure, setting it forward would let every
 * repeat through.  Linux cannot fail this call for this clock. */
static time_t monotonic_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return ts.tv_sec;
}

void complain(const struct kvm_log *lg, struct complaint *c, const char *fmt, ...)
{
	time_t now = monotonic_s();
	va_list ap;

	if (c->failing && now - c->last < c->interval)
		return;
	if (!c->failing) {
		c->failing = true;
		c->interval = COMPLAIN_MIN_INTERVAL;
	} else {
		/* Doubling 61440 s would pass the one-day ceiling: clamp. */
		c->interval = c->interval > COMPLAIN_MAX_INTERVAL / 2 ? COMPLAIN_MAX_INTERVAL : c->interval * 2;
	}
	c->last = now;
	va_start(ap, fmt);
	vlog(lg, LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

void complain_release(const struct kvm_log *lg, struct complaint *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->failing)
		return;
	c->failing = false;
	c->last = 0;
	c->interval = 0;
	va_start(ap, fmt);
	vlog(lg, LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

const char *log_strerror(int err)
{
	/* strerror may write a shared buffer and workers log at the same
	 * time; strerrordesc_np only returns constant text. */
	const char *desc = strerrordesc_np(err < 0 ? -err : err);
	return desc != NULL ? desc : "unknown error";
}
