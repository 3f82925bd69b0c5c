/* test_vmpid.c - domain name to QEMU pid: pure parsers, the k6.18 fixture
 * host, and a private temp tree for recycled pids and cache invalidation. */
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

#include "logrec.h"
#include "backends/libvirt_pid.h"

#define ARGV(s) s, sizeof(s) - 1 /* a literal with embedded NULs and its length */

static void test_cmdline_matches(void **state)
{
	(void)state;
	static const struct {
		const char *cmd;
		size_t len;
		const char *name;
		bool want;
	} cases[] = {
	    {ARGV("/usr/bin/qemu-system-x86_64\0-name\0guest=web-01,debug-threads=on\0-uuid\0x\0"), "web-01", true},
	    {ARGV("/usr/bin/qemu-system-x86_64\0-name\0guest=web-01\0"), "web-01", true},
	    /* No trailing NUL on the last argument. */
	    {ARGV("qemu\0-name\0guest=web-01"), "web-01", true},
	    /* Prefix of another name, and the other way round. */
	    {ARGV("qemu\0-name\0guest=web-012,debug-threads=on\0"), "web-01", false},
	    {ARGV("qemu\0-name\0guest=web-0,debug-threads=on\0"), "web-01", false},
	    /* Doubled commas inside the name. */
	    {ARGV("qemu\0-name\0guest=comma,,name,debug-threads=on\0"), "comma,name", true},
	    {ARGV("qemu\0-name\0guest=comma,,name,debug-threads=on\0"), "comma", false},
	    {ARGV("qemu\0-name\0guest=comma,name,debug-threads=on\0"), "comma,name", false},
	    {ARGV("qemu\0-name\0guest=a,,,,b\0"), "a,,b", true},
	    {ARGV("qemu\0-name\0guest=trail,,\0"), "trail,", true},
	    /* The old form. */
	    {ARGV("/usr/bin/kvm\0-name\0web-01\0-m\0512\0"), "web-01", true},
	    {ARGV("/usr/bin/kvm\0-name\0web-01x\0"), "web-01", false},
	    /* Non-ASCII and quotes pass through byte for byte. */
	    {ARGV("qemu\0-name\0guest=caf\xc3\xa9,debug-threads=on\0"), "caf\xc3\xa9", true},
	    {ARGV("qemu\0-name\0guest=quote\"back\\slash,debug-threads=on\0"), "quote\"back\\slash", true},
	    /* Not QEMU for this domain. */
	    {ARGV("/usr/bin/bash\0"), "web-01", false},
	    {ARGV("qemu\0-name\0"), "web-01", false},
	    {ARGV("qemu\0guest=web-01\0"), "web-01", false},
	    {ARGV("qemu\0-namex\0guest=web-01\0"), "web-01", false},
	    {"", 0, "web-01", false},
	    /* An empty name never matches, not even an empty -name (found by
	     * fuzz_cmdline; tests/fuzz/corpus/cmdline/empty-name). */
	    {ARGV("\0-name\0\0"), "", false},
	    {ARGV("qemu\0-name\0guest=\0"), "", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (libvirt_pid_cmdline_matches(cases[i].cmd, cases[i].len, cases[i].name) != cases[i].want)
			fail_msg("case %zu (%s): want %d", i, cases[i].name, cases[i].want);
}

static void test_parse_pidfile(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		pid_t pid;
	} cases[] = {
	    {"4101", 0, 4101},
	    {"4101\n", 0, 4101},
	    {"1", 0, 1},
	    {"2147483647", 0, 2147483647},
	    {"", -EINVAL, 0},
	    {"\n", -EINVAL, 0},
	    {"0", -EINVAL, 0},
	    {"-5", -EINVAL, 0},
	    {"2147483648", -EINVAL, 0},
	    {"41a", -EINVAL, 0},
	    {"4101\n\n", -EINVAL, 0},
	    {"99999999999999999999999", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = -7;
		int rc = libvirt_pid_parse_pidfile(cases[i].text, strlen(cases[i].text), &pid);
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d want %d", i, cases[i].text, rc, cases[i].rc);
		assert_int_equal(pid, rc == 0 ? cases[i].pid : -7);
	}
}

static void test_fixture_host(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int rc;
		pid_t pid;
	} want[] = {
	    {"web-01", 0, 4101},        {"quote\"back\\slash", 0, 4102}, {"paused-vm", 0, 4103},
	    {"stopped-vm", -ENOENT, 0}, {"noballoon", 0, 4105},          {"noshare", 0, 4106},
	    {"recycled", -ESTALE, 0},   {"stale", -ESTALE, 0},           {"scanned", 0, 4109},
	    {"pinned", 0, 4110},        {"noperiod", 0, 4111},           {"comma,name", 0, 4112},
	    {"caf\xc3\xa9", 0, 4113},   {"nosuchdomain", -ENOENT, 0},
	};
	struct logrec rec;
	struct kvm_log lg = logrec_log(&rec, LOG_LVL_DEBUG);
	struct kvm_env env = {.sysfs = FIXTURES "/hosts/k6.18/sys",
	                      .procfs = FIXTURES "/hosts/k6.18/proc",
	                      .libvirt_run = FIXTURES "/hosts/k6.18/run",
	                      .log = &lg};
	struct libvirt_pid *v = libvirt_pid_new(&env);
	assert_non_null(v);
	/* Twice: the second round is answered from the cache and must agree,
	 * and the two stale pidfiles are logged once, not twice. */
	for (int round = 0; round < 2; round++) {
		libvirt_pid_begin(v);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			pid_t pid = 0;
			int rc = libvirt_pid_lookup(v, want[i].name, &pid);
			if (rc != want[i].rc || pid != want[i].pid)
				fail_msg("round %d %s: rc %d pid %d, want rc %d pid %d", round, want[i].name, rc,
				         (int)pid, want[i].rc, (int)want[i].pid);
		}
	}
	/* A live process that is another program is a recycled pid: warn.  A
	 * pid that no longer exists is a domain stopping (libvirt removes the
	 * pidfile after QEMU exits): debug. */
	assert_string_equal(rec.text,
	                    "warn: " FIXTURES "/hosts/k6.18/run/recycled.pid: pid 4107 is not domain recycled "
	                    "(stale pidfile)\n"
	                    "debug: " FIXTURES "/hosts/k6.18/run/stale.pid: pid 4108 has exited (domain stale "
	                    "stopping)\n");
	libvirt_pid_free(v);
}

