/*
 * test_complain.c - the per-key complaint set: log once, back off, release
 * once; forget keys a collection no longer sees; one backed-off line for
 * all the keys the set cannot hold.
 *
 * The one fake: this binary defines clock_gettime(), which takes the place
 * of glibc's for log.c (linked in from the archive), so a test can move
 * the monotonic clock.  It forwards to the real function unless a test has
 * switched the fake clock on.
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

#include "util/complain.h"
#include "logrec.h"

static bool clock_faked;
static time_t fake_mono; /* seconds on every clock while faked */

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!clock_faked) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
		return real(id, ts);
	}
	ts->tv_sec = fake_mono;
	ts->tv_nsec = 0;
	return 0;
}

static void fake_clock(time_t mono)
{
	clock_faked = true;
	fake_mono = mono;
}

static int real_clock(void **state)
{
	(void)state;
	clock_faked = false;
	return 0;
}

/* Fills the set with the failing keys /k0 ... /k255, in one round. */
static void fill(const struct kvm_log *lg, struct complaint_set *cs)
{
	char key[32];
	for (int i = 0; i < 256; i++) {
		snprintf(key, sizeof(key), "/k%d", i);
		complain_key(lg, cs, key, "bad");
	}
}

static void test_once_per_key(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct complaint_set *cs = complaint_set_new();
	assert_non_null(cs);

	complain_key_release(&lg, cs, "/a", "fine (never failed: silent)");
	complain_key(&lg, cs, "/a", "bad %d", 1);
	complain_key(&lg, cs, "/a", "bad %d", 2);
	complain_key(&lg, cs, "/b", "also bad");
	complain_key(&lg, cs, "/a", "bad %d", 3);
	complain_key(&lg, cs, "/b", "also bad again");
	complain_key_release(&lg, cs, "/a", "ok now");
	complain_key_release(&lg, cs, "/a", "ok still (silent)");
	complain_key(&lg, cs, "/a", "bad once more");
	complain_key_release(&lg, cs, "/b", "ok too");
	assert_string_equal(r.text, "warn: /a: bad 1\n"
	                            "warn: /b: also bad\n"
	                            "info: /a: ok now\n"
	                            "warn: /a: bad once more\n"
	                            "info: /b: ok too\n");
	complaint_set_free(cs);
}

static void test_null_set_always_logs(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	complain_key(&lg, NULL, "/x", "one");
	complain_key(&lg, NULL, "/x", "two");
	complain_key_release(&lg, NULL, "/x", "released: nothing remembered, silent");
	assert_string_equal(r.text, "warn: /x: one\n"
	                            "warn: /x: two\n");
	complaint_set_free(NULL);
	/* A NULL log is silent, not a crash. */
	struct complaint_set *cs = complaint_set_new();
	complain_key(NULL, cs, "/y", "quiet");
	complain_key_release(NULL, cs, "/y", "quiet");
	complaint_set_free(cs);
}

static void test_bounded(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct complaint_set *cs = complaint_set_new();

	/* 256 keys are remembered: a second complaint about each is quiet. */
	fake_clock(1000);
	fill(&lg, cs);
	assert_int_equal(r.lines, 256);
	fill(&lg, cs);
	assert_int_equal(r.lines, 256);

	/* Past the limit a new key logs once, and then neither it nor any
	 * other key the set cannot hold logs again within the back-off. */
	logrec_clear(&r);
	complain_key(&lg, cs, "/overflow", "bad");
	complain_key(&lg, cs, "/overflow", "bad");
	complain_key(&lg, cs, "/other", "worse");
	assert_string_equal(r.text, "warn: /overflow: bad (complaint set full at 256 keys: failures of further "
	                            "keys are counted, not logged, until it has room)\n");

	/* Releasing frees a place, which the next new key takes. */
	logrec_clear(&r);
	complain_key_release(&lg, cs, "/k7", "ok");
	complain_key(&lg, cs, "/new", "bad");
	complain_key(&lg, cs, "/new", "bad");
	complain_key(&lg, cs, "/k255", "still quiet");
	assert_string_equal(r.text, "info: /k7: ok\n"
	                            "warn: /new: bad\n");
	complaint_set_free(cs);
}

