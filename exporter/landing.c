/* landing.c - the page at / and the first-run message, from a summary of each collection. */
#include "landing.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

/* The page is a few kilobytes even with every collector and state listed. */
#define PAGE_MAX (64 * 1024)

/* State names as virsh prints them, which operators already read. */
static const char *const state_names[FOUND_STATES] = {
    "no state", "running", "blocked", "paused", "shutting down", "shut off", "crashed", "pmsuspended",
};

static const char *const kind_names[] = {"host", "backend", "per-domain"};

void found_of(const struct snapshot *s, int collect_rc, uint64_t generation, struct found *f)
{
	memset(f, 0, sizeof(*f));
	f->present = true;
	f->generation = generation;
	f->collect_rc = collect_rc;
	memcpy(f->coll, s->coll, sizeof(f->coll));
	f->ndoms = s->ndoms;
	for (size_t i = 0; i < s->ndoms; i++) {
		const struct dom_snap *d = &s->doms[i];
		unsigned src = (unsigned)d->source < FOUND_SOURCES ? (unsigned)d->source : 0;
		uint64_t st = d->f[DF_STATE].present ? d->f[DF_STATE].v.u : 0;
		f->doms[src][st < FOUND_STATES ? st : 0]++;
	}
}

bool found_nothing(const struct found *f)
{
	const struct coll_status *lv = &f->coll[COLL_LIBVIRT];

	return f->present && f->ndoms == 0 && !(lv->enabled && lv->ran && lv->success);
}

/* QEMU processes the qemu backend found: its domains are Proxmox VE
 * guests or plain QEMU. */
static size_t qemu_domains(const struct found *f)
{
	size_t n = 0;

	for (unsigned st = 0; st < FOUND_STATES; st++)
		n += f->doms[DOM_SOURCE_PROXMOX][st] + f->doms[DOM_SOURCE_QEMU][st];
	return n;
}

static size_t libvirt_domains(const struct found *f)
{
	size_t n = 0;

	for (unsigned st = 0; st < FOUND_STATES; st++)
		n += f->doms[DOM_SOURCE_LIBVIRT][st];
	return n;
}

int found_nothing_lines(const struct collect_flags *flags, const struct found *f, struct buf *b)
{
	const struct coll_status *lv = &f->coll[COLL_LIBVIRT];
	const struct coll_status *qm = &f->coll[COLL_QEMU];

	buf_puts(b, "found no virtual machine on this host: ");
	if (lv->enabled)
		buf_printf(b, "libvirt at %s is not up", flags->libvirt_uri);
	else
		buf_puts(b, "libvirt is not asked (--no-collector.libvirt)");
	if (qm->enabled)
		buf_printf(b, " and no QEMU process runs in %s\n", flags->procfs);
	else
		buf_puts(b, " and QEMU processes are not looked for (--no-collector.qemu)\n");
	buf_puts(b, "the host metrics (KSM, memory) are served as usual; on a machine without VMs the per-domain "
	            "families are empty and that is right\n");
	buf_puts(b, "to see every family with sample data, run `make demo` in the source tree: it serves a bundled "
	            "sample host on the same port\n");
	return b->err;
}

