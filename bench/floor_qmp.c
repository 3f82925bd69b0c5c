/*
 * floor_qmp.c - the least work asking QEMU monitors for their balloon costs.
 *
 *   floor_qmp seq|par QEMU_SERVER_RUN [ITERATIONS [WARMUP]]
 *
 * The monitors are QEMU_SERVER_RUN/<vmid>.qmp (listed once, before the
 * first pass); each balloon's id is balloon0.  Per VM and pass: connect,
 * read the greeting, send qmp_capabilities, query-balloon and qom-get of
 * guest-stats and guest-stats-polling-interval in one write (the bytes the
 * qmp collector sends), read the four replies, take out only the numbers
 * (actual, the polling interval, last-update and, when it is not 0, the
 * stat-* values), close.  No JSON library: a reply's id and numbers are
 * found by their keys in QEMU's own spelling.
 *
 *   seq  one VM after the other, blocking sockets
 *   par  every VM at once, non-blocking sockets under one poll()
 *
 * CPU per pass from getrusage (user + system), wall per pass from the
 * monotonic clock, and the time each monitor was held (connect to close).
 * Prints key=value lines: mode, iterations, vms, answered (VMs with all
 * four replies and an actual), actual_sum, period_sum, stats (stat values
 * taken), cpu_us_mean, cpu_us_median, wall_us_median, wall_us_p99,
 * hold_us_median, hold_us_max.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "floor_args.h"

#define BUF 8192

static const char commands[] =
    "{\"execute\":\"qmp_capabilities\",\"id\":\"c\"}\n"
    "{\"execute\":\"query-balloon\",\"id\":\"b\"}\n"
    "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/balloon0\",\"property\":\"guest-"
    "stats\"},\"id\":\"s\"}\n"
    "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/balloon0\",\"property\":\"guest-"
    "stats-polling-interval\"},\"id\":\"p\"}\n";

struct vm {
	struct sockaddr_un sa;
	int fd;
	int replies; /* -1 until the greeting is in */
	size_t len;
	char buf[BUF];
	double t_connect;
	/* what this pass found */
	int has_actual;
	uint64_t actual, period, stats;
};

struct totals {
	long answered;
	uint64_t actual, period, stats;
};

static double mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* The decimal number right after key in [p, end), or -1. */
static int64_t number_after(const char *p, const char *end, const char *key)
{
	size_t kl = strlen(key);
	const char *k = memmem(p, (size_t)(end - p), key, kl);
	if (!k)
		return -1;
	const char *d = k + kl;
	while (d < end && *d == ' ')
		d++;
	if (d >= end || *d < '0' || *d > '9')
		return -1;
	uint64_t v = 0;
	for (; d < end && *d >= '0' && *d <= '9'; d++)
		v = v * 10 + (uint64_t)(*d - '0');
	return (int64_t)(v > INT64_MAX ? INT64_MAX : v);
}

/* The numbers of one reply line [p, end) of QEMU's. */
static void take(struct vm *v, const char *p, const char *end)
{
	const char *id = memmem(p, (size_t)(end - p), "\"id\": \"", 7);
	if (!id || id + 8 > end || !memmem(p, (size_t)(end - p), "\"return\"", 8))
		return; /* an event, or an error */
	v->replies++;
	switch (id[7]) {
	case 'b': {
		int64_t a = number_after(p, end, "\"actual\":");
		if (a >= 0) {
			v->actual = (uint64_t)a;
			v->has_actual = 1;
		}
		break;
	}
	case 'p': {
		int64_t a = number_after(p, end, "\"return\":");
		if (a >= 0)
			v->period = (uint64_t)a;
		break;
	}
	case 's':
		/* Before the guest's first report (last-update 0) no value is
		 * one; 2^64-1 is one it does not report. */
		if (number_after(p, end, "\"last-update\":") > 0)
			for (const char *s = p; (s = memmem(s, (size_t)(end - s), "\"stat-", 6)) != NULL; s += 6) {
				const char *colon = memchr(s, ':', (size_t)(end - s));
				if (colon && number_after(colon, end, ":") >= 0 &&
				    number_after(colon, end, ":") < INT64_MAX)
					v->stats++;
			}
		break;
	}
}