/* A key that a collection no longer names (its pid exited, its domain
 * went away) is forgotten at the end of that collection; a key named by
 * either call stays. */
static void test_sweep_forgets_unseen(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct complaint_set *cs = complaint_set_new();

	fake_clock(1000);
	complaint_set_begin(cs);
	complain_key(&lg, cs, "/proc/100/ksm_stat", "gone");
	complain_key(&lg, cs, "/proc/200/ksm_stat", "gone");
	complain_key(&lg, cs, "/proc/300/ksm_stat", "gone");
	complaint_set_sweep(cs);

	/* 100 still fails, 200 recovers, 300 is not looked at. */
	complaint_set_begin(cs);
	complain_key(&lg, cs, "/proc/100/ksm_stat", "gone (quiet: backing off)");
	complain_key_release(&lg, cs, "/proc/200/ksm_stat", "readable again");
	complaint_set_sweep(cs);

	/* 300 was forgotten, so it is new again; 100 was kept. */
	complaint_set_begin(cs);
	complain_key(&lg, cs, "/proc/300/ksm_stat", "gone, new pid 300");
	complain_key(&lg, cs, "/proc/100/ksm_stat", "gone (quiet: backing off)");
	complaint_set_sweep(cs);
	assert_string_equal(r.text, "warn: /proc/100/ksm_stat: gone\n"
	                            "warn: /proc/200/ksm_stat: gone\n"
	                            "warn: /proc/300/ksm_stat: gone\n"
	                            "info: /proc/200/ksm_stat: readable again\n"
	                            "warn: /proc/300/ksm_stat: gone, new pid 300\n");

	/* A round that names nothing empties the set; a forgotten key is not
	 * released (nothing to say about a file nobody reads). */
	logrec_clear(&r);
	complaint_set_begin(cs);
	complaint_set_sweep(cs);
	complain_key_release(&lg, cs, "/proc/100/ksm_stat", "silent: forgotten");
	assert_string_equal(r.text, "");

	/* NULL is fine for both. */
	complaint_set_begin(NULL);
	complaint_set_sweep(NULL);
	complaint_set_free(cs);
}

/* The set filled by keys that are gone makes room once a collection no
 * longer names them: new keys are then listed one by one again. */
static void test_sweep_makes_room(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct complaint_set *cs = complaint_set_new();
	char key[32];

	fake_clock(1000);
	complaint_set_begin(cs);
	fill(&lg, cs);
	complaint_set_sweep(cs);

	complaint_set_begin(cs);
	logrec_clear(&r);
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "/n%d", i);
		complain_key(&lg, cs, key, "bad");
		complain_key(&lg, cs, key, "bad (quiet)");
	}
	complaint_set_sweep(cs);
	/* Only the first new key overflows; the sweep frees the rest. */
	assert_string_equal(r.text, "warn: /n0: bad (complaint set full at 256 keys: failures of further keys are "
	                            "counted, not logged, until it has room)\n");

	logrec_clear(&r);
	complaint_set_begin(cs);
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "/n%d", i);
		complain_key(&lg, cs, key, "bad");
		complain_key(&lg, cs, key, "bad (quiet)");
	}
	complaint_set_sweep(cs);
	assert_string_equal(r.text, "warn: /n0: bad\n"
	                            "warn: /n1: bad\n"
	                            "warn: /n2: bad\n");
	complaint_set_free(cs);
}

/* More failing keys than the set holds, on every scrape (issue 13: 63,496
 * lines from collectd with more than 256 domains): one line, backing off
 * as one complaint does, with the number of failures not logged. */
