/*
 * mapping.c - the catalogue to collectd types.db table.
 *
 * Types come from collectd's stock types.db: sizes in "memory" or "bytes"
 * (GAUGE, bytes), page counts in "vmpage_number", page events in
 * "vmpage_action" (DERIVE), swap traffic in "swap_io" (DERIVE, bytes),
 * durations in "duration" (GAUGE, seconds), the guest's report time in
 * "timestamp".  Signed values go to "gauge", whose range is U:U; every
 * other stock size type rejects negative values.  Counters are DERIVE
 * because a domain restart resets them, which DERIVE (unlike COUNTER)
 * does not mistake for a wrap-around.
 */
#include "mapping.h"

#include <stddef.h>

#define G(id_, type_, ti_) [id_] = {.type = type_, .type_instance = ti_, .ds = CD_GAUGE, .scale = 1}
#define DV(id_, type_, ti_) [id_] = {.type = type_, .type_instance = ti_, .ds = CD_DERIVE, .scale = 1}
#define NONE(id_, why_) [id_] = {.type = NULL, .type_instance = NULL, .note = why_}

const struct cd_map cd_mapping[FAM_COUNT] = {
    G(FAM_KSM_RUN, "gauge", "ksm_run"),
    G(FAM_KSM_PAGES_SHARED, "vmpage_number", "ksm_pages_shared"),
    G(FAM_KSM_PAGES_SHARING, "vmpage_number", "ksm_pages_sharing"),
    G(FAM_KSM_PAGES_UNSHARED, "vmpage_number", "ksm_pages_unshared"),
    G(FAM_KSM_PAGES_VOLATILE, "vmpage_number", "ksm_pages_volatile"),
    DV(FAM_KSM_PAGES_SCANNED, "vmpage_action", "ksm_pages_scanned"),
    DV(FAM_KSM_PAGES_SKIPPED, "vmpage_action", "ksm_pages_skipped"),
    DV(FAM_KSM_FULL_SCANS, "derive", "ksm_full_scans"),
    G(FAM_KSM_GENERAL_PROFIT, "gauge", "ksm_general_profit"),
    G(FAM_KSM_ZERO_PAGES, "vmpage_number", "ksm_zero_pages"),
    G(FAM_KSM_STABLE_NODE_CHAINS, "count", "ksm_stable_node_chains"),
    G(FAM_KSM_STABLE_NODE_DUPS, "count", "ksm_stable_node_dups"),
    G(FAM_KSM_PAGES_TO_SCAN, "vmpage_number", "ksm_pages_to_scan"),
    G(FAM_KSM_SLEEP, "duration", "ksm_sleep"),
    G(FAM_KSM_MERGE_ACROSS_NODES, "gauge", "ksm_merge_across_nodes"),
    G(FAM_KSM_MAX_PAGE_SHARING, "count", "ksm_max_page_sharing"),
    G(FAM_KSM_USE_ZERO_PAGES, "gauge", "ksm_use_zero_pages"),
    G(FAM_KSM_SMART_SCAN, "gauge", "ksm_smart_scan"),
    G(FAM_KSM_STABLE_NODE_CHAINS_PRUNE, "duration", "ksm_stable_node_chains_prune"),
    G(FAM_KSM_ADVISOR_MAX_CPU, "gauge", "ksm_advisor_max_cpu_ratio"),
    G(FAM_KSM_ADVISOR_MIN_PAGES_TO_SCAN, "vmpage_number", "ksm_advisor_min_pages_to_scan"),
    G(FAM_KSM_ADVISOR_MAX_PAGES_TO_SCAN, "vmpage_number", "ksm_advisor_max_pages_to_scan"),
    G(FAM_KSM_ADVISOR_TARGET_SCAN_TIME, "duration", "ksm_advisor_target_scan_time"),
    NONE(FAM_KSM_ADVISOR_INFO, "text value; collectd values are numbers"),
    /* DERIVE holds integers only: whole seconds of ksmd CPU would hide
     * a ksmd using less than a second per interval, so milliseconds,
     * which the stock type's name states. */
    [FAM_KSMD_CPU] = {.type = "total_time_in_ms",
                      .type_instance = "ksmd_cpu",
                      .ds = CD_DERIVE,
                      .scale = 1000,
                      .note = "milliseconds"},
    DV(FAM_KSM_COW, "vmpage_action", "ksm_cow"),
    DV(FAM_KSM_SWAPIN_COPIES, "vmpage_action", "ksm_swapin_copies"),
    G(FAM_HOST_PAGE_SIZE, "bytes", "host_page_size"),
    G(FAM_HOST_MEMORY_TOTAL, "memory", "host_memory_total"),
    G(FAM_HOST_MEMORY_AVAILABLE, "memory", "host_memory_available"),
    G(FAM_LIBVIRT_UP, "gauge", "libvirt_up"),
    NONE(FAM_DOMAIN_INFO, "the domain is the plugin instance (see PluginInstanceFormat)"),
    G(FAM_DOMAIN_STATE, "gauge", "state_code"),
    G(FAM_DOMAIN_MEMORY_MAXIMUM, "memory", "memory_maximum"),
    G(FAM_DOMAIN_BALLOON_CURRENT, "memory", "balloon_current"),
    G(FAM_DOMAIN_STATS_PERIOD, "duration", "balloon_stats_period"),
    NONE(FAM_DOMAIN_MEMORY_CONFIG_INFO, "text labels; collectd values are numbers"),
    G(FAM_DOMAIN_VIRTIO_MEM_SIZE, "memory", "virtio_mem_size"),
    G(FAM_DOMAIN_VIRTIO_MEM_REQUESTED, "memory", "virtio_mem_requested"),
    G(FAM_DOMAIN_VIRTIO_MEM_CURRENT, "memory", "virtio_mem_current"),
    G(FAM_DOMAIN_GUEST_UNUSED, "memory", "guest_unused"),
    G(FAM_DOMAIN_GUEST_AVAILABLE, "memory", "guest_available"),
    G(FAM_DOMAIN_GUEST_USABLE, "memory", "guest_usable"),
    G(FAM_DOMAIN_GUEST_DISK_CACHES, "memory", "guest_disk_caches"),
    DV(FAM_DOMAIN_GUEST_SWAP_IN, "swap_io", "guest_swap_in"),
    DV(FAM_DOMAIN_GUEST_SWAP_OUT, "swap_io", "guest_swap_out"),
    /* Not vmpage_faults: its two values would have to be sent together,
     * and a guest may report one fault counter without the other. */
    DV(FAM_DOMAIN_GUEST_MAJOR_FAULTS, "derive", "guest_major_faults"),
    DV(FAM_DOMAIN_GUEST_MINOR_FAULTS, "derive", "guest_minor_faults"),
    DV(FAM_DOMAIN_GUEST_HUGETLB_ALLOCS, "derive", "guest_hugetlb_allocations"),
    DV(FAM_DOMAIN_GUEST_HUGETLB_FAILURES, "derive", "guest_hugetlb_failures"),
    G(FAM_DOMAIN_GUEST_STATS_UPDATED, "timestamp", "guest_stats_updated"),
    DV(FAM_DOMAIN_GUEST_OOM_KILLS, "derive", "guest_oom_kills"),
    DV(FAM_DOMAIN_GUEST_ALLOC_STALLS, "derive", "guest_allocation_stalls"),
    DV(FAM_DOMAIN_GUEST_ASYNC_SCAN, "total_bytes", "guest_async_scan"),
    DV(FAM_DOMAIN_GUEST_DIRECT_SCAN, "total_bytes", "guest_direct_scan"),
    DV(FAM_DOMAIN_GUEST_ASYNC_RECLAIM, "total_bytes", "guest_async_reclaim"),
    DV(FAM_DOMAIN_GUEST_DIRECT_RECLAIM, "total_bytes", "guest_direct_reclaim"),
    G(FAM_DOMAIN_BALLOON_STATS_SKIPPED, "gauge", "balloon_stats_skipped"),
    G(FAM_DOMAIN_RSS, "memory", "rss"),
    G(FAM_DOMAIN_KSM_MERGING_PAGES, "vmpage_number", "ksm_merging_pages"),
    G(FAM_DOMAIN_KSM_RMAP_ITEMS, "count", "ksm_rmap_items"),
    G(FAM_DOMAIN_KSM_ZERO_PAGES, "vmpage_number", "ksm_zero_pages"),
    G(FAM_DOMAIN_KSM_PROFIT, "gauge", "ksm_profit"),
    G(FAM_DOMAIN_KSM_MERGEABLE, "gauge", "ksm_mergeable"),
    G(FAM_DOMAIN_KSM_MERGE_ANY, "gauge", "ksm_merge_any"),
    G(FAM_DOMAIN_HOST_MEMORY, "memory", "host_memory"),
    G(FAM_DOMAIN_HOST_ANON, "memory", "host_anon"),
    G(FAM_DOMAIN_HOST_FILE, "memory", "host_file"),
    G(FAM_DOMAIN_HOST_SHMEM, "memory", "host_shmem"),
    G(FAM_DOMAIN_HOST_KERNEL, "memory", "host_kernel"),
    G(FAM_DOMAIN_HOST_SWAP, "memory", "host_swap"),
    G(FAM_DOMAIN_HOST_SWAP_CACHED, "memory", "host_swap_cached"),
    DV(FAM_DOMAIN_HOST_LIMIT_HITS, "derive", "host_memory_limit_hits"),
    DV(FAM_DOMAIN_HOST_HIGH_HITS, "derive", "host_memory_high_hits"),
    DV(FAM_DOMAIN_HOST_OOM_KILLS, "derive", "host_oom_kills"),
    /* Milliseconds for the reason ksmd_cpu gives above. */
    [FAM_DOMAIN_HOST_PRESSURE_WAITING] = {.type = "total_time_in_ms",
                                          .type_instance = "host_memory_pressure_waiting",
                                          .ds = CD_DERIVE,
                                          .scale = 1000,
                                          .note = "milliseconds"},
    [FAM_DOMAIN_HOST_PRESSURE_STALLED] = {.type = "total_time_in_ms",
                                          .type_instance = "host_memory_pressure_stalled",
                                          .ds = CD_DERIVE,
                                          .scale = 1000,
                                          .note = "milliseconds"},
    G(FAM_DOMAIN_PROCESS_SWAP, "memory", "process_swap"),
    NONE(FAM_SCRAPE_COLLECTOR_SUCCESS, "exporter self-metric; failures go to the collectd log"),
    NONE(FAM_SCRAPE_COLLECTOR_DURATION, "exporter self-metric; collectd times read callbacks itself"),
    NONE(FAM_BUILD_INFO, "exporter self-metric"),
};

const struct cd_map *cd_map_get(enum family_id id)
{
	if ((unsigned)id >= FAM_COUNT || cd_mapping[id].type == NULL)
		return NULL;
	return &cd_mapping[id];
}
