/*
 * test_statfds.c - stat descriptors kept within the budget: the budget
 * follows RLIMIT_NOFILE, a kept descriptor reads the file anew, a failed
 * read closes it, and no more are kept than the budget allows.  The
 * kernel's side (-ESRCH once the process is gone, a new line per read) is
 * proved against real processes in tests/qemu/test_qemu_cache.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/statfds.h"

static void test_budget(void **state)
{
	(void)state;
	struct rlimit old, rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = 1024;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	struct statfds f = {0};
	statfds_budget(&f);
	assert_int_equal(f.max, 256);
	assert_int_equal(f.ceiling, 512);
	assert_int_equal(f.floor, 0);
	rl.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	statfds_budget(&f);
	assert_int_equal(f.max, 16);
	assert_int_equal(f.ceiling, 32);
	/* A limit past what is ever kept. */
	if (old.rlim_max == RLIM_INFINITY || old.rlim_max >= (rlim_t)STATFDS_MAX * 8) {
		rl.rlim_cur = (rlim_t)STATFDS_MAX * 8;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
		statfds_budget(&f);
		assert_int_equal(f.max, STATFDS_MAX);
		assert_int_equal(f.floor, FD_SETSIZE);
	}
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

static void put_stat(const char *root, int pid, char st)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%d", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d (kvm) %c 1 %d %d 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 1000 250\n", pid, st, pid, pid);
	fclose(f);
}

static void test_read_keep_close(void **state)
{
	(void)state;
	char root[] = "/tmp/kvmmem-statfds-XXXXXX", name[16];
	assert_non_null(mkdtemp(root));
	int procfd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(procfd >= 0);
	struct statfds f = {0};
	statfds_budget(&f);
	f.max = 2;
	int fds[3] = {-1, -1, -1};
	struct proc_stat st;
	for (int i = 0; i < 3; i++) {
		put_stat(root, 100 + i, 'S');
		snprintf(name, sizeof(name), "%d", 100 + i);
		assert_int_equal(statfds_read(&f, &fds[i], procfd, name, &st), 0);
		assert_int_equal(st.state, 'S');
		assert_int_equal(st.starttime, 77);
	}
	/* Two kept, the third read and closed. */
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	assert_int_equal(fds[2], -1);
	assert_int_equal(f.kept, 2);
	/* A kept descriptor reads what the file says now. */
	put_stat(root, 100, 'T');
	assert_int_equal(statfds_read(&f, &fds[0], procfd, "100", &st), 0);
	assert_int_equal(st.state, 'T');
	/* A read that fails closes it. */
	char path[128];
	snprintf(path, sizeof(path), "%s/101/stat", root);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(statfds_read(&f, &fds[1], procfd, "101", &st), -EINVAL);
	assert_int_equal(fds[1], -1);
	assert_int_equal(f.kept, 1);
	/* No such process: nothing kept. */
	assert_int_equal(statfds_read(&f, &fds[1], procfd, "999", &st), -ENOENT);
	assert_int_equal(fds[1], -1);
	/* A descriptor at or above the ceiling is not kept. */
	f.ceiling = 0;
	assert_int_equal(statfds_read(&f, &fds[2], procfd, "102", &st), 0);
	assert_int_equal(fds[2], -1);
	statfds_close(&f, &fds[0]);
	statfds_close(&f, &fds[2]);
	assert_int_equal(fds[0], -1);
	assert_int_equal(f.kept, 0);
	close(procfd);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* With room above FD_SETSIZE, a kept descriptor sits there, so the
 * numbers select() takes stay free; the read is the same. */
static void test_kept_above_select(void **state)
{
	(void)state;
	struct rlimit old, rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < (rlim_t)FD_SETSIZE * 8) {
		printf("SKIP: test_kept_above_select needs a hard open-file limit of %d\n", FD_SETSIZE * 8);
		return;
	}
	rl = old;
	rl.rlim_cur = (rlim_t)FD_SETSIZE * 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	char root[] = "/tmp/kvmmem-statfds-XXXXXX";
	assert_non_null(mkdtemp(root));
	int procfd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(procfd >= 0 && procfd < FD_SETSIZE);
	struct statfds f = {0};
	statfds_budget(&f);
	assert_int_equal(f.floor, FD_SETSIZE);
	int fd = -1;
	struct proc_stat st;
	put_stat(root, 100, 'S');
	assert_int_equal(statfds_read(&f, &fd, procfd, "100", &st), 0);
	assert_true(fd >= FD_SETSIZE && fd < f.ceiling);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	put_stat(root, 100, 'T');
	assert_int_equal(statfds_read(&f, &fd, procfd, "100", &st), 0);
	assert_int_equal(st.state, 'T');
	/* The low number the open took was given back. */
	int low = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(low >= 0 && low < FD_SETSIZE);
	close(low);
	statfds_close(&f, &fd);
	assert_int_equal(f.kept, 0);
	close(procfd);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_read_keep_close),
	    cmocka_unit_test(test_kept_above_select),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
