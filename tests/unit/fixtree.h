/*
 * fixtree.h - private temporary file trees for tests that need a fixture
 * host they can change between collections.  Header-only.
 */
#ifndef KVMMEM_TEST_FIXTREE_H
#define KVMMEM_TEST_FIXTREE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates every directory of path below the (existing) root. */
static inline int fixtree_mkdirs(const char *root, const char *rel)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s/%s", root, rel) >= (int)sizeof(p))
		return -1;
	for (char *s = p + strlen(root) + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

/* Writes exactly the given bytes to root/rel, creating directories. */
static inline int fixtree_write(const char *root, const char *rel, const char *data, size_t len)
{
	char p[4096];
	if (fixtree_mkdirs(root, rel) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (f == NULL)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static inline int fixtree_puts(const char *root, const char *rel, const char *text)
{
	return fixtree_write(root, rel, text, strlen(text));
}

static inline int fixtree_unlink(const char *root, const char *rel)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return unlink(p);
}

/* A fresh directory under /tmp; fills root (at least 64 bytes). */
static inline int fixtree_new(char *root, size_t sz, const char *tag)
{
	snprintf(root, sz, "/tmp/kvmmem-%s-XXXXXX", tag);
	return mkdtemp(root) == NULL ? -1 : 0;
}

static inline int fixtree_remove(const char *root)
{
	char cmd[4200];
	if (strncmp(root, "/tmp/kvmmem-", 12) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
