/* test_ksm_proc.c - per-process KSM: every kernel generation, damage, exits, permissions. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtree.h"
#include "model/collect.h"
#include "sources/domain_ksm.h"
#include "logrec.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ABSENT INT64_MIN

/* The DF_KSM_* fields in the order of the tables below. */
static const enum dom_field ksm_fields[] = {DF_KSM_MERGING_PAGES, DF_KSM_RMAP_ITEMS, DF_KSM_ZERO_PAGES,
                                            DF_KSM_PROFIT_BYTES,  DF_KSM_MERGEABLE,  DF_KSM_MERGE_ANY};

/* Exact values of the six fields (ABSENT for absent); profit is signed. */
static void check_dom(const struct dom_snap *d, const int64_t want[6], const char *what)
{
	for (size_t i = 0; i < N(ksm_fields); i++) {
		const struct mval *m = &d->f[ksm_fields[i]];
		if (want[i] == ABSENT) {
			if (m->present)
				fail_msg("%s: field %zu present, want absent", what, i);
			continue;
		}
		if (!m->present)
			fail_msg("%s: field %zu absent, want %jd", what, i, (intmax_t)want[i]);
		bool is_signed = ksm_fields[i] == DF_KSM_PROFIT_BYTES;
		if (m->kind != (is_signed ? MV_I64 : MV_U64))
			fail_msg("%s: field %zu kind %d", what, i, m->kind);
		int64_t got = is_signed ? m->v.i : (int64_t)m->v.u;
		if (got != want[i])
			fail_msg("%s: field %zu = %jd, want %jd", what, i, (intmax_t)got, (intmax_t)want[i]);
	}
	for (int f = 0; f < DF_COUNT; f++) {
		bool ksm = false;
		for (size_t i = 0; i < N(ksm_fields); i++)
			ksm |= ksm_fields[i] == (enum dom_field)f;
		if (!ksm && d->f[f].present)
			fail_msg("%s: non-KSM field %d filled", what, f);
	}
}

#define A ABSENT
static const struct {
	const char *host;
	pid_t pid;
	int rc;
	int64_t want[6]; /* merging, rmap, zero, profit, mergeable, merge_any */
} host_cases[] = {
    {"k6.18", 4101, 0, {17301, 61440, 512, 69029888, 1, 0}},
    {"k6.18", 4102, 0, {16944, 61218, 498, 67524480, 1, 0}},
    {"k6.18", 4103, 0, {1532, 30720, 103, 4730880, 1, 0}},
    {"k6.18", 4105, 0, {740, 30720, 87, 1421312, 1, 0}},
    {"k6.18", 4106, 0, {0, 0, 0, 0, 0, 0}}, /* nosharepages */
    {"k6.18", 4107, 0, {0, 0, 0, 0, 0, 0}}, /* the recycled pid: bash */
    {"k6.18", 4109, 0, {310, 15360, 40, 450560, 1, 0}},
    {"k6.18", 4110, 0, {0, 0, 0, 0, 0, 0}}, /* hugepages: KSM does not touch them */
    {"k6.18", 4111, 0, {2002, 30720, 95, 6623232, 1, 0}},
    {"k6.18", 4112, 0, {420, 15360, 28, 851968, 1, 0}},
    {"k6.18", 4113, 0, {0, 12000, 0, -768000, 1, 0}}, /* rmap items, nothing merged yet: negative */
    {"k6.18", 4108, -ESRCH, {A, A, A, A, A, A}},      /* stale pidfile */
    {"k6.18", 0, -ESRCH, {A, A, A, A, A, A}},
    {"k6.1", 4101, 0, {6120, 33280, A, A, A, A}},
    {"k6.1", 4102, 0, {5965, 33019, A, A, A, A}},
    {"k5.19", 4101, 0, {2100, A, A, A, A, A}},
    {"k5.19", 4102, 0, {1996, A, A, A, A, A}},
    /* Garbage lines cost their own field; unknown keys are ignored. */
    {"broken", 4101, -EINVAL, {17, A, 0, A, 1, A}},
    {"broken", 4102, -EINVAL, {A, 4096, A, A, A, A}},
};
#undef A

