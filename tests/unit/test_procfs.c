/*
 * test_procfs.c - the one /proc/<pid>/stat parser (a case table of real
 * and hostile lines) and the process list over a fixture procfs.
 */
#include <errno.h>
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

#include "util/procfs.h"

/* Fields 4..22 of a sleeping process, then the rest of a real line. */
#define TAIL "1 37 37 0 -1 4194304 0 0 0 0 999 777 0 0 20 0 1 0 5000 0 0 18446744073709551615\n"

static void test_stat_parse(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int rc;
		const char *comm;
		char state;
		int64_t ppid;
		uint64_t utime, stime, start;
	} t[] = {
	    {"37 (ksmd) S " TAIL, 0, "ksmd", 'S', 1, 999, 777, 5000},
	    /* The name may hold spaces and parentheses: fields start after the
	     * last ')'. */
	    {"4101 (qemu (x) y) R " TAIL, 0, "qemu (x) y", 'R', 1, 999, 777, 5000},
	    {"4101 () T " TAIL, 0, "", 'T', 1, 999, 777, 5000},
	    /* Exactly 22 fields, no newline. */
	    {"1 (a) Z 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 42", 0, "a", 'Z', 0, 3, 4, 42},
	    /* Cut before field 22. */
	    {"1 (a) S 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0", -EINVAL},
	    /* Garbage in a number, a negative time, no parentheses, nothing. */
	    {"1 (a) S 0 1 1 0 -1 0 0 0 0 0 3x 4 0 0 20 0 1 0 42\n", -EINVAL},
	    {"1 (a) S 0 1 1 0 -1 0 0 0 0 0 -3 4 0 0 20 0 1 0 42\n", -EINVAL},
	    {"1 a S " TAIL, -EINVAL},
	    {"", -EINVAL},
	    {"1 (a)", -EINVAL},
	    {"1 (a) ", -EINVAL},
	    /* A name longer than any kernel's: not a stat line. */
	    {"1 (0123456789012345678901234567890123456789012345678901234567890123456789) S " TAIL, -EINVAL},
	    /* A line that ends before field 22, whatever follows it. */
	    {"1 (a) S 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20\n0 1 0 42\n", -EINVAL},
	    /* A newline in the name is the name's. */
	    {"1 (a\nb) S " TAIL, 0, "a\nb", 'S', 1, 999, 777, 5000},
	    /* Blanks and tabs between fields are one separator. */
	    {"1 (a)  S\t0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0  42", 0, "a", 'S', 0, 3, 4, 42},
	    /* A field beyond 64 bits. */
	    {"1 (a) S 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 99999999999999999999\n", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct proc_stat st;
		memset(&st, 0x5a, sizeof(st));
		int rc = proc_stat_parse(t[i].line, strlen(t[i].line), &st);
		if (rc != t[i].rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, t[i].rc);
		if (rc != 0) {
			/* Untouched on failure. */
			assert_int_equal((unsigned char)st.state, 0x5a);
			continue;
		}
		assert_string_equal(st.comm, t[i].comm);
		assert_int_equal(st.state, t[i].state);
		assert_int_equal(st.ppid, t[i].ppid);
		assert_int_equal(st.utime, t[i].utime);
		assert_int_equal(st.stime, t[i].stime);
		assert_int_equal(st.starttime, t[i].start);
	}
}

/* Fields 23 (vsize) and 24 (rss) are optional: rss is read when both are
 * numbers on the line. */
static void test_stat_rss(void **state)
{
	(void)state;
	static const struct {
		const char *tail;
		bool has;
		uint64_t rss;
	} t[] = {
	    {" 3037736960 50000 18446744073709551615 1\n", true, 50000},
	    {" 3037736960 50000", true, 50000},
	    {" 3037736960 50000\n", true, 50000},
	    {"", false, 0},
	    {" 3037736960", false, 0},
	    {" 3037736960\n50000\n", false, 0},
	    {" 3037736960 5x000\n", false, 0},
	    {" x 50000\n", false, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char line[256];
		int n = snprintf(line, sizeof(line), "1 (a) S 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 42%s", t[i].tail);
		struct proc_stat st;
		assert_int_equal(proc_stat_parse(line, (size_t)n, &st), 0);
		if (st.has_rss != t[i].has || (t[i].has && st.rss_pages != t[i].rss))
			fail_msg("case %zu: has_rss %d rss %llu", i, st.has_rss, (unsigned long long)st.rss_pages);
	}
}

static int count(int procfd, const char *name, pid_t pid, void *arg)
{
	(void)procfd;
	char num[16];
	snprintf(num, sizeof(num), "%d", (int)pid);
	assert_string_equal(name, num);
	(*(int *)arg)++;
	return 0;
}

static int stop_at_second(int procfd, const char *name, pid_t pid, void *arg)
{
	(void)procfd;
	(void)name;
	(void)pid;
	return ++*(int *)arg == 2 ? 7 : 0;
}

/* k6.18's procfs holds 13 process directories beside meminfo, vmstat and
 * the like; only the processes are listed, and fn can stop the walk. */
static void test_each_pid(void **state)
{
	(void)state;
	int n = 0;
	assert_int_equal(proc_each_pid(FIXTURES "/hosts/k6.18/proc", count, &n), 0);
	assert_int_equal(n, 13);
	n = 0;
	assert_int_equal(proc_each_pid(FIXTURES "/hosts/k6.18/proc", stop_at_second, &n), 7);
	assert_int_equal(n, 2);
	assert_int_equal(proc_each_pid("/nonexistent/kvmmem/proc", count, &n), -ENOENT);
	struct proc_stat st;
	assert_int_equal(proc_stat_read(FIXTURES "/hosts/k6.18/proc/37/stat", &st), 0);
	assert_string_equal(st.comm, "ksmd");
	assert_int_equal(proc_stat_read("/nonexistent/kvmmem/stat", &st), -ENOENT);
}

static int collect_pids(int procfd, const char *name, pid_t pid, void *arg)
{
	(void)procfd;
	char *out = arg;
	size_t len = strlen(out);
	snprintf(out + len, 256 - len, "%s=%d ", name, (int)pid);
	return 0;
}

/* Only a directory name of digits that starts with 1-9 and fits a pid is
 * a process: the names next to them in a procfs, and hostile ones. */
static void test_each_pid_names(void **state)
{
	(void)state;
	char root[] = "/tmp/kvmmem-procfs-XXXXXX", path[96];
	assert_non_null(mkdtemp(root));
	static const char *const names[] = {
	    "self", "0", "012", "12a", "1 ", "-1", "2147483648", "99999999999999999999", "2147483647"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	char got[256] = "";
	assert_int_equal(proc_each_pid(root, collect_pids, got), 0);
	assert_string_equal(got, "2147483647=2147483647 ");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		assert_int_equal(rmdir(path), 0);
	}
	assert_int_equal(rmdir(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat_parse),
	    cmocka_unit_test(test_stat_rss),
	    cmocka_unit_test(test_each_pid),
	    cmocka_unit_test(test_each_pid_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
