/*
 * qmp.c - the qmp collector: balloon and guest memory values of the qemu
 * backend's VMs (Proxmox VE, plain QEMU) from their QMP monitors.
 *
 * Off by default: a QEMU monitor serves one client at a time, so while
 * kvmmem talks to it the platform's own client (pvestatd, qm) waits.  So
 * every VM gets one non-blocking connection per collection, at most
 * QMP_IN_FLIGHT of them open at once under one poll(), each closed as soon
 * as its last reply is in or its per-VM deadline (--qmp.timeout, counted
 * from its own connect) passes.  A window rather than every VM at once:
 * QEMU spends CPU on each exchange, and with hundreds of monitors asked at
 * once on a host with few cores the last answers wait for all the others,
 * so each monitor would be held for the whole round and the late ones
 * would miss their deadline; in a window each is held for about its own
 * exchange, and the round as a whole takes as long.  The collector starts
 * no connection that could end later than half the collection's deadline
 * (--scrape.timeout) after it began, so monitors that all hang leave the
 * scrape its time; a VM not reached is marked skipped.  A VM that does not
 * answer in time is marked kvmmem_domain_balloon_stats_skipped 1; a VM
 * that times out twice in a row is not asked again for a while (5 s,
 * doubling to 5 min), since one late answer is usually another client
 * holding the socket for a moment, two a stuck monitor.  libvirt's QEMUs
 * are never asked: libvirtd holds their monitors.
 *
 * The monitor path comes from /proc/<pid>/cmdline, read again here before
 * each connection rather than carried from the qemu backend: a socket is
 * asked only while the process that owns it says so in this collection,
 * and the snapshot keeps no per-collector strings.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backends/qemu_monitor.h"
#include "backends/qmp_exchange.h"
#include "model/collect.h"
#include "util/clock.h"
#include "util/complain.h"
#include "util/parse.h"

#define BACKOFF_FIRST_S 5.0
#define BACKOFF_MAX_S 300.0
#define READ_CHUNK 65536
/* Enough exchanges at once that a wake-up of the poll loop finds several
 * replies and every core of the host is kept busy in QEMU, few enough that
 * a monitor waits behind at most 63 others. */
#define QMP_IN_FLIGHT 64

/* What is remembered of a VM between collections. */
struct vm_state {
	pid_t pid;
	unsigned timeouts; /* in a row */
	double retry_at;   /* monotonic seconds; 0 when not backed off */
	bool seen;
	/* The command line its monitor was looked for in, and what was found:
	 * a QEMU's command line does not change, so it is parsed again only
	 * when the bytes read differ (the pid now being another process). */
	char *cmdline;
	size_t cmdlen;
	int mon_rc; /* of qemu_monitor_find() */
	struct qemu_monitor mon;
};

struct conn {
	size_t dom; /* index into s->doms */
	pid_t pid;
	int fd;          /* -1 before its connect and after its close */
	double deadline; /* monotonic seconds: its connect + the per-VM deadline */
	struct qmp_rx rx;
	struct qmp_xchg x;
	char path[QOPT_VAL_MAX];
};

struct qmp_coll {
	const struct collect_opts *o;
	char *text; /* a command line */
	char *chunk;
	struct complaint_set *complaints;
	struct complaint access;
	struct vm_state *vms;
	size_t nvms, avms;
	struct conn *conns; /* every VM to ask in this collection */
	size_t nconns, aconns;
	size_t live[QMP_IN_FLIGHT]; /* indexes into conns of the open ones */
	size_t nlive;
	struct pollfd pfds[QMP_IN_FLIGHT];
	int rc; /* of this collection */
};

static void destroy(void *self)
{
	struct qmp_coll *q = self;
	if (!q)
		return;
	for (size_t i = 0; i < q->nvms; i++)
		free(q->vms[i].cmdline);
	free(q->vms);
	free(q->conns);
	free(q->text);
	free(q->chunk);
	complaint_set_free(q->complaints);
	free(q);
}

static void *create(const struct collect_opts *o)
{
	struct qmp_coll *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->o = o;
	q->text = malloc(PARSE_MAX_FILE);
	q->chunk = malloc(READ_CHUNK);
	q->complaints = complaint_set_new();
	if (!q->text || !q->chunk || !q->complaints) {
		destroy(q);
		return NULL;
	}
	return q;
}

