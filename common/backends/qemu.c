/*
 * qemu.c - the qemu collector: every QEMU process under <procfs> as a
 * domain, for hosts without libvirt (Proxmox VE, KubeVirt nodes, QEMU
 * started by hand).
 *
 * One QEMU process is one domain: a process libvirt started ("-name
 * guest=...,...", "-uuid") is left to the libvirt backend, which ran
 * before this one, whenever libvirt listed its name; when libvirt is down
 * or does not know it (KubeVirt's per-pod libvirt), it is listed here
 * under the same name, with source "libvirt".  A process with a Proxmox
 * VMID (-id, or a -pidfile <qemu-server run>/<vmid>.pid) is Proxmox's
 * only when that pidfile names it; anything else is plain QEMU.
 *
 * Names are unique in a snapshot: a name already taken gets "#<vmid>" or
 * "#pid<pid>"; the process started first keeps the plain name, so labels
 * stay put while the processes live.  A QEMU without a name is
 * "qemu-pid-<pid>".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/qemu_cmdline.h"
#include "backends/qemu_pve.h"
#include "model/collect.h"
#include "util/complain.h"
#include "util/nametab.h"
#include "util/parse.h"
#include "util/paths.h"
#include "util/procfs.h"
#include "util/statfds.h"
#include "util/utf8.h"

struct qemu_proc {
	pid_t pid;
	uint64_t start;
	char state;
	enum dom_source source;
	char vmid[DOM_VMID_MAX];
	char uuid[UUID_STRING_LEN];
	/* The cache entry's (entries outlive publish()); NULL: named by pid. */
	const char *name;
	struct domain_config config;
	struct mval memory, rss, vmem_size, vmem_requested;
};

/* A bit per pid modulo this: which pids may have a cache entry. */
#define QEMU_PID_BITS 65536

struct name_node {
	struct nametab_node node;
};

/* What one QEMU command line says, kept while the pid is the same process
 * (parsing is most of a scan's work, reading it again a second file per
 * guest): while its stat shows the start time and command name it showed
 * when the command line was read.  A reused pid has another start time;
 * an execve sets the new program's name.  Assumed: a command line changes
 * only by execve (QEMU never rewrites its argv), and no execve goes from
 * one QEMU to another of the same name.  Keyed by the pid's name. */
struct cached {
	struct nametab_node node;
	pid_t pid;
	unsigned seen; /* generation of the last scan that found it */
	size_t len;
	char *cmdline; /* owned copy, len bytes */
	bool libvirt;  /* -name guest=... and -uuid: a QEMU libvirt started */
	char *name;    /* owned; NULL without a name */
	char uuid[UUID_STRING_LEN];
	char vmid[DOM_VMID_MAX]; /* claimed by -id or -pidfile, not yet verified */
	struct domain_config config;
	struct mval memory, vmem_size, vmem_requested;
	char *mem_path; /* owned; NULL without file-backed memory */
	bool hugetlb_memfd;
	bool huge_known; /* huge holds the answer for process start start */
	bool huge;
	uint64_t start;
	/* What the stat said right after the command line was read. */
	bool id_known;
	uint64_t id_start;
	char comm[PROC_COMM_MAX];
	int stat_fd; /* its /proc/<pid>/stat kept open, or -1 */
	char key[];
};

struct qemu_backend {
	const struct collect_opts *o;
	char *text; /* PARSE_MAX_FILE bytes: cmdline, then mounts */
	struct qemu_cmdline *info;
	struct complaint_set *complaints;
	struct complaint scan_fail;
	uint64_t page_size;
	struct buf qname;     /* the name of the process being scanned */
	struct nametab cache; /* struct cached by pid */
	unsigned gen;
	struct qemu_pve pve; /* which Proxmox guest a process is */
	struct statfds fds;  /* the stat descriptors of cached processes */
	/* Bit pid % QEMU_PID_BITS: a cache entry may be that pid's.  Most
	 * processes are not QEMU; the bit answers without a hash lookup. */
	uint64_t cached_pids[QEMU_PID_BITS / 64];
	pid_t *known; /* other backends' pids, one collection's */
	size_t aknown;

	struct qemu_proc *procs;
	size_t nprocs, aprocs;

	struct nametab names; /* names taken in this collection */
	struct name_node *nodes;
	size_t nnodes, anodes;
};

static const char *procfs(const struct qemu_backend *b)
{
	return b->o->env.procfs ? b->o->env.procfs : KVM_DEFAULT_PROCFS;
}

static bool drop_all(struct nametab_node *n, void *arg)
{
	(void)n;
	(void)arg;
	return true;
}

