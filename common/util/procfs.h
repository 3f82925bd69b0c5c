/*
 * procfs.h - what sources ask of <procfs>: a process's stat line, the
 * list of processes, and what a process's mount table says of a path.
 *
 * See proc(5), /proc/[pid]/stat: the command name (field 2) sits in
 * parentheses and may itself hold spaces and ')', so the fields after it
 * are counted from the LAST ')'.
 */
#ifndef KVMMEM_PROCFS_H
#define KVMMEM_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's TASK_COMM_LEN is 16; more is room, not a promise. */
#define PROC_COMM_MAX 64

/* The fields of /proc/<pid>/stat the core uses. */
struct proc_stat {
	char comm[PROC_COMM_MAX]; /* field 2, without the parentheses */
	char state;               /* field 3: R, S, D, T, Z, X, ... */
	int64_t ppid;             /* field 4 */
	uint64_t utime, stime;    /* fields 14 and 15, clock ticks */
	uint64_t starttime;       /* field 22, clock ticks after boot */
	bool has_rss;             /* fields 23 and 24 were there and numbers */
	uint64_t rss_pages;       /* field 24, resident set size in pages */
};

/* Parses a stat line: it must reach field 22, and fields 4, 14, 15 and 22
 * must be decimal numbers (the times not negative); the fields between
 * are skipped unchecked.  Field 24 (rss) is read when it is one.  0, or
 * -EINVAL (out untouched). */
int proc_stat_parse(const char *text, size_t len, struct proc_stat *out);
/* Reads and parses the stat file at path.  0 or a negative errno. */
int proc_stat_read(const char *path, struct proc_stat *out);
/* Reads and parses a stat file kept open (fd), from its start: the kernel
 * writes the line anew for each read at offset 0, and a descriptor of
 * /proc/<pid>/stat belongs to that process, -ESRCH once it is gone (a
 * reused pid is another process).  0 or a negative errno. */
int proc_stat_pread(int fd, struct proc_stat *out);

/*
 * Calls fn for every process directory of procfs (a name of digits that
 * fits a pid), with the open directory's descriptor for openat and the
 * entry's name.  Stops at the first non-zero result of fn and returns it;
 * 0 after the last entry; a negative errno when procfs cannot be read.
 */
int proc_each_pid(const char *procfs, int (*fn)(int procfd, const char *name, pid_t pid, void *arg), void *arg);

/*
 * Is path on a hugetlbfs, as the mount table of process dname (a
 * directory of procfd) says?  Each process has its own (KubeVirt's
 * launcher, containers).  The longest mount point that holds path
 * decides; mount points with escaped blanks (\040) never match.  buf
 * (bufsz bytes) holds the table while it is read; false when it cannot
 * be read.
 */
bool proc_on_hugetlbfs(int procfd, const char *dname, const char *path, char *buf, size_t bufsz);

#endif
