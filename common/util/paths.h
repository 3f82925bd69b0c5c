/*
 * paths.h - building file names under the injected roots.
 *
 * The hot paths (a few files per domain per collection) join names by
 * hand: snprintf's format parsing costs more than the reads themselves
 * on hosts with thousands of domains.
 */
#ifndef KVMMEM_PATHS_H
#define KVMMEM_PATHS_H

#include <stddef.h>
#include <sys/types.h>

/* Writes a, b and c one after the other into out, NUL-terminated.
 * Returns the length written (without the NUL) or -ENAMETOOLONG, with
 * out untouched. */
int path_join3(char *out, size_t outsz, const char *a, const char *b, const char *c);

/* "/<pid>" in decimal, written into buf; returns a pointer into buf. */
const char *path_slash_pid(char buf[16], pid_t pid);

#endif
