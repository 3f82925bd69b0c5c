/* procfs.c - /proc/<pid>/stat and the process list. */
#include "util/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "util/parse.h"

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
	struct cursor c = cursor_make(close + 1, (size_t)(text + len - close - 1));
	/* Field 3 is the state letter; fields 4..22 follow as numbers.  The
	 * ones the core uses are parsed and checked, the others only skipped:
	 * every domain's stat is read in every collection. */
	cursor_skip_blanks(&c);
	if (cursor_eof(&c) || *c.p == ' ' || *c.p == '\n')
		return -EINVAL;
	st.state = *c.p++;
	for (int field = 4; field <= 22; field++) {
		int64_t v;
		cursor_skip_blanks(&c);
		if (cursor_eof(&c) || *c.p == '\n')
			return -EINVAL;
		if (field != 4 && field != 14 && field != 15 && field != 22) {
			while (!cursor_eof(&c) && *c.p != ' ' && *c.p != '\n')
				c.p++;
			continue;
		}
		if (cursor_i64(&c, field == 4 ? INT64_MIN : 0, INT64_MAX, &v) != 0)
			return -EINVAL;
		if (!cursor_eof(&c) && *c.p != ' ' && *c.p != '\n')
			return -EINVAL;
		if (field == 4)
			st.ppid = v;
		else if (field == 14)
			st.utime = (uint64_t)v;
		else if (field == 15)
			st.stime = (uint64_t)v;
		else
			st.starttime = (uint64_t)v;
	}
	/* vsize (23) and rss (24): optional, so a short line still parses. */
	st.has_rss = false;
	uint64_t vsize, rss;
	cursor_skip_blanks(&c);
	if (cursor_u64(&c, UINT64_MAX, &vsize) == 0 && !cursor_eof(&c) && *c.p == ' ') {
		cursor_skip_blanks(&c);
		if (cursor_u64(&c, UINT64_MAX, &rss) == 0 && (cursor_eof(&c) || *c.p == ' ' || *c.p == '\n')) {
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

int proc_each_pid(const char *procfs, int (*fn)(int procfd, const char *name, pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir(procfs);
	if (d == NULL)
		return -errno;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d)) != NULL) {
		uint64_t pid;
		/* parse_u64_value allows blanks and a newline; a directory name
		 * of digits only starts with 1-9 (pid 0 has none). */
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    parse_u64_value(de->d_name, strlen(de->d_name), &pid) != 0 || pid > INT_MAX)
			continue;
		r = fn(dirfd(d), de->d_name, (pid_t)pid, arg);
	}
	closedir(d);
	return r;
}
