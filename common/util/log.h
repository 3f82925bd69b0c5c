/*
 * log.h - the core's logging interface.
 *
 * The core never decides where log lines go: a front-end fills a struct
 * kvm_log with a backend (stderr for the exporter, plugin_log for collectd)
 * and hands it down.  Nothing here is global, so two collectors in one
 * process (tests, collectd with two <Plugin> blocks) do not interfere.
 */
#ifndef KVMMEM_LOG_H
#define KVMMEM_LOG_H

#include <stdbool.h>
#include <time.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

typedef void (*log_backend_fn)(void *ctx, enum log_level level, const char *msg);

struct kvm_log {
	log_backend_fn backend; /* NULL: discard everything */
	void *ctx;
	enum log_level max_level; /* messages above this level are dropped */
};

/* Level names for flags: "error", "warn", "info", "debug".  Returns 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

/* The OpenBSD log.c shape: the plain variants append strerror(errno), the
 * x variants do not.  All of them preserve errno.  lg may be NULL. */
void log_warn(const struct kvm_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const struct kvm_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_errx(const struct kvm_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const struct kvm_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(const struct kvm_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like log_warnx but with an explicit errno value (negative or positive). */
void log_warnerr(const struct kvm_log *lg, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Complain/release pair, after collectd's c_complain: the first failure of
 * something logs at warn, repeats are logged again only after an interval
 * (60 s at first) that doubles up to one day, and the first success
 * afterwards logs once at info.  Intervals are measured on CLOCK_MONOTONIC,
 * so setting the wall clock neither silences nor repeats a complaint.
 * The caller keeps one struct per thing that can fail, zeroed to start.
 */
struct complaint {
	time_t last;     /* CLOCK_MONOTONIC seconds of the last line, 0 if not failing */
	time_t interval; /* seconds until the next repeat may log */
	bool failing;
};

void complain(const struct kvm_log *lg, struct complaint *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void complain_release(const struct kvm_log *lg, struct complaint *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The text of an errno value (either sign); never NULL, thread-safe. */
const char *log_strerror(int err);

#endif
