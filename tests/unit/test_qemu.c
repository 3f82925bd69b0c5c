/*
 * test_qemu.c - the qemu backend over the collection: the Proxmox fixture
 * host collected twice (the same domains from the cache, the stale
 * pidfile logged once) and without its run directory, a temporary tree where a process changes its
 * command line, turns into a zombie and goes away between collections,
 * and a pidfile that starts naming its process.
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

#include "logrec.h"
#include "model/collect.h"

#define PVE FIXTURES "/hosts/proxmox"

/* One collection: "name source vmid state" per domain, one line each. */
static void run(struct collection *c, char *out, size_t outsz)
{
	struct snapshot s;
	size_t len = 0;
	snapshot_init(&s);
	assert_int_equal(collection_run(c, &s), 0);
	out[0] = '\0';
	for (size_t i = 0; i < s.ndoms; i++) {
		const struct dom_snap *d = &s.doms[i];
		len += (size_t)snprintf(out + len, outsz - len, "%s %s %s %llu\n", d->name, dom_source_name(d->source),
		                        d->vmid[0] ? d->vmid : "-", (unsigned long long)d->f[DF_STATE].v.u);
	}
	snapshot_clear(&s);
}

static struct collect_opts opts(const char *procfs, const char *qsrun, const struct kvm_log *lg)
{
	struct collect_opts o;
	collect_opts_default(&o);
	for (int i = 0; i < COLL_COUNT; i++)
		o.enabled[i] = i == COLL_QEMU;
	o.env.sysfs = "/nonexistent/kvmmem/sys";
	o.env.procfs = procfs;
	o.env.libvirt_run = "/nonexistent/kvmmem/run";
	o.env.qemu_server_run = qsrun;
	o.env.log = lg;
	return o;
}

static void test_proxmox_twice(void **state)
{
	(void)state;
	struct logrec rec;
	struct kvm_log lg = logrec_log(&rec, LOG_LVL_DEBUG);
	struct collect_opts o = opts(PVE "/proc", PVE "/qemu-server", &lg);
	struct collection *c = collection_new(&o);
	assert_non_null(c);
	static const char want[] = "db proxmox 101 1\n"
	                           "orphan qemu - 1\n"
	                           "web proxmox 100 1\n"
	                           "web#103 proxmox 103 1\n"
	                           "win11 proxmox 102 3\n";
	char got[1024];
	for (int round = 0; round < 3; round++) {
		run(c, got, sizeof(got));
		assert_string_equal(got, want);
	}
	assert_string_equal(rec.text, "warn: " PVE "/qemu-server/104.pid: QEMU pid 5104 has VMID 104 but the pidfile "
	                              "names another process; reported without VMID\n");
	collection_free(c);
}

/* Without a qemu-server run directory (not a Proxmox VE host, whatever a
 * command line claims) every guest is plain QEMU, the second "web" named
 * by its pid, and nothing is logged above debug. */
static void test_no_run_directory(void **state)
{
	(void)state;
	struct logrec rec;
	struct kvm_log lg = logrec_log(&rec, LOG_LVL_INFO);
	struct collect_opts o = opts(PVE "/proc", "/nonexistent/kvmmem/qemu-server", &lg);
	struct collection *c = collection_new(&o);
	assert_non_null(c);
	char got[1024];
	run(c, got, sizeof(got));
	assert_string_equal(got, "db qemu - 1\n"
	                         "orphan qemu - 1\n"
	                         "web qemu - 1\n"
	                         "web#pid5103 qemu - 1\n"
	                         "win11 qemu - 3\n");
	assert_string_equal(rec.text, "");
	collection_free(c);
}

struct tree {
	char root[64], proc[96], qs[96];
};

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* <proc>/<pid>/stat with the given command name, state and start time. */
static void put_stat(struct tree *t, int pid, const char *comm, char st, unsigned start)
{
	char dir[160], stat[256];
	snprintf(dir, sizeof(dir), "%s/%d", t->proc, pid);
	mkdir(dir, 0755);
	int n = snprintf(stat, sizeof(stat), "%d (%s) %c 1 %d %d 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 %u 1000 250\n", pid,
	                 comm, st, pid, pid, start);
	put(dir, "stat", stat, (size_t)n);
}

