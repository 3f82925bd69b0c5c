/* test_cgroup.c - the cgroup collector: finding the scope, every file's parser, fixture hosts, damage. */
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

#include "fixtree.h"
#include "logrec.h"
#include "sources/cgroup.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ABSENT INT64_MIN
#define A ABSENT

/* The fields of the collector in the order of the tables below. */
static const enum dom_field cg_fields[] = {DF_HOST_MEMORY_BYTES,      DF_HOST_ANON_BYTES,   DF_HOST_FILE_BYTES,
                                           DF_HOST_SHMEM_BYTES,       DF_HOST_KERNEL_BYTES, DF_HOST_SWAP_BYTES,
                                           DF_HOST_SWAP_CACHED_BYTES, DF_HOST_LIMIT_HITS,   DF_HOST_HIGH_HITS,
                                           DF_HOST_OOM_KILLS,         DF_PROCESS_SWAP_BYTES};
#define NF 11

/* Pressure is checked in microseconds, as the kernel writes it. */
struct want {
	int64_t v[NF];
	int64_t some_us, full_us;
};

static void check_field(const struct mval *m, int64_t want, const char *what, const char *field)
{
	if (want == ABSENT) {
		if (m->present)
			fail_msg("%s: %s present, want absent", what, field);
		return;
	}
	if (!m->present)
		fail_msg("%s: %s absent, want %jd", what, field, (intmax_t)want);
	if (m->kind == MV_F64) {
		int64_t us = (int64_t)(m->v.f * 1e6 + 0.5);
		if (us != want)
			fail_msg("%s: %s = %.6f s, want %jd us", what, field, m->v.f, (intmax_t)want);
		return;
	}
	if (m->kind != MV_U64 || (int64_t)m->v.u != want)
		fail_msg("%s: %s = %ju (kind %d), want %jd", what, field, (uintmax_t)m->v.u, m->kind, (intmax_t)want);
}

static void check_dom(const struct dom_snap *d, const struct want *w, const char *what)
{
	char name[16];
	for (size_t i = 0; i < NF; i++) {
		snprintf(name, sizeof(name), "field %zu", i);
		check_field(&d->f[cg_fields[i]], w->v[i], what, name);
	}
	check_field(&d->f[DF_HOST_PRESSURE_WAITING_SECONDS], w->some_us, what, "some");
	check_field(&d->f[DF_HOST_PRESSURE_STALLED_SECONDS], w->full_us, what, "full");
	for (int f = 0; f < DF_COUNT; f++) {
		bool mine = f == DF_HOST_PRESSURE_WAITING_SECONDS || f == DF_HOST_PRESSURE_STALLED_SECONDS;
		for (size_t i = 0; i < NF; i++)
			mine |= cg_fields[i] == (enum dom_field)f;
		if (!mine && d->f[f].present)
			fail_msg("%s: field %d of another collector filled", what, f);
	}
}

/* --- finding the scope ------------------------------------------------ */

