/* json.c - the view as one JSON document. */
#include "json.h"

#include <math.h>
#include <string.h>

#include "table.h"
#include "utf8.h"

static const char *const flag_names[TF_COUNT] = {
    "stats_period_0", "stale",      "stats_skipped",       "ksm_opt_out",    "hugepages",
    "locked",         "no_balloon", "free_page_reporting", "deflate_on_oom",
};

int top_json_string(struct buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	buf_putc(b, '"');
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*s++);
		} else if (*s == '\n') {
			buf_puts(b, "\\n");
			s++;
		} else if (*s == '\t') {
			buf_puts(b, "\\t");
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			char u[7] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15], '\0'};
			buf_puts(b, u);
			s++;
		} else if (*s < 0x80) {
			buf_putc(b, (char)*s++);
		} else {
			uint32_t cp;
			size_t n = utf8_seq(s, &cp);
			if (n == 0) {
				buf_puts(b, "\\ufffd");
				s++;
			} else {
				buf_append(b, s, n);
				s += n;
			}
		}
	}
	buf_putc(b, '"');
	return b->err;
}

/* "key":value with null for an absent value or a non-finite double. */
static void kv(struct buf *b, bool *first, const char *key, const struct mval *m)
{
	if (!*first)
		buf_putc(b, ',');
	*first = false;
	buf_printf(b, "\"%s\":", key);
	if (!m->present)
		buf_puts(b, "null");
	else if (m->kind == MV_U64)
		buf_put_u64(b, m->v.u);
	else if (m->kind == MV_I64)
		buf_put_i64(b, m->v.i);
	else if (!isfinite(m->v.f))
		buf_puts(b, "null");
	else
		buf_put_double(b, m->v.f);
}

static void host(const struct top_view *v, struct buf *b)
{
	static const char *const keys[HV_COUNT] = {
	    [HV_MEM_TOTAL] = "memory_total_bytes",      [HV_MEM_AVAILABLE] = "memory_available_bytes",
	    [HV_SUM_MAX] = "domains_maximum_bytes",     [HV_OVERCOMMIT] = "overcommit_ratio",
	    [HV_BALLOONED_OUT] = "ballooned_out_bytes", [HV_KSM_RUN] = "ksm_run",
	    [HV_KSM_SAVED] = "ksm_saved_bytes",         [HV_KSM_PROFIT] = "ksm_general_profit_bytes",
	    [HV_KSM_RATIO] = "ksm_sharing_ratio",       [HV_KSM_ZERO] = "ksm_zero_pages_bytes",
	    [HV_KSMD_CPU] = "ksmd_cpu_percent",         [HV_KSM_SCAN_TIME] = "ksm_full_scan_seconds",
	    [HV_KSM_COW_RATE] = "ksm_cow_per_second",
	};
	bool first = true;

	buf_puts(b, "\"host\":{");
	for (int i = 0; i < HV_COUNT; i++)
		kv(b, &first, keys[i], &v->host[i]);
	buf_puts(b, "},\"sources\":{");
	for (int c = 0; c < COLL_COUNT; c++) {
		const struct top_source *s = &v->src[c];
		buf_printf(b, "%s\"%s\":{\"enabled\":%s,\"ran\":%s,\"success\":%s}", c > 0 ? "," : "",
		           collector_name((enum collector_id)c), s->enabled ? "true" : "false",
		           s->ran ? "true" : "false", s->success ? "true" : "false");
	}
	buf_puts(b, "},\"why\":");
	if (v->why[0] != '\0')
		top_json_string(b, v->why);
	else
		buf_puts(b, "null");
}

static void row(const struct top_row *r, struct buf *b)
{
	static const char *const keys[COL_COUNT] = {
	    [COL_MAX] = "maximum_bytes",
	    [COL_CUR] = "current_bytes",
	    [COL_BALLOON] = "ballooned_out_bytes",
	    [COL_USED] = "guest_used_bytes",
	    [COL_CACHE] = "guest_disk_caches_bytes",
	    [COL_SWAP] = "guest_swap_bytes_per_second",
	    [COL_AGE] = "guest_report_age_seconds",
	    [COL_KSM] = "ksm_merged_bytes",
	    [COL_PROFIT] = "ksm_profit_bytes",
	    [COL_RSS] = "rss_bytes",
	    [COL_COST] = "host_memory_bytes",
	    [COL_PSI] = "host_memory_pressure_percent",
	};
	static const char *const guest_keys[TG_COUNT] = {
	    [TG_AVAILABLE] = "guest_available_bytes",
	    [TG_USABLE] = "guest_usable_bytes",
	    [TG_UNUSED] = "guest_unused_bytes",
	    [TG_UPDATED] = "guest_stats_updated_timestamp_seconds",
	};
	bool first = false;

	buf_puts(b, "{\"name\":");
	top_json_string(b, r->name);
	buf_printf(b, ",\"source\":\"%s\",\"vmid\":", r->source != NULL ? r->source : "libvirt");
	if (r->vmid[0] != '\0')
		top_json_string(b, r->vmid);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"state\":");
	if (r->state.present)
		buf_printf(b, "\"%s\"", top_state_name(r->state.v.i));
	else
		buf_puts(b, "null");
	for (int c = 0; c < COL_COUNT; c++)
		if (keys[c] != NULL)
			kv(b, &first, keys[c], &r->v[c]);
	for (int g = 0; g < TG_COUNT; g++)
		kv(b, &first, guest_keys[g], &r->guest[g]);
	buf_puts(b, ",\"flags\":[");
	bool firstf = true;
	for (int i = 0; i < TF_COUNT; i++) {
		if (!(r->flags & (1u << i)))
			continue;
		buf_printf(b, "%s\"%s\"", firstf ? "" : ",", flag_names[i]);
		firstf = false;
	}
	buf_puts(b, "]}");
}

int top_json_view(const struct top_view *v, const char *filter, struct buf *b)
{
	buf_puts(b, "{\"time\":");
	buf_put_i64(b, (int64_t)v->now);
	buf_printf(b, ",\"rates_ready\":%s,", v->rates_ready ? "true" : "false");
	host(v, b);
	buf_puts(b, ",\"domains\":[");
	bool first = true;
	for (size_t i = 0; i < v->nrows; i++) {
		if (!top_row_matches(&v->rows[i], filter))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		row(&v->rows[i], b);
	}
	buf_puts(b, "]}\n");
	return b->err;
}
