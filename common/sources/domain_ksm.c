/*
 * domain_ksm.c - per-process KSM of one QEMU process.
 *
 * Keys as fs/proc/base.c prints them (kernel 6.1 started ksm_stat with
 * ksm_rmap_items; later kernels added zero pages, merging pages, the signed
 * profit in bytes and the two yes/no flags).  ksm_merging_pages (5.19) is a
 * single number.
 */
#include "sources/domain_ksm.h"

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

/* ksm_stat is six short lines today; leave room for many more keys. */
#define KSM_STAT_MAX 4096

enum stat_kind { SK_U64, SK_I64, SK_YESNO };

#define KEY(s) s, sizeof(s) - 1

static const struct stat_key {
	const char *name;
	size_t len;
	enum dom_field field;
	enum stat_kind kind;
} stat_keys[] = {
    {KEY("ksm_rmap_items"), DF_KSM_RMAP_ITEMS, SK_U64},       {KEY("ksm_zero_pages"), DF_KSM_ZERO_PAGES, SK_U64},
    {KEY("ksm_merging_pages"), DF_KSM_MERGING_PAGES, SK_U64}, {KEY("ksm_process_profit"), DF_KSM_PROFIT_BYTES, SK_I64},
    {KEY("ksm_merge_any"), DF_KSM_MERGE_ANY, SK_YESNO},       {KEY("ksm_mergeable"), DF_KSM_MERGEABLE, SK_YESNO},
};

struct domain_ksm {
	const struct kvm_env *env;
	struct complaint_set *complaints;
	/* Permission problems are one cause for every process: log once, not
	 * once per pid. */
	struct refusal eacces;
};