void landing_put_html(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

/* The status word of a collector. */
static const char *status_of(const struct coll_status *st)
{
	if (!st->enabled)
		return "off";
	if (!st->ran)
		return "not run";
	return st->success ? "up" : "down";
}

/* Why a collector is off or down, or what an up backend found, escaped
 * into b; nothing when there is nothing to say. */
static void put_why(struct buf *b, enum collector_id id, const struct found *f, const struct collect_flags *flags)
{
	const struct collector_def *def = collector_def(id);
	const struct coll_status *st = &f->coll[id];
	struct buf t;

	buf_init(&t, 1024);
	if (!st->enabled && flags->collectors[id])
		buf_puts(&t, "no backend is enabled, so there is no domain to read");
	else if (!st->enabled && def->default_on)
		buf_printf(&t, "turned off by --no-collector.%s", def->name);
	else if (!st->enabled)
		buf_printf(&t, "off by default; --collector.%s turns it on", def->name);
	else if (st->ran && !st->success && id == COLL_LIBVIRT)
		buf_printf(&t,
		           "cannot list the domains at %s: libvirtd not running, no access to its socket, or too "
		           "slow; the log says which",
		           flags->libvirt_uri);
	else if (st->ran && !st->success)
		buf_puts(&t, "the collection failed; the log says why");
	else if (st->ran && id == COLL_LIBVIRT)
		buf_printf(&t, "%zu domains at %s", libvirt_domains(f), flags->libvirt_uri);
	else if (st->ran && id == COLL_QEMU)
		buf_printf(&t, "%zu QEMU processes without libvirt in %s", qemu_domains(f), flags->procfs);
	if (t.err == 0 && t.len > 0) {
		buf_putc(&t, '\0');
		landing_put_html(b, t.data);
	} else if (t.err != 0) {
		b->err = t.err;
	}
	buf_free(&t);
}

static void put_sources(struct buf *b, const struct found *f, const struct collect_flags *flags)
{
	buf_puts(b, "<h3>Sources</h3>\n<table>\n<tr><th>collector</th><th>kind</th><th>status</th><th>why</th></tr>\n");
	for (int i = 0; i < COLL_COUNT; i++) {
		const struct collector_def *def = collector_def((enum collector_id)i);
		buf_puts(b, "<tr><td>");
		landing_put_html(b, def->name);
		buf_printf(b, "</td><td>%s</td><td>%s</td><td>", kind_names[def->kind], status_of(&f->coll[i]));
		put_why(b, (enum collector_id)i, f, flags);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table>\n");
}

static void put_domains(struct buf *b, const struct found *f)
{
	buf_puts(b, "<h3>Domains</h3>\n<table>\n<tr><th>source</th><th>state</th><th>domains</th></tr>\n");
	for (unsigned src = 0; src < FOUND_SOURCES; src++) {
		for (unsigned st = 0; st < FOUND_STATES; st++) {
			if (f->doms[src][st] == 0)
				continue;
			buf_printf(b, "<tr><td>%s</td><td>%s</td><td>%zu</td></tr>\n", dom_source_name(src),
			           state_names[st], f->doms[src][st]);
		}
	}
	buf_printf(b, "<tr><td>all</td><td></td><td>%zu</td></tr>\n</table>\n", f->ndoms);
}

static void put_enabled(struct buf *b, const struct found *f)
{
	bool first = true;

	buf_puts(b, "<h3>Collectors enabled</h3>\n<p>");
	for (int i = 0; i < COLL_COUNT; i++) {
		if (!f->coll[i].enabled)
			continue;
		if (!first)
			buf_puts(b, ", ");
		landing_put_html(b, collector_name((enum collector_id)i));
		first = false;
	}
	buf_puts(b, first ? "none</p>\n" : "</p>\n");
}

int landing_render(const struct found *f, const struct landing_view *v, struct buf *b)
{
	buf_puts(b, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>kvmmem exporter</title></head>\n"
	            "<body>\n<h1>kvmmem exporter</h1>\n"
	            "<p>virtio-balloon and KSM memory metrics of this KVM host.</p>\n<ul>\n<li><a href=\"");
	landing_put_html(b, v->telemetry_path);
	buf_puts(b, "\">");
	landing_put_html(b, v->telemetry_path);
	buf_puts(b, "</a></li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n</ul>\n<h2>What this exporter "
	            "found</h2>\n");
	if (!f->present) {
		buf_puts(b, "<p>No collection has finished yet.</p>\n</body>\n</html>\n");
		return b->err;
	}
	buf_printf(b, "<p>As of collection %llu, %llu s ago%s.</p>\n", (unsigned long long)f->generation,
	           (unsigned long long)(v->age_s < 0 ? 0 : v->age_s),
	           f->collect_rc != 0 ? ", which collected nothing" : "");
	if (found_nothing(f))
		buf_puts(b, "<p>No virtual machine was found on this host: no domain from any backend and libvirt "
		            "not up. On a machine without VMs that is right. To see every family with sample data, "
		            "run <code>make demo</code> in the source tree.</p>\n");
	put_sources(b, f, v->flags);
	put_domains(b, f);
	put_enabled(b, f);
	buf_puts(b, "</body>\n</html>\n");
	return b->err;
}

struct landing {
	pthread_mutex_t lock;
	struct found latest; /* guarded by lock */
	double latest_at;    /* monotonic seconds, guarded by lock */
	bool told;           /* the first-run message was considered; only the collecting thread reads it */
	const struct collect_flags *flags;
	const char *telemetry_path;
	const struct kvm_log *log;
};

struct landing *landing_new(const struct collect_flags *flags, const char *telemetry_path, const struct kvm_log *log)
{
	struct landing *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return NULL;
	}
	l->flags = flags;
	l->telemetry_path = telemetry_path;
	l->log = log;
	return l;
}

void landing_free(struct landing *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* Logs each line of the first-run message at info: it explains, it does
 * not warn, since a machine without VMs is not broken. */
static void tell_nothing(const struct landing *l, const struct found *f)
{
	struct buf b;

	buf_init(&b, 4096);
	if (found_nothing_lines(l->flags, f, &b) == 0 && buf_putc(&b, '\0') == 0) {
		for (char *line = b.data, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
			*nl = '\0';
			log_info(l->log, "%s", line);
		}
	}
	buf_free(&b);
}

void landing_observe(void *ctx, const struct snapshot *s, int collect_rc, uint64_t generation)
{
	struct landing *l = ctx;
	struct found f;

	found_of(s, collect_rc, generation, &f);
	pthread_mutex_lock(&l->lock);
	l->latest = f;
	l->latest_at = clock_mono_seconds();
	pthread_mutex_unlock(&l->lock);
	if (!l->told) {
		l->told = true;
		if (found_nothing(&f))
			tell_nothing(l, &f);
	}
}

int landing_page(struct landing *l, char **data, size_t *len)
{
	struct landing_view v = {.telemetry_path = l->telemetry_path, .flags = l->flags};
	struct found f;
	struct buf b;
	int rc;

	pthread_mutex_lock(&l->lock);
	f = l->latest;
	v.age_s = clock_mono_seconds() - l->latest_at;
	pthread_mutex_unlock(&l->lock);
	buf_init(&b, PAGE_MAX);
	rc = landing_render(&f, &v, &b);
	if (rc == 0) {
		*data = buf_steal(&b, len);
		if (*data == NULL)
			rc = -ENOMEM;
	}
	buf_free(&b);
	return rc;
}
