/* parse.c - bounded file reads and cursor-based number parsing. */
#include "util/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* No fstat() first: read() itself fails with EISDIR on a directory, and a
 * collection reads thousands of these files (one system call less each). */
static int read_fd(int fd, char *dst, size_t dstsz, size_t *len)
{
	size_t got = 0;

	/* Read one byte more than fits so an oversized file is detected
	 * rather than silently cut; procfs and sysfs report size 0, so
	 * st_size could not be trusted for that anyway. */
	for (;;) {
		if (got == dstsz - 1) {
			char extra;
			ssize_t n = read(fd, &extra, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n > 0)
				return -EFBIG;
			break;
		}
		ssize_t n = read(fd, dst + got, dstsz - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	dst[got] = '\0';
	if (len != NULL)
		*len = got;
	return 0;
}

int read_file_at(int dirfd, const char *name, char *dst, size_t dstsz, size_t *len)
{
	if (dstsz == 0)
		return -EINVAL;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	int r = read_fd(fd, dst, dstsz, len);
	close(fd);
	return r;
}

int read_file_at_once(int dirfd, const char *name, char *dst, size_t dstsz, size_t *len)
{
	if (dstsz < 2)
		return -EINVAL;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, dst, dstsz - 1);
	while (n < 0 && errno == EINTR);
	int r = n < 0 ? -errno : (size_t)n == dstsz - 1 ? -EFBIG : 0;
	close(fd);
	if (r < 0)
		return r;
	dst[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return 0;
}

int read_file(const char *path, char *dst, size_t dstsz, size_t *len)
{
	return read_file_at(AT_FDCWD, path, dst, dstsz, len);
}

void cursor_skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

void cursor_skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

bool cursor_accept(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

void cursor_next_line(struct cursor *c)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	c->p = nl != NULL ? nl + 1 : c->end;
}

int cursor_u64(struct cursor *c, uint64_t max, uint64_t *out)
{
	const char *p = c->p;
	uint64_t v = 0;

	/* The limits once, not a division per digit: thousands of numbers
	 * are parsed per collection. */
	const uint64_t top = max / 10;
	const unsigned last = (unsigned)(max % 10);

	if (p >= c->end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < c->end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > top || (v == top && d > last))
			return -ERANGE;
		v = v * 10 + d;
	}
	c->p = p;
	*out = v;
	return 0;
}

int cursor_i64(struct cursor *c, int64_t min, int64_t max, int64_t *out)
{
	struct cursor t = *c;
	bool neg = false;
	uint64_t mag;

	if (cursor_accept(&t, "-"))
		neg = true;
	else
		cursor_accept(&t, "+");
	/* The magnitude limit is |min| for negatives, computed without
	 * overflowing on INT64_MIN. */
	uint64_t lim = neg ? (min < 0 ? (uint64_t)0 - (uint64_t)min : 0) : (max > 0 ? (uint64_t)max : 0);
	int r = cursor_u64(&t, lim, &mag);
	if (r != 0)
		return r;
	int64_t v = neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
	if (v < min || v > max)
		return -ERANGE;
	*c = t;
	*out = v;
	return 0;
}

/* After the number: blanks, at most one newline, nothing else. */
static int expect_value_end(struct cursor *c)
{
	cursor_skip_blanks(c);
	cursor_accept(c, "\n");
	return cursor_eof(c) ? 0 : -EINVAL;
}

int parse_u64_value(const char *s, size_t len, uint64_t *out)
{
	struct cursor c = cursor_make(s, len);
	uint64_t v;
	cursor_skip_blanks(&c);
	int r = cursor_u64(&c, UINT64_MAX, &v);
	if (r != 0)
		return r;
	r = expect_value_end(&c);
	if (r != 0)
		return r;
	*out = v;
	return 0;
}

int parse_i64_value(const char *s, size_t len, int64_t *out)
{
	struct cursor c = cursor_make(s, len);
	int64_t v;
	cursor_skip_blanks(&c);
	int r = cursor_i64(&c, INT64_MIN, INT64_MAX, &v);
	if (r != 0)
		return r;
	r = expect_value_end(&c);
	if (r != 0)
		return r;
	*out = v;
	return 0;
}

bool kv_next(struct cursor *c, struct kv_line *l)
{
	if (cursor_eof(c))
		return false;
	const char *eol = memchr(c->p, '\n', (size_t)(c->end - c->p));
	const char *end = eol != NULL ? eol + 1 : c->end;
	const char *k = c->p;
	while (k < end && *k != ' ' && *k != '\t' && *k != ':' && *k != '\n')
		k++;
	l->key = c->p;
	l->key_len = (size_t)(k - c->p);
	l->rest = cursor_make(k, (size_t)(end - k));
	c->p = end;
	return true;
}

bool kv_key_is(const struct kv_line *l, const char *key)
{
	size_t n = strlen(key);
	return l->key_len == n && memcmp(l->key, key, n) == 0;
}
