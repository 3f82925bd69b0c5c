/* dispatch.c - sink callbacks that build and send collectd value lists. */
#include "dispatch.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mapping.h"

/*
 * Appends src to dst[*len] within dstsz, NUL-terminated.  When it does not
 * fit, it stops before a UTF-8 continuation byte so the result stays valid
 * text, and returns -E2BIG.
 */
static int append(char *dst, size_t dstsz, size_t *len, const char *src)
{
	size_t n = strlen(src);
	size_t room = dstsz - 1 - *len;
	int r = 0;

	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
		r = -E2BIG;
	}
	memcpy(dst + *len, src, n);
	*len += n;
	dst[*len] = '\0';
	return r;
}

int cd_plugin_instance(const struct cd_conf *c, const struct dom_snap *dom, char *dst, size_t dstsz)
{
	size_t len = 0;
	int r = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < c->ninst && r == 0; i++) {
		if (i > 0)
			r = append(dst, dstsz, &len, ":");
		if (r == 0)
			r = append(dst, dstsz, &len, c->inst[i] == CD_INST_UUID ? dom->uuid : dom->name);
	}
	return r;
}

/* Whether the options let this sample through. */
static bool wanted(const struct cd_conf *c, const struct family *fam, const struct dom_snap *dom)
{
	if (dom == NULL)
		return fam->collector == COLL_LIBVIRT || c->report_host;
	if (fam->collector == COLL_DOMAIN_KSM && !c->report_domain_ksm)
		return false;
	if (fam->collector == COLL_CGROUP && !c->report_domain_cgroup)
		return false;
	if (fam->collector == COLL_LIBVIRT && !c->report_domains)
		return false;
	return cd_conf_domain_selected(c, dom->name);
}

/* The value in the type's data source; -ERANGE when DERIVE cannot hold it
 * (negative or beyond int64). */
static int convert(const struct cd_map *m, const struct mval *v, value_t *out)
{
	if (m->ds == CD_GAUGE) {
		out->gauge = mval_as_double(v) * m->scale;
		return 0;
	}
	if (v->kind == MV_U64 && m->scale == 1) {
		if (v->v.u > INT64_MAX)
			return -ERANGE;
		out->derive = (derive_t)v->v.u;
		return 0;
	}
	if (v->kind == MV_I64 && m->scale == 1) {
		if (v->v.i < 0)
			return -ERANGE;
		out->derive = v->v.i;
		return 0;
	}
	double d = mval_as_double(v) * m->scale;
	/* 9.2e18 stays below INT64_MAX after rounding to a double. */
	if (!isfinite(d) || d < 0 || d >= 9.2e18)
		return -ERANGE;
	out->derive = (derive_t)d;
	return 0;
}

static int d_begin(void *ctx, const struct family *fam)
{
	(void)ctx;
	(void)fam;
	return 0;
}

static int d_sample(void *ctx, const struct family *fam, const struct dom_snap *dom, const struct label *labels,
                    size_t nlabels, const struct mval *value)
{
	struct cd_dispatch *d = ctx;
	const struct cd_map *m = cd_map_get(fam->id);
	value_t v;
	value_list_t vl = VALUE_LIST_INIT;
	size_t len = 0;

	(void)labels;
	(void)nlabels;
	if (m == NULL || !wanted(d->conf, fam, dom))
		return 0;
	if (convert(m, value, &v) != 0) {
		d->failed++;
		complain_key(d->log, d->cs, fam->name, "value out of range for DERIVE, not sent (domain %s)",
		             dom != NULL ? dom->name : "-");
		return 0;
	}
	if (dom != NULL && cd_plugin_instance(d->conf, dom, vl.plugin_instance, sizeof(vl.plugin_instance)) != 0)
		complain_key(d->log, d->cs, dom->name, "plugin instance shortened to %zu bytes: \"%s\"",
		             strlen(vl.plugin_instance), vl.plugin_instance);
	/* The fixed names always fit; append() keeps them terminated. */
	append(vl.plugin, sizeof(vl.plugin), &len, CD_PLUGIN_NAME);
	len = 0;
	append(vl.type, sizeof(vl.type), &len, m->type);
	len = 0;
	append(vl.type_instance, sizeof(vl.type_instance), &len, m->type_instance);
	vl.values = &v;
	vl.values_len = 1;
	/* time, interval and host stay 0/empty: collectd fills in now, the
	 * plugin's interval and its Hostname. */
	if (plugin_dispatch_values(&vl) != 0) {
		d->failed++;
		complain_key(d->log, d->cs, "plugin_dispatch_values", "collectd refused %s/%s-%s", vl.plugin_instance,
		             m->type, m->type_instance);
		return 0;
	}
	d->sent++;
	return 0;
}

void cd_dispatch_sink(struct cd_dispatch *d, struct sink *out)
{
	out->ctx = d;
	out->begin_family = d_begin;
	out->sample = d_sample;
	out->end_family = NULL;
}
