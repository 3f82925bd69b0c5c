/*
 * cgroup.c - the per-domain cgroup collector: what a domain's memory
 * cgroup says it costs the host.
 *
 * Keys and formats as Documentation/admin-guide/cgroup-v2.rst ("Memory
 * Interface Files", "PSI - Pressure Stall Information") and
 * cgroup-v1/memory.rst describe them.  New keys appear between kernel
 * releases, so unknown keys are ignored and keys may come in any order.
 */
#include "sources/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/collect.h"
#include "util/complain.h"
#include "util/parse.h"
#include "util/paths.h"

/* Every field this collector fills; they start absent in each reading. */
static const enum dom_field cgroup_fields[] = {
    DF_HOST_MEMORY_BYTES,
    DF_HOST_ANON_BYTES,
    DF_HOST_FILE_BYTES,
    DF_HOST_SHMEM_BYTES,
    DF_HOST_KERNEL_BYTES,
    DF_HOST_SWAP_BYTES,
    DF_HOST_SWAP_CACHED_BYTES,
    DF_HOST_LIMIT_HITS,
    DF_HOST_HIGH_HITS,
    DF_HOST_OOM_KILLS,
    DF_HOST_PRESSURE_WAITING_SECONDS,
    DF_HOST_PRESSURE_STALLED_SECONDS,
    DF_PROCESS_SWAP_BYTES,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KEY(s) s, sizeof(s) - 1

struct stat_key {
	const char *name;
	size_t len;
	enum dom_field field;
};

/* v2 memory.stat: byte counts of the group and its children. */
static const struct stat_key v2_stat[] = {
    {KEY("anon"), DF_HOST_ANON_BYTES},
    {KEY("file"), DF_HOST_FILE_BYTES},
    {KEY("shmem"), DF_HOST_SHMEM_BYTES},
    {KEY("kernel"), DF_HOST_KERNEL_BYTES},
    {KEY("swapcached"), DF_HOST_SWAP_CACHED_BYTES},
};

/* v1 memory.stat: the total_* keys are the hierarchical ones (the scope
 * with libvirt's child groups); the keys without the prefix count the
 * scope's own tasks only, which libvirt moves out.  total_swap exists
 * while swap accounting is on (the same condition as memory.memsw.*), so
 * memory.memsw.usage_in_bytes adds nothing this read lacks. */
static const struct stat_key v1_stat[] = {
    {KEY("total_rss"), DF_HOST_ANON_BYTES},
    {KEY("total_cache"), DF_HOST_FILE_BYTES},
    {KEY("total_shmem"), DF_HOST_SHMEM_BYTES},
    {KEY("total_swap"), DF_HOST_SWAP_BYTES},
    {KEY("total_swapcached"), DF_HOST_SWAP_CACHED_BYTES},
};

/* v2 memory.events: counts since the group was made (hierarchical; the
 * .local file would be the scope's own). */
static const struct stat_key v2_events[] = {
    {KEY("high"), DF_HOST_HIGH_HITS},
    {KEY("max"), DF_HOST_LIMIT_HITS},
    {KEY("oom_kill"), DF_HOST_OOM_KILLS},
};

/* v1 memory.oom_control: oom_kill since kernel 4.13. */
static const struct stat_key v1_oom_control[] = {
    {KEY("oom_kill"), DF_HOST_OOM_KILLS},
};

/* Does the line end with its newline?  The kernel's seq_file prints whole
 * lines: one without is the cut end of a truncated file. */
static bool line_complete(const struct kv_line *l)
{
	return l->rest.end > l->rest.p && l->rest.end[-1] == '\n';
}

/* "key value\n" lines into the fields of a key table. */
static int parse_keys(const struct stat_key *keys, size_t nkeys, const char *text, size_t len, struct dom_snap *d)
{
	struct cursor c = cursor_make(text, len);
	struct kv_line l;
	int err = 0;

	while (kv_next(&c, &l)) {
		for (size_t i = 0; i < nkeys; i++) {
			const struct stat_key *k = &keys[i];
			if (k->len != l.key_len || memcmp(k->name, l.key, l.key_len) != 0)
				continue;
			struct cursor *v = &l.rest;
			uint64_t u;
			if (!line_complete(&l) || cursor_eof(v) || *v->p != ' ') {
				err = -EINVAL;
				break;
			}
			cursor_skip_blanks(v);
			if (cursor_u64(v, UINT64_MAX, &u) != 0 || !cursor_accept(v, "\n") || !cursor_eof(v)) {
				err = -EINVAL;
				break;
			}
			mval_set_u64(&d->f[k->field], u);
			break;
		}
	}
	return err;
}

int cgroup_memory_stat_parse(enum cgroup_version v, const char *text, size_t len, struct dom_snap *d)
{
	if (v == CGROUP_V1)
		return parse_keys(v1_stat, N(v1_stat), text, len, d);
	return parse_keys(v2_stat, N(v2_stat), text, len, d);
}

int cgroup_events_parse(enum cgroup_version v, const char *text, size_t len, struct dom_snap *d)
{
	if (v == CGROUP_V1)
		return parse_keys(v1_oom_control, N(v1_oom_control), text, len, d);
	return parse_keys(v2_events, N(v2_events), text, len, d);
}

/* The total= of one pressure line: "some avg10=0.00 avg60=0.00
 * avg300=0.00 total=123\n".  Fields are found by name so a kernel that
 * adds one keeps working. */
static int pressure_total(struct cursor *v, uint64_t *us)
{
	while (!cursor_eof(v)) {
		if (*v->p != ' ')
			return -EINVAL;
		cursor_skip_blanks(v);
		if (cursor_accept(v, "total=")) {
			if (cursor_u64(v, UINT64_MAX, us) != 0)
				return -EINVAL;
			cursor_skip_blanks(v);
			return cursor_accept(v, "\n") && cursor_eof(v) ? 0 : -EINVAL;
		}
		while (!cursor_eof(v) && *v->p != ' ' && *v->p != '\n')
			v->p++;
		if (cursor_accept(v, "\n"))
			break;
	}
	return -EINVAL;
}

int cgroup_pressure_parse(const char *text, size_t len, struct dom_snap *d)
{
	struct cursor c = cursor_make(text, len);
	struct kv_line l;
	int err = 0;

	while (kv_next(&c, &l)) {
		enum dom_field f;
		if (kv_key_is(&l, "some"))
			f = DF_HOST_PRESSURE_WAITING_SECONDS;
		else if (kv_key_is(&l, "full"))
			f = DF_HOST_PRESSURE_STALLED_SECONDS;
		else
			continue;
		uint64_t us;
		if (!line_complete(&l) || pressure_total(&l.rest, &us) != 0) {
			err = -EINVAL;
			continue;
		}
		mval_set_f64(&d->f[f], (double)us / 1e6);
	}
	return err;
}

int proc_status_swap_parse(const char *text, size_t len, struct dom_snap *d)
{
	struct cursor c = cursor_make(text, len);
	struct kv_line l;

	while (kv_next(&c, &l)) {
		if (!kv_key_is(&l, "VmSwap"))
			continue;
		/* "VmSwap:\t     123 kB\n" (fs/proc/task_mmu.c) */
		struct cursor *v = &l.rest;
		uint64_t kb;
		if (!line_complete(&l) || !cursor_accept(v, ":"))
			return -EINVAL;
		cursor_skip_blanks(v);
		if (cursor_u64(v, UINT64_MAX / 1024, &kb) != 0)
			return -EINVAL;
		cursor_skip_blanks(v);
		if (!cursor_accept(v, "kB") || !cursor_accept(v, "\n") || !cursor_eof(v))
			return -EINVAL;
		mval_set_u64(&d->f[DF_PROCESS_SWAP_BYTES], kb * 1024);
		return 0;
	}
	return 0;
}

/* Does the comma-separated controller list [p, end) name "memory"? */
static bool has_memory(const char *p, const char *end)
{
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma != NULL ? comma : end;
		if (e - p == 6 && memcmp(p, "memory", 6) == 0)
			return true;
		p = e + 1;
	}
	return false;
}

