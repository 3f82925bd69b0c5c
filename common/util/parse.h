/*
 * parse.h - bounded file reading and checked number parsing.
 *
 * Numbers are read with a cursor and explicit limits, after curl's
 * strparse: no atoi, no unchecked strtoul.  Every function returns 0 or a
 * negative errno and leaves its outputs untouched on failure.
 */
#ifndef KVMMEM_PARSE_H
#define KVMMEM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest file the core reads whole (sysfs values, ksm_stat, meminfo,
 * vmstat, pidfiles, cmdline).  Anything larger is treated as garbage. */
#define PARSE_MAX_FILE (64 * 1024)

/*
 * Reads the file at path into dst (at most dstsz - 1 bytes, NUL-terminated).
 * Returns 0, -ENOENT when the file does not exist, -EFBIG when it does not
 * fit, -EISDIR for a directory, or another negative errno.
 */
int read_file(const char *path, char *dst, size_t dstsz, size_t *len);
/* The same relative to an open directory (openat), for /proc/<pid>/... */
int read_file_at(int dirfd, const char *name, char *dst, size_t dstsz, size_t *len);
/*
 * The same with one read(): for procfs files whose whole content one read
 * returns (/proc/<pid>/cmdline and stat: fs/proc/base.c fills the buffer
 * in one call), where read_file_at's read to end of file costs a second
 * system call per process on a scan of thousands.  A read that fills
 * dst but the NUL's byte is -EFBIG (one read cannot tell a file of exactly
 * that size from a larger one).  Not for files that may come in pieces
 * (seq_file lists).
 */
int read_file_at_once(int dirfd, const char *name, char *dst, size_t dstsz, size_t *len);

/* A cursor over [p, end). */
struct cursor {
	const char *p;
	const char *end;
};

static inline struct cursor cursor_make(const char *s, size_t len)
{
	struct cursor c = {s, s + len};
	return c;
}

static inline bool cursor_eof(const struct cursor *c)
{
	return c->p >= c->end;
}

/* Skips spaces and tabs (not newlines). */
void cursor_skip_blanks(struct cursor *c);
/* Skips any whitespace including newlines. */
void cursor_skip_space(struct cursor *c);
/* Consumes the literal text if it is next; returns true if it did. */
bool cursor_accept(struct cursor *c, const char *lit);
/* Advances past the next '\n' (or to the end). */
void cursor_next_line(struct cursor *c);

/* Unsigned decimal, at most max.  -EINVAL if no digit, -ERANGE if above max. */
int cursor_u64(struct cursor *c, uint64_t max, uint64_t *out);
/* Signed decimal with optional '-' or '+', within [min, max]. */
int cursor_i64(struct cursor *c, int64_t min, int64_t max, int64_t *out);

/*
 * One line of a "key value" kernel file (vmstat, meminfo, ksm_stat): the
 * key runs up to the first blank, tab, ':' or newline; rest is the
 * remainder of the line, its newline included, for the caller's own
 * syntax ("value", ": yes", ":   123 kB").
 */
struct kv_line {
	const char *key;
	size_t key_len;
	struct cursor rest;
};

/* Splits the next line off c into l and moves c past it; false at the
 * end.  A last line without a newline is a line too. */
bool kv_next(struct cursor *c, struct kv_line *l);
/* Is the line's key exactly key? */
bool kv_key_is(const struct kv_line *l, const char *key);

/*
 * Whole-value parsers for one-number files such as sysfs attributes: the
 * text must be exactly a number, optionally surrounded by blanks and
 * followed by one newline.  "12abc", "", "-1" (for unsigned) are -EINVAL.
 */
int parse_u64_value(const char *s, size_t len, uint64_t *out);
int parse_i64_value(const char *s, size_t len, int64_t *out);

#endif
