/* paths.c - file names joined without format parsing. */
#include "util/paths.h"

#include <errno.h>
#include <string.h>

int path_join3(char *out, size_t outsz, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	if (la + lb + lc >= outsz)
		return -ENAMETOOLONG;
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return (int)(la + lb + lc);
}

const char *path_slash_pid(char buf[16], pid_t pid)
{
	char *p = buf + 15;
	unsigned v = (unsigned)pid;
	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	*--p = '/';
	return p;
}
