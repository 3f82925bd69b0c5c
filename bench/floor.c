/*
 * floor.c - the least work one collection of a KVM host can cost.
 *
 *   floor URI SYSFS PROCFS RUNDIR [ITERATIONS [WARMUP [DAEMON_PID]]]
 *
 * Each iteration is what any exporter of the same facts cannot avoid:
 * one virConnectGetAllDomainStats(STATE|BALLOON, NOWAIT) on a connection
 * kept open, virDomainMemoryStats for each running domain whose record has
 * no balloon.* field (libvirt's test driver gives none), the host KSM files,
 * meminfo, vmstat and ksmd's stat, and per running domain its pidfile, the
 * QEMU cmdline (to check the pid is that domain's) and ksm_stat.  Nothing
 * is parsed beyond the pid and the running state, nothing is written.
 *
 * With a test:/// URI the test driver runs inside this process, so its cost
 * is this process's CPU, measured per iteration with
 * CLOCK_PROCESS_CPUTIME_ID.  With a remote URI the driver's work is done in
 * libvirtd: given its DAEMON_PID, the daemon's utime+stime over the measured
 * iterations (clock ticks, from /proc/PID/stat) is printed too.  Prints one
 * key=value per line: iterations, cpu_us_{median,p99,mean}, wall_us_median,
 * domains, running, bytes_read (per iteration), hwm_kib (VmHWM),
 * rss_anon_kib (RssAnon, at the end) and, with DAEMON_PID, daemon_ticks
 * and daemon_cpu_us_mean.
 *
 * one_collection() is not inlined so callgrind can count it alone:
 * valgrind --tool=callgrind --toggle-collect=one_collection bench/floor ...
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT
#define VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT (1U << 29)
#endif

struct host {
	virConnectPtr conn;
	int ksm_dir;
	int proc_dir;
	int run_dir;
	int cgroup_dir;
	size_t domains;
	size_t running;
	size_t bytes;
};

/* The 24 files of /sys/kernel/mm/ksm on a 6.18 kernel. */
static const char *const ksm_files[] = {
    "advisor_max_cpu",
    "advisor_max_pages_to_scan",
    "advisor_min_pages_to_scan",
    "advisor_mode",
    "advisor_target_scan_time",
    "full_scans",
    "general_profit",
    "ksm_zero_pages",
    "max_page_sharing",
    "merge_across_nodes",
    "pages_scanned",
    "pages_shared",
    "pages_sharing",
    "pages_skipped",
    "pages_to_scan",
    "pages_unshared",
    "pages_volatile",
    "run",
    "sleep_millisecs",
    "smart_scan",
    "stable_node_chains",
    "stable_node_chains_prune_millisecs",
    "stable_node_dups",
    "use_zero_pages",
};

static char buf[1 << 16];

/* Reads DIRFD/NAME whole into buf; returns its length or -1. */
static ssize_t slurp(struct host *h, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	h->bytes += len;
	return (ssize_t)len;
}

static int running_state(const virDomainStatsRecord *rec, int *has_balloon)
{
	int running = 0;
	*has_balloon = 0;
	for (int i = 0; i < rec->nparams; i++) {
		const virTypedParameter *p = &rec->params[i];
		if (strcmp(p->field, "state.state") == 0 && p->type == VIR_TYPED_PARAM_INT)
			running = p->value.i == VIR_DOMAIN_RUNNING;
		else if (strncmp(p->field, "balloon.", 8) == 0)
			*has_balloon = 1;
	}
	return running;
}

/* The QEMU process of one running domain: pidfile, cmdline check, ksm_stat. */
static void domain_files(struct host *h, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s.pid", name);
	if (slurp(h, h->run_dir, path) <= 0)
		return;
	char *end;
	errno = 0;
	long pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || pid <= 0)
		return;
	char needle[512];
	int nlen = snprintf(needle, sizeof(needle), "guest=%s,", name);
	snprintf(path, sizeof(path), "%ld/cmdline", pid);
	ssize_t len = slurp(h, h->proc_dir, path);
	if (len <= 0 || nlen <= 0 || !memmem(buf, (size_t)len, needle, (size_t)nlen))
		return;
	snprintf(path, sizeof(path), "%ld/ksm_stat", pid);
	slurp(h, h->proc_dir, path);
	/* The cgroup collector's files: the process's group, cut at its
	 * scope, five files of the scope, and the process's status. */
	snprintf(path, sizeof(path), "%ld/cgroup", pid);
	len = slurp(h, h->proc_dir, path);
	char *g = len > 0 ? strstr(buf, "0::/") : NULL;
	char *sc = g != NULL ? strstr(g, ".scope") : NULL;
	if (sc != NULL && sc - (g + 4) + 6 < 256) {
		static const char *const files[] = {"memory.current", "memory.stat", "memory.swap.current",
		                                    "memory.events", "memory.pressure"};
		char scope[256];
		memcpy(scope, g + 4, (size_t)(sc - (g + 4)) + 6);
		scope[sc - (g + 4) + 6] = '\0';
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", scope, files[i]);
			slurp(h, h->cgroup_dir, path);
		}
	}
	snprintf(path, sizeof(path), "%ld/status", pid);
	slurp(h, h->proc_dir, path);
}

