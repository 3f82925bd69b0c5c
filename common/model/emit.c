/* emit.c - snapshot to sink, in catalogue order. */
#include "model/emit.h"

#include <errno.h>
#include <stdbool.h>

/* Begins the family lazily, so families without samples stay silent. */
struct walk {
	const struct sink *sink;
	const struct family *fam;
	size_t nlabels;                      /* family_nlabels(fam) */
	struct label labels[FAM_MAX_LABELS]; /* the row's names, set once per family */
	bool begun;
};

static int walk_sample(struct walk *w, const struct dom_snap *dom, const struct label *labels, size_t n,
                       const struct mval *v)
{
	if (!v->present)
		return 0;
	if (!w->begun) {
		int r = w->sink->begin_family(w->sink->ctx, w->fam);
		if (r != 0)
			return r;
		w->begun = true;
	}
	return w->sink->sample(w->sink->ctx, w->fam, dom, labels, n, v);
}

/* One sample whose label values are given in the order of the family's
 * row; the names come from the row.  -EINVAL when the counts differ: a
 * family whose row and emitter disagree is a bug, not a partial output. */
static int walk_labeled(struct walk *w, const struct dom_snap *dom, const char *const *values, size_t n,
                        const struct mval *v)
{
	if (n != w->nlabels)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		w->labels[i].value = values[i];
	return walk_sample(w, dom, w->labels, n, v);
}

static const char *bool_label(bool b)
{
	return b ? "true" : "false";
}

static const struct mval one = {.present = true, .kind = MV_U64, .v.u = 1};

static int emit_domains(struct walk *w, const struct snapshot *s)
{
	const struct family *f = w->fam;
	int r = 0;

	for (size_t i = 0; i < s->ndoms && r == 0; i++) {
		const struct dom_snap *d = &s->doms[i];
		if (f->source == SRC_DOMAIN) {
			const char *v[] = {d->name};
			r = walk_labeled(w, d, v, 1, &d->f[f->field]);
		} else if (f->id == FAM_DOMAIN_INFO) {
			const char *v[] = {d->name, d->uuid, dom_source_name(d->source), d->vmid};
			r = walk_labeled(w, d, v, 4, &one);
		} else if (f->id == FAM_DOMAIN_MEMORY_CONFIG_INFO && d->config.present) {
			const char *v[] = {
			    d->name,
			    d->config.balloon != NULL ? d->config.balloon : "none",
			    bool_label(d->config.hugepages),
			    bool_label(!d->config.nosharepages),
			    bool_label(d->config.locked),
			    bool_label(d->config.free_page_reporting),
			    bool_label(d->config.deflate_on_oom),
			};
			r = walk_labeled(w, d, v, 7, &one);
		}
	}
	return r;
}

static int emit_collectors(struct walk *w, const struct snapshot *s)
{
	int r = 0;
	for (int c = 0; c < COLL_COUNT && r == 0; c++) {
		const struct coll_status *st = &s->coll[c];
		if (!st->enabled || !st->ran)
			continue;
		const char *name[] = {collector_name((enum collector_id)c)};
		struct mval v;
		if (w->fam->id == FAM_SCRAPE_COLLECTOR_SUCCESS)
			mval_set_u64(&v, st->success ? 1 : 0);
		else
			mval_set_f64(&v, st->duration_seconds);
		r = walk_labeled(w, NULL, name, 1, &v);
	}
	return r;
}

static int emit_special(struct walk *w, const struct snapshot *s, const struct build_labels *build)
{
	switch (w->fam->id) {
	case FAM_KSM_ADVISOR_INFO: {
		if (s->advisor_mode[0] == '\0')
			return 0;
		const char *v[] = {s->advisor_mode};
		return walk_labeled(w, NULL, v, 1, &one);
	}
	case FAM_LIBVIRT_UP: {
		/* A backend is up when its collector succeeded. */
		const struct coll_status *st = &s->coll[w->fam->collector];
		if (!st->ran)
			return 0;
		struct mval up;
		mval_set_u64(&up, st->success ? 1 : 0);
		return walk_labeled(w, NULL, NULL, 0, &up);
	}
	case FAM_DOMAIN_INFO:
	case FAM_DOMAIN_MEMORY_CONFIG_INFO:
		return emit_domains(w, s);
	case FAM_SCRAPE_COLLECTOR_SUCCESS:
	case FAM_SCRAPE_COLLECTOR_DURATION:
		return emit_collectors(w, s);
	case FAM_BUILD_INFO: {
		if (build == NULL)
			return 0;
		const char *v[] = {
		    build->version != NULL ? build->version : "",
		    build->revision != NULL ? build->revision : "",
		    build->libvirt_version != NULL ? build->libvirt_version : "",
		};
		return walk_labeled(w, NULL, v, 3, &one);
	}
	default:
		return 0;
	}
}

/* A family of a backend's domains is on while any backend is: every
 * backend fills the same per-domain fields (libvirt's row stands for
 * them all).  Other families follow their own collector's switch. */
static bool family_enabled(const struct snapshot *s, const struct family *f)
{
	if (s->coll[f->collector].enabled)
		return true;
	if (f->source == SRC_HOST || collector_def(f->collector)->kind != COLLECTOR_BACKEND || f->id == FAM_LIBVIRT_UP)
		return false;
	for (int c = 0; c < COLL_COUNT; c++)
		if (s->coll[c].enabled && collector_def((enum collector_id)c)->kind == COLLECTOR_BACKEND)
			return true;
	return false;
}

int emit_snapshot(const struct snapshot *s, const struct build_labels *build, const struct sink *sink)
{
	for (size_t i = 0; i < FAM_COUNT; i++) {
		const struct family *f = &catalogue[i];
		struct walk w = {.sink = sink, .fam = f, .nlabels = family_nlabels(f), .begun = false};
		for (size_t k = 0; k < w.nlabels; k++)
			w.labels[k].name = f->labels[k];
		int r;

		/* A collector that is switched off contributes nothing, even
		 * if a source happened to fill the field. */
		if (!f->self && f->collector < COLL_COUNT && !family_enabled(s, f))
			continue;
		switch (f->source) {
		case SRC_HOST:
			r = walk_labeled(&w, NULL, NULL, 0, &s->host[f->field]);
			break;
		case SRC_DOMAIN:
			r = emit_domains(&w, s);
			break;
		default:
			r = emit_special(&w, s, build);
			break;
		}
		if (r == 0 && w.begun && sink->end_family != NULL)
			r = sink->end_family(sink->ctx, f);
		if (r != 0)
			return r;
	}
	return 0;
}