/* Takes every whole line out of v->buf.  1 when all four replies are in. */
static int lines(struct vm *v)
{
	char *p = v->buf, *end = v->buf + v->len, *nl;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (v->replies < 0) {
			if (memmem(p, (size_t)(nl - p), "{\"QMP\"", 6))
				v->replies = 0;
		} else {
			take(v, p, nl);
		}
		p = nl + 1;
	}
	v->len = (size_t)(end - p);
	memmove(v->buf, p, v->len);
	return v->replies >= 4;
}

static void begin(struct vm *v)
{
	v->replies = -1;
	v->len = 0;
	v->has_actual = 0;
	v->actual = v->period = v->stats = 0;
}

static void account(const struct vm *v, struct totals *t)
{
	if (v->replies < 4 || !v->has_actual)
		return;
	t->answered++;
	t->actual += v->actual;
	t->period += v->period;
	t->stats += v->stats;
}

/* One VM after the other, blocking. */
static void pass_seq(struct vm *vms, size_t n, struct totals *t, double *hold)
{
	for (size_t i = 0; i < n; i++) {
		struct vm *v = &vms[i];
		begin(v);
		double t0 = mono_us();
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&v->sa, sizeof(v->sa)) == 0) {
			int sent = 0;
			for (;;) {
				ssize_t r = read(fd, v->buf + v->len, sizeof(v->buf) - v->len);
				if (r <= 0)
					break;
				v->len += (size_t)r;
				if (lines(v))
					break;
				if (v->replies >= 0 && !sent) {
					sent = 1;
					if (write(fd, commands, sizeof(commands) - 1) !=
					    (ssize_t)(sizeof(commands) - 1))
						break;
				}
				if (v->len == sizeof(v->buf))
					break;
			}
		}
		close(fd);
		hold[i] = mono_us() - t0;
		account(v, t);
	}
}