static const struct {
	const char *text;
	int rc;
	int version;
	const char *path;
} scope_cases[] = {
    /* libvirt on v2: the emulator thread's child group, cut at the scope. */
    {"0::/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt/emulator\n", 0, 2,
     "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope"},
    {"0::/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt/vcpu0\n", 0, 2,
     "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope"},
    {"0::/machine.slice/machine-qemu\\x2d1\\x2dweb.scope\n", 0, 2, "/machine.slice/machine-qemu\\x2d1\\x2dweb.scope"},
    /* Proxmox VE */
    {"0::/qemu.slice/101.scope\n", 0, 2, "/qemu.slice/101.scope"},
    /* KubeVirt: the container scope of the virt-launcher pod. */
    {"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podab.slice/cri-containerd-12.scope\n", 0, 2,
     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podab.slice/cri-containerd-12.scope"},
    /* No newline at the end, and a v2 host's single line. */
    {"0::/qemu.slice/7.scope", 0, 2, "/qemu.slice/7.scope"},
    /* v1 and hybrid: the memory controller's line wins over 0::. */
    {"12:pids:/x.scope\n5:memory:/machine.slice/m.scope/emulator\n1:name=systemd:/y.scope\n0::/z.scope\n", 0, 1,
     "/machine.slice/m.scope"},
    {"0::/z.scope\n4:cpu,memory,blkio:/a/b.scope/c\n", 0, 1, "/a/b.scope"},
    {"4:memory:/only-v1.scope\n", 0, 1, "/only-v1.scope"},
    /* "memory" must be a whole controller name. */
    {"4:memory_x:/a.scope\n0::/b.scope\n", 0, 2, "/b.scope"},
    /* The root group, a slice, a service: no scope. */
    {"0::/\n", -ENODATA, 0, NULL},
    {"0::/system.slice/qemu.service\n", -ENODATA, 0, NULL},
    {"5:memory:/\n0::/x.scope\n", -ENODATA, 0, NULL},
    /* ".scope" alone is no scope's name. */
    {"0::/.scope/a\n", -ENODATA, 0, NULL},
    /* No line with the memory controller: v1 lines without it only. */
    {"3:cpu:/a.scope\n2:pids:/a.scope\n", -ENOENT, 0, NULL},
    {"", -ENOENT, 0, NULL},
    {"garbage\n\n::\n", -ENOENT, 0, NULL},
    /* Paths that escape the mount point or are not absolute. */
    {"0::/../../x.scope\n", -EINVAL, 0, NULL},
    {"0::/a/./b.scope\n", -EINVAL, 0, NULL},
    {"0::/a.scope/../../etc\n", -EINVAL, 0, NULL},
    {"0::a.scope\n", -EINVAL, 0, NULL},
    {"0::\n", -EINVAL, 0, NULL},
    /* Names that merely contain dots are fine. */
    {"0::/a..b/c.d.scope\n", 0, 2, "/a..b/c.d.scope"},
};

static void test_find_scope(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(scope_cases); i++) {
		struct cgroup_ref ref = {.version = 0, .path = "untouched", .len = 9};
		int rc = cgroup_find_scope(scope_cases[i].text, strlen(scope_cases[i].text), &ref);
		if (rc != scope_cases[i].rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, scope_cases[i].rc);
		if (rc != 0) {
			assert_string_equal(ref.path, "untouched");
			continue;
		}
		if ((int)ref.version != scope_cases[i].version || strcmp(ref.path, scope_cases[i].path) != 0 ||
		    ref.len != strlen(scope_cases[i].path))
			fail_msg("case %zu: v%d %s, want v%d %s", i, ref.version, ref.path, scope_cases[i].version,
			         scope_cases[i].path);
	}
}

/* A cgroup file of 1000 lines, the memory line last; and one path too long. */
static void test_find_scope_big(void **state)
{
	(void)state;
	static char text[64 * 1024];
	size_t n = 0;
	for (int i = 0; i < 999; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%d:ctl%d:/some/where/else.scope\n", i + 100, i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "7:memory:/qemu.slice/9.scope/x\n");
	struct cgroup_ref ref;
	assert_int_equal(cgroup_find_scope(text, n, &ref), 0);
	assert_string_equal(ref.path, "/qemu.slice/9.scope");

	n = (size_t)snprintf(text, sizeof(text), "0::/");
	memset(text + n, 'a', 5000);
	n += 5000;
	memcpy(text + n, ".scope\n", 7);
	n += 7;
	assert_int_equal(cgroup_find_scope(text, n, &ref), -ENAMETOOLONG);

	/* A NUL inside the path (found by fuzz_cgroup) would cut it short. */
	static const char nul[] = "0::/a\0/b.scope\n";
	assert_int_equal(cgroup_find_scope(nul, sizeof(nul) - 1, &ref), -EINVAL);
}

/* --- the parsers ----------------------------------------------------- */

static const struct {
	int version;
	const char *text;
	int rc;
	int64_t anon, file, shmem, kernel, swap, swapcached;
} stat_cases[] = {
    {2, "anon 1\nfile 2\nkernel 3\nshmem 4\nswapcached 5\n", 0, 1, 2, 4, 3, A, 5},
    /* Any order, unknown keys, keys that start like known ones. */
    {2, "swapcached 5\nanon_thp 9\nfuture 1\nshmem_thp 8\nfile_mapped 7\nfile 2\nanon 1\n", 0, 1, 2, A, A, A, 5},
    /* The v1 keys mean nothing on v2 and the reverse. */
    {2, "total_rss 1\nrss 2\n", 0, A, A, A, A, A, A},
    {1, "rss 9\ncache 9\ntotal_rss 1\ntotal_cache 2\ntotal_shmem 3\ntotal_swap 4\ntotal_swapcached 5\n", 0, 1, 2, 3, A,
     4, 5},
    {1, "anon 1\nfile 2\n", 0, A, A, A, A, A, A},
    /* Empty, cut inside the last line, garbage values, out of range. */
    {2, "", 0, A, A, A, A, A, A},
    {2, "anon 1\nfile 2", -EINVAL, 1, A, A, A, A, A},
    {2, "anon 1\nfi", 0, 1, A, A, A, A, A},
    {2, "anon 12x\nfile 2\n", -EINVAL, A, 2, A, A, A, A},
    {2, "anon -1\nfile 9223372036854775807\n", -EINVAL, A, INT64_MAX, A, A, A, A},
    {2, "anon 18446744073709551616\n", -EINVAL, A, A, A, A, A, A},
    {2, "anon\nfile  7\n", -EINVAL, A, 7, A, A, A, A},
    {2, "anon:1\n", -EINVAL, A, A, A, A, A, A},
    {2, "\n\n\nanon 1\n\n", 0, 1, A, A, A, A, A},
    {2, "anon 1 2\n", -EINVAL, A, A, A, A, A, A},
};

static void test_memory_stat(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(stat_cases); i++) {
		struct dom_snap d = {0};
		char what[32];
		snprintf(what, sizeof(what), "stat case %zu", i);
		int rc = cgroup_memory_stat_parse((enum cgroup_version)stat_cases[i].version, stat_cases[i].text,
		                                  strlen(stat_cases[i].text), &d);
		if (rc != stat_cases[i].rc)
			fail_msg("%s: rc %d, want %d", what, rc, stat_cases[i].rc);
		struct want w = {{A, stat_cases[i].anon, stat_cases[i].file, stat_cases[i].shmem, stat_cases[i].kernel,
		                  stat_cases[i].swap, stat_cases[i].swapcached, A, A, A, A},
		                 A,
		                 A};
		check_dom(&d, &w, what);
	}
}

