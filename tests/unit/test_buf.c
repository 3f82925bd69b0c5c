/* test_buf.c - growable capped buffer: exact text, caps and sticky errors. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/buf.h"

static void test_append_and_steal(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_printf(&b, "-%d-", 42), 0);
	assert_int_equal(buf_putc(&b, 'x'), 0);
	size_t len = 0;
	char *s = buf_steal(&b, &len);
	assert_string_equal(s, "abc-42-x");
	assert_int_equal(len, 8);
	free(s);
}

static void test_cap_is_sticky(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_putc(&b, '6'), -E2BIG);
	/* Later appends that would fit still fail: no truncated documents. */
	buf_free(&b);
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "123456"), -E2BIG);
	assert_int_equal(buf_puts(&b, "1"), -E2BIG);
	assert_true(buf_failed(&b));
	assert_null(buf_steal(&b, NULL));
	buf_free(&b);
}

static void test_long_printf(void **state)
{
	(void)state;
	struct buf b;
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 4096);
	assert_int_equal(buf_printf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[1000], '>');
	buf_free(&b);
}

static void test_integers(void **state)
{
	(void)state;
	static const struct {
		int64_t i;
		const char *want;
	} cases[] = {
	    {0, "0"},
	    {-1, "-1"},
	    {INT64_MAX, "9223372036854775807"},
	    {INT64_MIN, "-9223372036854775808"},
	};
	struct buf b;
	buf_init(&b, 100);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_put_i64(&b, cases[i].i);
		assert_string_equal(b.data, cases[i].want);
	}
	buf_reset(&b);
	buf_put_u64(&b, UINT64_MAX);
	assert_string_equal(b.data, "18446744073709551615");
	buf_free(&b);
}

/* Prometheus text for each double: shortest round trip, integers exact,
 * NaN and the infinities spelled as the exposition format wants. */
static const struct {
	double v;
	const char *want;
} double_cases[] = {
    {0.02, "0.02"},
    {0.1, "0.1"},
    {2.0, "2"},
    {-3.5, "-3.5"},
    {2.5, "2.5"},
    {1e300, "1e+300"},
    {1e-07, "1e-07"},
    {123456.789, "123456.789"},
    {1.0 / 3.0, "0.3333333333333333"},
    {1.7976931348623157e+308, "1.7976931348623157e+308"},
    {9007199254740993.0, "9007199254740992"},
    {-0.0, "0"},
    {NAN, "NaN"},
    {INFINITY, "+Inf"},
    {-INFINITY, "-Inf"},
};

static void check_double_cases(void)
{
	struct buf b;
	buf_init(&b, 100);
	for (size_t i = 0; i < sizeof(double_cases) / sizeof(double_cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_put_double(&b, double_cases[i].v), 0);
		assert_string_equal(b.data, double_cases[i].want);
	}
	buf_free(&b);
}

static void test_doubles(void **state)
{
	(void)state;
	check_double_cases();
}

/* A directory of locales compiled by this test, removed afterwards. */
static char locale_dir[256];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool decimal_comma(const char *name)
{
	return setlocale(LC_NUMERIC, name) != NULL && strcmp(localeconv()->decimal_point, ",") == 0;
}

/* Compiles de_DE.UTF-8 into a private directory with localedef and points
 * LOCPATH at it: this host may have no locale but C and POSIX. */
static bool build_comma_locale(void)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(locale_dir, sizeof(locale_dir), "%s/kvmmem-locale-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(locale_dir) || mkdtemp(locale_dir) == NULL) {
		locale_dir[0] = '\0';
		return false;
	}
	char out[320];
	n = snprintf(out, sizeof(out), "%s/de_DE.UTF-8", locale_dir);
	if (n < 0 || (size_t)n >= sizeof(out))
		return false;
	char *argv[] = {"localedef", "--no-archive", "-i", "de_DE", "-f", "UTF-8", out, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return false;
	(void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawnp(&pid, "localedef", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || waitpid(pid, &status, 0) != pid)
		return false;
	/* localedef exits 1 on mere warnings: whether it worked is whether
	 * the locale loads. */
	return setenv("LOCPATH", locale_dir, 1) == 0 && decimal_comma("de_DE.UTF-8");
}

static int comma_teardown(void **state)
{
	(void)state;
	(void)setlocale(LC_NUMERIC, "C");
	if (locale_dir[0] != '\0') {
		(void)nftw(locale_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
		locale_dir[0] = '\0';
		(void)unsetenv("LOCPATH");
	}
	return 0;
}

/* Under a locale whose decimal point is a comma the text is the same, and
 * the locale is left as it was. */
static void test_doubles_comma_locale(void **state)
{
	(void)state;
	static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
	bool ok = false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !ok; i++)
		ok = decimal_comma(names[i]);
	if (!ok)
		ok = build_comma_locale();
	if (!ok) {
		printf("SKIP: no locale with a decimal comma, and localedef could not make de_DE.UTF-8\n");
		skip();
	}
	check_double_cases();
	assert_string_equal(localeconv()->decimal_point, ",");
}

/* Presizing allocates once, is capped, and changes no content. */
static void test_presize(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100);
	buf_presize(&b, 50);
	assert_int_equal(b.alloc, 51);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	char *before = b.data;
	assert_int_equal(buf_puts(&b, "0123456789012345678901234567890123456789012345678"), 0);
	assert_ptr_equal(b.data, before);
	/* Above the cap it stops at the cap; smaller hints do nothing. */
	buf_presize(&b, 1000);
	assert_int_equal(b.alloc, 101);
	buf_presize(&b, 10);
	assert_int_equal(b.alloc, 101);
	assert_string_equal(b.data, "0123456789012345678901234567890123456789012345678");
	assert_false(buf_failed(&b));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_steal),
	    cmocka_unit_test(test_cap_is_sticky),
	    cmocka_unit_test(test_long_printf),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_doubles),
	    cmocka_unit_test_teardown(test_doubles_comma_locale, comma_teardown),
	    cmocka_unit_test(test_presize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