/* Cuts path [p, end) after its first "*.scope" component into out. */
static int scope_of(const char *p, const char *end, enum cgroup_version v, struct cgroup_ref *out)
{
	/* A NUL would cut the path short when it is joined to the root. */
	if (p >= end || *p != '/' || memchr(p, '\0', (size_t)(end - p)) != NULL)
		return -EINVAL;
	const char *s = p;
	while (s < end) {
		s++; /* past the '/' */
		const char *slash = memchr(s, '/', (size_t)(end - s));
		const char *e = slash != NULL ? slash : end;
		size_t n = (size_t)(e - s);
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return -EINVAL;
		if (n > 6 && memcmp(e - 6, ".scope", 6) == 0) {
			size_t len = (size_t)(e - p);
			if (len >= sizeof(out->path))
				return -ENAMETOOLONG;
			/* The rest of the path must not escape either: a
			 * ".." below the scope is as suspect as above it. */
			for (const char *q = e; q < end;) {
				q++;
				const char *qs = memchr(q, '/', (size_t)(end - q));
				const char *qe = qs != NULL ? qs : end;
				if ((qe - q == 1 && q[0] == '.') || (qe - q == 2 && q[0] == '.' && q[1] == '.'))
					return -EINVAL;
				q = qe;
			}
			memcpy(out->path, p, len);
			out->path[len] = '\0';
			out->len = len;
			out->version = v;
			return 0;
		}
		s = e;
	}
	return -ENODATA;
}

