/*
 * floor_discovery.c - the least work finding QEMU processes in /proc costs.
 *
 *   floor_discovery PROCFS QEMU_SERVER_RUN [ITERATIONS [WARMUP]]
 *
 * Each iteration lists PROCFS and reads every process's cmdline once (one
 * open, one read, one close); for a QEMU process (argv[0] named kvm,
 * qemu-kvm or qemu-system-*) that carries a VMID (-id, or a -pidfile
 * QEMU_SERVER_RUN/<vmid>.pid) it reads that pidfile once too.  Nothing is
 * parsed beyond finding those options.  Prints key=value lines:
 * iterations, processes, qemu, pidfiles, cpu_us_mean, cpu_us_median.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "floor_args.h"

static char buf[64 * 1024];

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static ssize_t slurp(int dirfd, const char *path, char *dst, size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, dst, cap);
	close(fd);
	return n;
}

static int is_qemu(const char *a)
{
	const char *b = strrchr(a, '/');
	b = b ? b + 1 : a;
	return strcmp(b, "kvm") == 0 || strcmp(b, "qemu-kvm") == 0 || strncmp(b, "qemu-system-", 12) == 0;
}

struct counts {
	long processes, qemu, pidfiles;
};

/* The VMID of a command line (-id N, else -pidfile RUN/N.pid) into vmid. */
static int vmid_of(const char *cmd, size_t len, const char *run, char *vmid, size_t cap)
{
	size_t rl = strlen(run);
	for (size_t pos = 0; pos < len;) {
		const char *a = cmd + pos;
		size_t al = strnlen(a, len - pos);
		const char *v = pos + al + 1 < len ? a + al + 1 : NULL;
		if (v && strcmp(a, "-id") == 0 && strlen(v) < cap) {
			memcpy(vmid, v, strlen(v) + 1);
			return 0;
		}
		if (v && strcmp(a, "-pidfile") == 0 && strncmp(v, run, rl) == 0 && v[rl] == '/') {
			const char *dot = strstr(v + rl + 1, ".pid");
			size_t n = dot ? (size_t)(dot - (v + rl + 1)) : 0;
			if (n > 0 && n < cap) {
				memcpy(vmid, v + rl + 1, n);
				vmid[n] = '\0';
				return 0;
			}
		}
		pos += al + 1;
	}
	return -1;
}

__attribute__((noinline)) static void one_pass(const char *procfs, const char *run, struct counts *c)
{
	DIR *d = opendir(procfs);
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *de;
	char path[300], vmid[16], pidf[4096];
	memset(c, 0, sizeof(*c));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		c->processes++;
		snprintf(path, sizeof(path), "%s/cmdline", de->d_name);
		ssize_t n = slurp(dfd, path, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (!is_qemu(buf))
			continue;
		c->qemu++;
		if (vmid_of(buf, (size_t)n, run, vmid, sizeof(vmid)) == 0) {
			char text[32];
			snprintf(pidf, sizeof(pidf), "%s/%s.pid", run, vmid);
			if (slurp(AT_FDCWD, pidf, text, sizeof(text)) > 0)
				c->pidfiles++;
		}
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PROCFS QEMU_SERVER_RUN [ITERATIONS [WARMUP]]\n", argv[0]);
		return 2;
	}
	int iters = argc > 3 ? count(argv[3], 20) : 20;
	int warm = argc > 4 ? count(argv[4], 2) : 2;
	struct counts c;
	for (int i = 0; i < warm; i++)
		one_pass(argv[1], argv[2], &c);
	double *t = calloc((size_t)iters, sizeof(*t)), sum = 0;
	if (!t)
		return 1;
	for (int i = 0; i < iters; i++) {
		double t0 = cpu_us();
		one_pass(argv[1], argv[2], &c);
		t[i] = cpu_us() - t0;
		sum += t[i];
	}
	qsort(t, (size_t)iters, sizeof(*t), cmp);
	printf("iterations=%d\nprocesses=%ld\nqemu=%ld\npidfiles=%ld\ncpu_us_mean=%.1f\ncpu_us_median=%.1f\n", iters,
	       c.processes, c.qemu, c.pidfiles, sum / iters, t[iters / 2]);
	free(t);
	return 0;
}