/* 10000 keys: parsed in one pass, the known ones found wherever they are. */
static void test_memory_stat_many_keys(void **state)
{
	(void)state;
	static char text[256 * 1024];
	size_t n = 0;
	for (int i = 0; i < 10000; i++) {
		if (i == 5000)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "anon 4096\n");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "key_%d %d\n", i, i);
	}
	struct dom_snap d = {0};
	assert_int_equal(cgroup_memory_stat_parse(CGROUP_V2, text, n, &d), 0);
	assert_true(d.f[DF_HOST_ANON_BYTES].present);
	assert_int_equal(d.f[DF_HOST_ANON_BYTES].v.u, 4096);
}

static const struct {
	int version;
	const char *text;
	int rc;
	int64_t max, high, oom_kill;
} events_cases[] = {
    {2, "low 0\nhigh 5\nmax 6\noom 7\noom_kill 8\noom_group_kill 0\n", 0, 6, 5, 8},
    {2, "oom_kill 8\nfuture 1\nmax 6\n", 0, 6, A, 8},
    {2, "oom 7\n", 0, A, A, A},
    {2, "high five\nmax 6\n", -EINVAL, 6, A, A},
    {2, "max 6\noom_kill 8", -EINVAL, 6, A, A},
    {1, "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 0, A, A, 3},
    {1, "oom_kill_disable 0\nunder_oom 1\n", 0, A, A, A}, /* before 4.13 */
    {1, "max 6\nhigh 5\n", 0, A, A, A},
};

static void test_events(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(events_cases); i++) {
		struct dom_snap d = {0};
		char what[32];
		snprintf(what, sizeof(what), "events case %zu", i);
		int rc = cgroup_events_parse((enum cgroup_version)events_cases[i].version, events_cases[i].text,
		                             strlen(events_cases[i].text), &d);
		if (rc != events_cases[i].rc)
			fail_msg("%s: rc %d, want %d", what, rc, events_cases[i].rc);
		struct want w = {
		    {A, A, A, A, A, A, A, events_cases[i].max, events_cases[i].high, events_cases[i].oom_kill, A},
		    A,
		    A};
		check_dom(&d, &w, what);
	}
}

