/* model.c - overcommit, ballooned out, guest used, rates and flags from a snapshot. */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/catalogue.h"

/* A domain's cumulative values, kept for the next collection's rates. */
struct top_prev_dom {
	char *name;
	struct mval swap; /* guest swap in + out, bytes */
	struct mval psi;  /* cgroup pressure, seconds */
};

static const struct {
	char letter;
	const char *meaning;
} flag_info[TF_COUNT] = {
    {'P', "stats period 0: the guest's values are never refreshed"},
    {'S', "stale: the guest's last report is older than three stats periods"},
    {'K', "stats skipped: the VM did not answer (busy job or stuck monitor)"},
    {'O', "KSM opted out (nosharepages or mem-merge=off)"},
    {'H', "hugepages: KSM does not merge them"},
    {'L', "locked memory: the host cannot swap it"},
    {'N', "no balloon device: current is always the maximum"},
    {'R', "free page reporting: host RSS falls without a balloon change"},
    {'D', "deflate on OOM: the guest deflates the balloon itself"},
};

char top_flag_letter(int i)
{
	return i >= 0 && i < TF_COUNT ? flag_info[i].letter : '?';
}

const char *top_flag_meaning(int i)
{
	return i >= 0 && i < TF_COUNT ? flag_info[i].meaning : "";
}

const char *top_state_name(int64_t state)
{
	switch (state) {
	case DOM_STATE_RUNNING:
		return "running";
	case DOM_STATE_BLOCKED:
		return "blocked";
	case DOM_STATE_PAUSED:
		return "paused";
	case DOM_STATE_SHUTDOWN:
		return "shutdown";
	case DOM_STATE_SHUTOFF:
		return "shutoff";
	case DOM_STATE_CRASHED:
		return "crashed";
	case DOM_STATE_PMSUSPENDED:
		return "pmsusp";
	default:
		return "nostate";
	}
}

/* The field of a per-domain family another collector may add; -1 when
 * this build has no such family, so the column never appears. */
static int domain_field(const char *family)
{
	const struct family *f = catalogue_find(family);

	return f != NULL && f->source == SRC_DOMAIN && f->field >= 0 ? f->field : -1;
}

void top_model_init(struct top_model *m)
{
	memset(m, 0, sizeof(*m));
	m->cost_field = domain_field("kvmmem_domain_host_memory_bytes");
	m->psi_field = domain_field("kvmmem_domain_host_memory_pressure_waiting_seconds_total");
}

static void free_prev(struct top_prev_dom *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].name);
	free(p);
}

void top_model_free(struct top_model *m)
{
	free_prev(m->prev_doms, m->nprev);
	m->prev_doms = NULL;
	m->nprev = 0;
}

void top_view_clear(struct top_view *v)
{
	for (size_t i = 0; i < v->nrows; i++)
		free(v->rows[i].name);
	free(v->rows);
	memset(v, 0, sizeof(*v));
}

static bool get_u(const struct mval *m, uint64_t *out)
{
	if (!m->present)
		return false;
	if (m->kind == MV_U64)
		*out = m->v.u;
	else if (m->kind == MV_I64 && m->v.i >= 0)
		*out = (uint64_t)m->v.i;
	else
		return false;
	return true;
}

/* a - b when both are present and a >= b (a counter that went back, a
 * restarted VM, has no rate). */
static bool delta(const struct mval *a, const struct mval *b, double *out)
{
	if (!a->present || !b->present)
		return false;
	double d = mval_as_double(a) - mval_as_double(b);
	if (d < 0)
		return false;
	*out = d;
	return true;
}