/* <proc>/<pid>/cmdline. */
static void put_cmdline(struct tree *t, int pid, const char *cmd, size_t len)
{
	char dir[160];
	snprintf(dir, sizeof(dir), "%s/%d", t->proc, pid);
	mkdir(dir, 0755);
	put(dir, "cmdline", cmd, len);
}

/* <proc>/<pid>/{cmdline,stat}: command name kvm, the given state and
 * start time. */
static void put_proc(struct tree *t, int pid, const char *cmd, size_t len, char st, unsigned start)
{
	put_cmdline(t, pid, cmd, len);
	put_stat(t, pid, "kvm", st, start);
}

static void rm_rf(const char *path)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

#define ARGV(s) s, sizeof(s) - 1

/* A temporary tree under /tmp: t->proc and t->qs made. */
static void tree_make(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/kvmmem-qemu-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	snprintf(t->qs, sizeof(t->qs), "%s/qs", t->root);
	mkdir(t->proc, 0755);
	mkdir(t->qs, 0755);
}

static void test_changes_between_collections(void **state)
{
	(void)state;
	struct tree t;
	tree_make(&t);
	put_proc(&t, 700,
	         ARGV("/usr/bin/kvm\0-id\0"
	              "200\0-name\0a\0-m\0"
	              "512\0"),
	         'S', 10);
	put_proc(&t, 701, ARGV("qemu-system-x86_64\0-name\0b\0"), 'S', 11);
	/* A QEMU whose command line is 100 kB: more than is read, so it costs
	 * only itself, quietly. */
	size_t big = 100 * 1024;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, 'x', big);
	memcpy(huge, "qemu-system-x86_64\0-name\0", 25);
	put_proc(&t, 702, huge, big, 'S', 12);
	free(huge);

	struct logrec rec;
	struct kvm_log lg = logrec_log(&rec, LOG_LVL_INFO);
	struct collect_opts o = opts(t.proc, t.qs, &lg);
	struct collection *c = collection_new(&o);
	assert_non_null(c);
	char got[1024];

	/* No pidfile yet: VMID 200 is not trusted. */
	run(c, got, sizeof(got));
	assert_string_equal(got, "a qemu - 1\nb qemu - 1\n");
	/* The pidfile appears; b execs a QEMU named c (its command name
	 * changes: the new command line is parsed, not taken from the
	 * cache). */
	put(t.qs, "200.pid", "700\n", 4);
	put_cmdline(&t, 701, ARGV("qemu-system-x86_64\0-name\0c\0"));
	put_stat(&t, 701, "qemu-system-x86", 'S', 11);
	run(c, got, sizeof(got));
	assert_string_equal(got, "a proxmox 200 1\nc qemu - 1\n");
	/* b exits: a zombie is skipped; then its directory is gone. */
	put_proc(&t, 701, ARGV("qemu-system-x86_64\0-name\0c\0"), 'Z', 11);
	run(c, got, sizeof(got));
	assert_string_equal(got, "a proxmox 200 1\n");
	rm_rf(t.proc);
	mkdir(t.proc, 0755);
	run(c, got, sizeof(got));
	assert_string_equal(got, "");
	/* One warning for the missing pidfile, one line when it names 700. */
	char want[512];
	snprintf(want, sizeof(want),
	         "warn: %s/200.pid: QEMU pid 700 has VMID 200 but its pidfile cannot be read (No such file or "
	         "directory); reported without VMID\n"
	         "info: %s/200.pid: pid 700 is VMID 200 again\n",
	         t.qs, t.qs);
	assert_string_equal(rec.text, want);
	collection_free(c);
	rm_rf(t.root);
}

/* The parse of a command line is kept while the pid's stat shows the same
 * process (start time and command name): what each change of a real
 * process does to /proc, step by step. */