static const struct {
	const char *text;
	int rc;
	int64_t some_us, full_us;
} pressure_cases[] = {
    {"some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n", 0,
     1500000, 3},
    {"full avg10=1.00 avg60=0.00 avg300=0.00 total=9\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=10\n", 0, 10, 9},
    /* total= found by name, wherever it is. */
    {"some total=5 avg10=0.00\nfull avg10=0.00 future=1 avg60=0.00 avg300=0.00 total=4\n", -EINVAL, A, 4},
    {"some total=5\n", 0, 5, A},
    /* Missing total=, garbage, cut. */
    {"some avg10=0.00 avg60=0.00 avg300=0.00\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=2\n", -EINVAL, A, 2},
    {"some avg10=0.00 avg60=0.00 avg300=0.00 total=x\n", -EINVAL, A, A},
    {"some avg10=0.00 avg60=0.00 avg300=0.00 total=12", -EINVAL, A, A},
    {"some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n", -EINVAL, A, A},
    {"some avg10=0.00 avg60=0.00 avg300=0.00 xtotal=1\n", -EINVAL, A, A},
    {"", 0, A, A},
    {"other total=1\n", 0, A, A},
    {"some\n", -EINVAL, A, A},
};

static void test_pressure(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(pressure_cases); i++) {
		struct dom_snap d = {0};
		char what[32];
		snprintf(what, sizeof(what), "pressure case %zu", i);
		int rc = cgroup_pressure_parse(pressure_cases[i].text, strlen(pressure_cases[i].text), &d);
		if (rc != pressure_cases[i].rc)
			fail_msg("%s: rc %d, want %d", what, rc, pressure_cases[i].rc);
		struct want w = {
		    {A, A, A, A, A, A, A, A, A, A, A}, pressure_cases[i].some_us, pressure_cases[i].full_us};
		check_dom(&d, &w, what);
	}
}

static const struct {
	const char *text;
	int rc;
	int64_t swap;
} status_cases[] = {
    {"Name:\tqemu\nVmRSS:\t  100 kB\nVmSwap:\t     123 kB\nThreads:\t7\n", 0, 125952},
    {"VmSwap:\t0 kB\n", 0, 0},
    {"Name:\tkthreadd\nThreads:\t1\n", 0, A},
    {"VmSwap:\t 12x kB\n", -EINVAL, A},
    {"VmSwap:\t 12 MB\n", -EINVAL, A},
    {"VmSwap:\t 12 kB", -EINVAL, A},
    {"VmSwap 12 kB\n", -EINVAL, A},
    {"VmSwap:\t18014398509481984 kB\n", -EINVAL, A}, /* 2^54 kB: bytes overflow */
    {"VmSwapX:\t1 kB\n", 0, A},
};

static void test_status(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(status_cases); i++) {
		struct dom_snap d = {0};
		char what[32];
		snprintf(what, sizeof(what), "status case %zu", i);
		int rc = proc_status_swap_parse(status_cases[i].text, strlen(status_cases[i].text), &d);
		if (rc != status_cases[i].rc)
			fail_msg("%s: rc %d, want %d", what, rc, status_cases[i].rc);
		struct want w = {{A, A, A, A, A, A, A, A, A, A, status_cases[i].swap}, A, A};
		check_dom(&d, &w, what);
	}
}

/* --- fixture hosts ----------------------------------------------------- */