static void host_static(const struct snapshot *s, struct top_view *v)
{
	const struct mval *h = s->host;
	uint64_t sharing, shared, ps, zero;

	v->host[HV_MEM_TOTAL] = h[HF_MEM_TOTAL_BYTES];
	v->host[HV_MEM_AVAILABLE] = h[HF_MEM_AVAILABLE_BYTES];
	v->host[HV_KSM_RUN] = h[HF_KSM_RUN];
	v->host[HV_KSM_PROFIT] = h[HF_KSM_GENERAL_PROFIT];
	bool have_ps = get_u(&h[HF_PAGE_SIZE_BYTES], &ps);
	if (have_ps && get_u(&h[HF_KSM_PAGES_SHARING], &sharing))
		mval_set_u64(&v->host[HV_KSM_SAVED], sharing * ps);
	if (have_ps && get_u(&h[HF_KSM_ZERO_PAGES], &zero))
		mval_set_u64(&v->host[HV_KSM_ZERO], zero * ps);
	if (get_u(&h[HF_KSM_PAGES_SHARING], &sharing) && get_u(&h[HF_KSM_PAGES_SHARED], &shared) && shared > 0)
		mval_set_f64(&v->host[HV_KSM_RATIO], (double)sharing / (double)shared);
}

static void host_rates(struct top_model *m, const struct snapshot *s, double dt, struct top_view *v)
{
	const struct mval *h = s->host;
	double d;

	if (v->rates_ready && delta(&h[HF_KSMD_CPU_SECONDS], &m->prev_ksmd_cpu, &d))
		mval_set_f64(&v->host[HV_KSMD_CPU], 100.0 * d / dt);
	if (v->rates_ready && delta(&h[HF_KSM_COW], &m->prev_cow, &d))
		mval_set_f64(&v->host[HV_KSM_COW_RATE], d / dt);
	/* A full scan can take longer than a refresh: the last completed
	 * measure stays until the next scan completes. */
	if (v->rates_ready && delta(&h[HF_KSM_FULL_SCANS], &m->prev_full_scans, &d) && d > 0)
		mval_set_f64(&m->scan_time, dt / d);
	if (!h[HF_KSM_FULL_SCANS].present)
		m->scan_time.present = false;
	v->host[HV_KSM_SCAN_TIME] = m->scan_time;
	m->prev_ksmd_cpu = h[HF_KSMD_CPU_SECONDS];
	m->prev_cow = h[HF_KSM_COW];
	m->prev_full_scans = h[HF_KSM_FULL_SCANS];
}