int cgroup_find_scope(const char *text, size_t len, struct cgroup_ref *out)
{
	const char *p = text, *end = text + len;
	const char *v1 = NULL, *v1_end = NULL, *v2 = NULL, *v2_end = NULL;

	/* "hierarchy-ID:controller-list:cgroup-path" per line (cgroups(7)). */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *c1 = memchr(p, ':', (size_t)(le - p));
		const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2 != NULL) {
			if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1) {
				v2 = c2 + 1;
				v2_end = le;
			} else if (v1 == NULL && has_memory(c1 + 1, c2)) {
				v1 = c2 + 1;
				v1_end = le;
			}
		}
		p = nl != NULL ? nl + 1 : end;
	}
	/* A v1 hierarchy holding the memory controller wins: on a hybrid
	 * host the unified line is there too, without memory. */
	if (v1 != NULL)
		return scope_of(v1, v1_end, CGROUP_V1, out);
	if (v2 != NULL)
		return scope_of(v2, v2_end, CGROUP_V2, out);
	return -ENOENT;
}

/* The biggest file read whole; memory.stat is about 3 kB on 6.x kernels. */
#define CG_BUF PARSE_MAX_FILE

struct cgroup_src {
	const struct kvm_env *env;
	struct complaint_set *complaints;
	/* Permission problems are one cause for every domain: logged once. */
	struct refusal eacces;
	/* One buffer for every file, on the heap: the collection may run on
	 * a thread with a small stack (collectd's read threads). */
	char buf[CG_BUF];
	char dir[PATH_MAX];       /* the domain's group directory */
	char path[PATH_MAX + 64]; /* one file in it */
};