static void test_cache_follows_the_process(void **state)
{
	(void)state;
	struct tree t;
	tree_make(&t);
	put_cmdline(&t, 800, ARGV("qemu-system-x86_64\0-name\0a\0"));
	put_stat(&t, 800, "qemu-system-x86", 'S', 20);
	/* QEMU's -name process= sets its command name before any scan can
	 * see it: found by its command line all the same. */
	put_cmdline(&t, 801, ARGV("qemu-system-x86_64\0-name\0named,process=pn\0"));
	put_stat(&t, 801, "pn", 'S', 21);
	/* A command name that looks like QEMU is not QEMU. */
	put_cmdline(&t, 802, ARGV("/usr/bin/python3\0-name\0fake\0"));
	put_stat(&t, 802, "qemu-system-x86", 'S', 22);

	struct logrec rec;
	struct kvm_log lg = logrec_log(&rec, LOG_LVL_DEBUG);
	struct collect_opts o = opts(t.proc, t.qs, &lg);
	struct collection *c = collection_new(&o);
	assert_non_null(c);
	char got[1024];

	run(c, got, sizeof(got));
	assert_string_equal(got, "a qemu - 1\nnamed qemu - 1\n");
	/* The same process (stat unchanged) with another command line: the
	 * cmdline is not read again, so the parse stays (what is assumed: a
	 * command line changes only by execve); its state is read anew. */
	put_cmdline(&t, 800, ARGV("qemu-system-x86_64\0-name\0rewritten\0"));
	put_stat(&t, 800, "qemu-system-x86", 'T', 20);
	run(c, got, sizeof(got));
	assert_string_equal(got, "a qemu - 3\nnamed qemu - 1\n");
	/* An execve: the same pid and start time, another command name. */
	put_cmdline(&t, 800, ARGV("/usr/bin/kvm\0-name\0b\0"));
	put_stat(&t, 800, "kvm", 'S', 20);
	run(c, got, sizeof(got));
	assert_string_equal(got, "b qemu - 1\nnamed qemu - 1\n");
	/* The pid reused by a new process with the same command name. */
	put_cmdline(&t, 800, ARGV("/usr/bin/kvm\0-name\0c\0"));
	put_stat(&t, 800, "kvm", 'S', 99);
	run(c, got, sizeof(got));
	assert_string_equal(got, "c qemu - 1\nnamed qemu - 1\n");
	/* A process that execs and exits between its stat and its cmdline
	 * (the stat says "another process", the cmdline is gone): skipped
	 * quietly, then found again when it is there. */
	put_stat(&t, 800, "sh", 'S', 99);
	char path[160];
	snprintf(path, sizeof(path), "%s/800/cmdline", t.proc);
	assert_int_equal(unlink(path), 0);
	run(c, got, sizeof(got));
	assert_string_equal(got, "named qemu - 1\n");
	put_cmdline(&t, 800, ARGV("/usr/bin/kvm\0-name\0d\0"));
	run(c, got, sizeof(got));
	assert_string_equal(got, "d qemu - 1\nnamed qemu - 1\n");
	/* A QEMU in the cache whose stat no longer reads (through the
	 * descriptor kept open: emptied here, ESRCH once a real process is
	 * gone) is a new process: its cmdline is read again. */
	put_cmdline(&t, 800, ARGV("/usr/bin/kvm\0-name\0f\0"));
	snprintf(path, sizeof(path), "%s/800", t.proc);
	put(path, "stat", "", 0);
	run(c, got, sizeof(got));
	assert_string_equal(got, "named qemu - 1\n");
	put_stat(&t, 800, "sh", 'S', 99);
	run(c, got, sizeof(got));
	assert_string_equal(got, "f qemu - 1\nnamed qemu - 1\n");
	/* A QEMU in the cache that vanishes: its directory is gone. */
	snprintf(path, sizeof(path), "%s/801", t.proc);
	rm_rf(path);
	run(c, got, sizeof(got));
	assert_string_equal(got, "f qemu - 1\n");
	/* Not a process that is no QEMU: it turns into one by execve. */
	put_cmdline(&t, 802, ARGV("/usr/bin/qemu-system-x86_64\0-name\0e\0"));
	put_stat(&t, 802, "qemu-system-x86", 'S', 22);
	run(c, got, sizeof(got));
	assert_string_equal(got, "e qemu - 1\nf qemu - 1\n");
	assert_string_equal(rec.text, "");
	collection_free(c);
	rm_rf(t.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proxmox_twice),
	    cmocka_unit_test(test_no_run_directory),
	    cmocka_unit_test(test_changes_between_collections),
	    cmocka_unit_test(test_cache_follows_the_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