static const char *procfs(const struct qmp_coll *q)
{
	return q->o->env.procfs ? q->o->env.procfs : KVM_DEFAULT_PROCFS;
}

static struct vm_state *vm_get(struct qmp_coll *q, pid_t pid)
{
	for (size_t i = 0; i < q->nvms; i++)
		if (q->vms[i].pid == pid) {
			q->vms[i].seen = true;
			return &q->vms[i];
		}
	if (q->nvms == q->avms) {
		size_t n = q->avms ? q->avms * 2 : 16;
		struct vm_state *v = realloc(q->vms, n * sizeof(*v));
		if (!v)
			return NULL;
		q->vms = v;
		q->avms = n;
	}
	struct vm_state *v = &q->vms[q->nvms++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	v->seen = true;
	return v;
}

/* Forgets the VMs this collection did not list. */
static void vm_sweep(struct qmp_coll *q)
{
	size_t k = 0;
	for (size_t i = 0; i < q->nvms; i++) {
		if (!q->vms[i].seen) {
			free(q->vms[i].cmdline);
			continue;
		}
		q->vms[i].seen = false;
		if (k != i)
			q->vms[k] = q->vms[i];
		k++;
	}
	q->nvms = k;
}

static void set_skipped(struct dom_snap *d, bool skipped)
{
	mval_set_u64(&d->f[DF_BALLOON_STATS_SKIPPED], skipped ? 1 : 0);
}

/* Connects to path without blocking.  0 with *fd, or a negative errno. */
static int connect_unix(const char *path, int *fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int e = -errno;
		close(s);
		return e;
	}
	*fd = s;
	return 0;
}

static struct conn *conn_add(struct qmp_coll *q)
{
	if (q->nconns == q->aconns) {
		size_t n = q->aconns ? q->aconns * 2 : 16;
		struct conn *c = realloc(q->conns, n * sizeof(*c));
		if (!c)
			return NULL;
		q->conns = c;
		q->aconns = n;
	}
	return &q->conns[q->nconns++];
}

/* A connect() that failed at once: what it costs the VM and the log. */
static void connect_failed(struct qmp_coll *q, struct dom_snap *d, const char *path, int r)
{
	const struct kvm_log *lg = q->o->env.log;
	if (r == -EACCES || r == -EPERM) {
		complain(lg, &q->access,
		         "%s: cannot open QEMU monitors: %s (the qmp collector needs root or the socket's group)", path,
		         strerrordesc_np(-r));
		q->rc = r;
		return;
	}
	/* A full listen backlog: another client holds the monitor. */
	if (r == -EAGAIN) {
		set_skipped(d, true);
		return;
	}
	/* The VM is going away, or its monitor is not there yet. */
	if (r == -ENOENT || r == -ECONNREFUSED)
		return;
	complain_key(lg, q->complaints, path, "cannot connect to the QEMU monitor: %s", strerrordesc_np(-r));
}

/* Queues the exchange with domain i's monitor, if it has one to ask. */
static int prepare_one(struct qmp_coll *q, struct snapshot *s, size_t i, double now)
{
	struct dom_snap *d = &s->doms[i];
	char path[PATH_MAX];
	size_t len;
	/* Only the qemu backend's VMs: libvirtd holds its QEMUs' monitors. */
	if (d->pid <= 0 || d->source == DOM_SOURCE_LIBVIRT)
		return 0;
	/* A VM the front-end does not report is no reason to hold its monitor. */
	if (q->o->qmp.selected && !q->o->qmp.selected(q->o->qmp.selected_ctx, d->name))
		return 0;
	int pl = snprintf(path, sizeof(path), "%s/%d/cmdline", procfs(q), (int)d->pid);
	/* A process gone or a command line too long: nothing to ask. */
	if (pl < 0 || (size_t)pl >= sizeof(path) || read_file(path, q->text, PARSE_MAX_FILE, &len) < 0)
		return 0;
	struct vm_state *v = vm_get(q, d->pid);
	if (!v)
		return -ENOMEM;
	if (!v->cmdline || v->cmdlen != len || memcmp(v->cmdline, q->text, len) != 0) {
		char *copy = malloc(len + 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, q->text, len);
		free(v->cmdline);
		v->cmdline = copy;
		v->cmdlen = len;
		v->mon_rc = qemu_monitor_find(q->text, len, &v->mon);
	}
	const struct qemu_monitor *mon = &v->mon;
	/* No monitor or no balloon: nothing to ask. */
	if (v->mon_rc < 0 || !mon->balloon)
		return 0;
	/* A stopped process (SIGSTOP, a debugger) answers nothing. */
	if ((d->f[DF_STATE].present && d->f[DF_STATE].v.u == DOM_STATE_PAUSED) || v->retry_at > now) {
		set_skipped(d, true);
		return 0;
	}
	struct conn *c = conn_add(q);
	if (!c)
		return -ENOMEM;
	c->dom = i;
	c->pid = d->pid;
	c->fd = -1;
	qmp_rx_init(&c->rx, QMP_REPLY_MAX);
	qmp_xchg_init(&c->x, mon);
	memcpy(c->path, mon->path, sizeof(c->path));
	return 0;
}