static void cached_free(struct qemu_backend *b, struct cached *e)
{
	if (!e)
		return;
	statfds_close(&b->fds, &e->stat_fd);
	free(e->cmdline);
	free(e->name);
	free(e->mem_path);
	free(e);
}

static void mark_pid(struct qemu_backend *b, pid_t pid)
{
	unsigned i = (unsigned)pid % QEMU_PID_BITS;
	b->cached_pids[i / 64] |= UINT64_C(1) << (i % 64);
}

static bool may_be_cached(const struct qemu_backend *b, pid_t pid)
{
	unsigned i = (unsigned)pid % QEMU_PID_BITS;
	return b->cached_pids[i / 64] >> (i % 64) & 1;
}

/* Frees an entry the latest scan of backend arg did not find; marks the
 * pids of the others anew. */
static bool drop_unseen(struct nametab_node *n, void *arg)
{
	struct qemu_backend *b = arg;
	struct cached *e = nametab_entry(n, struct cached, node);
	if (e->seen == b->gen) {
		mark_pid(b, e->pid);
		return false;
	}
	cached_free(b, e);
	return true;
}

static bool drop_cached(struct nametab_node *n, void *arg)
{
	cached_free(arg, nametab_entry(n, struct cached, node));
	return true;
}

static void procs_clear(struct qemu_backend *b)
{
	b->nprocs = 0;
}

static void destroy(void *self)
{
	struct qemu_backend *b = self;
	if (!b)
		return;
	procs_clear(b);
	free(b->procs);
	nametab_sweep(&b->names, drop_all, NULL);
	nametab_fini(&b->names);
	nametab_sweep(&b->cache, drop_cached, b);
	nametab_fini(&b->cache);
	free(b->nodes);
	free(b->known);
	free(b->text);
	free(b->info);
	buf_free(&b->qname);
	complaint_set_free(b->complaints);
	free(b);
}

static void *create(const struct collect_opts *o)
{
	struct qemu_backend *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->o = o;
	buf_init(&b->qname, QEMU_NAME_MAX);
	b->text = malloc(PARSE_MAX_FILE);
	b->info = malloc(sizeof(*b->info));
	b->complaints = complaint_set_new();
	b->pve.run = o->env.qemu_server_run ? o->env.qemu_server_run : KVM_DEFAULT_QEMU_SERVER_RUN;
	b->pve.log = o->env.log;
	b->pve.complaints = b->complaints;
	long ps = sysconf(_SC_PAGESIZE);
	b->page_size = ps > 0 ? (uint64_t)ps : 4096;
	if (!b->text || !b->info || !b->complaints || nametab_init(&b->names) != 0 || nametab_init(&b->cache) != 0) {
		destroy(b);
		return NULL;
	}
	return b;
}

struct scan_pass {
	struct qemu_backend *b;
	const struct nametab *libvirt_names; /* listed by libvirt: not ours */
	const pid_t *known;                  /* sorted pids of those domains */
	size_t nknown;
};

static int cmp_pid(const void *x, const void *y)
{
	pid_t a = *(const pid_t *)x, b = *(const pid_t *)y;
	return a < b ? -1 : a > b;
}