struct cgroup_src *cgroup_src_new(const struct kvm_env *env)
{
	struct cgroup_src *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->env = env;
	p->eacces.lg = env->log;
	p->eacces.released = "cgroup files are readable again";
	p->complaints = complaint_set_new();
	if (p->complaints == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void cgroup_src_free(struct cgroup_src *p)
{
	if (p == NULL)
		return;
	complaint_set_free(p->complaints);
	free(p);
}

/* Reads name relative to dirfd (AT_FDCWD for a whole path) into p->buf;
 * p->path is its whole name for the log.  ENOENT is returned quietly (the
 * caller knows what absence means there); other failures are logged. */
static int read_cg(struct cgroup_src *p, int dirfd, const char *name, size_t *len)
{
	int r = read_file_at(dirfd, name, p->buf, sizeof(p->buf), len);
	if (r == 0)
		return 0;
	if (r == -ENOENT || r == -ESRCH)
		return r;
	if (r == -EACCES || r == -EPERM)
		refuse(&p->eacces,
		       "%s: permission denied; the cgroup files and /proc/<pid>/cgroup and status are world-readable "
		       "unless a security module or a private mount hides them",
		       p->path);
	else
		complain_key(p->env->log, p->complaints, p->path, "%s",
		             r == -EFBIG ? "file too large" : log_strerror(r));
	return r;
}

/* A file parsed by fn: its fields, or a complaint naming it. */
static int parse_logged(struct cgroup_src *p, int rparse)
{
	if (rparse != 0)
		complain_key(p->env->log, p->complaints, p->path, "malformed line; those fields skipped");
	else
		complain_key_release(p->env->log, p->complaints, p->path, "readable again");
	return rparse;
}

/* One-number file (memory.current, memory.usage_in_bytes, ...) into f. */
static int read_value(struct cgroup_src *p, int dirfd, const char *name, enum dom_field f, struct dom_snap *t)
{
	size_t len;
	uint64_t v;
	(void)path_join3(p->path, sizeof(p->path), p->dir, "/", name); /* fits: path has 64 bytes more than dir */
	int r = read_cg(p, dirfd, name, &len);
	if (r != 0)
		return r;
	r = parse_u64_value(p->buf, len, &v);
	if (r == 0)
		mval_set_u64(&t->f[f], v);
	else
		r = -EINVAL;
	if (r != 0)
		complain_key(p->env->log, p->complaints, p->path, "not a valid value; field skipped");
	else
		complain_key_release(p->env->log, p->complaints, p->path, "readable again");
	return r;
}

enum file_kind { FK_STAT, FK_EVENTS, FK_PRESSURE };

/* A key-value file of the group into its fields. */
static int read_keyed(struct cgroup_src *p, int dirfd, enum cgroup_version v, const char *name, enum file_kind k,
                      struct dom_snap *t)
{
	size_t len;
	(void)path_join3(p->path, sizeof(p->path), p->dir, "/", name); /* fits: path has 64 bytes more than dir */
	int r = read_cg(p, dirfd, name, &len);
	if (r != 0)
		return r;
	if (k == FK_STAT)
		r = cgroup_memory_stat_parse(v, p->buf, len, t);
	else if (k == FK_EVENTS)
		r = cgroup_events_parse(v, p->buf, len, t);
	else
		r = cgroup_pressure_parse(p->buf, len, t);
	return parse_logged(p, r);
}

/* Keeps the first error that is a failure of the collector. */
static void note(int *err, int r)
{
	if (r != 0 && r != -ENOENT && *err == 0)
		*err = r;
}

/* The files of the group at p->dir. */
static int read_group(struct cgroup_src *p, enum cgroup_version v, struct dom_snap *t)
{
	int err = 0;
	/* The five files are opened relative to the group's directory: the
	 * kernel then walks its long path once, not once per file. */
	int fd = open(p->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		log_debug(p->env->log, "%s: no such group (the domain stopped, or the hierarchy is not mounted there)",
		          p->dir);
		return -ENOENT;
	}
	if (fd < 0) {
		int e = -errno;
		if (e == -EACCES || e == -EPERM)
			refuse(&p->eacces, "%s: permission denied", p->dir);
		else
			complain_key(p->env->log, p->complaints, p->dir, "%s", log_strerror(e));
		return e;
	}
	/* The charge file exists in every memory cgroup: without it the
	 * memory controller is not enabled there; nothing else is tried. */
	int r = read_value(p, fd, v == CGROUP_V1 ? "memory.usage_in_bytes" : "memory.current", DF_HOST_MEMORY_BYTES, t);
	if (r == -ENOENT) {
		log_debug(p->env->log, "%s: no memory controller in this group", p->dir);
		err = -ENOENT;
		goto out;
	}
	note(&err, r);
	note(&err, read_keyed(p, fd, v, "memory.stat", FK_STAT, t));
	if (v == CGROUP_V1) {
		note(&err, read_keyed(p, fd, v, "memory.oom_control", FK_EVENTS, t));
		/* How often usage hit the limit: v1's counterpart of the
		 * v2 "max" event. */
		note(&err, read_value(p, fd, "memory.failcnt", DF_HOST_LIMIT_HITS, t));
	} else {
		/* Absent without swap accounting (CONFIG_MEMCG_SWAP,
		 * swapaccount=0). */
		note(&err, read_value(p, fd, "memory.swap.current", DF_HOST_SWAP_BYTES, t));
		note(&err, read_keyed(p, fd, v, "memory.events", FK_EVENTS, t));
		/* Absent without CONFIG_PSI or with psi=0. */
		note(&err, read_keyed(p, fd, v, "memory.pressure", FK_PRESSURE, t));
	}
out:
	close(fd);
	return err;
}

/* After ENOENT on a file of <procfs>/<pid>: did the process exit, or does
 * this kernel lack the file? */
static bool process_gone(const char *procfs, const char *slash_pid)
{
	char stat[PATH_MAX + 64];
	if (path_join3(stat, sizeof(stat), procfs, slash_pid, "/stat") < 0)
		return true;
	return access(stat, F_OK) != 0;
}

/* The domain's group directory into p->dir and its version, from
 * <procfs>/<pid>/cgroup.  -ESRCH when the process is gone. */
static int find_group(struct cgroup_src *p, const char *slash_pid, enum cgroup_version *v)
{
	size_t len;
	struct cgroup_ref ref;

	if (path_join3(p->path, sizeof(p->path), p->env->procfs, slash_pid, "/cgroup") < 0)
		return -ENAMETOOLONG;
	int r = read_cg(p, AT_FDCWD, p->path, &len);
	if (r == -ESRCH || (r == -ENOENT && process_gone(p->env->procfs, slash_pid)))
		return -ESRCH;
	/* An exited, unreaped process (a zombie) still has its file. */
	if (r != 0)
		return r;
	r = cgroup_find_scope(p->buf, len, &ref);
	if (r == -ENOENT || r == -ENODATA) {
		log_debug(p->env->log, "%s: %s", p->path, r == -ENOENT ? "no memory controller" : "in no scope");
		complain_key_release(p->env->log, p->complaints, p->path, "readable again");
		return -ENOENT;
	}
	if (r != 0) {
		complain_key(p->env->log, p->complaints, p->path, "%s; cgroup fields skipped",
		             r == -EINVAL ? "path not absolute or escaping the mount point" : "path too long");
		return r;
	}
	complain_key_release(p->env->log, p->complaints, p->path, "readable again");
	*v = ref.version;
	if (path_join3(p->dir, sizeof(p->dir), p->env->cgroupfs != NULL ? p->env->cgroupfs : KVM_DEFAULT_CGROUPFS,
	               ref.version == CGROUP_V1 ? "/memory" : "", ref.path) < 0)
		return -ENAMETOOLONG;
	return 0;
}

/* VmSwap of <procfs>/<pid>/status. */
static int read_status(struct cgroup_src *p, const char *slash_pid, struct dom_snap *t)
{
	size_t len;
	if (path_join3(p->path, sizeof(p->path), p->env->procfs, slash_pid, "/status") < 0)
		return -ENAMETOOLONG;
	int r = read_cg(p, AT_FDCWD, p->path, &len);
	if (r == -ESRCH || (r == -ENOENT && process_gone(p->env->procfs, slash_pid)))
		return -ESRCH;
	if (r != 0)
		return r;
	/* A zombie's status has no Vm* lines: nothing to fill. */
	return parse_logged(p, proc_status_swap_parse(p->buf, len, t));
}

int cgroup_collect(struct cgroup_src *p, pid_t pid, struct dom_snap *d)
{
	char num[16];
	enum cgroup_version v = CGROUP_V2;
	int err = 0;

	if (pid <= 0)
		return -ESRCH;
	const char *slash_pid = path_slash_pid(num, pid);
	/* Work on a copy so a process that exits half-way leaves d as it
	 * was; this collector's fields start absent. */
	struct dom_snap t = *d;
	for (size_t i = 0; i < N(cgroup_fields); i++)
		t.f[cgroup_fields[i]] = (struct mval){0};

	int r = find_group(p, slash_pid, &v);
	if (r == -ESRCH)
		goto gone;
	bool grouped = r == 0;
	if (grouped)
		r = read_group(p, v, &t);
	note(&err, r);
	int rs = read_status(p, slash_pid, &t);
	if (rs == -ESRCH)
		goto gone;
	note(&err, rs);
	memcpy(d->f, t.f, sizeof(d->f));
	if (err == 0 && r == -ENOENT && !t.f[DF_PROCESS_SWAP_BYTES].present)
		return -ENOENT;
	return err;

gone:
	log_debug(p->env->log, "%s%s: process gone", p->env->procfs, slash_pid);
	return -ESRCH;
}

static void *create(const struct collect_opts *o)
{
	return cgroup_src_new(&o->env);
}

static void destroy(void *self)
{
	cgroup_src_free(self);
}

/* Every domain whose process a backend found.  A process that exited, a
 * domain in no scope or a group that vanished is not a failure of this
 * collector; unreadable or damaged files are. */
static int collect_one(void *self, pid_t pid, struct dom_snap *d)
{
	return cgroup_collect(self, pid, d);
}

static int collect(void *self, struct snapshot *s)
{
	struct cgroup_src *p = self;
	return collect_each_domain(s, p->complaints, &p->eacces, collect_one, p);
}

const struct collector_def collector_cgroup = {
    .name = "cgroup",
    .help = "per-domain host cost from each QEMU process's memory cgroup and VmSwap",
    .kind = COLLECTOR_PER_DOMAIN,
    .default_on = true,
    .create = create,
    .destroy = destroy,
    .collect = collect,
};