static const struct top_prev_dom *find_prev(const struct top_model *m, const char *name)
{
	size_t lo = 0, hi = m->nprev;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->prev_doms[mid].name, name);
		if (c == 0)
			return &m->prev_doms[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static unsigned row_flags(const struct dom_snap *d, const struct top_row *r, time_t now)
{
	const struct mval *f = d->f;
	unsigned fl = 0;
	uint64_t period, upd, skipped;

	if (get_u(&f[DF_STATS_PERIOD_SECONDS], &period) && period == 0)
		fl |= TF_PERIOD0;
	if (get_u(&f[DF_STATS_PERIOD_SECONDS], &period) && period > 0 && get_u(&f[DF_GUEST_STATS_UPDATED], &upd) &&
	    (uint64_t)now > upd && (uint64_t)now - upd > 3 * period)
		fl |= TF_STALE;
	if (get_u(&f[DF_BALLOON_STATS_SKIPPED], &skipped) && skipped == 1)
		fl |= TF_SKIPPED;
	if (d->config.present && d->config.nosharepages)
		fl |= TF_NOKSM;
	if (d->config.present && d->config.hugepages)
		fl |= TF_HUGE;
	if (d->config.present && d->config.locked)
		fl |= TF_LOCKED;
	if (d->config.present && d->config.balloon != NULL && strcmp(d->config.balloon, "none") == 0)
		fl |= TF_NOBALLOON;
	if (d->config.present && d->config.free_page_reporting)
		fl |= TF_FPR;
	if (d->config.present && d->config.deflate_on_oom)
		fl |= TF_DEFLATE;
	(void)r;
	return fl;
}

static void row_values(const struct top_model *m, const struct snapshot *s, const struct dom_snap *d, double dt,
                       bool rates, time_t now, struct top_row *r)
{
	const struct mval *f = d->f;
	uint64_t a, b, ps;
	double dd;

	r->state = f[DF_STATE];
	r->v[COL_MAX] = f[DF_MEMORY_MAXIMUM_BYTES];
	r->v[COL_CUR] = f[DF_BALLOON_CURRENT_BYTES];
	if (get_u(&f[DF_MEMORY_MAXIMUM_BYTES], &a) && get_u(&f[DF_BALLOON_CURRENT_BYTES], &b) && a >= b)
		mval_set_u64(&r->v[COL_BALLOON], a - b);
	if (get_u(&f[DF_GUEST_AVAILABLE_BYTES], &a) && get_u(&f[DF_GUEST_USABLE_BYTES], &b) && a >= b)
		mval_set_u64(&r->v[COL_USED], a - b);
	r->v[COL_CACHE] = f[DF_GUEST_DISK_CACHES_BYTES];
	r->guest[TG_AVAILABLE] = f[DF_GUEST_AVAILABLE_BYTES];
	r->guest[TG_USABLE] = f[DF_GUEST_USABLE_BYTES];
	r->guest[TG_UNUSED] = f[DF_GUEST_UNUSED_BYTES];
	r->guest[TG_UPDATED] = f[DF_GUEST_STATS_UPDATED];
	if (get_u(&f[DF_GUEST_STATS_UPDATED], &a) && (uint64_t)now >= a)
		mval_set_u64(&r->v[COL_AGE], (uint64_t)now - a);
	if (get_u(&f[DF_KSM_MERGING_PAGES], &a) && get_u(&s->host[HF_PAGE_SIZE_BYTES], &ps))
		mval_set_u64(&r->v[COL_KSM], a * ps);
	r->v[COL_PROFIT] = f[DF_KSM_PROFIT_BYTES];
	r->v[COL_RSS] = f[DF_RSS_BYTES];
	if (m->cost_field >= 0)
		r->v[COL_COST] = f[m->cost_field];
	const struct top_prev_dom *p = rates ? find_prev(m, d->name) : NULL;
	struct mval swap = {0};
	if (get_u(&f[DF_GUEST_SWAP_IN_BYTES], &a) && get_u(&f[DF_GUEST_SWAP_OUT_BYTES], &b))
		mval_set_u64(&swap, a + b);
	if (p != NULL && delta(&swap, &p->swap, &dd))
		mval_set_f64(&r->v[COL_SWAP], dd / dt);
	if (p != NULL && m->psi_field >= 0 && delta(&f[m->psi_field], &p->psi, &dd))
		mval_set_f64(&r->v[COL_PSI], 100.0 * dd / dt);
	r->flags = row_flags(d, r, now);
}

/* The prev entry of a domain: its name and cumulative values. */
static int keep_prev(const struct top_model *m, const struct dom_snap *d, struct top_prev_dom *p)
{
	uint64_t a, b;

	memset(p, 0, sizeof(*p));
	p->name = strdup(d->name);
	if (p->name == NULL)
		return -ENOMEM;
	if (get_u(&d->f[DF_GUEST_SWAP_IN_BYTES], &a) && get_u(&d->f[DF_GUEST_SWAP_OUT_BYTES], &b))
		mval_set_u64(&p->swap, a + b);
	if (m->psi_field >= 0)
		p->psi = d->f[m->psi_field];
	return 0;
}

/* Counts of running domains missing a per-VM value, for the why line. */
struct missing {
	size_t running;
	size_t ksm, ksm_nopid;
	size_t cost;
};

static void count_missing(const struct top_model *m, const struct snapshot *s, struct missing *ms)
{
	memset(ms, 0, sizeof(*ms));
	for (size_t i = 0; i < s->ndoms; i++) {
		const struct dom_snap *d = &s->doms[i];
		uint64_t st;
		if (!get_u(&d->f[DF_STATE], &st) || !dom_state_has_process((enum dom_state)st))
			continue;
		ms->running++;
		if (!d->f[DF_KSM_MERGING_PAGES].present) {
			ms->ksm++;
			ms->ksm_nopid += d->pid == 0;
		}
		if (m->cost_field >= 0 && !d->f[m->cost_field].present)
			ms->cost++;
	}
}

static bool collector_ran(const struct snapshot *s, enum collector_id id)
{
	return s->coll[id].enabled && s->coll[id].ran;
}

/* One line saying why per-VM values are missing.  Permissions hit every
 * VM at once (QEMU's ksm_stat belongs to QEMU's user and is 0400), so
 * only KSM missing for every running domain is blamed on them.  cgroup
 * files are world-readable: missing everywhere, they were not found. */
static void why_line(const struct top_model *m, const struct snapshot *s, bool privileged, struct top_view *v)
{
	struct missing ms;
	const struct family *cf = m->cost_field >= 0 ? catalogue_find("kvmmem_domain_host_memory_bytes") : NULL;
	bool ksm_on = collector_ran(s, COLL_DOMAIN_KSM);
	bool cost_on = cf != NULL && collector_ran(s, cf->collector);
	char ksm[TOP_WHY_MAX] = "", cost[TOP_WHY_MAX] = "";

	count_missing(m, s, &ms);
	if (ms.running == 0)
		return;
	if (ksm_on && ms.ksm == ms.running && !privileged)
		snprintf(ksm, sizeof(ksm), "per-VM KSM unreadable: not root and no CAP_DAC_READ_SEARCH");
	else if (ksm_on && ms.ksm > 0 && ms.ksm == ms.ksm_nopid)
		snprintf(ksm, sizeof(ksm), "per-VM KSM missing for %zu of %zu running domains: no QEMU pid found",
		         ms.ksm, ms.running);
	if (cost_on && ms.cost == ms.running)
		snprintf(cost, sizeof(cost),
		         "host cost missing for every running domain: no memory cgroup scope found");
	snprintf(v->why, sizeof(v->why), "%s%s%s", ksm, ksm[0] != '\0' && cost[0] != '\0' ? "; " : "", cost);
}

static void host_sums(const struct snapshot *s, struct top_view *v)
{
	uint64_t sum_max = 0, out = 0, a, b, total;
	bool any = false, any_cur = false;

	for (size_t i = 0; i < s->ndoms; i++) {
		const struct mval *f = s->doms[i].f;
		uint64_t st;
		/* A VM without a process holds no host memory. */
		if (!get_u(&f[DF_STATE], &st) || !dom_state_has_process((enum dom_state)st))
			continue;
		if (!get_u(&f[DF_MEMORY_MAXIMUM_BYTES], &a))
			continue;
		any = true;
		/* Saturating: a garbage maximum must not wrap the sum. */
		sum_max = sum_max + a < sum_max ? UINT64_MAX : sum_max + a;
		if (get_u(&f[DF_BALLOON_CURRENT_BYTES], &b) && a >= b) {
			any_cur = true;
			out = out + (a - b) < out ? UINT64_MAX : out + (a - b);
		}
	}
	/* With no backend at all there are no domains to add up. */
	bool backend = false;
	for (int c = 0; c < COLL_COUNT; c++)
		backend |= collector_def((enum collector_id)c)->kind == COLLECTOR_BACKEND &&
		           collector_ran(s, (enum collector_id)c);
	if (!any && !backend)
		return;
	mval_set_u64(&v->host[HV_SUM_MAX], sum_max);
	/* Without any balloon's current size (QEMU found in /proc has none
	 * without QMP) what is ballooned out is unknown, not 0. */
	if (any_cur || !any)
		mval_set_u64(&v->host[HV_BALLOONED_OUT], out);
	if (get_u(&s->host[HF_MEM_TOTAL_BYTES], &total) && total > 0)
		mval_set_f64(&v->host[HV_OVERCOMMIT], (double)sum_max / (double)total);
}

static void view_columns(const struct top_model *m, const struct snapshot *s, struct top_view *v)
{
	for (size_t i = 0; i < v->nrows; i++)
		for (int c = 0; c < COL_COUNT; c++)
			v->has_col[c] |= v->rows[i].v[c].present;
	v->has_col[COL_NAME] = v->has_col[COL_STATE] = v->has_col[COL_FLAGS] = true;
	/* A rate column is there as soon as its counters are, so the first
	 * screen shows where the rates will be. */
	for (size_t i = 0; i < v->nrows && !v->has_col[COL_SWAP]; i++)
		v->has_col[COL_SWAP] = v->rows[i].v[COL_AGE].present;
	/* Pressure's column is there as soon as its counter is, and only then:
	 * a cgroup v1 memory controller has no pressure file, and a column
	 * of dashes that never fills would push real ones off a narrow screen. */
	for (size_t i = 0; m->psi_field >= 0 && i < s->ndoms && !v->has_col[COL_PSI]; i++)
		v->has_col[COL_PSI] = s->doms[i].f[m->psi_field].present;
}

int top_model_update(struct top_model *m, const struct snapshot *s, const struct top_clock *clk, bool privileged,
                     struct top_view *out)
{
	struct top_view v;
	struct top_prev_dom *prev = NULL;
	double dt = clk->mono - m->prev_mono;

	memset(&v, 0, sizeof(v));
	v.now = clk->wall;
	v.rates_ready = m->have_prev && dt > 0;
	if (s->ndoms > 0) {
		v.rows = calloc(s->ndoms, sizeof(*v.rows));
		prev = calloc(s->ndoms, sizeof(*prev));
		if (v.rows == NULL || prev == NULL)
			goto oom;
	}
	for (size_t i = 0; i < s->ndoms; i++) {
		struct top_row *r = &v.rows[i];
		r->name = strdup(s->doms[i].name);
		r->source = dom_source_name(s->doms[i].source);
		memcpy(r->vmid, s->doms[i].vmid, sizeof(r->vmid));
		r->vmid[sizeof(r->vmid) - 1] = '\0';
		v.nrows++;
		if (r->name == NULL || keep_prev(m, &s->doms[i], &prev[i]) != 0)
			goto oom;
		row_values(m, s, &s->doms[i], dt, v.rates_ready, clk->wall, r);
	}
	for (int c = 0; c < COLL_COUNT; c++)
		v.src[c] = (struct top_source){s->coll[c].enabled, s->coll[c].ran, s->coll[c].success};
	host_static(s, &v);
	host_sums(s, &v);
	host_rates(m, s, dt, &v);
	why_line(m, s, privileged, &v);
	view_columns(m, s, &v);
	free_prev(m->prev_doms, m->nprev);
	m->prev_doms = prev;
	m->nprev = s->ndoms;
	m->prev_mono = clk->mono;
	m->have_prev = true;
	*out = v;
	return 0;
oom:
	free_prev(prev, s->ndoms);
	top_view_clear(&v);
	memset(out, 0, sizeof(*out));
	return -ENOMEM;
}

/* qsort has no context argument: the column and direction of the sort in
 * progress.  kvmmem-top sorts on one thread only. */
static enum top_col sort_col;
static bool sort_reverse;

static int cmp_name(const struct top_row *a, const struct top_row *b)
{
	return strcmp(a->name, b->name);
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;
	const struct mval *x, *y;
	int c = 0;

	if (sort_col == COL_NAME) {
		c = cmp_name(a, b);
		return sort_reverse ? -c : c;
	}
	if (sort_col == COL_FLAGS) {
		c = (a->flags < b->flags) - (a->flags > b->flags);
		c = sort_reverse ? -c : c;
		return c != 0 ? c : cmp_name(a, b);
	}
	x = sort_col == COL_STATE ? &a->state : &a->v[sort_col];
	y = sort_col == COL_STATE ? &b->state : &b->v[sort_col];
	if (x->present != y->present)
		return x->present ? -1 : 1;
	if (x->present) {
		double dx = mval_as_double(x), dy = mval_as_double(y);
		/* Like top, the largest value comes first; states go by code. */
		c = sort_col == COL_STATE ? (dx > dy) - (dx < dy) : (dx < dy) - (dx > dy);
		c = sort_reverse ? -c : c;
	}
	return c != 0 ? c : cmp_name(a, b);
}

void top_view_sort(struct top_view *v, enum top_col col, bool reverse)
{
	if (v->nrows < 2 || col < 0 || col >= COL_COUNT)
		return;
	sort_col = col;
	sort_reverse = reverse;
	qsort(v->rows, v->nrows, sizeof(*v->rows), cmp_rows);
}

bool top_row_matches(const struct top_row *r, const char *filter)
{
	return filter == NULL || filter[0] == '\0' || strcasestr(r->name, filter) != NULL;
}
