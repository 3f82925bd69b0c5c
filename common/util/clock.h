/*
 * clock.h - the monotonic clock, in the units callers want.
 *
 * Durations, deadlines, cache ages and log back-off all use CLOCK_MONOTONIC:
 * the wall clock jumps (NTP, an operator's date), and a deadline computed
 * from it can expire at once or never.
 */
#ifndef KVMMEM_CLOCK_H
#define KVMMEM_CLOCK_H

#include <pthread.h>
#include <time.h>

/* Seconds since an arbitrary start, with nanosecond resolution. */
double clock_mono_seconds(void);
/* The same in milliseconds. */
double clock_mono_ms(void);
/* Whole seconds, for coarse ages. */
time_t clock_mono_whole_seconds(void);
/* The CLOCK_MONOTONIC time ms milliseconds from now (negative counts as 0),
 * for pthread_cond_timedwait on a condition made with clock_cond_init. */
struct timespec clock_deadline_after(int ms);

/*
 * Initialises a condition variable that waits on CLOCK_MONOTONIC.  Returns 0
 * or a negative errno, with nothing left to destroy on failure: a condition
 * that silently fell back to the wall clock would read every monotonic
 * deadline as a date in 1970 and time out at once.
 */
int clock_cond_init(pthread_cond_t *cond);

#endif
