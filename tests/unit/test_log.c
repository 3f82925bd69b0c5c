/* test_log.c - log formatting, levels, errno preservation, complain/release. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/log.h"

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
	assert_string_equal(r.text, "warn: open /x: No such file or directory\n"
	                            "warn: plain 1\n"
	                            "info: info\n"
	                            "error: bad\n"
	                            "warn: read /y: Permission denied\n");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels_and_errno),
	    cmocka_unit_test(test_level_names),
	    cmocka_unit_test(test_complain_once_then_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