static const struct {
	const char *host;
	pid_t pid;
	int rc;
	struct want w; /* memory anon file shmem kernel swap swapcached limit high oom vmswap; some full */
} host_cases[] = {
    /* k6.18: cgroup v2.  web-01: libvirt, merged by KSM, swapping a little. */
    {"k6.18",
     4101,
     0,
     {{281018368, 230686720, 33554432, 2097152, 16777216, 10485760, 1048576, 0, 0, 0, 10485760}, 1523441, 203117}},
    /* memory.stat in reverse order with a future key. */
    {"k6.18", 4102, 0, {{640155648, 587202560, 37748736, 0, 15204352, 0, 0, 0, 0, 0, 0}, 0, 0}},
    /* no memory.swap.current (no swap accounting) */
    {"k6.18", 4105, 0, {{230686720, 197132288, 20971520, 0, 12582912, A, 0, 0, 0, 0, 0}, 0, 0}},
    /* noshare: at memory.high, swapping, one OOM kill; no memory.pressure (psi=0) */
    {"k6.18",
     4106,
     0,
     {{671088640, 620756992, 33554432, 0, 16777216, 134217728, 4194304, 12, 5120, 1, 134217728}, A, A}},
    /* Proxmox: qemu.slice/109.scope */
    {"k6.18", 4109, 0, {{402653184, 364904448, 25165824, 0, 12582912, 0, 0, 0, 0, 0, 0}, 17, 0}},
    /* KubeVirt: guest RAM as shared memory */
    {"k6.18", 4110, 0, {{2181038080, 14680064, 8388608, 2147483648, 10485760, 0, 0, 0, 0, 0, 0}, 0, 0}},
    /* the root group; a group that vanished; a service without a scope: VmSwap only */
    {"k6.18", 4111, 0, {{A, A, A, A, A, A, A, A, A, A, 0}, A, A}},
    {"k6.18", 4112, 0, {{A, A, A, A, A, A, A, A, A, A, 0}, A, A}},
    {"k6.18", 4113, 0, {{A, A, A, A, A, A, A, A, A, A, 0}, A, A}},
    /* a stale pid: gone, quietly */
    {"k6.18", 4108, -ESRCH, {{A, A, A, A, A, A, A, A, A, A, A}, A, A}},
    /* k6.1: hybrid, the memory controller on v1; total_* keys, failcnt, oom_control */
    {"k6.1", 4101, 0, {{318767104, 268435456, 41943040, 0, A, 2097152, 0, 0, A, 0, 2097152}, A, A}},
    /* swap accounting off: no total_swap */
    {"k6.1", 4102, 0, {{1069547520, 1006632960, 50331648, 0, A, A, A, 37, A, 2, 0}, A, A}},
    /* k5.19: no cgroup file nor status in the fixture: nothing */
    {"k5.19", 4101, -ENOENT, {{A, A, A, A, A, A, A, A, A, A, A}, A, A}},
    /* broken: each damaged file costs its own fields */
    {"broken", 4101, -EINVAL, {{A, 230686720, 33554432, 2097152, 16777216, A, A, 2, A, 3, A}, 1500000, A}},
    {"broken", 4102, -EINVAL, {{A, A, A, A, A, A, A, A, A, A, 4194304}, A, A}},
};

static void env_for(const char *host, char *procfs, char *cgroupfs, size_t sz)
{
	snprintf(procfs, sz, FIXTURES "/hosts/%s/proc", host);
	snprintf(cgroupfs, sz, FIXTURES "/hosts/%s/sys/fs/cgroup", host);
}

static void test_hosts(void **state)
{
	(void)state;
	char procfs[256], cgroupfs[256], what[64];

	for (size_t i = 0; i < N(host_cases); i++) {
		struct logrec r;
		struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);
		env_for(host_cases[i].host, procfs, cgroupfs, sizeof(procfs));
		struct kvm_env env = {.procfs = procfs, .cgroupfs = cgroupfs, .log = &lg};
		struct cgroup_src *p = cgroup_src_new(&env);
		assert_non_null(p);
		snprintf(what, sizeof(what), "%s pid %d", host_cases[i].host, (int)host_cases[i].pid);
		for (int round = 0; round < 2; round++) {
			struct dom_snap d = {0};
			int rc = cgroup_collect(p, host_cases[i].pid, &d);
			if (rc != host_cases[i].rc)
				fail_msg("%s: rc %d, want %d", what, rc, host_cases[i].rc);
			check_dom(&d, &host_cases[i].w, what);
		}
		if (host_cases[i].rc != -EINVAL)
			assert_string_equal(r.text, ""); /* vanished, absent and scope-less are quiet */
		cgroup_src_free(p);
	}
}

/* Every damaged file of the broken host named once over three collections. */
static void test_broken_logs(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);
	struct kvm_env env = {
	    .procfs = FIXTURES "/hosts/broken/proc", .cgroupfs = FIXTURES "/hosts/broken/sys/fs/cgroup", .log = &lg};
	struct cgroup_src *p = cgroup_src_new(&env);
	for (int i = 0; i < 3; i++) {
		struct dom_snap d1 = {0}, d2 = {0};
		assert_int_equal(cgroup_collect(p, 4101, &d1), -EINVAL);
		assert_int_equal(cgroup_collect(p, 4102, &d2), -EINVAL);
	}
