/* test_parse.c - checked number parsing and bounded file reads (parse.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/parse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_u64_values(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		uint64_t want;
	} cases[] = {
	    {"0", 0, 0},
	    {"0\n", 0, 0},
	    {"42\n", 0, 42},
	    {"  42\t\n", 0, 42},
	    {"007", 0, 7},
	    {"18446744073709551615\n", 0, UINT64_MAX},
	    {"18446744073709551616\n", -ERANGE, 0},
	    {"99999999999999999999999", -ERANGE, 0},
	    {"", -EINVAL, 0},
	    {"\n", -EINVAL, 0},
	    {"-1\n", -EINVAL, 0},
	    {"+1", -EINVAL, 0},
	    {"12abc\n", -EINVAL, 0},
	    {"12 13\n", -EINVAL, 0},
	    {"12\n\n", -EINVAL, 0},
	    {"0x10", -EINVAL, 0},
	    {"1.5", -EINVAL, 0},
	};
	for (size_t i = 0; i < N(cases); i++) {
		uint64_t v = 12345;
		int rc = parse_u64_value(cases[i].in, strlen(cases[i].in), &v);
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
		/* Outputs stay untouched on failure. */
		assert_true(v == (rc == 0 ? cases[i].want : 12345));
	}
}

static void test_i64_values(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} cases[] = {
	    {"0\n", 0, 0},
	    {"-768000\n", 0, -768000},
	    {"+5", 0, 5},
	    {"9223372036854775807\n", 0, INT64_MAX},
	    {"-9223372036854775808\n", 0, INT64_MIN},
	    {"9223372036854775808\n", -ERANGE, 0},
	    {"-9223372036854775809\n", -ERANGE, 0},
	    {"-", -EINVAL, 0},
	    {"--1", -EINVAL, 0},
	    {"- 1", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"-12x", -EINVAL, 0},
	};
	for (size_t i = 0; i < N(cases); i++) {
		int64_t v = 777;
		int rc = parse_i64_value(cases[i].in, strlen(cases[i].in), &v);
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
		assert_true(v == (rc == 0 ? cases[i].want : 777));
	}
}

static void test_cursor_limits(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint64_t max;
		int rc;
		uint64_t want;
		size_t consumed;
	} cases[] = {
	    {"100 rest", 100, 0, 100, 3},
	    {"101", 100, -ERANGE, 0, 0},
	    {"255", 255, 0, 255, 3},
	    {"256", 255, -ERANGE, 0, 0},
	    {"0", 0, 0, 0, 1},
	    {"1", 0, -ERANGE, 0, 0},
	    {"109", 109, 0, 109, 3},
	    {"110", 109, -ERANGE, 0, 0},
	    {"x1", 10, -EINVAL, 0, 0},
	    {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX, 20},
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct cursor c = cursor_make(cases[i].in, strlen(cases[i].in));
		uint64_t v = 9;
		int rc = cursor_u64(&c, cases[i].max, &v);
		assert_int_equal(rc, cases[i].rc);
		assert_true(v == (rc == 0 ? cases[i].want : 9));
		/* A failed parse does not move the cursor. */
		assert_int_equal(c.p - cases[i].in, cases[i].consumed);
	}
	const char *t = "-5 7";
	struct cursor c = cursor_make(t, 4);
	int64_t v;
	assert_int_equal(cursor_i64(&c, -4, 10, &v), -ERANGE);
	assert_ptr_equal(c.p, t);
	assert_int_equal(cursor_i64(&c, -5, 10, &v), 0);
	assert_int_equal(v, -5);
	cursor_skip_blanks(&c);
	assert_int_equal(cursor_i64(&c, -5, 6, &v), -ERANGE);
	assert_int_equal(cursor_i64(&c, -5, 7, &v), 0);
	assert_int_equal(v, 7);
	assert_true(cursor_eof(&c));
}

static void test_cursor_helpers(void **state)
{
	(void)state;
	const char *t = "  \tkey: 1\n\n  next";
	struct cursor c = cursor_make(t, strlen(t));
	cursor_skip_blanks(&c);
	assert_int_equal(c.p - t, 3);
	assert_false(cursor_accept(&c, "key:x"));
	assert_true(cursor_accept(&c, "key:"));
	cursor_next_line(&c);
	assert_int_equal(c.p - t, 10);
	cursor_skip_space(&c);
	assert_int_equal(c.p - t, 13);
	cursor_next_line(&c);
	assert_true(cursor_eof(&c));
}

