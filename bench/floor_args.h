/* floor_args.h - the two small helpers bench/floor_discovery.c and bench/floor_qmp.c share: reading a count
 * from the command line and sorting their timings. */
#ifndef KVMMEM_FLOOR_ARGS_H
#define KVMMEM_FLOOR_ARGS_H

#include <errno.h>
#include <stdlib.h>

/* qsort's order of doubles. */
static inline int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A positive count of at most a million, else def. */
static inline int count(const char *s, int def)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && v >= 1 && v <= 1000000 ? (int)v : def;
}

#endif
