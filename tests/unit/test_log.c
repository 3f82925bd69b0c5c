/*
 * test_log.c - log formatting, levels, errno preservation, complain/release.
 *
 * The one fake: this binary defines time() and clock_gettime(), which take
 * the place of glibc's for log.c (linked in from the archive), so a test
 * can move the wall clock and the monotonic clock apart.  They forward to
 * the real functions unless a test has switched the fake clocks on.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "util/log.h"

static bool clocks_faked;
static time_t fake_wall, fake_mono; /* seconds on each clock while faked */

time_t time(time_t *t)
{
	static time_t (*real)(time_t *);
	if (!clocks_faked) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "time");
		return real(t);
	}
	if (t != NULL)
		*t = fake_wall;
	return fake_wall;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!clocks_faked) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
		return real(id, ts);
	}
	/* Every wall-clock id reads the fake wall clock, every other the
	 * fake monotonic one. */
	bool wall = id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
	ts->tv_sec = wall ? fake_wall : fake_mono;
	ts->tv_nsec = 0;
	return 0;
}

static void fake_clocks(time_t wall, time_t mono)
{
	clocks_faked = true;
	fake_wall = wall;
	fake_mono = mono;
}

static int real_clocks(void **state)
{
	(void)state;
	clocks_faked = false;
	return 0;
}

struct rec {
	char text[4096];
};

static void record(void *ctx, enum log_level level, const char *msg)
{
	struct rec *r = ctx;
	size_t n = strlen(r->text);
	snprintf(r->text + n, sizeof(r->text) - n, "%s: %s\n", log_level_name(level), msg);
}

static void test_levels_and_errno(void **state)
{
	(void)state;
	struct rec r = {""};
	struct kvm_log lg = {.backend = record, .ctx = &r, .max_level = LOG_LVL_INFO};
	errno = ENOENT;
	log_warn(&lg, "open %s", "/x");
	assert_int_equal(errno, ENOENT);
	log_warnx(&lg, "plain %d", 1);
	log_info(&lg, "info");
	log_debug(&lg, "dropped");
	log_errx(&lg, "bad");
	log_warnerr(&lg, -EACCES, "read %s", "/y");
	log_warnerr(&lg, 4095, "odd");
	assert_string_equal(r.text, "warn: open /x: No such file or directory\n"
	                            "warn: plain 1\n"
	                            "info: info\n"
	                            "error: bad\n"
	                            "warn: read /y: Permission denied\n"
	                            "warn: odd: Unknown error 4095\n");
	/* A NULL log or backend is silent, not a crash. */
	log_warnx(NULL, "nothing");
	struct kvm_log none = {0};
	log_warnx(&none, "nothing");
}

static void test_level_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int rc;
		enum log_level level;
	} cases[] = {
	    {"error", 0, LOG_LVL_ERROR},  {"warn", 0, LOG_LVL_WARN},   {"warning", 0, LOG_LVL_WARN},
	    {"info", 0, LOG_LVL_INFO},    {"debug", 0, LOG_LVL_DEBUG}, {"DEBUG", -EINVAL, LOG_LVL_ERROR},
	    {"", -EINVAL, LOG_LVL_ERROR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum log_level l = LOG_LVL_ERROR;
		assert_int_equal(log_level_parse(cases[i].name, &l), cases[i].rc);
		assert_int_equal(l, cases[i].level);
	}
}

static void test_complain_once_then_release(void **state)
{
	(void)state;
	struct rec r = {""};
	struct kvm_log lg = {.backend = record, .ctx = &r, .max_level = LOG_LVL_DEBUG};
	struct complaint c = {0};
	complain_release(&lg, &c, "not failing: silent");
	complain(&lg, &c, "libvirt down");
	complain(&lg, &c, "libvirt down again");
	complain(&lg, &c, "libvirt down again");
	complain_release(&lg, &c, "libvirt back");
	complain_release(&lg, &c, "libvirt back twice");
	complain(&lg, &c, "down once more");
	assert_string_equal(r.text, "warn: libvirt down\n"
	                            "info: libvirt back\n"
	                            "warn: down once more\n");
}

/* The back-off counts on the monotonic clock: a wall clock set back an
 * hour does not silence a failure, and one set forward a day does not let
 * a repeat through early. */
static void test_complain_ignores_wall_clock(void **state)
{
	(void)state;
	struct rec r = {""};
	struct kvm_log lg = {.backend = record, .ctx = &r, .max_level = LOG_LVL_DEBUG};
	struct complaint c = {0};

	fake_clocks(1700000000, 500);
	complain(&lg, &c, "a: first failure");
	fake_wall -= 3600;
	fake_mono += 60;
	complain(&lg, &c, "b: 60 s later, wall clock an hour back");
	fake_wall += 86400;
	fake_mono += 1;
	complain(&lg, &c, "c: 1 s later, wall clock a day ahead (silent)");
	fake_mono += 119;
	complain(&lg, &c, "d: 120 s after b");
	assert_string_equal(r.text, "warn: a: first failure\n"
	                            "warn: b: 60 s later, wall clock an hour back\n"
	                            "warn: d: 120 s after b\n");
}

/* Repeats log after 60 s, then after an interval that doubles up to a
 * day; a release starts again at 60 s. */
static void test_complain_backoff_schedule(void **state)
{
	(void)state;
	struct rec r = {""};
	struct kvm_log lg = {.backend = record, .ctx = &r, .max_level = LOG_LVL_DEBUG};
	struct complaint c = {0};
	/* Each step: seconds since the previous logged line, and whether it logs. */
	static const struct {
		time_t after;
		bool logs;
	} steps[] = {
	    {0, true},     {59, false},   {60, true},     {119, false},  {120, true},   {240, true},
	    {480, true},   {960, true},   {1920, true},   {3840, true},  {7680, true},  {15360, true},
	    {30720, true}, {61440, true}, {86399, false}, {86400, true}, {86400, true},
	};
	time_t last = 1000;
	char want[2048] = "";

	fake_clocks(1700000000, last);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		fake_mono = last + steps[i].after;
		complain(&lg, &c, "step %zu", i);
		if (steps[i].logs) {
			last = fake_mono;
			size_t n = strlen(want);
			snprintf(want + n, sizeof(want) - n, "warn: step %zu\n", i);
		}
	}
	assert_string_equal(r.text, want);

	r.text[0] = '\0';
	complain_release(&lg, &c, "back");
	fake_mono += 1;
	complain(&lg, &c, "again");
	fake_mono += 59;
	complain(&lg, &c, "again, silent");
	fake_mono += 1;
	complain(&lg, &c, "again after 60 s");
	assert_string_equal(r.text, "info: back\n"
	                            "warn: again\n"
	                            "warn: again after 60 s\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels_and_errno),
	    cmocka_unit_test(test_level_names),
	    cmocka_unit_test(test_complain_once_then_release),
	    cmocka_unit_test_teardown(test_complain_ignores_wall_clock, real_clocks),
	    cmocka_unit_test_teardown(test_complain_backoff_schedule, real_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
