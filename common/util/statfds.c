/* statfds.c - /proc/<pid>/stat descriptors kept within a budget. */
#include "util/statfds.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include "util/paths.h"

void statfds_budget(struct statfds *f)
{
	struct rlimit rl;
	rlim_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0;
	if (soft == RLIM_INFINITY || soft > (rlim_t)STATFDS_MAX * 4)
		soft = (rlim_t)STATFDS_MAX * 4;
	f->max = (size_t)soft / 4;
	f->ceiling = (int)(soft / 2);
	f->floor = f->ceiling >= FD_SETSIZE + (int)f->max ? FD_SETSIZE : 0;
}

/* nfd, or a copy of it at f->floor or higher (nfd closed); -1 when no copy
 * can be made there. */
static int raise_fd(const struct statfds *f, int nfd)
{
	if (nfd >= f->floor)
		return nfd;
	int hi = fcntl(nfd, F_DUPFD_CLOEXEC, f->floor);
	(void)close(nfd);
	return hi;
}

void statfds_close(struct statfds *f, int *fd)
{
	if (*fd < 0)
		return;
	(void)close(*fd);
	*fd = -1;
	f->kept--;
}

int statfds_read(struct statfds *f, int *fd, int procfd, const char *dname, struct proc_stat *st)
{
	if (*fd >= 0) {
		int r = proc_stat_pread(*fd, st);
		if (r < 0)
			statfds_close(f, fd);
		return r;
	}
	char rel[32];
	if (path_join3(rel, sizeof(rel), dname, "/", "stat") < 0)
		return -ENAMETOOLONG;
	int nfd = openat(procfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (nfd < 0)
		return -errno;
	int r = proc_stat_pread(nfd, st);
	if (r == 0 && f->kept < f->max && (nfd = raise_fd(f, nfd)) >= 0 && nfd < f->ceiling) {
		*fd = nfd;
		f->kept++;
	} else if (nfd >= 0) {
		(void)close(nfd);
	}
	return r;
}