static void test_hosts(void **state)
{
	(void)state;
	char procfs[256], what[64];

	for (size_t i = 0; i < N(host_cases); i++) {
		struct logrec r;
		struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);
		snprintf(procfs, sizeof(procfs), FIXTURES "/hosts/%s/proc", host_cases[i].host);
		struct kvm_env env = {.sysfs = "/nonexistent", .procfs = procfs, .libvirt_run = "/x", .log = &lg};
		struct domain_ksm *p = domain_ksm_new(&env);
		assert_non_null(p);
		snprintf(what, sizeof(what), "%s pid %d", host_cases[i].host, (int)host_cases[i].pid);
		/* Twice: the second read gives the same and logs nothing new. */
		for (int round = 0; round < 2; round++) {
			struct dom_snap d = {0};
			int rc = domain_ksm_collect(p, host_cases[i].pid, &d);
			if (rc != host_cases[i].rc)
				fail_msg("%s: rc %d, want %d", what, rc, host_cases[i].rc);
			check_dom(&d, host_cases[i].want, what);
		}
		if (host_cases[i].rc == -EINVAL)
			assert_int_equal(r.lines, 1);
		else
			assert_string_equal(r.text, ""); /* a vanished process is quiet */
		domain_ksm_free(p);
	}
}

static void test_broken_logs(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);
	struct kvm_env env = {.procfs = FIXTURES "/hosts/broken/proc", .log = &lg};
	struct domain_ksm *p = domain_ksm_new(&env);
	for (int i = 0; i < 3; i++) {
		struct dom_snap d1 = {0}, d2 = {0};
		assert_int_equal(domain_ksm_collect(p, 4101, &d1), -EINVAL);
		assert_int_equal(domain_ksm_collect(p, 4102, &d2), -EINVAL);
	}
	assert_string_equal(r.text,
	                    "warn: " FIXTURES "/hosts/broken/proc/4101/ksm_stat: malformed line; those fields skipped\n"
	                    "warn: " FIXTURES "/hosts/broken/proc/4102/ksm_merging_pages: not a valid value; field "
	                    "skipped\n");
	domain_ksm_free(p);
}