/* Connects c, which then counts as open until finish_one(). */
static void conn_start(struct qmp_coll *q, struct snapshot *s, size_t k, double now, int per_vm)
{
	struct conn *c = &q->conns[k];
	int r = connect_unix(c->path, &c->fd);
	if (r < 0) {
		c->fd = -1;
		connect_failed(q, &s->doms[c->dom], c->path, r);
		return;
	}
	c->deadline = now + per_vm / 1000.0;
	q->live[q->nlive++] = k;
}

/* Reads what is there; the exchange moves on with each whole line. */
static void conn_read(struct qmp_coll *q, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, q->chunk, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->x.state = QX_FAILED;
			c->x.why = n == 0 ? "closed by QEMU" : "read failed";
			return;
		}
		int r = qmp_rx_append(&c->rx, q->chunk, (size_t)n);
		struct qmp_msg m;
		while (r == 0 && (r = qmp_rx_next(&c->rx, &m)) == 1) {
			qmp_xchg_feed(&c->x, &m);
			qmp_msg_free(&m);
			r = 0;
		}
		if (r < 0) {
			c->x.state = QX_FAILED;
			c->x.why = r == -EFBIG ? "a reply over 1 MiB" : r == -ENOMEM ? "out of memory" : "not QMP";
		}
		/* A short read emptied the socket: poll() says when more comes. */
		if (c->x.state == QX_DONE || c->x.state == QX_FAILED || (size_t)n < READ_CHUNK)
			return;
	}
}

static void conn_write(struct conn *c)
{
	while (c->x.outlen > 0) {
		ssize_t n = send(c->fd, c->x.out, c->x.outlen, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			c->x.state = QX_FAILED;
			c->x.why = "write failed";
			return;
		}
		qmp_xchg_sent(&c->x, (size_t)n);
	}
}

static bool conn_open(const struct conn *c)
{
	return c->fd >= 0 && c->x.state != QX_DONE && c->x.state != QX_FAILED;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	qmp_rx_free(&c->rx);
}

/* What one connection brought: its values into the domain, its VM's
 * back-off. */
static void finish_one(struct qmp_coll *q, struct snapshot *s, struct conn *c, double now)
{
	struct dom_snap *d = &s->doms[c->dom];
	struct vm_state *v = vm_get(q, c->pid);
	bool timed_out = conn_open(c);
	conn_close(c);
	if (c->x.state == QX_FAILED) {
		complain_key(q->o->env.log, q->complaints, c->path, "QEMU monitor: %s; its guest values are skipped",
		             c->x.why);
		set_skipped(d, true);
		return;
	}
	if (timed_out) {
		set_skipped(d, true);
		if (v && ++v->timeouts >= 2) {
			double wait = BACKOFF_FIRST_S;
			for (unsigned i = 2; i < v->timeouts && wait < BACKOFF_MAX_S; i++)
				wait *= 2;
			v->retry_at = now + (wait < BACKOFF_MAX_S ? wait : BACKOFF_MAX_S);
		}
		return;
	}
	complain_key_release(q->o->env.log, q->complaints, c->path, "QEMU monitor answers again");
	if (v) {
		v->timeouts = 0;
		v->retry_at = 0;
	}
	/* What the backend read from the command line (the maximum) stays. */
	for (int f = 0; f < DF_COUNT; f++)
		if (c->x.f[f].present && !d->f[f].present)
			d->f[f] = c->x.f[f];
	set_skipped(d, c->x.skipped_version);
}