/* --- a private tree: <tmp>/run and <tmp>/proc ------------------------- */

struct tree {
	char root[64];
	char run[96];
	char proc[96];
};

static void put(const char *dir, const char *name, const char *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char tmp[520];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	/* rename: a new inode, as libvirt writes pidfiles */
	assert_int_equal(rename(tmp, path), 0);
}

static void put_proc_state(struct tree *t, int pid, char state, const char *cmd, size_t cmdlen,
                           unsigned long long start)
{
	char dir[160], stat[256];
	snprintf(dir, sizeof(dir), "%s/%d", t->proc, pid);
	mkdir(dir, 0755);
	put(dir, "cmdline", cmd, cmdlen);
	int n = snprintf(stat, sizeof(stat),
	                 "%d (qemu-system-x86) %c 1 %d %d 0 -1 138412352 9 0 0 0 3 4 0 0 20 0 5 0 %llu 1 2 3\n", pid,
	                 state, pid, pid, start);
	put(dir, "stat", stat, (size_t)n);
}

static void put_proc(struct tree *t, int pid, const char *cmd, size_t cmdlen, unsigned long long start)
{
	put_proc_state(t, pid, 'S', cmd, cmdlen, start);
}

static void rm_rf(const char *path)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void tree_make(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/kvmmem-vmpid-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->run, sizeof(t->run), "%s/run", t->root);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	assert_int_equal(mkdir(t->run, 0755), 0);
	assert_int_equal(mkdir(t->proc, 0755), 0);
}

static int look(struct libvirt_pid *v, const char *name)
{
	pid_t pid = 0;
	int rc = libvirt_pid_lookup(v, name, &pid);
	return rc < 0 ? rc : (int)pid;
}

static void test_recycled_and_cache(void **state)
{
	(void)state;
	struct tree t;
	tree_make(&t);
	static const char vm1[] = "qemu\0-name\0guest=vm1,debug-threads=on\0-uuid\0u1\0";
	static const char bash[] = "/usr/bin/bash\0";
	put(t.run, "vm1.pid", "500", 3);
	put_proc(&t, 500, vm1, sizeof(vm1) - 1, 1000);

	struct kvm_env env = {.procfs = t.proc, .libvirt_run = t.run};
	struct libvirt_pid *v = libvirt_pid_new(&env);
	assert_non_null(v);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), 500);

	/* Same pidfile, same start time: the answer is cached, so a changed
	 * command line is not even read. */
	put(t.proc, "500/cmdline", bash, sizeof(bash) - 1);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), 500);

	/* The pid is recycled: another start time forces a recheck. */
	put_proc(&t, 500, bash, sizeof(bash) - 1, 2000);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), -ESTALE);
	assert_int_equal(look(v, "vm1"), -ESTALE);

	/* The domain restarts: a new pidfile (new inode) with a new pid. */
	put(t.run, "vm1.pid", "501\n", 4);
	put_proc(&t, 501, vm1, sizeof(vm1) - 1, 3000);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), 501);

	/* The process exits and the pidfile stays behind. */
	rm_rf(t.proc);
	assert_int_equal(mkdir(t.proc, 0755), 0);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), -ESTALE);

	/* The same pid comes back as this domain (no stat file: start 0). */
	char dir[160];
	snprintf(dir, sizeof(dir), "%s/501", t.proc);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(dir, "cmdline", vm1, sizeof(vm1) - 1);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), 501);

	/* A garbage pidfile is an error of its own, not a pid. */
	put(t.run, "vm1.pid", "x", 1);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), -EINVAL);

	/* Without the pidfile the scan still finds the running process. */
	char pf[160];
	snprintf(pf, sizeof(pf), "%s/vm1.pid", t.run);
	assert_int_equal(unlink(pf), 0);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), 501);

	/* The domain stops: no pidfile and no process. */
	rm_rf(dir);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm1"), -ENOENT);
	assert_int_equal(look(v, "../etc/x"), -EINVAL);

	libvirt_pid_free(v);
	rm_rf(t.root);
}