static char tmpdir[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kvmmem-test-parse-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_tmp(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_n(const char *path, char fill, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc(fill, f);
	assert_int_equal(fclose(f), 0);
}

static void test_read_file_sizes(void **state)
{
	(void)state;
	static const struct {
		size_t filesize;
		size_t bufsize;
		int rc;
	} cases[] = {
	    {0, 1, 0},
	    {0, 8, 0},
	    {7, 8, 0}, /* exactly fits with its NUL */
	    {8, 8, -EFBIG},
	    {9, 8, -EFBIG},
	    {100 * 1024, PARSE_MAX_FILE, -EFBIG},
	    {PARSE_MAX_FILE - 1, PARSE_MAX_FILE, 0},
	};
	char path[128];
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	char *buf = malloc(PARSE_MAX_FILE);
	assert_non_null(buf);
	for (size_t i = 0; i < N(cases); i++) {
		write_n(path, 'a', cases[i].filesize);
		size_t len = 999999;
		memset(buf, 'z', cases[i].bufsize);
		int rc = read_file(path, buf, cases[i].bufsize, &len);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(len, cases[i].filesize);
			assert_int_equal(buf[len], '\0');
			assert_int_equal(strlen(buf), cases[i].filesize);
		} else {
			assert_int_equal(len, 999999);
		}
	}
	free(buf);
}

static void test_read_file_errors(void **state)
{
	(void)state;
	char buf[32];
	char path[128];
	size_t len;

	assert_int_equal(read_file(FIXTURES "/hosts/broken/sys/kernel/mm/ksm/full_scans", buf, sizeof(buf), &len),
	                 -EISDIR);
	snprintf(path, sizeof(path), "%s/does-not-exist", tmpdir);
	assert_int_equal(read_file(path, buf, sizeof(buf), &len), -ENOENT);
	snprintf(path, sizeof(path), "%s/does-not-exist/below", tmpdir);
	assert_int_equal(read_file(path, buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(read_file("/dev/null", buf, 0, &len), -EINVAL);

	/* read_file_at resolves names against the directory it is given. */
	int dfd = open(FIXTURES "/hosts/k6.18/sys/kernel/mm/ksm", O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(read_file_at(dfd, "advisor_mode", buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "[none] scan-time\n");
	assert_int_equal(len, 17);
	/* 17 bytes do not fit 17 bytes of buffer: one is needed for the NUL. */
	assert_int_equal(read_file_at(dfd, "advisor_mode", buf, 17, &len), -EFBIG);
	assert_int_equal(read_file_at(dfd, "nope", buf, sizeof(buf), &len), -ENOENT);
	/* read_file_at_once: the same answers from one read(). */
	len = 0;
	assert_int_equal(read_file_at_once(dfd, "advisor_mode", buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "[none] scan-time\n");
	assert_int_equal(len, 17);
	/* One read cannot tell a file that fills the buffer from a larger
	 * one: 17 bytes need 19 of buffer, one for the NUL, one to spare. */
	assert_int_equal(read_file_at_once(dfd, "advisor_mode", buf, 19, &len), 0);
	assert_int_equal(read_file_at_once(dfd, "advisor_mode", buf, 18, &len), -EFBIG);
	assert_int_equal(read_file_at_once(dfd, "nope", buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(read_file_at_once(dfd, "advisor_mode", buf, 1, &len), -EINVAL);
	close(dfd);
	/* A real /proc/<pid>/cmdline in one read: this process's own. */
	char cmd[4096];
	assert_int_equal(read_file_at_once(AT_FDCWD, "/proc/self/cmdline", cmd, sizeof(cmd), &len), 0);
	assert_true(len > 0 && cmd[len - 1] == '\0');
}

/* The "key value" line splitter: every line of a text, its key and the
 * rest, as "key|rest" with the rest's newline shown as $. */
static void test_kv_lines(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want;
	} t[] = {
	    {"", ""},
	    {"cow_ksm 7\n", "[cow_ksm| 7$]"},
	    {"MemTotal:    1024 kB\nMemFree: 1 kB", "[MemTotal|:    1024 kB$][MemFree|: 1 kB]"},
	    {"ksm_mergeable: yes\nksm_rmap_items\t12\n", "[ksm_mergeable|: yes$][ksm_rmap_items|\t12$]"},
	    {"\n\nx\n", "[|$][|$][x|$]"},
	    {"novalue", "[novalue|]"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char got[256] = "";
		size_t n = 0;
		struct cursor c = cursor_make(t[i].text, strlen(t[i].text));
		struct kv_line l;
		while (kv_next(&c, &l)) {
			n += (size_t)snprintf(got + n, sizeof(got) - n, "[%.*s|", (int)l.key_len, l.key);
			for (const char *p = l.rest.p; p < l.rest.end; p++)
				n += (size_t)snprintf(got + n, sizeof(got) - n, "%c", *p == '\n' ? '$' : *p);
			n += (size_t)snprintf(got + n, sizeof(got) - n, "]");
		}
		if (strcmp(got, t[i].want) != 0)
			fail_msg("case %zu: got %s, want %s", i, got, t[i].want);
	}
	struct kv_line l = {.key = "MemTotal", .key_len = 8};
	assert_true(kv_key_is(&l, "MemTotal"));
	assert_false(kv_key_is(&l, "MemTotalX"));
	assert_false(kv_key_is(&l, "Mem"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_u64_values),
	    cmocka_unit_test(test_i64_values),
	    cmocka_unit_test(test_cursor_limits),
	    cmocka_unit_test(test_cursor_helpers),
	    cmocka_unit_test(test_kv_lines),
	    cmocka_unit_test_setup_teardown(test_read_file_sizes, setup_tmp, teardown_tmp),
	    cmocka_unit_test_setup_teardown(test_read_file_errors, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