/* Closes the open connection live[j] and takes in what it brought. */
static void live_finish(struct qmp_coll *q, struct snapshot *s, size_t j, double now)
{
	finish_one(q, s, &q->conns[q->live[j]], now);
	q->live[j] = q->live[--q->nlive];
}

/* Moves every open connection on by what poll() saw; ends the finished
 * ones at once (the platform's client may be waiting) and the late ones. */
static void live_service(struct qmp_coll *q, struct snapshot *s, double now)
{
	for (size_t j = q->nlive; j-- > 0;) {
		struct conn *c = &q->conns[q->live[j]];
		short ev = q->pfds[j].revents;
		if (ev & (POLLIN | POLLHUP | POLLERR))
			conn_read(q, c);
		if (conn_open(c) && (ev & POLLOUT))
			conn_write(c);
		if (!conn_open(c) || now >= c->deadline)
			live_finish(q, s, j, now);
	}
}

/*
 * Asks every queued VM, QMP_IN_FLIGHT at a time, each until it is done or
 * its own deadline passed; no connection starts after last_start.
 */
static void run_window(struct qmp_coll *q, struct snapshot *s, int per_vm, double last_start)
{
	size_t next = 0;
	double now = clock_mono_seconds();
	for (;;) {
		/* The first window starts whatever the budget: its deadlines
		 * are inside it. */
		while (q->nlive < QMP_IN_FLIGHT && next < q->nconns && (next < QMP_IN_FLIGHT || now <= last_start))
			conn_start(q, s, next++, now, per_vm);
		if (q->nlive == 0)
			break;
		double first = q->conns[q->live[0]].deadline;
		for (size_t j = 0; j < q->nlive; j++) {
			struct conn *c = &q->conns[q->live[j]];
			q->pfds[j].fd = c->fd;
			q->pfds[j].events = (short)(POLLIN | (c->x.outlen ? POLLOUT : 0));
			q->pfds[j].revents = 0;
			if (c->deadline < first)
				first = c->deadline;
		}
		double left_ms = (first - now) * 1000.0;
		int r = poll(q->pfds, q->nlive, left_ms <= 0 ? 0 : (int)left_ms + 1);
		if (r < 0 && errno != EINTR)
			break;
		now = clock_mono_seconds();
		live_service(q, s, now);
	}
	/* poll() failing (no memory for its table) leaves VMs open. */
	while (q->nlive > 0)
		live_finish(q, s, q->nlive - 1, now);
	/* The VMs the collection had no time left for. */
	for (size_t k = next; k < q->nconns; k++)
		set_skipped(&s->doms[q->conns[k].dom], true);
}

static int collect(void *self, struct snapshot *s)
{
	struct qmp_coll *q = self;
	double t0 = clock_mono_seconds();
	int per_vm = q->o->qmp.timeout_ms > 0 ? q->o->qmp.timeout_ms : QMP_DEFAULT_TIMEOUT_MS;
	int budget = q->o->timeout_ms > 0 ? q->o->timeout_ms / 2 : per_vm;
	if (budget < per_vm)
		per_vm = budget;
	int rc = 0;

	complaint_set_begin(q->complaints);
	q->rc = 0;
	q->nconns = 0;
	q->nlive = 0;
	for (size_t i = 0; i < s->ndoms && rc == 0; i++)
		rc = prepare_one(q, s, i, t0);
	run_window(q, s, per_vm, t0 + (budget - per_vm) / 1000.0);
	q->nconns = 0;
	vm_sweep(q);
	complaint_set_sweep(q->complaints);
	if (rc == 0 && q->rc == 0)
		complain_release(q->o->env.log, &q->access, "QEMU monitors can be opened again");
	return rc < 0 ? rc : q->rc;
}

const struct collector_def collector_qmp = {
    .name = "qmp",
    .help = "balloon and guest memory statistics from the QMP monitors of QEMU processes without libvirt "
            "(Proxmox VE, plain QEMU); needs root or the sockets' group",
    .kind = COLLECTOR_PER_DOMAIN,
    .default_on = false,
    .create = create,
    .destroy = destroy,
    .collect = collect,
};
