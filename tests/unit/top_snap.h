/* top_snap.h - snapshots built by hand for the kvmmem-top unit tests. */
#ifndef KVMMEM_TEST_TOP_SNAP_H
#define KVMMEM_TEST_TOP_SNAP_H

#include <string.h>

#include "model/snapshot.h"

#define GiB (1024ULL * 1024 * 1024)
#define MiB (1024ULL * 1024)

/* A host of 16 GiB with KSM running and every collector successful. */
static inline void snap_host(struct snapshot *s)
{
	snapshot_init(s);
	mval_set_u64(&s->host[HF_MEM_TOTAL_BYTES], 16 * GiB);
	mval_set_u64(&s->host[HF_MEM_AVAILABLE_BYTES], 6 * GiB);
	mval_set_u64(&s->host[HF_PAGE_SIZE_BYTES], 4096);
	mval_set_u64(&s->host[HF_KSM_RUN], 1);
	mval_set_u64(&s->host[HF_KSM_PAGES_SHARED], 1000);
	mval_set_u64(&s->host[HF_KSM_PAGES_SHARING], 4000);
	mval_set_i64(&s->host[HF_KSM_GENERAL_PROFIT], 15 * (int64_t)MiB);
	mval_set_u64(&s->host[HF_KSM_ZERO_PAGES], 256);
	mval_set_u64(&s->host[HF_KSM_FULL_SCANS], 10);
	mval_set_f64(&s->host[HF_KSMD_CPU_SECONDS], 100.0);
	mval_set_u64(&s->host[HF_KSM_COW], 500);
	for (int c = 0; c < COLL_COUNT; c++)
		s->coll[c] = (struct coll_status){true, true, true, 0.001};
}

/* A domain with state, maximum and current (0: absent). */
static inline struct dom_snap *snap_dom(struct snapshot *s, const char *name, enum dom_state st, uint64_t max,
                                        uint64_t cur)
{
	struct dom_snap *d = snapshot_add_domain(s, name, NULL);
	if (d == NULL)
		return NULL;
	mval_set_u64(&d->f[DF_STATE], st);
	if (max > 0)
		mval_set_u64(&d->f[DF_MEMORY_MAXIMUM_BYTES], max);
	if (cur > 0)
		mval_set_u64(&d->f[DF_BALLOON_CURRENT_BYTES], cur);
	d->config = (struct domain_config){.present = true, .balloon = "virtio"};
	d->pid = st == DOM_STATE_SHUTOFF ? 0 : 1000;
	return d;
}

/* The guest's own view, as a balloon driver with stats reports it. */
static inline void snap_guest(struct dom_snap *d, uint64_t avail, uint64_t usable, uint64_t caches, uint64_t updated)
{
	mval_set_u64(&d->f[DF_STATS_PERIOD_SECONDS], 5);
	mval_set_u64(&d->f[DF_GUEST_AVAILABLE_BYTES], avail);
	mval_set_u64(&d->f[DF_GUEST_USABLE_BYTES], usable);
	mval_set_u64(&d->f[DF_GUEST_DISK_CACHES_BYTES], caches);
	mval_set_u64(&d->f[DF_GUEST_SWAP_IN_BYTES], 0);
	mval_set_u64(&d->f[DF_GUEST_SWAP_OUT_BYTES], 0);
	mval_set_u64(&d->f[DF_GUEST_STATS_UPDATED], updated);
	mval_set_u64(&d->f[DF_BALLOON_STATS_SKIPPED], 0);
}

static inline void snap_ksm(struct dom_snap *d, uint64_t merging_pages, int64_t profit)
{
	mval_set_u64(&d->f[DF_KSM_MERGING_PAGES], merging_pages);
	mval_set_i64(&d->f[DF_KSM_PROFIT_BYTES], profit);
}

#endif
