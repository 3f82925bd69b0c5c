/*
 * catalogue.h - every metric family kvmmem exports, named once.
 *
 * The exporter's exposition, the collectd mapping, the README's metric
 * table and the dashboard checks all follow from this table.  A metric
 * that is not here does not exist.
 */
#ifndef KVMMEM_CATALOGUE_H
#define KVMMEM_CATALOGUE_H

#include <stddef.h>

#include "model/snapshot.h"

enum metric_type { MT_GAUGE = 0, MT_COUNTER };

/* Where a family's samples come from. */
enum fam_source {
	SRC_HOST,   /* snapshot.host[field], no labels */
	SRC_DOMAIN, /* dom_snap.f[field] for every domain, label domain */
	SRC_SPECIAL /* built by emit from several pieces (info metrics, self metrics) */
};

/* Stable identities, so front-ends can map families in tables. */
enum family_id {
	FAM_KSM_RUN,
	FAM_KSM_PAGES_SHARED,
	FAM_KSM_PAGES_SHARING,
	FAM_KSM_PAGES_UNSHARED,
	FAM_KSM_PAGES_VOLATILE,
	FAM_KSM_PAGES_SCANNED,
	FAM_KSM_PAGES_SKIPPED,
	FAM_KSM_FULL_SCANS,
	FAM_KSM_GENERAL_PROFIT,
	FAM_KSM_ZERO_PAGES,
	FAM_KSM_STABLE_NODE_CHAINS,
	FAM_KSM_STABLE_NODE_DUPS,
	FAM_KSM_PAGES_TO_SCAN,
	FAM_KSM_SLEEP,
	FAM_KSM_MERGE_ACROSS_NODES,
	FAM_KSM_MAX_PAGE_SHARING,
	FAM_KSM_USE_ZERO_PAGES,
	FAM_KSM_SMART_SCAN,
	FAM_KSM_STABLE_NODE_CHAINS_PRUNE,
	FAM_KSM_ADVISOR_MAX_CPU,
	FAM_KSM_ADVISOR_MIN_PAGES_TO_SCAN,
	FAM_KSM_ADVISOR_MAX_PAGES_TO_SCAN,
	FAM_KSM_ADVISOR_TARGET_SCAN_TIME,
	FAM_KSM_ADVISOR_INFO,
	FAM_KSMD_CPU,
	FAM_KSM_COW,
	FAM_KSM_SWAPIN_COPIES,
	FAM_HOST_PAGE_SIZE,
	FAM_HOST_MEMORY_TOTAL,
	FAM_HOST_MEMORY_AVAILABLE,
	FAM_LIBVIRT_UP,
	FAM_DOMAIN_INFO,
	FAM_DOMAIN_STATE,
	FAM_DOMAIN_MEMORY_MAXIMUM,
	FAM_DOMAIN_BALLOON_CURRENT,
	FAM_DOMAIN_STATS_PERIOD,
	FAM_DOMAIN_MEMORY_CONFIG_INFO,
	FAM_DOMAIN_VIRTIO_MEM_SIZE,
	FAM_DOMAIN_VIRTIO_MEM_REQUESTED,
	FAM_DOMAIN_VIRTIO_MEM_CURRENT,
	FAM_DOMAIN_GUEST_UNUSED,
	FAM_DOMAIN_GUEST_AVAILABLE,
	FAM_DOMAIN_GUEST_USABLE,
	FAM_DOMAIN_GUEST_DISK_CACHES,
	FAM_DOMAIN_GUEST_SWAP_IN,
	FAM_DOMAIN_GUEST_SWAP_OUT,
	FAM_DOMAIN_GUEST_MAJOR_FAULTS,
	FAM_DOMAIN_GUEST_MINOR_FAULTS,
	FAM_DOMAIN_GUEST_HUGETLB_ALLOCS,
	FAM_DOMAIN_GUEST_HUGETLB_FAILURES,
	FAM_DOMAIN_GUEST_STATS_UPDATED,
	FAM_DOMAIN_GUEST_OOM_KILLS,
	FAM_DOMAIN_GUEST_ALLOC_STALLS,
	FAM_DOMAIN_GUEST_ASYNC_SCAN,
	FAM_DOMAIN_GUEST_DIRECT_SCAN,
	FAM_DOMAIN_GUEST_ASYNC_RECLAIM,
	FAM_DOMAIN_GUEST_DIRECT_RECLAIM,
	FAM_DOMAIN_BALLOON_STATS_SKIPPED,
	FAM_DOMAIN_RSS,
	FAM_DOMAIN_KSM_MERGING_PAGES,
	FAM_DOMAIN_KSM_RMAP_ITEMS,
	FAM_DOMAIN_KSM_ZERO_PAGES,
	FAM_DOMAIN_KSM_PROFIT,
	FAM_DOMAIN_KSM_MERGEABLE,
	FAM_DOMAIN_KSM_MERGE_ANY,
	FAM_DOMAIN_HOST_MEMORY,
	FAM_DOMAIN_HOST_ANON,
	FAM_DOMAIN_HOST_FILE,
	FAM_DOMAIN_HOST_SHMEM,
	FAM_DOMAIN_HOST_KERNEL,
	FAM_DOMAIN_HOST_SWAP,
	FAM_DOMAIN_HOST_SWAP_CACHED,
	FAM_DOMAIN_HOST_LIMIT_HITS,
	FAM_DOMAIN_HOST_HIGH_HITS,
	FAM_DOMAIN_HOST_OOM_KILLS,
	FAM_DOMAIN_HOST_PRESSURE_WAITING,
	FAM_DOMAIN_HOST_PRESSURE_STALLED,
	FAM_DOMAIN_PROCESS_SWAP,
	FAM_SCRAPE_COLLECTOR_SUCCESS,
	FAM_SCRAPE_COLLECTOR_DURATION,
	FAM_BUILD_INFO,
	FAM_COUNT
};

/* The most labels a family has. */
#define FAM_MAX_LABELS 8

struct family {
	enum family_id id;
	const char *name;
	enum metric_type type;
	const char *unit; /* "bytes", "seconds", "pages", "ratio", "" (count or code) */
	/* Label names in the order of every sample's labels, NULL after the
	 * last: emit takes them from here, so no list is written twice. */
	const char *labels[FAM_MAX_LABELS + 1];
	const char *help; /* one sentence, no trailing period needed */
	enum fam_source source;
	int field;                   /* enum host_field or enum dom_field; -1 for SRC_SPECIAL */
	enum collector_id collector; /* whose switch turns the family off */
	bool self;                   /* exporter self-metric, emitted whatever the collectors do */
};

/* The table, in exposition order; catalogue[i].id == i. */
extern const struct family catalogue[FAM_COUNT];

/* How many labels the family has. */
size_t family_nlabels(const struct family *f);

/* Looks a family up by metric name; NULL when unknown. */
const struct family *catalogue_find(const char *name);

#endif