static void test_overflow_backs_off(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct complaint_set *cs = complaint_set_new();
	char key[32];

	fake_clock(1000);
	complaint_set_begin(cs);
	fill(&lg, cs);
	complaint_set_sweep(cs);
	logrec_clear(&r);
	/* 30 scrapes, 2 s apart, of 256 remembered and 300 more failing keys. */
	for (int scrape = 0; scrape < 30; scrape++) {
		complaint_set_begin(cs);
		fill(&lg, cs);
		for (int i = 0; i < 300; i++) {
			snprintf(key, sizeof(key), "/x%d", i);
			complain_key(&lg, cs, key, "bad");
		}
		complaint_set_sweep(cs);
		fake_mono += 2;
	}
	/* At 1060 s, 30 scrapes later: the first line's 60 s have passed
	 * (for the remembered keys too, whose repeats are not the point). */
	complaint_set_begin(cs);
	complain_key(&lg, cs, "/x0", "bad");
	assert_string_equal(r.text,
	                    "warn: /x0: bad (complaint set full at 256 keys: failures of further keys are counted, "
	                    "not logged, until it has room)\n"
	                    "warn: /x0: bad (complaint set full at 256 keys: 8999 failures of other keys not logged "
	                    "since the last such line)\n");
	fill(&lg, cs);
	complaint_set_sweep(cs);

	/* A collection without an unheld failure ends the episode: the next
	 * one logs at once. */
	logrec_clear(&r);
	fake_mono += 1;
	complaint_set_begin(cs);
	fill(&lg, cs);
	complaint_set_sweep(cs);
	complaint_set_begin(cs);
	fill(&lg, cs);
	complain_key(&lg, cs, "/y", "bad");
	complaint_set_sweep(cs);
	assert_string_equal(r.text, "warn: /y: bad (complaint set full at 256 keys: failures of further keys are "
	                            "counted, not logged, until it has room)\n");
	complaint_set_free(cs);
}

/* A refusal shared by every process of a round: one line while any
 * process of a round is refused, a readable process among refused ones
 * releases nothing, a round without a refusal releases it once. */
static void test_refusal_released_by_clean_round(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct refusal ref = {.lg = &lg, .released = "files are readable again"};

	fake_clock(1000);
	for (int round = 0; round < 3; round++) {
		refusal_begin(&ref);
		refuse(&ref, "/proc/%d/ksm_stat: permission denied", 100 + round);
		refusal_end(&ref);
	}
	refusal_begin(&ref);
	refusal_end(&ref);
	refusal_begin(&ref);
	refusal_end(&ref);
	refusal_begin(&ref);
	refuse(&ref, "/proc/400/ksm_stat: permission denied");
	refusal_end(&ref);
	refusal_begin(NULL);
	refusal_end(NULL);
	assert_string_equal(r.text, "warn: /proc/100/ksm_stat: permission denied\n"
	                            "info: files are readable again\n"
	                            "warn: /proc/400/ksm_stat: permission denied\n");
}

static void test_long_message(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	char big[2000];
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	complain_key(&lg, NULL, "/k", "%s", big);
	/* Cut, not overflowed: one line, starting with the key. */
	assert_int_equal(r.lines, 1);
	assert_memory_equal(r.text, "warn: /k: mmm", 13);
	assert_true(r.len < 1100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_once_per_key),
	    cmocka_unit_test(test_null_set_always_logs),
	    cmocka_unit_test_teardown(test_bounded, real_clock),
	    cmocka_unit_test_teardown(test_sweep_forgets_unseen, real_clock),
	    cmocka_unit_test_teardown(test_sweep_makes_room, real_clock),
	    cmocka_unit_test_teardown(test_overflow_backs_off, real_clock),
	    cmocka_unit_test_teardown(test_refusal_released_by_clean_round, real_clock),
	    cmocka_unit_test(test_long_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
