/*
 * libvirt_pid.c - which QEMU process runs a libvirt domain.
 *
 * The pidfile is the fast path; the /proc scan is the fallback for hosts
 * where libvirt's run directory is not readable or has no pidfile.  A pid
 * is trusted only after the process's own command line names the domain,
 * and the answer is cached while the pidfile (inode, mtime, size) and the
 * process (start time, field 22 of /proc/<pid>/stat) stay the same: a
 * recycled pid has another start time, a rewritten pidfile another stat.
 *
 * The cache is a name table (util/nametab.h) keyed by domain name: one
 * lookup per domain per collection must stay O(1), or a host of thousands
 * of domains pays N^2/2 string compares per collection.  The
 * /proc scan's results are sorted by name once and searched by bisection
 * for the same reason.
 */
#include "backends/libvirt_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/qemu_cmdline.h"
#include "util/buf.h"
#include "util/complain.h"
#include "util/parse.h"
#include "util/paths.h"
#include "util/procfs.h"
#include "util/nametab.h"

struct vm_entry {
	struct nametab_node node;
	/* The pidfile as last seen; valid when keyed. */
	bool keyed;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	/* What it led to: result 0 with pid and start, or -ESTALE. */
	int result;
	pid_t pid;
	uint64_t start;
	bool alive;    /* the process existed when checked */
	unsigned seen; /* generation of the last lookup */
	char name[];
};

struct scan_entry {
	char *name;
	pid_t pid;
	size_t order; /* position in the scan: the first of equal names wins */
};

struct libvirt_pid {
	const struct kvm_env *env;
	struct complaint_set *complaints;
	char *cmdline; /* PARSE_MAX_FILE bytes, reused for every read */
	unsigned gen;

	struct nametab ents; /* struct vm_entry by domain name */

	bool scanned;               /* the /proc scan ran in this generation */
	struct complaint scan_fail; /* the scan failed: one cause for every domain */
	struct scan_entry *scan;
	size_t nscan, ascan;
};

bool libvirt_pid_cmdline_matches(const char *cmdline, size_t len, const char *name)
{
	struct buf b;
	bool has_uuid, res = false;

	/* No domain has an empty name: "-name guest=" must not match one. */
	if (!cmdline || !name || !*name)
		return false;
	buf_init(&b, PARSE_MAX_FILE);
	if (qemu_cmdline_name(cmdline, len, &b, &has_uuid) == 0)
		res = b.len == strlen(name) && memcmp(b.data ? b.data : "", name, b.len) == 0;
	buf_free(&b);
	return res;
}

