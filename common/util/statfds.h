/*
 * statfds.h - /proc/<pid>/stat descriptors kept open from one collection
 * to the next, within a budget of the open-file limit.
 *
 * A kept descriptor costs one pread() per read where a path costs an
 * open, a read and a close (and the path walk), and it belongs to its
 * process: the kernel writes the line anew for each read at offset 0,
 * and answers -ESRCH once that process is gone, whatever runs under the
 * pid by then.
 */
#ifndef KVMMEM_STATFDS_H
#define KVMMEM_STATFDS_H

#include <stddef.h>

#include "util/procfs.h"

/* The most descriptors kept, whatever the limit allows. */
#define STATFDS_MAX 4096

struct statfds {
	size_t kept; /* descriptors held now */
	size_t max;  /* the most that may be held */
	int ceiling; /* no descriptor this high or higher is kept */
	int floor;   /* kept descriptors are moved to this number or higher */
};

/*
 * Sets the budget from RLIMIT_NOFILE: a quarter of the soft limit, each
 * descriptor numbered below half of it, so the process this runs in
 * (collectd's, with other plugins) keeps most of its descriptors.  When
 * half the limit leaves room for all of them above FD_SETSIZE, they are
 * moved there: the numbers select() can take stay free for the front-end
 * and other plugins.  Cheap: call it before each collection, a front-end
 * may raise the limit after start.
 */
void statfds_budget(struct statfds *f);
/*
 * The stat of process dname (a directory of procfd) into st: through *fd
 * when one is kept (>= 0), closed and -1 when that read fails; else from
 * a new descriptor, kept in *fd when the budget allows.  0 or a negative
 * errno.
 */
int statfds_read(struct statfds *f, int *fd, int procfd, const char *dname, struct proc_stat *st);
/* Closes *fd if it is kept and sets it to -1. */
void statfds_close(struct statfds *f, int *fd);

#endif
