/*
 * libvirt_stats.c - typed parameters, memory stat tags and states of
 * libvirt in the model's fields and units.
 *
 * Typed parameters of virConnectGetAllDomainStats (STATE and BALLOON
 * groups, see virConnectGetAllDomainStats in libvirt-domain.c): sizes in
 * KiB, faults and hugetlb as counts, last-update in unix seconds.
 */
#include "backends/libvirt_stats.h"

#include <stdint.h>
#include <string.h>

#include "backends/libvirt_compat.h"

static const struct {
	const char *name;
	enum dom_field field;
	uint64_t scale;
} bulk_fields[] = {
    {"state.state", DF_STATE, 1},
    {"balloon.current", DF_BALLOON_CURRENT_BYTES, 1024},
    {"balloon.maximum", DF_MEMORY_MAXIMUM_BYTES, 1024},
    {"balloon.swap_in", DF_GUEST_SWAP_IN_BYTES, 1024},
    {"balloon.swap_out", DF_GUEST_SWAP_OUT_BYTES, 1024},
    {"balloon.major_fault", DF_GUEST_MAJOR_FAULTS, 1},
    {"balloon.minor_fault", DF_GUEST_MINOR_FAULTS, 1},
    {"balloon.unused", DF_GUEST_UNUSED_BYTES, 1024},
    {"balloon.available", DF_GUEST_AVAILABLE_BYTES, 1024},
    {"balloon.usable", DF_GUEST_USABLE_BYTES, 1024},
    {"balloon.last-update", DF_GUEST_STATS_UPDATED, 1},
    {"balloon.disk_caches", DF_GUEST_DISK_CACHES_BYTES, 1024},
    {"balloon.hugetlb_pgalloc", DF_GUEST_HUGETLB_ALLOCS, 1},
    {"balloon.hugetlb_pgfail", DF_GUEST_HUGETLB_FAILURES, 1},
    {"balloon.rss", DF_RSS_BYTES, 1024},
};

/* virDomainMemoryStats tags (virDomainMemoryStatTags) by tag number. */
static const struct {
	bool known;
	enum dom_field field;
	uint64_t scale;
} memstat_fields[VIR_DOMAIN_MEMORY_STAT_NR] = {
    [VIR_DOMAIN_MEMORY_STAT_SWAP_IN] = {true, DF_GUEST_SWAP_IN_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_SWAP_OUT] = {true, DF_GUEST_SWAP_OUT_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT] = {true, DF_GUEST_MAJOR_FAULTS, 1},
    [VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT] = {true, DF_GUEST_MINOR_FAULTS, 1},
    [VIR_DOMAIN_MEMORY_STAT_UNUSED] = {true, DF_GUEST_UNUSED_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_AVAILABLE] = {true, DF_GUEST_AVAILABLE_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON] = {true, DF_BALLOON_CURRENT_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_RSS] = {true, DF_RSS_BYTES, 1024},
#if HAVE_MEMSTAT_USABLE
    [VIR_DOMAIN_MEMORY_STAT_USABLE] = {true, DF_GUEST_USABLE_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE] = {true, DF_GUEST_STATS_UPDATED, 1},
#endif
#if HAVE_MEMSTAT_DISK_CACHES
    [VIR_DOMAIN_MEMORY_STAT_DISK_CACHES] = {true, DF_GUEST_DISK_CACHES_BYTES, 1024},
#endif
#if HAVE_MEMSTAT_HUGETLB
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC] = {true, DF_GUEST_HUGETLB_ALLOCS, 1},
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL] = {true, DF_GUEST_HUGETLB_FAILURES, 1},
#endif
};

/* virDomainState by value.  The model's codes are libvirt's numbers, but
 * each is named here so that a renumbering on either side shows. */