/* Every VM at once under one poll(). */
static void pass_par(struct vm *vms, size_t n, struct totals *t, double *hold, struct pollfd *pfd)
{
	size_t open = 0;
	for (size_t i = 0; i < n; i++) {
		struct vm *v = &vms[i];
		begin(v);
		v->t_connect = mono_us();
		v->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (v->fd >= 0 && connect(v->fd, (struct sockaddr *)&v->sa, sizeof(v->sa)) < 0 &&
		    errno != EINPROGRESS) {
			close(v->fd);
			v->fd = -1;
		}
		if (v->fd < 0)
			hold[i] = 0;
		else
			open++;
	}
	while (open > 0) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (vms[i].fd >= 0) {
				pfd[k].fd = vms[i].fd;
				pfd[k].events = POLLIN;
				pfd[k].revents = 0;
				k++;
			}
		if (poll(pfd, k, 5000) <= 0)
			break;
		k = 0;
		for (size_t i = 0; i < n; i++) {
			struct vm *v = &vms[i];
			if (v->fd < 0)
				continue;
			if (!pfd[k++].revents)
				continue;
			int greeted = v->replies >= 0, done = 0;
			ssize_t r = read(v->fd, v->buf + v->len, sizeof(v->buf) - v->len);
			if (r > 0) {
				v->len += (size_t)r;
				done = lines(v);
				/* The commands fit the socket's buffer: one write. */
				if (!done && !greeted && v->replies >= 0 &&
				    write(v->fd, commands, sizeof(commands) - 1) != (ssize_t)(sizeof(commands) - 1))
					done = 1;
			} else if (r == 0 || errno != EAGAIN) {
				done = 1;
			}
			if (done || v->len == sizeof(v->buf)) {
				close(v->fd);
				v->fd = -1;
				hold[i] = mono_us() - v->t_connect;
				open--;
				account(v, t);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (vms[i].fd >= 0) {
			close(vms[i].fd);
			vms[i].fd = -1;
			hold[i] = mono_us() - vms[i].t_connect;
		}
}

/* The monitors of dir: every <name>.qmp. */
static struct vm *list_monitors(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct vm *vms = NULL;
	size_t cap = 0;
	*n = 0;
	if (!d)
		return NULL;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".qmp") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct vm *m = realloc(vms, cap * sizeof(*m));
			if (!m)
				break;
			vms = m;
		}
		struct vm *v = &vms[*n];
		memset(v, 0, sizeof(*v));
		v->sa.sun_family = AF_UNIX;
		if (snprintf(v->sa.sun_path, sizeof(v->sa.sun_path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(v->sa.sun_path))
			continue;
		v->fd = -1;
		(*n)++;
	}
	closedir(d);
	return vms;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "seq") != 0 && strcmp(argv[1], "par") != 0)) {
		fprintf(stderr, "usage: %s seq|par QEMU_SERVER_RUN [ITERATIONS [WARMUP]]\n", argv[0]);
		return 2;
	}
	int par = strcmp(argv[1], "par") == 0;
	int iters = argc > 3 ? count(argv[3], 20) : 20;
	int warm = argc > 4 ? count(argv[4], 2) : 2;
	size_t n;
	struct vm *vms = list_monitors(argv[2], &n);
	if (!vms || n == 0) {
		fprintf(stderr, "floor_qmp: no <vmid>.qmp in %s\n", argv[2]);
		return 1;
	}
	double *cpu = calloc((size_t)iters, sizeof(double)), *wall = calloc((size_t)iters, sizeof(double));
	double *hold = calloc(n, sizeof(double)), *holds = calloc(n * (size_t)iters, sizeof(double));
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	if (!cpu || !wall || !hold || !holds || !pfd)
		return 1;
	struct totals t;
	for (int i = 0; i < warm + iters; i++) {
		memset(&t, 0, sizeof(t));
		double c0 = cpu_us(), w0 = mono_us();
		if (par)
			pass_par(vms, n, &t, hold, pfd);
		else
			pass_seq(vms, n, &t, hold);
		double w1 = mono_us(), c1 = cpu_us();
		if (i < warm)
			continue;
		cpu[i - warm] = c1 - c0;
		wall[i - warm] = w1 - w0;
		memcpy(holds + (size_t)(i - warm) * n, hold, n * sizeof(double));
	}
	double sum = 0;
	for (int i = 0; i < iters; i++)
		sum += cpu[i];
	size_t nh = n * (size_t)iters, p99 = ((size_t)iters * 99 + 99) / 100;
	qsort(cpu, (size_t)iters, sizeof(double), cmp);
	qsort(wall, (size_t)iters, sizeof(double), cmp);
	qsort(holds, nh, sizeof(double), cmp);
	printf("mode=%s\niterations=%d\nvms=%zu\nanswered=%ld\nactual_sum=%llu\nperiod_sum=%llu\nstats=%llu\n"
	       "cpu_us_mean=%.1f\ncpu_us_median=%.1f\nwall_us_median=%.1f\nwall_us_p99=%.1f\nhold_us_median=%.1f\n"
	       "hold_us_max=%.1f\n",
	       argv[1], iters, n, t.answered, (unsigned long long)t.actual, (unsigned long long)t.period,
	       (unsigned long long)t.stats, sum / iters, cpu[iters / 2], wall[iters / 2],
	       wall[(p99 > (size_t)iters ? (size_t)iters : p99) - 1], holds[nh / 2], holds[nh - 1]);
	free(cpu);
	free(wall);
	free(hold);
	free(holds);
	free(pfd);
	free(vms);
	return t.answered == (long)n ? 0 : 3;
}