static void test_stat_parse(void **state)
{
	(void)state;
	static const char *const in[] = {
	    "ksm_rmap_items 5\n",
	    "ksm_rmap_items 5",
	    "ksm_process_profit -9223372036854775807\nksm_mergeable: no\n",
	    "ksm_process_profit 9223372036854775808\nksm_zero_pages 3\n",
	    "ksm_zero_pages -1\nksm_merging_pages 18446744073709551615\n",
	    "ksm_merge_any: yes\nksm_mergeable:yes\n",
	    "ksm_merge_any yes\n",
	    "ksm_mergeable: yesno\n",
	    "ksm_rmap_items: 5\n",
	    "ksm_rmap_items\n",
	    "ksm_rmap_items 5 6\n",
	    "ksm_rmap_itemsx 5\nksm_rmap 6\nksm_new_thing: maybe\n\n\nksm_zero_pages 1\n",
	    "",
	};
	static const struct {
		int rc;
		int64_t want[6];
	} out[] = {
	    {0, {ABSENT, 5, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {0, {ABSENT, 5, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {0, {ABSENT, ABSENT, ABSENT, -INT64_MAX, 0, ABSENT}},
	    {-EINVAL, {ABSENT, ABSENT, 3, ABSENT, ABSENT, ABSENT}},
	    {-EINVAL, {-1, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}}, /* UINT64_MAX reads back as -1 */
	    {0, {ABSENT, ABSENT, ABSENT, ABSENT, 1, 1}},
	    {-EINVAL, {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {-EINVAL, {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {-EINVAL, {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {-EINVAL, {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {-EINVAL, {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}},
	    {0, {ABSENT, ABSENT, 1, ABSENT, ABSENT, ABSENT}},
	    {0, {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT}},
	};
	assert_int_equal(N(in), N(out));
	for (size_t i = 0; i < N(in); i++) {
		struct dom_snap d = {0};
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		int rc = ksm_stat_parse(in[i], strlen(in[i]), &d);
		if (rc != out[i].rc)
			fail_msg("%s: rc %d, want %d", what, rc, out[i].rc);
		check_dom(&d, out[i].want, what);
	}
	/* INT64_MIN is also the ABSENT marker of the table: checked apart. */
	static const char min[] = "ksm_process_profit -9223372036854775808\n";
	struct dom_snap d = {0};
	assert_int_equal(ksm_stat_parse(min, strlen(min), &d), 0);
	assert_true(d.f[DF_KSM_PROFIT_BYTES].present);
	assert_true(d.f[DF_KSM_PROFIT_BYTES].v.i == INT64_MIN);
}

/* A pid directory without the KSM files: old kernel (-ENOENT) or a
 * process that exited, leaving an empty directory (-ESRCH). */
static void test_old_kernel_and_exited(void **state)
{
	(void)state;
	char root[64], procfs[128];
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);

	assert_int_equal(fixtree_new(root, sizeof(root), "ksmproc"), 0);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	assert_int_equal(fixtree_puts(root, "proc/700/stat", "700 (qemu-system-x86) S 1 700 700 0 -1 0 0 0 0 0 1 1\n"),
	                 0);
	assert_int_equal(fixtree_mkdirs(root, "proc/701/"), 0);
	struct kvm_env env = {.procfs = procfs, .log = &lg};
	struct domain_ksm *p = domain_ksm_new(&env);
	struct dom_snap d = {0};
	const int64_t none[6] = {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT};
	assert_int_equal(domain_ksm_collect(p, 700, &d), -ENOENT);
	check_dom(&d, none, "700");
	assert_int_equal(domain_ksm_collect(p, 701, &d), -ESRCH);
	check_dom(&d, none, "701");
	assert_string_equal(r.text, "");
	domain_ksm_free(p);
	assert_int_equal(fixtree_remove(root), 0);
}

/*
 * A real process that vanishes between listing and reading: read once
 * while it runs, then after SIGKILL while it is a zombie (its /proc
 * directory is still there but ksm_stat and ksm_merging_pages read as
 * empty), then after it was reaped (no directory).  Both late reads are
 * -ESRCH, quiet, and leave the previous reading alone.
 */
static void test_vanishing_process(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct kvm_env env = {.procfs = "/proc", .log = &lg};
	char dir[64];

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	snprintf(dir, sizeof(dir), "/proc/%d", (int)child);
	struct domain_ksm *p = domain_ksm_new(&env);
	assert_non_null(p);
	struct dom_snap d = {0};
	int rc = domain_ksm_collect(p, child, &d);
	if (rc == -ENOENT) {
		printf("SKIP: test_vanishing_process: this kernel has neither ksm_stat nor ksm_merging_pages\n");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		domain_ksm_free(p);
		skip();
	}
	assert_int_equal(rc, 0);
	assert_true(d.f[DF_KSM_MERGING_PAGES].present);
	struct dom_snap before = d;
	memset(&r, 0, sizeof(r));

	/* Killed, not reaped: WNOWAIT waits for the exit and leaves the zombie. */
	assert_int_equal(kill(child, SIGKILL), 0);
	siginfo_t si;
	assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(access(dir, F_OK), 0);
	assert_int_equal(domain_ksm_collect(p, child, &d), -ESRCH);
	assert_memory_equal(&d, &before, sizeof(d));
	char want[128];
	snprintf(want, sizeof(want), "debug: %s: process gone\n", dir);
	assert_string_equal(r.text, want);
	memset(&r, 0, sizeof(r));

	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(domain_ksm_collect(p, child, &d), -ESRCH);
	assert_memory_equal(&d, &before, sizeof(d));
	assert_string_equal(r.text, want);
	domain_ksm_free(p);
}

/* Mode 0400 files read by an unprivileged user: -EACCES, one log line
 * naming the file and the fix.  Root bypasses file modes, so the reading
 * happens in a child that drops to nobody. */
static void test_permission_denied(void **state)
{
	(void)state;
	char root[64], procfs[128], path[256];
	int fds[2];

	if (geteuid() != 0) {
		printf("SKIP: test_permission_denied needs root to switch to nobody\n");
		skip();
	}
	assert_int_equal(fixtree_new(root, sizeof(root), "ksmproc"), 0);
	assert_int_equal(chmod(root, 0755), 0);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	for (int pid = 4101; pid <= 4102; pid++) {
		snprintf(path, sizeof(path), "proc/%d/ksm_stat", pid);
		assert_int_equal(fixtree_puts(root, path, "ksm_rmap_items 5\n"), 0);
		snprintf(path, sizeof(path), "%s/proc/%d/ksm_stat", root, pid);
		assert_int_equal(chmod(path, 0400), 0);
		snprintf(path, sizeof(path), "proc/%d/ksm_merging_pages", pid);
		assert_int_equal(fixtree_puts(root, path, "5\n"), 0);
		snprintf(path, sizeof(path), "%s/proc/%d/ksm_merging_pages", root, pid);
		assert_int_equal(chmod(path, 0400), 0);
		snprintf(path, sizeof(path), "proc/%d/stat", pid);
		assert_int_equal(fixtree_puts(root, path, "1 (x) S 1\n"), 0);
	}
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		static struct logrec r;
		struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
		struct kvm_env env = {.procfs = procfs, .log = &lg};
		close(fds[0]);
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		struct domain_ksm *p = domain_ksm_new(&env);
		struct dom_snap d = {0};
		int rc1 = domain_ksm_collect(p, 4101, &d);
		int rc2 = domain_ksm_collect(p, 4101, &d);
		int rc3 = domain_ksm_collect(p, 4102, &d);
		char out[20000];
		int n = snprintf(out, sizeof(out), "%d %d %d %d\n%s", rc1, rc2, rc3, d.f[DF_KSM_RMAP_ITEMS].present,
		                 r.text);
		ssize_t w = write(fds[1], out, (size_t)n);
		_exit(w == n ? 0 : 4);
	}
	close(fds[1]);
	char got[20000];
	size_t len = 0;
	ssize_t n;
	while ((n = read(fds[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)n;
	got[len] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	char want[2048];
	snprintf(want, sizeof(want),
	         "-13 -13 -13 0\n"
	         "warn: %s/4101/ksm_stat: permission denied; /proc/<pid>/ksm_stat and ksm_merging_pages are mode "
	         "0400 and need the process's user, root or CAP_DAC_READ_SEARCH\n",
	         procfs);
	assert_string_equal(got, want);
	assert_int_equal(fixtree_remove(root), 0);
}

/* One QEMU the exporter may not read among others it may (another user's
 * process on a host where the exporter lacks CAP_DAC_READ_SEARCH): the
 * refusal is one warning, and the readable domains are no "readable
 * again", so three collections log one line, not one pair each. */
static void test_one_unreadable_among_readable(void **state)
{
	(void)state;
	char root[64], procfs[128], path[256];
	int fds[2];

	if (geteuid() != 0) {
		printf("SKIP: test_one_unreadable_among_readable needs root to switch to nobody\n");
		skip();
	}
	assert_int_equal(fixtree_new(root, sizeof(root), "ksmmix"), 0);
	assert_int_equal(chmod(root, 0755), 0);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	for (int pid = 4101; pid <= 4102; pid++) {
		snprintf(path, sizeof(path), "proc/%d/ksm_stat", pid);
		assert_int_equal(fixtree_puts(root, path, "ksm_rmap_items 5\nksm_merging_pages 7\n"), 0);
		snprintf(path, sizeof(path), "%s/proc/%d/ksm_stat", root, pid);
		assert_int_equal(chmod(path, 0400), 0);
		/* 4102 is nobody's own process, 4101 root's. */
		if (pid == 4102)
			assert_int_equal(chown(path, 65534, 65534), 0);
		snprintf(path, sizeof(path), "proc/%d/stat", pid);
		assert_int_equal(fixtree_puts(root, path, "1 (x) S 1\n"), 0);
	}
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		static struct logrec r;
		struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);
		struct collect_opts o;
		collect_opts_default(&o);
		o.env.procfs = procfs;
		o.env.log = &lg;
		close(fds[0]);
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		const struct collector_def *def = collector_def(COLL_DOMAIN_KSM);
		void *self = def->create(&o);
		char out[20000];
		size_t n = 0;
		for (int round = 0; round < 3; round++) {
			struct snapshot s;
			snapshot_init(&s);
			snapshot_add_domain(&s, "root-vm", NULL)->pid = 4101;
			snapshot_add_domain(&s, "own-vm", NULL)->pid = 4102;
			int rc = def->collect(self, &s);
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%d %d\n", rc,
			                      s.doms[1].f[DF_KSM_MERGING_PAGES].present);
			snapshot_clear(&s);
		}
		def->destroy(self);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", r.text);
		ssize_t w = write(fds[1], out, n);
		_exit(w == (ssize_t)n ? 0 : 4);
	}
	close(fds[1]);
	char got[20000];
	size_t len = 0;
	ssize_t n;
	while ((n = read(fds[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)n;
	got[len] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	char want[2048];
	snprintf(want, sizeof(want),
	         "-13 1\n-13 1\n-13 1\n"
	         "warn: %s/4101/ksm_stat: permission denied; /proc/<pid>/ksm_stat and ksm_merging_pages are mode "
	         "0400 and need the process's user, root or CAP_DAC_READ_SEARCH\n",
	         procfs);
	assert_string_equal(got, want);
	assert_int_equal(fixtree_remove(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts),
	    cmocka_unit_test(test_broken_logs),
	    cmocka_unit_test(test_stat_parse),
	    cmocka_unit_test(test_old_kernel_and_exited),
	    cmocka_unit_test(test_vanishing_process),
	    cmocka_unit_test(test_permission_denied),
	    cmocka_unit_test(test_one_unreadable_among_readable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