int libvirt_pid_parse_pidfile(const char *text, size_t len, pid_t *pid)
{
	uint64_t v;
	if (!text || parse_u64_value(text, len, &v) < 0 || v == 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

struct libvirt_pid *libvirt_pid_new(const struct kvm_env *env)
{
	struct libvirt_pid *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->env = env;
	v->complaints = complaint_set_new();
	v->cmdline = malloc(PARSE_MAX_FILE);
	if (!v->complaints || !v->cmdline || nametab_init(&v->ents) != 0) {
		libvirt_pid_free(v);
		return NULL;
	}
	return v;
}

static void scan_clear(struct libvirt_pid *v)
{
	for (size_t i = 0; i < v->nscan; i++)
		free(v->scan[i].name);
	v->nscan = 0;
	v->scanned = false;
}

/* Frees an entry not looked up in generation *arg. */
static bool drop_unseen(struct nametab_node *n, void *arg)
{
	struct vm_entry *e = nametab_entry(n, struct vm_entry, node);
	if (e->seen == *(const unsigned *)arg)
		return false;
	free(e);
	return true;
}

void libvirt_pid_free(struct libvirt_pid *v)
{
	if (!v)
		return;
	unsigned none = v->gen + 1; /* no entry was seen in it: all go */
	nametab_sweep(&v->ents, drop_unseen, &none);
	nametab_fini(&v->ents);
	scan_clear(v);
	free(v->scan);
	free(v->cmdline);
	complaint_set_free(v->complaints);
	free(v);
}

void libvirt_pid_begin(struct libvirt_pid *v)
{
	/* The previous collection's round ends: pidfiles of domains it did
	 * not look up are forgotten by the complaint set too. */
	complaint_set_sweep(v->complaints);
	complaint_set_begin(v->complaints);

	/* Keep what the previous collection looked up; drop the rest. */
	nametab_sweep(&v->ents, drop_unseen, &v->gen);
	v->gen++;
	scan_clear(v);
}

static const char *procfs(const struct libvirt_pid *v)
{
	return v->env->procfs ? v->env->procfs : KVM_DEFAULT_PROCFS;
}

static const char *runroot(const struct libvirt_pid *v)
{
	return v->env->libvirt_run ? v->env->libvirt_run : KVM_DEFAULT_LIBVIRT_RUN;
}

/* Opens <procfs>/<pid> so cmdline and stat are read from one process. */
static int open_proc(const struct libvirt_pid *v, pid_t pid)
{
	char path[PATH_MAX];
	char num[16];
	if (path_join3(path, sizeof(path), procfs(v), path_slash_pid(num, pid), "") < 0)
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The state and start time of /proc/<pid>/stat, read relative to dirfd
 * (AT_FDCWD for a whole path). */
static int proc_stat_at(int dirfd, const char *name, char *state, uint64_t *start)
{
	char text[1024];
	size_t len;
	struct proc_stat st;
	int rc = read_file_at(dirfd, name, text, sizeof(text), &len);
	if (rc == 0)
		rc = proc_stat_parse(text, len, &st);
	if (rc < 0)
		return rc;
	*state = st.state;
	*start = st.starttime;
	return 0;
}

/* The start time of a process already verified, by one open of
 * <procfs>/<pid>/stat: no directory descriptor, as only one file is read.
 * -errno when it cannot be read (the process is gone, most likely). */
static int start_of(const struct libvirt_pid *v, pid_t pid, uint64_t *start)
{
	char path[PATH_MAX];
	char num[16];
	char state;
	if (path_join3(path, sizeof(path), procfs(v), path_slash_pid(num, pid), "/stat") < 0)
		return -ENAMETOOLONG;
	return proc_stat_at(AT_FDCWD, path, &state, start);
}

/* The process start time, 0 when stat cannot be read (the result is then
 * cached on the pidfile alone); *state is '\0' then. */
static uint64_t start_or_zero(int dirfd, char *state)
{
	uint64_t s = 0;
	char ch = '\0';
	if (proc_stat_at(dirfd, "stat", &ch, &s) < 0)
		s = 0, ch = '\0';
	if (state)
		*state = ch;
	return s;
}

static struct vm_entry *entry_get(struct libvirt_pid *v, const char *name)
{
	struct nametab_node *n = nametab_find(&v->ents, name);
	if (n)
		return nametab_entry(n, struct vm_entry, node);
	size_t len = strlen(name);
	struct vm_entry *e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->name, name, len + 1);
	nametab_add(&v->ents, &e->node, e->name);
	return e;
}

static int scan_add(struct libvirt_pid *v, const char *name, size_t len, pid_t pid)
{
	if (v->nscan == v->ascan) {
		size_t n = v->ascan ? v->ascan * 2 : 16;
		struct scan_entry *s = realloc(v->scan, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		v->scan = s;
		v->ascan = n;
	}
	char *copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	v->scan[v->nscan].name = copy;
	v->scan[v->nscan].pid = pid;
	v->scan[v->nscan].order = v->nscan;
	v->nscan++;
	return 0;
}

static int scan_cmp(const void *a, const void *b)
{
	const struct scan_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct scan_pass {
	struct libvirt_pid *v;
	struct buf name;
};

/* One process of the scan: listed by name when its command line carries
 * -name and -uuid (QEMU as libvirt starts it).  "-uuid" keeps e.g.
 * "find -name x" out. */
static int scan_one(int procfd, const char *dname, pid_t pid, void *arg)
{
	struct scan_pass *sp = arg;
	size_t len;
	bool has_uuid;
	int fd = openat(procfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* exited meanwhile, or not a directory */
	int r = read_file_at(fd, "cmdline", sp->v->cmdline, PARSE_MAX_FILE, &len);
	close(fd);
	if (r < 0 || len == 0)
		return 0;
	buf_reset(&sp->name);
	if (qemu_cmdline_name(sp->v->cmdline, len, &sp->name, &has_uuid) < 0 || !has_uuid || sp->name.len == 0)
		return 0;
	return scan_add(sp->v, sp->name.data, sp->name.len, pid);
}

/* One pass over <procfs>, QEMU processes by domain name.  A scan that
 * fails counts as done (with what it found): one failure per collection,
 * not one per domain. */
static int scan_proc(struct libvirt_pid *v)
{
	struct scan_pass sp = {.v = v};
	buf_init(&sp.name, PARSE_MAX_FILE);
	int rc = proc_each_pid(procfs(v), scan_one, &sp);
	buf_free(&sp.name);
	v->scanned = true;
	if (v->nscan > 1)
		qsort(v->scan, v->nscan, sizeof(*v->scan), scan_cmp);
	return rc;
}

static int lookup_scan(struct libvirt_pid *v, const char *name, pid_t *pid)
{
	if (!v->scanned) {
		int rc = scan_proc(v);
		if (rc < 0) {
			complain(v->env->log, &v->scan_fail, "%s: cannot scan for QEMU processes: %s", procfs(v),
			         log_strerror(rc));
			return rc == -ENOMEM ? rc : -ENOENT;
		}
		complain_release(v->env->log, &v->scan_fail, "%s: scanning for QEMU processes again", procfs(v));
	}
	/* The first entry of that name in scan order: the lowest bound. */
	size_t lo = 0, hi = v->nscan;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v->scan[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == v->nscan || strcmp(v->scan[lo].name, name) != 0)
		return -ENOENT;
	*pid = v->scan[lo].pid;
	return 0;
}

/* Reads the pidfile and checks the process it names; fills e. */
static int verify_pidfile(struct libvirt_pid *v, struct vm_entry *e, const char *path, const char *name)
{
	char text[64];
	size_t len;
	pid_t pid;

	int rc = read_file(path, text, sizeof(text), &len);
	if (rc == -ENOENT)
		return rc; /* removed since stat(): the domain just stopped */
	if (rc < 0 || libvirt_pid_parse_pidfile(text, len, &pid) < 0) {
		complain_key(v->env->log, v->complaints, path, "unreadable pidfile (%s)",
		             rc < 0 ? log_strerror(rc) : "not a pid");
		e->keyed = false;
		return rc < 0 ? rc : -EINVAL;
	}
	e->pid = pid;
	e->start = 0;
	e->result = -ESTALE;
	char state = '\0';
	int fd = open_proc(v, pid);
	e->alive = fd >= 0;
	if (fd >= 0) {
		e->start = start_or_zero(fd, &state);
		rc = read_file_at(fd, "cmdline", v->cmdline, PARSE_MAX_FILE, &len);
		if (rc == 0 && libvirt_pid_cmdline_matches(v->cmdline, len, name))
			e->result = 0;
		close(fd);
	}
	/* Z: exited, not yet reaped; X: being reaped.  Neither runs a guest. */
	bool gone = fd < 0 || state == 'Z' || state == 'X';
	if (e->result == 0)
		complain_key_release(v->env->log, v->complaints, path, "pid %d is domain %s again", (int)pid, name);
	else if (gone)
		/* libvirt removes the pidfile after QEMU exits: a scrape in
		 * between is the normal race of a stopping domain. */
		log_debug(v->env->log, "%s: pid %d has exited (domain %s stopping)", path, (int)pid, name);
	else
		complain_key(v->env->log, v->complaints, path, "pid %d is not domain %s (stale pidfile)", (int)pid,
		             name);
	e->keyed = true;
	return 0;
}

int libvirt_pid_lookup(struct libvirt_pid *v, const char *name, pid_t *pid)
{
	char path[PATH_MAX];
	struct stat st;

	if (!v || !name || !*name || strchr(name, '/'))
		return -EINVAL;
	/* Room kept for ".pid". */
	int n = path_join3(path, sizeof(path) - 4, runroot(v), "/", name);
	if (n < 0)
		return -ENAMETOOLONG;
	memcpy(path + n, ".pid", 5);
	struct vm_entry *e = entry_get(v, name);
	if (!e)
		return -ENOMEM;
	e->seen = v->gen;

	/* No pidfile, or a run directory we may not read (it is root-only on
	 * many hosts): find the process by its command line instead. */
	if (stat(path, &st) != 0) {
		int err = errno;
		e->keyed = false;
		if (err == ENOENT || err == EACCES || err == ENOTDIR)
			return lookup_scan(v, name, pid);
		return -err;
	}

	bool same_file = e->keyed && e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
	                 e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec;
	if (same_file) {
		/* Same pidfile: only a new process behind the same pid (a
		 * different start time, or none at all) needs a recheck. */
		uint64_t start = 0;
		bool alive = start_of(v, e->pid, &start) == 0;
		if (!alive) {
			/* No stat to read: the directory alone says whether the
			 * pid lives (start 0, as verify_pidfile records it). */
			int fd = open_proc(v, e->pid);
			alive = fd >= 0;
			if (fd >= 0)
				close(fd);
		}
		if (!alive && !e->alive)
			return e->result;
		if (alive && e->alive && start == e->start)
			goto done;
	}

	int rc = verify_pidfile(v, e, path, name);
	if (rc < 0)
		return rc;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
done:
	if (e->result < 0)
		return e->result;
	*pid = e->pid;
	return 0;
}
