/* procfs.c - /proc/<pid>/stat and the process list. */
#include "util/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "util/parse.h"
#include "util/paths.h"

/* A stat line is well under 1 kB even with a 64-bit counter in every
 * field. */
#define STAT_MAX 2048

int proc_stat_parse(const char *text, size_t len, struct proc_stat *out)
{
	const char *open = memchr(text, '(', len);
	const char *close = memrchr(text, ')', len);
	if (open == NULL || close == NULL || close < open)
		return -EINVAL;
	size_t cl = (size_t)(close - open - 1);
	if (cl + 1 > sizeof(out->comm))
		return -EINVAL;

	struct proc_stat st;
	memcpy(st.comm, open + 1, cl);
	st.comm[cl] = '\0';
	/* The fields after the name end at the line's end. */
	const char *p = close + 1, *end = text + len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (nl != NULL)
		end = nl;
	/* Field 3 is the state letter; fields 4..22 follow as numbers.  The
	 * ones the core uses are parsed and checked, the others only skipped
	 * (memchr to the next blank): every domain's stat is read in every
	 * collection. */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == ' ')
		return -EINVAL;
	st.state = *p++;
	for (int field = 4; field <= 22; field++) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			return -EINVAL;
		if (field != 4 && field != 14 && field != 15 && field != 22) {
			const char *blank = memchr(p, ' ', (size_t)(end - p));
			p = blank != NULL ? blank : end;
			continue;
		}
		struct cursor n = cursor_make(p, (size_t)(end - p));
		int64_t v;
		uint64_t u;
		if (field == 4 ? cursor_i64(&n, INT64_MIN, INT64_MAX, &v) : cursor_u64(&n, INT64_MAX, &u))
			return -EINVAL;
		p = n.p;
		if (p < end && *p != ' ')
			return -EINVAL;
		if (field == 4)
			st.ppid = v;
		else if (field == 14)
			st.utime = u;
		else if (field == 15)
			st.stime = u;
		else
			st.starttime = u;
	}
	/* vsize (23) and rss (24): optional, so a short line still parses. */
	struct cursor c = cursor_make(p, (size_t)(end - p));
	st.has_rss = false;
	uint64_t vsize, rss;
	cursor_skip_blanks(&c);
	if (cursor_u64(&c, UINT64_MAX, &vsize) == 0 && !cursor_eof(&c) && *c.p == ' ') {
		cursor_skip_blanks(&c);
		if (cursor_u64(&c, UINT64_MAX, &rss) == 0 && (cursor_eof(&c) || *c.p == ' ')) {
			st.has_rss = true;
			st.rss_pages = rss;
		}
	}
	*out = st;
	return 0;
}

int proc_stat_read(const char *path, struct proc_stat *out)
{
	char buf[STAT_MAX];
	size_t len;
	int r = read_file(path, buf, sizeof(buf), &len);
	return r != 0 ? r : proc_stat_parse(buf, len, out);
}

int proc_stat_pread(int fd, struct proc_stat *out)
{
	char buf[STAT_MAX];
	ssize_t n;
	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf) - 1)
		return -EFBIG;
	return proc_stat_parse(buf, (size_t)n, out);
}

int proc_each_pid(const char *procfs, int (*fn)(int procfd, const char *name, pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir(procfs);
	if (d == NULL)
		return -errno;
	struct dirent *de;
	int r = 0;
	int fd = dirfd(d);
	while (r == 0 && (de = readdir(d)) != NULL) {
		/* Digits only, starting with 1-9 (pid 0 has no directory), and a
		 * value that fits a pid: one pass over the name, since /proc has
		 * an entry for every process. */
		const char *p = de->d_name;
		uint64_t pid = 0;
		if (*p < '1' || *p > '9')
			continue;
		for (; *p >= '0' && *p <= '9' && pid <= INT_MAX; p++)
			pid = pid * 10 + (uint64_t)(*p - '0');
		if (*p != '\0' || pid > INT_MAX)
			continue;
		r = fn(fd, de->d_name, (pid_t)pid, arg);
	}
	closedir(d);
	return r;
}

bool proc_on_hugetlbfs(int procfd, const char *dname, const char *path, char *buf, size_t bufsz)
{
	char rel[32];
	size_t len, best = 0;
	bool huge = false;
	if (path_join3(rel, sizeof(rel), dname, "/", "mounts") < 0 || read_file_at(procfd, rel, buf, bufsz, &len) < 0)
		return false;
	struct cursor c = cursor_make(buf, len);
	struct kv_line l;
	while (kv_next(&c, &l)) {
		/* "<device> <mount point> <type> ...": kv_next split the device off. */
		struct cursor r = l.rest;
		cursor_skip_blanks(&r);
		const char *mp = r.p;
		while (!cursor_eof(&r) && *r.p != ' ' && *r.p != '\n')
			r.p++;
		size_t mpl = (size_t)(r.p - mp);
		cursor_skip_blanks(&r);
		const char *ty = r.p;
		while (!cursor_eof(&r) && *r.p != ' ' && *r.p != '\n')
			r.p++;
		size_t tyl = (size_t)(r.p - ty);
		if (mpl == 0 || mpl < best || strncmp(path, mp, mpl) != 0)
			continue;
		if (!(mpl == 1 || path[mpl] == '/' || path[mpl] == '\0'))
			continue;
		best = mpl;
		huge = tyl == 9 && memcmp(ty, "hugetlbfs", 9) == 0;
	}
	return huge;
}