/* Entries not looked up in the previous collection are forgotten, so a
 * domain that comes back is checked afresh. */
static void test_unseen_entries_dropped(void **state)
{
	(void)state;
	struct tree t;
	tree_make(&t);
	static const char vm2[] = "qemu\0-name\0guest=vm2\0-uuid\0u2\0";
	static const char other[] = "qemu\0-name\0guest=other\0-uuid\0u3\0";
	put(t.run, "vm2.pid", "600", 3);
	put_proc(&t, 600, vm2, sizeof(vm2) - 1, 10);

	struct kvm_env env = {.procfs = t.proc, .libvirt_run = t.run};
	struct libvirt_pid *v = libvirt_pid_new(&env);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm2"), 600);
	/* Looked up in every collection: stays cached despite the change. */
	put(t.proc, "600/cmdline", other, sizeof(other) - 1);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm2"), 600);
	/* One collection without vm2, then it is gone from the cache. */
	libvirt_pid_begin(v);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "vm2"), -ESTALE);
	libvirt_pid_free(v);
	rm_rf(t.root);
}

/* Without pidfiles, one /proc scan per collection. */
static void test_scan_once_per_collection(void **state)
{
	(void)state;
	struct tree t;
	tree_make(&t);
	static const char a[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=a,,b,debug-threads=on\0-uuid\0u\0";
	static const char b[] = "/usr/libexec/qemu-kvm\0-name\0guest=b\0-uuid\0u\0";
	static const char find[] = "find\0/\0-name\0c\0";
	static const char c[] = "qemu\0-name\0c\0-uuid\0u\0";
	put_proc(&t, 700, a, sizeof(a) - 1, 1);
	put_proc(&t, 701, find, sizeof(find) - 1, 1);
	char self[160];
	snprintf(self, sizeof(self), "%s/self", t.proc); /* not a pid: skipped */
	assert_int_equal(mkdir(self, 0755), 0);
	put(t.proc, "702", "not a dir", 9);

	struct kvm_env env = {.procfs = t.proc, .libvirt_run = t.run};
	struct libvirt_pid *v = libvirt_pid_new(&env);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "a,b"), 700);
	assert_int_equal(look(v, "c"), -ENOENT); /* find -name c is not QEMU */
	/* Appears after this collection's scan: not seen until the next one. */
	put_proc(&t, 703, b, sizeof(b) - 1, 1);
	put_proc(&t, 704, c, sizeof(c) - 1, 1);
	assert_int_equal(look(v, "b"), -ENOENT);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "b"), 703);
	assert_int_equal(look(v, "c"), 704);
	assert_int_equal(look(v, "a,b"), 700);
	libvirt_pid_free(v);
	rm_rf(t.root);
}

/* Which stale pidfiles warn: only one naming a live process that is not
 * the domain.  An exited process, or one that has exited and is not yet
 * reaped (a zombie: empty cmdline), is the domain stopping. */
static void test_stale_pidfile_log_levels(void **state)
{
	(void)state;
	struct tree t;
	tree_make(&t);
	static const char bash[] = "/usr/bin/bash\0";
	put(t.run, "gone.pid", "800", 3);
	put(t.run, "zombie.pid", "801", 3);
	put_proc_state(&t, 801, 'Z', "", 0, 50);
	put(t.run, "other.pid", "802", 3);
	put_proc(&t, 802, bash, sizeof(bash) - 1, 60);

	struct logrec rec;
	struct kvm_log lg = logrec_log(&rec, LOG_LVL_DEBUG);
	struct kvm_env env = {.procfs = t.proc, .libvirt_run = t.run, .log = &lg};
	struct libvirt_pid *v = libvirt_pid_new(&env);
	assert_non_null(v);
	libvirt_pid_begin(v);
	assert_int_equal(look(v, "gone"), -ESTALE);
	assert_int_equal(look(v, "zombie"), -ESTALE);
	assert_int_equal(look(v, "other"), -ESTALE);
	char want[2048];
	snprintf(want, sizeof(want),
	         "debug: %s/gone.pid: pid 800 has exited (domain gone stopping)\n"
	         "debug: %s/zombie.pid: pid 801 has exited (domain zombie stopping)\n"
	         "warn: %s/other.pid: pid 802 is not domain other (stale pidfile)\n",
	         t.run, t.run, t.run);
	assert_string_equal(rec.text, want);
	libvirt_pid_free(v);
	rm_rf(t.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmdline_matches),
	    cmocka_unit_test(test_parse_pidfile),
	    cmocka_unit_test(test_fixture_host),
	    cmocka_unit_test(test_recycled_and_cache),
	    cmocka_unit_test(test_unseen_entries_dropped),
	    cmocka_unit_test(test_scan_once_per_collection),
	    cmocka_unit_test(test_stale_pidfile_log_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
