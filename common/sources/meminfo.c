/* meminfo.c - the host's page size, MemTotal and MemAvailable. */
#include "sources/meminfo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/collect.h"
#include "util/complain.h"
#include "util/parse.h"
#include "util/paths.h"

/* /proc/meminfo is about 1.5 kB; leave room for kernels that grow it. */
#define MEMINFO_MAX (16 * 1024)

struct meminfo {
	const struct kvm_env *env;
	struct complaint_set *complaints;
	char *buf; /* MEMINFO_MAX bytes */
};

struct meminfo *meminfo_new(const struct kvm_env *env)
{
	struct meminfo *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->env = env;
	m->complaints = complaint_set_new();
	m->buf = malloc(MEMINFO_MAX);
	if (m->complaints == NULL || m->buf == NULL) {
		meminfo_free(m);
		return NULL;
	}
	return m;
}

void meminfo_free(struct meminfo *m)
{
	if (m == NULL)
		return;
	complaint_set_free(m->complaints);
	free(m->buf);
	free(m);
}

/* The rest of a "Key:   123 kB" line after the colon, as bytes. */
static int kb_value(struct cursor *c, uint64_t *bytes)
{
	uint64_t kb;

	cursor_skip_blanks(c);
	if (cursor_u64(c, UINT64_MAX / 1024, &kb) != 0)
		return -EINVAL;
	cursor_skip_blanks(c);
	if (!cursor_accept(c, "kB"))
		return -EINVAL;
	cursor_skip_blanks(c);
	if (!cursor_eof(c) && !cursor_accept(c, "\n"))
		return -EINVAL;
	*bytes = kb * 1024;
	return 0;
}

int meminfo_parse(const char *text, size_t len, struct mval *total, struct mval *available)
{
	static const char *const keys[] = {"MemTotal", "MemAvailable"};
	struct mval *outs[] = {total, available};
	struct cursor c = cursor_make(text, len);
	struct kv_line l;
	int err = 0;

	while (kv_next(&c, &l)) {
		for (size_t i = 0; i < 2; i++) {
			/* "Key:" exactly; "Key :" is some other line. */
			if (!kv_key_is(&l, keys[i]) || !cursor_accept(&l.rest, ":"))
				continue;
			uint64_t b;
			if (kb_value(&l.rest, &b) == 0)
				mval_set_u64(outs[i], b);
			else
				err = -EINVAL;
			break;
		}
	}
	return err;
}

int meminfo_collect(struct meminfo *m, struct snapshot *s)
{
	char path[PATH_MAX + 64];
	size_t len;

	long ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		mval_set_u64(&s->host[HF_PAGE_SIZE_BYTES], (uint64_t)ps);

	if (path_join3(path, sizeof(path), m->env->procfs, "/meminfo", "") < 0)
		return -ENAMETOOLONG;
	int r = read_file(path, m->buf, MEMINFO_MAX, &len);
	if (r == 0) {
		struct mval total = {0}, avail = {0};
		r = meminfo_parse(m->buf, len, &total, &avail);
		if (total.present)
			s->host[HF_MEM_TOTAL_BYTES] = total;
		if (avail.present)
			s->host[HF_MEM_AVAILABLE_BYTES] = avail;
		/* Both keys exist on every kernel since 3.14: a missing one
		 * means the file was cut short. */
		if (r == 0 && (!total.present || !avail.present))
			r = -ENODATA;
	}
	if (r == 0) {
		complain_key_release(m->env->log, m->complaints, path, "readable again");
		return 0;
	}
	const char *why = r == -EINVAL    ? "malformed MemTotal or MemAvailable line"
	                  : r == -ENODATA ? "MemTotal or MemAvailable missing"
	                  : r == -EFBIG   ? "file too large"
	                                  : log_strerror(r);
	complain_key(m->env->log, m->complaints, path, "%s", why);
	return r;
}

static void *create(const struct collect_opts *o)
{
	return meminfo_new(&o->env);
}

static void destroy(void *self)
{
	meminfo_free(self);
}

static int collect(void *self, struct snapshot *s)
{
	struct meminfo *m = self;
	complaint_set_begin(m->complaints);
	int r = meminfo_collect(m, s);
	complaint_set_sweep(m->complaints);
	return r;
}

const struct collector_def collector_meminfo = {
    .name = "meminfo",
    .help = "page size, MemTotal and MemAvailable",
    .kind = COLLECTOR_HOST,
    .default_on = true,
    .create = create,
    .destroy = destroy,
    .collect = collect,
};