__attribute__((noinline)) int one_collection(struct host *h);
__attribute__((noinline)) int one_collection(struct host *h)
{
	virDomainStatsRecordPtr *recs = NULL;
	int n = virConnectGetAllDomainStats(h->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs,
	                                    VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	if (n < 0)
		return -1;
	h->domains = (size_t)n;
	h->running = 0;
	h->bytes = 0;
	for (int i = 0; i < n; i++) {
		int has_balloon;
		if (!running_state(recs[i], &has_balloon))
			continue;
		h->running++;
		if (!has_balloon) {
			virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
			virDomainMemoryStats(recs[i]->dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
		}
		const char *name = virDomainGetName(recs[i]->dom);
		if (name)
			domain_files(h, name);
	}
	virDomainStatsRecordListFree(recs);
	for (size_t i = 0; i < sizeof(ksm_files) / sizeof(ksm_files[0]); i++)
		slurp(h, h->ksm_dir, ksm_files[i]);
	slurp(h, h->proc_dir, "meminfo");
	slurp(h, h->proc_dir, "vmstat");
	slurp(h, h->proc_dir, "37/stat");
	return 0;
}

static double now_us(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The KiB figure of one "Key:" line of /proc/self/status, or -1. */
static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t klen = strlen(key);
	long kib = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			kib = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/* utime+stime of PID in clock ticks, or -1.  The comm field may hold
 * spaces and parentheses, so fields are counted after the last ')'. */
static long long proc_ticks(long pid)
{
	char path[64], st[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	st[len] = '\0';
	char *p = strrchr(st, ')');
	if (!p)
		return -1;
	/* After ") ": state is field 3; utime and stime are fields 14 and 15. */
	long long sum = 0;
	p++;
	for (int field = 3; field <= 15; field++) {
		while (*p == ' ')
			p++;
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (field >= 14) {
			if (errno != 0 || end == p)
				return -1;
			sum += v;
		}
		p = strchr(p, ' ');
		if (!p && field < 15)
			return -1;
	}
	return sum;
}

static int count(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

static void quiet(void *userdata, virErrorPtr err)
{
	(void)userdata;
	(void)err;
}

int main(int argc, char **argv)
{
	long iters = 100, warm = 3, daemon = 0;
	if (argc < 5 || argc > 8 || (argc > 5 && count(argv[5], &iters) < 0) ||
	    (argc > 6 && count(argv[6], &warm) < 0) || (argc > 7 && (count(argv[7], &daemon) < 0 || daemon < 1)) ||
	    iters < 1) {
		fprintf(stderr, "usage: floor URI SYSFS PROCFS RUNDIR [ITERATIONS [WARMUP [DAEMON_PID]]]\n");
		return 2;
	}
	virSetErrorFunc(NULL, quiet);
	struct host h = {0};
	char ksm[4096];
	snprintf(ksm, sizeof(ksm), "%s/kernel/mm/ksm", argv[2]);
	h.ksm_dir = open(ksm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h.proc_dir = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h.run_dir = open(argv[4], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* The cgroup tree gen.py writes under the sysfs root. */
	char cgroup[4096];
	snprintf(cgroup, sizeof(cgroup), "%s/fs/cgroup", argv[2]);
	h.cgroup_dir = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h.ksm_dir < 0 || h.proc_dir < 0 || h.run_dir < 0) {
		fprintf(stderr, "floor: cannot open %s, %s or %s\n", ksm, argv[3], argv[4]);
		return 1;
	}
	h.conn = virConnectOpenReadOnly(argv[1]);
	if (!h.conn) {
		fprintf(stderr, "floor: cannot connect to %s\n", argv[1]);
		return 1;
	}
	for (long i = 0; i < warm; i++)
		if (one_collection(&h) < 0) {
			fprintf(stderr, "floor: domain stats failed\n");
			return 1;
		}
	double *cpu = calloc((size_t)iters, sizeof(*cpu));
	double *wall = calloc((size_t)iters, sizeof(*wall));
	if (!cpu || !wall)
		return 1;
	double sum = 0;
	long long d0 = daemon ? proc_ticks(daemon) : 0;
	for (long i = 0; i < iters; i++) {
		double c0 = now_us(CLOCK_PROCESS_CPUTIME_ID), w0 = now_us(CLOCK_MONOTONIC);
		if (one_collection(&h) < 0) {
			fprintf(stderr, "floor: domain stats failed\n");
			return 1;
		}
		wall[i] = now_us(CLOCK_MONOTONIC) - w0;
		cpu[i] = now_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
		sum += cpu[i];
	}
	long long d1 = daemon ? proc_ticks(daemon) : 0;
	if (d0 < 0 || d1 < 0) {
		fprintf(stderr, "floor: cannot read /proc/%ld/stat\n", daemon);
		return 1;
	}
	qsort(cpu, (size_t)iters, sizeof(*cpu), cmp_double);
	qsort(wall, (size_t)iters, sizeof(*wall), cmp_double);
	size_t p99 = (size_t)((double)(iters - 1) * 0.99 + 0.5);
	printf("iterations=%ld\ncpu_us_median=%.1f\ncpu_us_p99=%.1f\ncpu_us_mean=%.1f\nwall_us_median=%.1f\n"
	       "domains=%zu\nrunning=%zu\nbytes_read=%zu\nhwm_kib=%ld\nrss_anon_kib=%ld\n",
	       iters, cpu[iters / 2], cpu[p99], sum / (double)iters, wall[iters / 2], h.domains, h.running, h.bytes,
	       status_kib("VmHWM:"), status_kib("RssAnon:"));
	if (daemon)
		printf("daemon_ticks=%lld\ndaemon_cpu_us_mean=%.1f\n", d1 - d0,
		       (double)(d1 - d0) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)iters);
	free(cpu);
	free(wall);
	virConnectClose(h.conn);
	return 0;
}