static struct qemu_proc *proc_add(struct qemu_backend *b)
{
	if (b->nprocs == b->aprocs) {
		size_t n = b->aprocs ? b->aprocs * 2 : 16;
		struct qemu_proc *p = realloc(b->procs, n * sizeof(*p));
		if (!p)
			return NULL;
		b->procs = p;
		b->aprocs = n;
	}
	struct qemu_proc *p = &b->procs[b->nprocs++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Parses the command line in b->text into e (a new entry, or one whose
 * command line changed), replacing what e held.  0 or -ENOMEM. */
static int cache_fill(struct qemu_backend *b, struct cached *e, size_t len)
{
	const struct qemu_cmdline *in = b->info;
	char *copy = malloc(len ? len : 1);
	char *name = in->has_name ? strdup(in->name) : NULL;
	char *mp = in->mem_path[0] ? strdup(in->mem_path) : NULL;
	if (!copy || (in->has_name && !name) || (in->mem_path[0] && !mp)) {
		free(copy);
		free(name);
		free(mp);
		return -ENOMEM;
	}
	memcpy(copy, b->text, len);
	free(e->cmdline);
	free(e->name);
	free(e->mem_path);
	e->cmdline = copy;
	e->len = len;
	e->name = name;
	e->mem_path = mp;
	e->libvirt = in->guest_key && in->has_uuid_opt;
	memcpy(e->uuid, in->uuid, sizeof(e->uuid));
	e->vmid[0] = '\0';
	if (in->vmid[0])
		memcpy(e->vmid, in->vmid, sizeof(e->vmid));
	else if (in->pidfile[0])
		qemu_pve_vmid_from_pidfile(&b->pve, in->pidfile, e->vmid);
	e->config = in->config;
	e->memory = in->memory_bytes;
	e->vmem_size = in->virtio_mem_size;
	e->vmem_requested = in->virtio_mem_requested;
	e->hugetlb_memfd = in->hugetlb_memfd;
	e->huge_known = false;
	e->id_known = false;
	return 0;
}

/* The cache entry of the QEMU process dname whose command line is in
 * b->text, parsed anew when it changed; NULL with *rc 0 when libvirt lists
 * a new command line's guest already (only its name is parsed then), or
 * with *rc <0. */
static struct cached *cache_get(struct scan_pass *sp, const char *dname, pid_t pid, size_t len, int *rc)
{
	struct qemu_backend *b = sp->b;
	struct nametab_node *n = nametab_find(&b->cache, dname);
	struct cached *e = n ? nametab_entry(n, struct cached, node) : NULL;
	*rc = 0;
	if (e && e->len == len && memcmp(e->cmdline, b->text, len) == 0)
		return e;
	bool guest_key, has_uuid;
	buf_reset(&b->qname);
	if (qemu_cmdline_identity(b->text, len, &b->qname, &guest_key, &has_uuid) == 0 && guest_key && has_uuid &&
	    b->qname.len > 0 && nametab_find(sp->libvirt_names, b->qname.data))
		return NULL;
	int r = qemu_cmdline_parse(b->text, len, b->info);
	if (r < 0) {
		*rc = r == -ENOMEM ? r : 0;
		return NULL;
	}
	if (!e) {
		size_t kl = strlen(dname);
		e = calloc(1, sizeof(*e) + kl + 1);
		if (!e) {
			*rc = -ENOMEM;
			return NULL;
		}
		memcpy(e->key, dname, kl + 1);
		e->pid = pid;
		e->stat_fd = -1;
		mark_pid(b, pid);
		nametab_add(&b->cache, &e->node, e->key);
	}
	if (cache_fill(b, e, len) < 0) {
		*rc = -ENOMEM;
		return NULL;
	}
	return e;
}

/* One QEMU process, its command line read into e, its stat into st: a
 * new entry of b->procs. */
static int take_process(struct scan_pass *sp, const struct cached *e, pid_t pid, const struct proc_stat *st)
{
	struct qemu_backend *b = sp->b;
	enum dom_source src = e->libvirt ? DOM_SOURCE_LIBVIRT : DOM_SOURCE_QEMU;
	char vmid[DOM_VMID_MAX] = "";
	if (!e->libvirt && e->vmid[0] && qemu_pve_pidfile_names(&b->pve, e->vmid, pid)) {
		src = DOM_SOURCE_PROXMOX;
		memcpy(vmid, e->vmid, sizeof(vmid));
	}
	struct qemu_proc *p = proc_add(b);
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->start = st->starttime;
	p->state = st->state;
	p->source = src;
	memcpy(p->vmid, vmid, sizeof(vmid));
	memcpy(p->uuid, e->uuid, sizeof(p->uuid));
	p->config = e->config;
	p->config.hugepages = e->hugetlb_memfd || e->huge;
	p->memory = e->memory;
	p->vmem_size = e->vmem_size;
	p->vmem_requested = e->vmem_requested;
	if (st->has_rss && st->rss_pages <= UINT64_MAX / b->page_size)
		mval_set_u64(&p->rss, st->rss_pages * b->page_size);
	p->name = e->name;
	return 0;
}

static bool running(const struct proc_stat *st)
{
	/* Z: exited, not yet reaped; X: being reaped.  Neither runs a guest. */
	return st->state != 'Z' && st->state != 'X';
}

/* The QEMU process of entry e, its stat in st, into this scan. */
static int take_cached(struct scan_pass *sp, struct cached *e, int procfd, const char *dname, pid_t pid,
                       const struct proc_stat *st)
{
	e->seen = sp->b->gen;
	/* libvirt may have listed the guest since (it came back up). */
	if (e->libvirt && e->name && nametab_find(sp->libvirt_names, e->name))
		return 0;
	/* Whether file-backed memory is hugepages is the process's mount
	 * table's say: asked again only for a new process. */
	if (e->mem_path && (!e->huge_known || e->start != st->starttime)) {
		e->huge = proc_on_hugetlbfs(procfd, dname, e->mem_path, sp->b->text, PARSE_MAX_FILE);
		e->huge_known = true;
		e->start = st->starttime;
	}
	return take_process(sp, e, pid, st);
}

/* One process of the scan.  Anything that fails to read is a process
 * that exited meanwhile, or not one at all: skipped quietly.  Files are
 * opened by their path relative to <procfs>.  A process new to the cache
 * costs its cmdline (every process: whatever its command name says,
 * QEMU's -name process= renames it) and, for QEMU, its stat; a QEMU
 * process in the cache costs its stat alone, through the descriptor kept
 * from the scan before when the budget allows (util/statfds.h), while
 * the stat says it is the same process (struct cached). */
static int scan_one(int procfd, const char *dname, pid_t pid, void *arg)
{
	struct scan_pass *sp = arg;
	struct qemu_backend *b = sp->b;
	char rel[32];
	size_t len;
	struct proc_stat st;
	int rc;

	/* A process an earlier backend's domain runs is that domain: not
	 * even its command line is read. */
	if (sp->nknown && bsearch(&pid, sp->known, sp->nknown, sizeof(pid), cmp_pid))
		return 0;
	struct nametab_node *n = may_be_cached(b, pid) ? nametab_find(&b->cache, dname) : NULL;
	struct cached *e = n ? nametab_entry(n, struct cached, node) : NULL;
	if (e && e->id_known) {
		/* A kept descriptor fails once its process is gone, whatever
		 * now runs under the pid: that is a new process, read below. */
		bool kept = e->stat_fd >= 0;
		int r = statfds_read(&b->fds, &e->stat_fd, procfd, dname, &st);
		if (r < 0 && !kept)
			return 0; /* gone: not seen, so the sweep drops the entry */
		if (r == 0 && !running(&st))
			return 0;
		if (r == 0 && e->id_start == st.starttime && strcmp(e->comm, st.comm) == 0)
			return take_cached(sp, e, procfd, dname, pid, &st);
	}
	if (path_join3(rel, sizeof(rel), dname, "/", "cmdline") < 0)
		return 0;
	if (read_file_at_once(procfd, rel, b->text, PARSE_MAX_FILE, &len) < 0 || len == 0 ||
	    !qemu_cmdline_is_qemu(b->text, len))
		return 0;
	e = cache_get(sp, dname, pid, len, &rc);
	if (!e)
		return rc;
	/* The stat read after the command line: the process it names ran
	 * that command line (or a later one, which the next scan sees). */
	if (statfds_read(&b->fds, &e->stat_fd, procfd, dname, &st) < 0 || !running(&st))
		return 0;
	e->id_known = true;
	e->id_start = st.starttime;
	memcpy(e->comm, st.comm, sizeof(e->comm));
	return take_cached(sp, e, procfd, dname, pid, &st);
}

static int cmp_proc(const void *x, const void *y)
{
	const struct qemu_proc *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static void name_add(struct qemu_backend *b, const char *name)
{
	/* nodes[] was sized for every name of this collection. */
	if (b->nnodes < b->anodes)
		nametab_add(&b->names, &b->nodes[b->nnodes++].node, name);
}

/* The label of p: its own name, or one made unique.  Into out. */
static int unique_name(const struct qemu_backend *b, const struct qemu_proc *p, struct buf *out)
{
	buf_reset(out);
	if (!p->name) {
		buf_puts(out, "qemu-pid-");
		buf_put_u64(out, (uint64_t)p->pid);
	} else {
		utf8_put_valid(out, p->name);
		if (nametab_find(&b->names, out->data ? out->data : "")) {
			buf_puts(out, "#");
			if (p->vmid[0]) {
				buf_puts(out, p->vmid);
			} else {
				buf_puts(out, "pid");
				buf_put_u64(out, (uint64_t)p->pid);
			}
		}
	}
	if (buf_failed(out))
		return out->err;
	return nametab_find(&b->names, out->data) ? -EEXIST : 0;
}

static int publish(struct qemu_backend *b, struct snapshot *s)
{
	struct buf name;
	int rc = 0;
	buf_init(&name, QEMU_NAME_MAX + 32);
	/* /proc lists processes by pid, which mostly is the order of their
	 * start: sorted already then. */
	bool sorted = true;
	for (size_t i = 1; i < b->nprocs && sorted; i++)
		sorted = cmp_proc(&b->procs[i - 1], &b->procs[i]) < 0;
	if (!sorted)
		qsort(b->procs, b->nprocs, sizeof(*b->procs), cmp_proc);
	for (size_t i = 0; i < b->nprocs; i++) {
		const struct qemu_proc *p = &b->procs[i];
		int r = unique_name(b, p, &name);
		if (r == -EEXIST) {
			complain_key(b->o->env.log, b->complaints, name.data,
			             "QEMU pid %d: its name is taken twice over; not reported", (int)p->pid);
			continue;
		}
		if (r < 0) {
			rc = r;
			break;
		}
		struct dom_snap *d = snapshot_add_domain(s, name.data, p->uuid[0] ? p->uuid : NULL);
		if (!d) {
			rc = -ENOMEM;
			break;
		}
		name_add(b, d->name);
		d->source = p->source;
		memcpy(d->vmid, p->vmid, sizeof(d->vmid));
		d->pid = p->pid;
		d->config = p->config;
		/* A stopped process (SIGSTOP, a debugger) runs no guest. */
		mval_set_u64(&d->f[DF_STATE],
		             p->state == 'T' || p->state == 't' ? DOM_STATE_PAUSED : DOM_STATE_RUNNING);
		d->f[DF_MEMORY_MAXIMUM_BYTES] = p->memory;
		d->f[DF_RSS_BYTES] = p->rss;
		d->f[DF_VIRTIO_MEM_SIZE_BYTES] = p->vmem_size;
		d->f[DF_VIRTIO_MEM_REQUESTED_BYTES] = p->vmem_requested;
	}
	buf_free(&name);
	return rc;
}

/* Empties the name table, makes room for want names and links the names
 * of s->doms (other backends' domains) again.  The table links nodes by
 * address, so they are unlinked before their array moves. */
static int names_reset(struct qemu_backend *b, const struct snapshot *s, size_t want)
{
	nametab_sweep(&b->names, drop_all, NULL);
	b->nnodes = 0;
	if (want > b->anodes) {
		struct name_node *n = realloc(b->nodes, want * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->nodes = n;
		b->anodes = want;
	}
	for (size_t i = 0; i < s->ndoms; i++)
		name_add(b, s->doms[i].name);
	return 0;
}

/* The pids of the domains listed so far (the collection found them before
 * this backend runs: skips_known_pids), sorted for bisection. */
static int known_pids(struct qemu_backend *b, const struct snapshot *s, struct scan_pass *sp)
{
	if (s->ndoms > b->aknown) {
		pid_t *p = realloc(b->known, s->ndoms * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->known = p;
		b->aknown = s->ndoms;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->ndoms; i++)
		if (s->doms[i].pid > 0)
			b->known[n++] = s->doms[i].pid;
	if (n > 1)
		qsort(b->known, n, sizeof(*b->known), cmp_pid);
	sp->known = b->known;
	sp->nknown = n;
	return 0;
}

static int collect(void *self, struct snapshot *s)
{
	struct qemu_backend *b = self;
	struct scan_pass sp = {.b = b, .libvirt_names = &b->names};

	complaint_set_begin(b->complaints);
	procs_clear(b);
	b->gen++;
	statfds_budget(&b->fds);
	qemu_pve_begin(&b->pve);
	/* The names other backends listed, so libvirt's processes stay
	 * libvirt's and no name is taken twice. */
	int rc = names_reset(b, s, s->ndoms);
	if (rc == 0)
		rc = known_pids(b, s, &sp);
	if (rc == 0)
		rc = proc_each_pid(procfs(b), scan_one, &sp);
	if (rc < 0 && rc != -ENOMEM)
		complain(b->o->env.log, &b->scan_fail, "%s: cannot scan for QEMU processes: %s", procfs(b),
		         strerrordesc_np(-rc));
	else if (rc == 0)
		complain_release(b->o->env.log, &b->scan_fail, "%s: scanning for QEMU processes again", procfs(b));
	if (rc == 0)
		rc = names_reset(b, s, s->ndoms + b->nprocs);
	if (rc == 0 && snapshot_reserve_domains(s, b->nprocs) != 0)
		rc = -ENOMEM;
	if (rc == 0)
		rc = publish(b, s);
	procs_clear(b);
	/* Processes this scan did not find are gone (or libvirt's now). */
	memset(b->cached_pids, 0, sizeof(b->cached_pids));
	nametab_sweep(&b->cache, drop_unseen, b);
	/* The names belong to this snapshot: none may outlive it here. */
	nametab_sweep(&b->names, drop_all, NULL);
	b->nnodes = 0;
	complaint_set_sweep(b->complaints);
	return rc;
}

const struct collector_def collector_qemu = {
    .name = "qemu",
    .help = "QEMU processes found in /proc (Proxmox VE, KubeVirt, QEMU without libvirt)",
    .kind = COLLECTOR_BACKEND,
    .default_on = true,
    .create = create,
    .destroy = destroy,
    .collect = collect,
    .skips_known_pids = true,
};
