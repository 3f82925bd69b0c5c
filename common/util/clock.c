/* clock.c - CLOCK_MONOTONIC readings. */
#include "util/clock.h"

#include <errno.h>

static struct timespec now_mono(void)
{
	struct timespec ts;
	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

double clock_mono_seconds(void)
{
	struct timespec ts = now_mono();
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double clock_mono_ms(void)
{
	struct timespec ts = now_mono();
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

time_t clock_mono_whole_seconds(void)
{
	return now_mono().tv_sec;
}

struct timespec clock_deadline_after(int ms)
{
	struct timespec ts = now_mono();
	if (ms < 0)
		ms = 0;
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int clock_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;
	int r = pthread_condattr_init(&ca);
	if (r != 0)
		return -r;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (r == 0)
		r = pthread_cond_init(cond, &ca);
	(void)pthread_condattr_destroy(&ca);
	return -r;
}