struct domain_ksm *domain_ksm_new(const struct kvm_env *env)
{
	struct domain_ksm *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->env = env;
	p->eacces.lg = env->log;
	p->eacces.released = "per-domain KSM files are readable again";
	p->complaints = complaint_set_new();
	if (p->complaints == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void domain_ksm_free(struct domain_ksm *p)
{
	if (p == NULL)
		return;
	complaint_set_free(p->complaints);
	free(p);
}

/* The value part of one line: "123", "-5" or "yes"/"no", then the end of
 * the line. */
static int parse_value(const struct stat_key *k, struct cursor *c, struct mval *m)
{
	uint64_t u = 0;
	int64_t i = 0;
	int yes = -1;
	int r = 0;

	cursor_skip_blanks(c);
	switch (k->kind) {
	case SK_U64:
		r = cursor_u64(c, UINT64_MAX, &u);
		break;
	case SK_I64:
		r = cursor_i64(c, INT64_MIN, INT64_MAX, &i);
		break;
	case SK_YESNO:
		if (cursor_accept(c, "yes"))
			yes = 1;
		else if (cursor_accept(c, "no"))
			yes = 0;
		else
			r = -EINVAL;
		break;
	}
	if (r != 0)
		return -EINVAL;
	cursor_skip_blanks(c);
	if (!cursor_eof(c) && !cursor_accept(c, "\n"))
		return -EINVAL;
	if (k->kind == SK_U64)
		mval_set_u64(m, u);
	else if (k->kind == SK_I64)
		mval_set_i64(m, i);
	else
		mval_set_u64(m, (uint64_t)yes);
	return 0;
}

int ksm_stat_parse(const char *text, size_t len, struct dom_snap *d)
{
	struct cursor c = cursor_make(text, len);
	struct kv_line l;
	int err = 0;

	while (kv_next(&c, &l)) {
		for (size_t i = 0; i < sizeof(stat_keys) / sizeof(stat_keys[0]); i++) {
			const struct stat_key *k = &stat_keys[i];
			if (k->len != l.key_len || memcmp(k->name, l.key, l.key_len) != 0)
				continue;
			struct cursor *v = &l.rest;
			/* "key: yes" for the flags, "key value" for numbers. */
			if (k->kind == SK_YESNO && !cursor_accept(v, ":"))
				err = -EINVAL;
			else if (k->kind != SK_YESNO && (cursor_eof(v) || (*v->p != ' ' && *v->p != '\t')))
				err = -EINVAL;
			else if (parse_value(k, v, &d->f[k->field]) != 0)
				err = -EINVAL;
			break;
		}
	}
	return err;
}

/* <procfs>/<pid> into dir.  Files are then opened by their whole path,
 * not through a descriptor of the directory: one open each instead of
 * three system calls more per domain, and a directory descriptor would
 * not tie them to the process vmpid verified anyway. */
static int pid_dir(struct domain_ksm *p, pid_t pid, char *dir, size_t dirsz)
{
	if (pid <= 0)
		return -ESRCH;
	char num[16];
	if (path_join3(dir, dirsz, p->env->procfs, path_slash_pid(num, pid), "") < 0)
		return -ENAMETOOLONG;
	return 0;
}

/* After ENOENT on a file: did the process exit (its directory is gone or
 * empty then) or does this kernel lack the file? */
static bool process_gone(const char *dir)
{
	char path[PATH_MAX + 64];
	(void)path_join3(path, sizeof(path), dir, "/stat", ""); /* fits: path has 64 bytes more than dir */
	return access(path, F_OK) != 0;
}

static void complain_eacces(struct domain_ksm *p, const char *path)
{
	refuse(&p->eacces,
	       "%s: permission denied; /proc/<pid>/ksm_stat and ksm_merging_pages are mode 0400 and need the "
	       "process's user, root or CAP_DAC_READ_SEARCH",
	       path);
}

/* One file of a process's /proc directory, as read_one leaves it. */
struct proc_file {
	const char *dir; /* <procfs>/<pid> */
	char path[PATH_MAX + 64];
	char buf[KSM_STAT_MAX];
	size_t len;
	bool any; /* some file was read, whether it parsed or not */
};

/* Reads the file name ("/ksm_stat") of f->dir; logs what deserves it. */
static int read_one(struct domain_ksm *p, struct proc_file *f, const char *name)
{
	(void)path_join3(f->path, sizeof(f->path), f->dir, name, ""); /* fits: path has 64 bytes more than dir */
	int r = read_file(f->path, f->buf, sizeof(f->buf), &f->len);
	if (r == -ESRCH || (r == -ENOENT && process_gone(f->dir)))
		return -ESRCH;
	/* fs/proc/base.c prints both files only while the task has an mm: a
	 * process that exited and is not yet reaped (a zombie) reads as
	 * empty.  That is a vanished process, not a damaged file. */
	if (r == 0 && f->len == 0)
		return -ESRCH;
	if (r == 0) {
		f->any = true;
		return 0;
	}
	if (r == -ENOENT)
		return r;
	if (r == -EACCES || r == -EPERM)
		complain_eacces(p, f->path);
	else
		complain_key(p->env->log, p->complaints, f->path, "%s",
		             r == -EFBIG ? "file too large" : log_strerror(r));
	return r;
}

/* ksm_stat into t.  0 when read and parsed, -ENOENT when the kernel has
 * none, -ESRCH when the process is gone, another errno when damaged. */
static int read_ksm_stat(struct domain_ksm *p, struct proc_file *f, struct dom_snap *t)
{
	int r = read_one(p, f, "/ksm_stat");
	if (r != 0)
		return r;
	r = ksm_stat_parse(f->buf, f->len, t);
	if (r != 0)
		complain_key(p->env->log, p->complaints, f->path, "malformed line; those fields skipped");
	else
		complain_key_release(p->env->log, p->complaints, f->path, "readable again");
	return r;
}

/* ksm_merging_pages into t, for kernels before 6.9 that do not repeat it
 * inside ksm_stat.  Returns as read_ksm_stat. */
static int read_merging_pages(struct domain_ksm *p, struct proc_file *f, struct dom_snap *t)
{
	uint64_t v;
	int r = read_one(p, f, "/ksm_merging_pages");
	if (r != 0)
		return r;
	r = parse_u64_value(f->buf, f->len, &v);
	if (r == 0) {
		mval_set_u64(&t->f[DF_KSM_MERGING_PAGES], v);
		complain_key_release(p->env->log, p->complaints, f->path, "readable again");
	} else {
		complain_key(p->env->log, p->complaints, f->path, "not a valid value; field skipped");
	}
	return r;
}

int domain_ksm_collect(struct domain_ksm *p, pid_t pid, struct dom_snap *d)
{
	char dir[PATH_MAX];
	/* Not zero-initialised: its buffers are 8 KiB, cleared for nothing on
	 * every domain of every collection. */
	struct proc_file f;
	f.dir = dir;
	f.any = false;
	int err = 0;
	/* Work on a copy so a process that exits half-way leaves d untouched;
	 * its KSM fields start absent so a reused d gets this reading only. */
	struct dom_snap t = *d;
	for (size_t i = 0; i < sizeof(stat_keys) / sizeof(stat_keys[0]); i++)
		t.f[stat_keys[i].field] = (struct mval){0};

	int r = pid_dir(p, pid, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = read_ksm_stat(p, &f, &t);
	if (r == -ESRCH)
		goto gone;
	if (r != 0 && r != -ENOENT)
		err = r;
	if (!t.f[DF_KSM_MERGING_PAGES].present) {
		r = read_merging_pages(p, &f, &t);
		if (r == -ESRCH)
			goto gone;
		if (r != 0 && r != -ENOENT && err == 0)
			err = r;
	}
	memcpy(d->f, t.f, sizeof(d->f));
	if (err == 0 && !f.any) {
		log_debug(p->env->log, "%s: no ksm_stat nor ksm_merging_pages on this kernel", dir);
		return -ENOENT;
	}
	return err;

gone:
	log_debug(p->env->log, "%s: process gone", dir);
	return -ESRCH;
}

static void *create(const struct collect_opts *o)
{
	return domain_ksm_new(&o->env);
}

static void destroy(void *self)
{
	domain_ksm_free(self);
}

static int collect_one(void *self, pid_t pid, struct dom_snap *d)
{
	return domain_ksm_collect(self, pid, d);
}

/* Every domain whose process a backend found; unreadable or damaged files
 * are failures, a process that exited or a kernel without the files not. */
static int collect(void *self, struct snapshot *s)
{
	struct domain_ksm *p = self;
	return collect_each_domain(s, p->complaints, &p->eacces, collect_one, p);
}

const struct collector_def collector_domain_ksm = {
    .name = "domain_ksm",
    .help = "per-domain KSM from each QEMU process's ksm_stat",
    .kind = COLLECTOR_PER_DOMAIN,
    .default_on = true,
    .create = create,
    .destroy = destroy,
    .collect = collect,
};