#define SCOPE FIXTURES "/hosts/broken/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope"
	assert_string_equal(r.text,
	                    "warn: " SCOPE "/memory.current: not a valid value; field skipped\n"
	                    "warn: " SCOPE "/memory.stat: malformed line; those fields skipped\n"
	                    "warn: " SCOPE "/memory.swap.current: not a valid value; field skipped\n"
	                    "warn: " SCOPE "/memory.events: malformed line; those fields skipped\n"
	                    "warn: " SCOPE "/memory.pressure: malformed line; those fields skipped\n"
	                    "warn: " FIXTURES "/hosts/broken/proc/4101/status: malformed line; those fields "
	                    "skipped\n"
	                    "warn: " FIXTURES "/hosts/broken/proc/4102/cgroup: path not absolute or escaping the "
	                    "mount point; cgroup fields skipped\n");
#undef SCOPE
	cgroup_src_free(p);
}

/* Damage that cannot be committed: a FIFO where a file should be, a file
 * too large, a directory, a group that vanishes between two reads. */
static void test_private_tree(void **state)
{
	(void)state;
	char root[128], procfs[256], cgroupfs[256], path[512];
	assert_int_equal(fixtree_new(root, sizeof(root), "cgroup"), 0);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	snprintf(cgroupfs, sizeof(cgroupfs), "%s/cg", root);
	assert_int_equal(
	    fixtree_puts(root, "proc/77/stat", "77 (qemu) S 1 77 77 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 1 1\n"), 0);
	assert_int_equal(fixtree_puts(root, "proc/77/cgroup", "0::/qemu.slice/77.scope/x\n"), 0);
	assert_int_equal(fixtree_puts(root, "proc/77/status", "VmSwap:\t1 kB\n"), 0);
	assert_int_equal(fixtree_puts(root, "cg/qemu.slice/77.scope/memory.current", "100\n"), 0);
	assert_int_equal(fixtree_puts(root, "cg/qemu.slice/77.scope/memory.events", "oom_kill 1\n"), 0);
	/* A FIFO without a writer reads as empty (the file is opened
	 * non-blocking): never a hang. */
	snprintf(path, sizeof(path), "%s/cg/qemu.slice/77.scope/memory.swap.current", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* A directory where a file should be. */
	snprintf(path, sizeof(path), "%s/cg/qemu.slice/77.scope/memory.pressure", root);
	assert_int_equal(mkdir(path, 0755), 0);
	/* memory.stat larger than anything read whole. */
	static char big[70 * 1024];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(fixtree_write(root, "cg/qemu.slice/77.scope/memory.stat", big, sizeof(big)), 0);

	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_INFO);
	struct kvm_env env = {.procfs = procfs, .cgroupfs = cgroupfs, .log = &lg};
	struct cgroup_src *p = cgroup_src_new(&env);
	struct dom_snap d = {0};
	assert_int_equal(cgroup_collect(p, 77, &d), -EFBIG);
	struct want w = {{100, A, A, A, A, A, A, A, A, 1, 1024}, A, A};
	check_dom(&d, &w, "private tree");
	assert_int_equal(r.lines, 3);

	/* The group vanishes: quiet, VmSwap stays; the old values go. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/cg/qemu.slice'", root);
	assert_int_equal(system(cmd), 0);
	logrec_clear(&r);
	assert_int_equal(cgroup_collect(p, 77, &d), 0);
	struct want w2 = {{A, A, A, A, A, A, A, A, A, A, 1024}, A, A};
	check_dom(&d, &w2, "vanished group");
	assert_string_equal(r.text, "");

	/* The process exits: -ESRCH, d untouched. */
	fixtree_unlink(root, "proc/77/stat");
	fixtree_unlink(root, "proc/77/cgroup");
	fixtree_unlink(root, "proc/77/status");
	assert_int_equal(cgroup_collect(p, 77, &d), -ESRCH);
	check_dom(&d, &w2, "gone");
	cgroup_src_free(p);
	assert_int_equal(fixtree_remove(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_scope),  cmocka_unit_test(test_find_scope_big),
	    cmocka_unit_test(test_memory_stat), cmocka_unit_test(test_memory_stat_many_keys),
	    cmocka_unit_test(test_events),      cmocka_unit_test(test_pressure),
	    cmocka_unit_test(test_status),      cmocka_unit_test(test_hosts),
	    cmocka_unit_test(test_broken_logs), cmocka_unit_test(test_private_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