static const enum dom_state states[] = {
    [VIR_DOMAIN_NOSTATE] = DOM_STATE_NOSTATE,   [VIR_DOMAIN_RUNNING] = DOM_STATE_RUNNING,
    [VIR_DOMAIN_BLOCKED] = DOM_STATE_BLOCKED,   [VIR_DOMAIN_PAUSED] = DOM_STATE_PAUSED,
    [VIR_DOMAIN_SHUTDOWN] = DOM_STATE_SHUTDOWN, [VIR_DOMAIN_SHUTOFF] = DOM_STATE_SHUTOFF,
    [VIR_DOMAIN_CRASHED] = DOM_STATE_CRASHED,   [VIR_DOMAIN_PMSUSPENDED] = DOM_STATE_PMSUSPENDED,
};

enum dom_state libvirt_state(uint64_t vir_state)
{
	return vir_state < sizeof(states) / sizeof(states[0]) ? states[vir_state] : DOM_STATE_NOSTATE;
}

static void set_scaled(struct dom_snap *d, enum dom_field f, uint64_t v, uint64_t scale)
{
	if (v > UINT64_MAX / scale)
		return;
	/* A guest that never reported has last-update 0: absent, not 1970. */
	if (f == DF_GUEST_STATS_UPDATED && v == 0)
		return;
	if (f == DF_STATE)
		v = libvirt_state(v);
	mval_set_u64(&d->f[f], v * scale);
}

static bool typed_u64(const virTypedParameter *p, uint64_t *out)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		if (p->value.i < 0)
			return false;
		*out = (uint64_t)p->value.i;
		return true;
	case VIR_TYPED_PARAM_UINT:
		*out = p->value.ui;
		return true;
	case VIR_TYPED_PARAM_LLONG:
		if (p->value.l < 0)
			return false;
		*out = (uint64_t)p->value.l;
		return true;
	case VIR_TYPED_PARAM_ULLONG:
		*out = p->value.ul;
		return true;
	default:
		return false;
	}
}

static bool is_balloon_field(const char *f)
{
	return strncmp(f, "balloon.", 8) == 0;
}

static bool is_definition_field(const char *f)
{
	return strcmp(f, "balloon.current") == 0 || strcmp(f, "balloon.maximum") == 0;
}

struct balloon_seen libvirt_scan_bulk(const virDomainStatsRecord *rec)
{
	struct balloon_seen b = {false, false};
	for (int i = 0; i < rec->nparams; i++) {
		const char *f = rec->params[i].field;
		if (!is_balloon_field(f))
			continue;
		b.any = true;
		if (!is_definition_field(f))
			b.guest = true;
	}
	return b;
}

void libvirt_map_bulk(const virDomainStatsRecord *rec, struct dom_snap *d)
{
	const size_t nf = sizeof(bulk_fields) / sizeof(bulk_fields[0]);
	/* The search starts after the previous match: libvirt gives the
	 * fields in table order, so a record costs about one compare per
	 * field instead of a scan of the table per field. */
	size_t next = 0;
	for (int i = 0; i < rec->nparams; i++) {
		const virTypedParameter *p = &rec->params[i];
		for (size_t j = 0; j < nf; j++) {
			size_t k = next + j < nf ? next + j : next + j - nf;
			uint64_t val;
			if (strcmp(p->field, bulk_fields[k].name) == 0) {
				if (typed_u64(p, &val))
					set_scaled(d, bulk_fields[k].field, val, bulk_fields[k].scale);
				next = k + 1 < nf ? k + 1 : 0;
				break;
			}
		}
	}
}

void libvirt_map_memstats(const virDomainMemoryStatStruct *st, int n, struct dom_snap *d)
{
	for (int i = 0; i < n && i < VIR_DOMAIN_MEMORY_STAT_NR; i++) {
		int tag = st[i].tag;
		if (tag < 0 || tag >= VIR_DOMAIN_MEMORY_STAT_NR || !memstat_fields[tag].known)
			continue;
		set_scaled(d, memstat_fields[tag].field, st[i].val, memstat_fields[tag].scale);
	}
}
