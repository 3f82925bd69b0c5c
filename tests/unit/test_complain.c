/* test_complain.c - the per-key complaint set: log once, back off, release once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/complain.h"
#include "logrec.h"

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
	char key[32];

	/* 256 keys are remembered: a second complaint about each is quiet. */
	for (int i = 0; i < 256; i++) {
		snprintf(key, sizeof(key), "/k%d", i);
		complain_key(&lg, cs, key, "bad");
	}
	assert_int_equal(r.lines, 256);
	for (int i = 0; i < 256; i++) {
		snprintf(key, sizeof(key), "/k%d", i);
		complain_key(&lg, cs, key, "bad");
	}
	assert_int_equal(r.lines, 256);

	/* Past the limit a new key still logs, every time. */
	logrec_clear(&r);
	complain_key(&lg, cs, "/overflow", "bad");
	complain_key(&lg, cs, "/overflow", "bad");
	assert_string_equal(r.text, "warn: /overflow: bad\n"
	                            "warn: /overflow: bad\n");

	/* Releasing frees a place, which the next new key takes. */
	logrec_clear(&r);
	complain_key_release(&lg, cs, "/k7", "ok");
	complain_key(&lg, cs, "/overflow", "bad");
	complain_key(&lg, cs, "/overflow", "bad");
	complain_key(&lg, cs, "/k255", "still quiet");
	assert_string_equal(r.text, "info: /k7: ok\n"
	                            "warn: /overflow: bad\n");
	complaint_set_free(cs);
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
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_long_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
