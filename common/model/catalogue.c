/*
 * catalogue.c - the metric table.
 *
 * Field meanings: Documentation/admin-guide/mm/ksm.rst and
 * Documentation/filesystems/proc.rst of the kernel; virDomainMemoryStatTags
 * and virConnectGetAllDomainStats in libvirt's API documentation.
 */
#include "model/catalogue.h"

#include <string.h>

#define H(id_, name_, type_, unit_, field_, coll_, help_)                                                              \
	[id_] = {.id = id_,                                                                                            \
	         .name = name_,                                                                                        \
	         .type = type_,                                                                                        \
	         .unit = unit_,                                                                                        \
	         .labels = {NULL},                                                                                     \
	         .help = help_,                                                                                        \
	         .source = SRC_HOST,                                                                                   \
	         .field = field_,                                                                                      \
	         .collector = coll_}
#define D(id_, name_, type_, unit_, field_, coll_, help_)                                                              \
	[id_] = {.id = id_,                                                                                            \
	         .name = name_,                                                                                        \
	         .type = type_,                                                                                        \
	         .unit = unit_,                                                                                        \
	         .labels = {"domain"},                                                                                 \
	         .help = help_,                                                                                        \
	         .source = SRC_DOMAIN,                                                                                 \
	         .field = field_,                                                                                      \
	         .collector = coll_}
#define S(id_, name_, type_, unit_, coll_, self_, help_, ...)                                                          \
	[id_] = {.id = id_,                                                                                            \
	         .name = name_,                                                                                        \
	         .type = type_,                                                                                        \
	         .unit = unit_,                                                                                        \
	         .labels = {__VA_ARGS__},                                                                              \
	         .help = help_,                                                                                        \
	         .source = SRC_SPECIAL,                                                                                \
	         .field = -1,                                                                                          \
	         .collector = coll_,                                                                                   \
	         .self = self_}

const struct family catalogue[FAM_COUNT] = {
    H(FAM_KSM_RUN, "kvmmem_ksm_run", MT_GAUGE, "", HF_KSM_RUN, COLL_KSM,
      "KSM state from ksm/run: 0 stopped, 1 running, 2 unmerging all pages"),
    H(FAM_KSM_PAGES_SHARED, "kvmmem_ksm_pages_shared", MT_GAUGE, "pages", HF_KSM_PAGES_SHARED, COLL_KSM,
      "Distinct merged pages KSM keeps (ksm/pages_shared)"),
    H(FAM_KSM_PAGES_SHARING, "kvmmem_ksm_pages_sharing", MT_GAUGE, "pages", HF_KSM_PAGES_SHARING, COLL_KSM,
      "Further mappings of merged pages, i.e. pages saved by KSM (ksm/pages_sharing)"),
    H(FAM_KSM_PAGES_UNSHARED, "kvmmem_ksm_pages_unshared", MT_GAUGE, "pages", HF_KSM_PAGES_UNSHARED, COLL_KSM,
      "Pages KSM checked that are unique but could still merge (ksm/pages_unshared)"),
    H(FAM_KSM_PAGES_VOLATILE, "kvmmem_ksm_pages_volatile", MT_GAUGE, "pages", HF_KSM_PAGES_VOLATILE, COLL_KSM,
      "Pages changing too fast for KSM to merge them (ksm/pages_volatile)"),
    H(FAM_KSM_PAGES_SCANNED, "kvmmem_ksm_pages_scanned_total", MT_COUNTER, "pages", HF_KSM_PAGES_SCANNED, COLL_KSM,
      "Pages ksmd has scanned since boot (ksm/pages_scanned)"),
    H(FAM_KSM_PAGES_SKIPPED, "kvmmem_ksm_pages_skipped_total", MT_COUNTER, "pages", HF_KSM_PAGES_SKIPPED, COLL_KSM,
      "Pages the smart scan skipped since boot (ksm/pages_skipped)"),
    H(FAM_KSM_FULL_SCANS, "kvmmem_ksm_full_scans_total", MT_COUNTER, "", HF_KSM_FULL_SCANS, COLL_KSM,
      "Complete passes of ksmd over all mergeable memory (ksm/full_scans)"),
    H(FAM_KSM_GENERAL_PROFIT, "kvmmem_ksm_general_profit_bytes", MT_GAUGE, "bytes", HF_KSM_GENERAL_PROFIT, COLL_KSM,
      "Memory KSM saves minus its own metadata; negative when it costs more (ksm/general_profit)"),
    H(FAM_KSM_ZERO_PAGES, "kvmmem_ksm_zero_pages", MT_GAUGE, "pages", HF_KSM_ZERO_PAGES, COLL_KSM,
      "Empty pages KSM mapped to the kernel zero page (ksm/ksm_zero_pages)"),
    H(FAM_KSM_STABLE_NODE_CHAINS, "kvmmem_ksm_stable_node_chains", MT_GAUGE, "", HF_KSM_STABLE_NODE_CHAINS, COLL_KSM,
      "Merged contents that hit max_page_sharing and were split into chains (ksm/stable_node_chains)"),
    H(FAM_KSM_STABLE_NODE_DUPS, "kvmmem_ksm_stable_node_dups", MT_GAUGE, "", HF_KSM_STABLE_NODE_DUPS, COLL_KSM,
      "Duplicate stable nodes inside KSM chains (ksm/stable_node_dups)"),
    H(FAM_KSM_PAGES_TO_SCAN, "kvmmem_ksm_pages_to_scan", MT_GAUGE, "pages", HF_KSM_PAGES_TO_SCAN, COLL_KSM,
      "Tunable: pages ksmd scans per wake-up (ksm/pages_to_scan)"),
    H(FAM_KSM_SLEEP, "kvmmem_ksm_sleep_seconds", MT_GAUGE, "seconds", HF_KSM_SLEEP_SECONDS, COLL_KSM,
      "Tunable: pause of ksmd between batches (ksm/sleep_millisecs)"),
    H(FAM_KSM_MERGE_ACROSS_NODES, "kvmmem_ksm_merge_across_nodes", MT_GAUGE, "", HF_KSM_MERGE_ACROSS_NODES, COLL_KSM,
      "Tunable: 1 if pages from different NUMA nodes may merge (ksm/merge_across_nodes)"),
    H(FAM_KSM_MAX_PAGE_SHARING, "kvmmem_ksm_max_page_sharing", MT_GAUGE, "", HF_KSM_MAX_PAGE_SHARING, COLL_KSM,
      "Tunable: most mappings one merged page may have (ksm/max_page_sharing)"),
    H(FAM_KSM_USE_ZERO_PAGES, "kvmmem_ksm_use_zero_pages", MT_GAUGE, "", HF_KSM_USE_ZERO_PAGES, COLL_KSM,
      "Tunable: 1 if empty pages are merged with the zero page (ksm/use_zero_pages)"),
    H(FAM_KSM_SMART_SCAN, "kvmmem_ksm_smart_scan", MT_GAUGE, "", HF_KSM_SMART_SCAN, COLL_KSM,
      "Tunable: 1 if ksmd skips pages that did not merge before (ksm/smart_scan)"),
    H(FAM_KSM_STABLE_NODE_CHAINS_PRUNE, "kvmmem_ksm_stable_node_chains_prune_seconds", MT_GAUGE, "seconds",
      HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, COLL_KSM,
      "Tunable: how often stale stable node chains are pruned (ksm/stable_node_chains_prune_millisecs)"),
    H(FAM_KSM_ADVISOR_MAX_CPU, "kvmmem_ksm_advisor_max_cpu_ratio", MT_GAUGE, "ratio", HF_KSM_ADVISOR_MAX_CPU_RATIO,
      COLL_KSM, "Tunable: CPU share the scan-time advisor may give ksmd, 0 to 1 (ksm/advisor_max_cpu)"),
    H(FAM_KSM_ADVISOR_MIN_PAGES_TO_SCAN, "kvmmem_ksm_advisor_min_pages_to_scan", MT_GAUGE, "pages",
      HF_KSM_ADVISOR_MIN_PAGES_TO_SCAN, COLL_KSM,
      "Tunable: lower bound of pages_to_scan under the advisor (ksm/advisor_min_pages_to_scan)"),
    H(FAM_KSM_ADVISOR_MAX_PAGES_TO_SCAN, "kvmmem_ksm_advisor_max_pages_to_scan", MT_GAUGE, "pages",
      HF_KSM_ADVISOR_MAX_PAGES_TO_SCAN, COLL_KSM,
      "Tunable: upper bound of pages_to_scan under the advisor (ksm/advisor_max_pages_to_scan)"),
    H(FAM_KSM_ADVISOR_TARGET_SCAN_TIME, "kvmmem_ksm_advisor_target_scan_time_seconds", MT_GAUGE, "seconds",
      HF_KSM_ADVISOR_TARGET_SCAN_TIME_SECONDS, COLL_KSM,
      "Tunable: full scan duration the advisor aims for (ksm/advisor_target_scan_time)"),
    S(FAM_KSM_ADVISOR_INFO, "kvmmem_ksm_advisor_info", MT_GAUGE, "", COLL_KSM, false,
      "Selected KSM advisor from ksm/advisor_mode; always 1", "mode"),
    H(FAM_KSMD_CPU, "kvmmem_ksmd_cpu_seconds_total", MT_COUNTER, "seconds", HF_KSMD_CPU_SECONDS, COLL_KSM,
      "CPU time used by the ksmd kernel thread (user plus system)"),
    H(FAM_KSM_COW, "kvmmem_ksm_cow_total", MT_COUNTER, "", HF_KSM_COW, COLL_KSM,
      "Copy-on-write breaks of merged pages since boot (vmstat cow_ksm)"),
    H(FAM_KSM_SWAPIN_COPIES, "kvmmem_ksm_swapin_copies_total", MT_COUNTER, "", HF_KSM_SWAPIN_COPIES, COLL_KSM,
      "Merged pages copied on swap-in since boot (vmstat ksm_swpin_copy)"),
    H(FAM_HOST_PAGE_SIZE, "kvmmem_host_page_size_bytes", MT_GAUGE, "bytes", HF_PAGE_SIZE_BYTES, COLL_MEMINFO,
      "Base page size of the host; multiply page counts by it"),
    H(FAM_HOST_MEMORY_TOTAL, "kvmmem_host_memory_total_bytes", MT_GAUGE, "bytes", HF_MEM_TOTAL_BYTES, COLL_MEMINFO,
      "Usable RAM of the host (meminfo MemTotal)"),
    H(FAM_HOST_MEMORY_AVAILABLE, "kvmmem_host_memory_available_bytes", MT_GAUGE, "bytes", HF_MEM_AVAILABLE_BYTES,
      COLL_MEMINFO, "Memory available for new work without swapping (meminfo MemAvailable)"),
    S(FAM_LIBVIRT_UP, "kvmmem_libvirt_up", MT_GAUGE, "", COLL_LIBVIRT, false,
      "1 if libvirt answered this collection in time, 0 otherwise", NULL),
    S(FAM_DOMAIN_INFO, "kvmmem_domain_info", MT_GAUGE, "", COLL_LIBVIRT, false,
      "Every domain, active or not, with its UUID, the backend that found it (libvirt, proxmox, qemu) and its "
      "Proxmox VMID; always 1",
      "domain", "uuid", "source", "vmid"),
    D(FAM_DOMAIN_STATE, "kvmmem_domain_state_code", MT_GAUGE, "", DF_STATE, COLL_LIBVIRT,
      "libvirt virDomainState: 1 running, 2 blocked, 3 paused, 4 shutting down, 5 shut off, 6 crashed, 7 "
      "suspended by power management"),
    D(FAM_DOMAIN_MEMORY_MAXIMUM, "kvmmem_domain_memory_maximum_bytes", MT_GAUGE, "bytes", DF_MEMORY_MAXIMUM_BYTES,
      COLL_LIBVIRT, "Most memory the domain may have (balloon.maximum)"),
    D(FAM_DOMAIN_BALLOON_CURRENT, "kvmmem_domain_balloon_current_bytes", MT_GAUGE, "bytes", DF_BALLOON_CURRENT_BYTES,
      COLL_LIBVIRT, "Memory currently given to the domain after ballooning (balloon.current)"),
    D(FAM_DOMAIN_STATS_PERIOD, "kvmmem_domain_balloon_stats_period_seconds", MT_GAUGE, "seconds",
      DF_STATS_PERIOD_SECONDS, COLL_LIBVIRT,
      "Interval of guest memory reports from the domain XML; 0 means the guest never reports"),
    S(FAM_DOMAIN_MEMORY_CONFIG_INFO, "kvmmem_domain_memory_config_info", MT_GAUGE, "", COLL_LIBVIRT, false,
      "Memory configuration from the domain XML or the QEMU command line: balloon model, hugepages, KSM allowed, "
      "locked, free page reporting, deflate on OOM; always 1",
      "domain", "balloon", "hugepages", "ksm", "locked", "free_page_reporting", "deflate_on_oom"),
    D(FAM_DOMAIN_VIRTIO_MEM_SIZE, "kvmmem_domain_virtio_mem_size_bytes", MT_GAUGE, "bytes", DF_VIRTIO_MEM_SIZE_BYTES,
      COLL_LIBVIRT,
      "Most memory the domain's virtio-mem devices can plug (their target size in the domain XML, or the size of "
      "their QEMU memory backends)"),
    D(FAM_DOMAIN_VIRTIO_MEM_REQUESTED, "kvmmem_domain_virtio_mem_requested_bytes", MT_GAUGE, "bytes",
      DF_VIRTIO_MEM_REQUESTED_BYTES, COLL_LIBVIRT,
      "Memory the host asked the domain's virtio-mem devices to plug (their requested size in the domain XML, or "
      "QEMU's requested-size at start)"),
    D(FAM_DOMAIN_VIRTIO_MEM_CURRENT, "kvmmem_domain_virtio_mem_current_bytes", MT_GAUGE, "bytes",
      DF_VIRTIO_MEM_CURRENT_BYTES, COLL_LIBVIRT,
      "Memory the domain's virtio-mem devices have plugged (their current size in the live domain XML)"),
    D(FAM_DOMAIN_GUEST_UNUSED, "kvmmem_domain_guest_unused_bytes", MT_GAUGE, "bytes", DF_GUEST_UNUSED_BYTES,
      COLL_LIBVIRT, "Memory the guest leaves completely unused, as the guest reports it"),
    D(FAM_DOMAIN_GUEST_AVAILABLE, "kvmmem_domain_guest_available_bytes", MT_GAUGE, "bytes", DF_GUEST_AVAILABLE_BYTES,
      COLL_LIBVIRT, "Memory the guest sees as its total, as the guest reports it"),
    D(FAM_DOMAIN_GUEST_USABLE, "kvmmem_domain_guest_usable_bytes", MT_GAUGE, "bytes", DF_GUEST_USABLE_BYTES,
      COLL_LIBVIRT, "Memory the guest could use without swapping, as the guest reports it"),
    D(FAM_DOMAIN_GUEST_DISK_CACHES, "kvmmem_domain_guest_disk_caches_bytes", MT_GAUGE, "bytes",
      DF_GUEST_DISK_CACHES_BYTES, COLL_LIBVIRT, "Guest page cache that can be freed quickly, as the guest reports it"),
    D(FAM_DOMAIN_GUEST_SWAP_IN, "kvmmem_domain_guest_swap_in_bytes_total", MT_COUNTER, "bytes", DF_GUEST_SWAP_IN_BYTES,
      COLL_LIBVIRT, "Memory the guest read back from its swap"),
    D(FAM_DOMAIN_GUEST_SWAP_OUT, "kvmmem_domain_guest_swap_out_bytes_total", MT_COUNTER, "bytes",
      DF_GUEST_SWAP_OUT_BYTES, COLL_LIBVIRT, "Memory the guest wrote out to its swap"),
    D(FAM_DOMAIN_GUEST_MAJOR_FAULTS, "kvmmem_domain_guest_major_faults_total", MT_COUNTER, "", DF_GUEST_MAJOR_FAULTS,
      COLL_LIBVIRT, "Page faults in the guest that needed disk I/O"),
    D(FAM_DOMAIN_GUEST_MINOR_FAULTS, "kvmmem_domain_guest_minor_faults_total", MT_COUNTER, "", DF_GUEST_MINOR_FAULTS,
      COLL_LIBVIRT, "Page faults in the guest served without disk I/O"),
    D(FAM_DOMAIN_GUEST_HUGETLB_ALLOCS, "kvmmem_domain_guest_hugetlb_allocations_total", MT_COUNTER, "",
      DF_GUEST_HUGETLB_ALLOCS, COLL_LIBVIRT, "Successful huge page allocations inside the guest"),
    D(FAM_DOMAIN_GUEST_HUGETLB_FAILURES, "kvmmem_domain_guest_hugetlb_failures_total", MT_COUNTER, "",
      DF_GUEST_HUGETLB_FAILURES, COLL_LIBVIRT, "Failed huge page allocations inside the guest"),
    D(FAM_DOMAIN_GUEST_STATS_UPDATED, "kvmmem_domain_guest_stats_updated_timestamp_seconds", MT_GAUGE, "seconds",
      DF_GUEST_STATS_UPDATED, COLL_LIBVIRT, "Unix time of the guest's last memory report (balloon.last-update)"),
    /* QEMU 9.2's guest-stats, which libvirt does not map: read over QMP. */
    D(FAM_DOMAIN_GUEST_OOM_KILLS, "kvmmem_domain_guest_oom_kills_total", MT_COUNTER, "", DF_GUEST_OOM_KILLS, COLL_QMP,
      "Processes the guest's own OOM killer killed, as the guest reports it (QMP stat-oom-kills)"),
    D(FAM_DOMAIN_GUEST_ALLOC_STALLS, "kvmmem_domain_guest_allocation_stalls_total", MT_COUNTER, "",
      DF_GUEST_ALLOC_STALLS, COLL_QMP,
      "Allocations inside the guest that stalled for direct reclaim (QMP stat-alloc-stalls)"),
    D(FAM_DOMAIN_GUEST_ASYNC_SCAN, "kvmmem_domain_guest_async_scan_bytes_total", MT_COUNTER, "bytes",
      DF_GUEST_ASYNC_SCAN_BYTES, COLL_QMP, "Memory the guest's kswapd scanned for reclaim (QMP stat-async-scans)"),
    D(FAM_DOMAIN_GUEST_DIRECT_SCAN, "kvmmem_domain_guest_direct_scan_bytes_total", MT_COUNTER, "bytes",
      DF_GUEST_DIRECT_SCAN_BYTES, COLL_QMP,
      "Memory the guest scanned in direct reclaim, blocking an allocation (QMP stat-direct-scans)"),
    D(FAM_DOMAIN_GUEST_ASYNC_RECLAIM, "kvmmem_domain_guest_async_reclaim_bytes_total", MT_COUNTER, "bytes",
      DF_GUEST_ASYNC_RECLAIM_BYTES, COLL_QMP, "Memory the guest's kswapd reclaimed (QMP stat-async-reclaims)"),
    D(FAM_DOMAIN_GUEST_DIRECT_RECLAIM, "kvmmem_domain_guest_direct_reclaim_bytes_total", MT_COUNTER, "bytes",
      DF_GUEST_DIRECT_RECLAIM_BYTES, COLL_QMP,
      "Memory the guest reclaimed in direct reclaim, blocking an allocation (QMP stat-direct-reclaims)"),
    D(FAM_DOMAIN_BALLOON_STATS_SKIPPED, "kvmmem_domain_balloon_stats_skipped", MT_GAUGE, "", DF_BALLOON_STATS_SKIPPED,
      COLL_LIBVIRT,
      "1 if this domain's balloon statistics were skipped because it did not answer (libvirt: a busy job, stuck guest; "
      "qmp: a monitor held by another client, late, backed off, garbled, or QEMU 9.1.9x), else 0"),
    D(FAM_DOMAIN_RSS, "kvmmem_domain_rss_bytes", MT_GAUGE, "bytes", DF_RSS_BYTES, COLL_LIBVIRT,
      "Resident memory of the domain's QEMU process on the host (balloon.rss)"),
    D(FAM_DOMAIN_KSM_MERGING_PAGES, "kvmmem_domain_ksm_merging_pages", MT_GAUGE, "pages", DF_KSM_MERGING_PAGES,
      COLL_DOMAIN_KSM, "Pages of the domain's QEMU process that KSM has merged (ksm_merging_pages)"),
    D(FAM_DOMAIN_KSM_RMAP_ITEMS, "kvmmem_domain_ksm_rmap_items", MT_GAUGE, "", DF_KSM_RMAP_ITEMS, COLL_DOMAIN_KSM,
      "KSM reverse-map items of the domain's QEMU process, its KSM metadata cost (ksm_rmap_items)"),
    D(FAM_DOMAIN_KSM_ZERO_PAGES, "kvmmem_domain_ksm_zero_pages", MT_GAUGE, "pages", DF_KSM_ZERO_PAGES, COLL_DOMAIN_KSM,
      "Empty pages of the domain's QEMU process mapped to the zero page by KSM (ksm_zero_pages)"),
    D(FAM_DOMAIN_KSM_PROFIT, "kvmmem_domain_ksm_profit_bytes", MT_GAUGE, "bytes", DF_KSM_PROFIT_BYTES, COLL_DOMAIN_KSM,
      "Memory KSM saves on the domain minus its metadata; may be negative (ksm_process_profit)"),
    D(FAM_DOMAIN_KSM_MERGEABLE, "kvmmem_domain_ksm_mergeable", MT_GAUGE, "", DF_KSM_MERGEABLE, COLL_DOMAIN_KSM,
      "1 if any memory of the domain's QEMU process is offered to KSM (ksm_mergeable)"),
    D(FAM_DOMAIN_KSM_MERGE_ANY, "kvmmem_domain_ksm_merge_any", MT_GAUGE, "", DF_KSM_MERGE_ANY, COLL_DOMAIN_KSM,
      "1 if the domain's QEMU process offers all its memory to KSM by prctl (ksm_merge_any)"),
    /* The domain's memory cgroup: one name per meaning on v1 and v2, the
     * file of each version in the help.  "host_" says whose books these
     * are (what the host charges), as opposed to the guest's own view
     * (guest_) and the QEMU process's (rss, process_swap).  Pressure is
     * two families, not one with a level label: "full" time is part of
     * "some" time, so a sum over such a label would be meaningless; the
     * names are node_exporter's and cAdvisor's (waiting = some, stalled =
     * full). */
    D(FAM_DOMAIN_HOST_MEMORY, "kvmmem_domain_host_memory_bytes", MT_GAUGE, "bytes", DF_HOST_MEMORY_BYTES, COLL_CGROUP,
      "Memory the host charges to the domain's cgroup, each KSM-merged page once (v2 memory.current, v1 "
      "memory.usage_in_bytes)"),
    D(FAM_DOMAIN_HOST_ANON, "kvmmem_domain_host_anon_bytes", MT_GAUGE, "bytes", DF_HOST_ANON_BYTES, COLL_CGROUP,
      "Anonymous memory of the domain's cgroup, mostly guest RAM (memory.stat v2 anon, v1 total_rss)"),
    D(FAM_DOMAIN_HOST_FILE, "kvmmem_domain_host_file_bytes", MT_GAUGE, "bytes", DF_HOST_FILE_BYTES, COLL_CGROUP,
      "Page cache and shared memory of the domain's cgroup (memory.stat v2 file, v1 total_cache)"),
    D(FAM_DOMAIN_HOST_SHMEM, "kvmmem_domain_host_shmem_bytes", MT_GAUGE, "bytes", DF_HOST_SHMEM_BYTES, COLL_CGROUP,
      "Shared memory of the domain's cgroup, guest RAM with a memfd or shared backend (memory.stat v2 shmem, v1 "
      "total_shmem)"),
    D(FAM_DOMAIN_HOST_KERNEL, "kvmmem_domain_host_kernel_bytes", MT_GAUGE, "bytes", DF_HOST_KERNEL_BYTES, COLL_CGROUP,
      "Kernel memory charged to the domain's cgroup: page tables, stacks, slab (memory.stat v2 kernel)"),
    D(FAM_DOMAIN_HOST_SWAP, "kvmmem_domain_host_swap_bytes", MT_GAUGE, "bytes", DF_HOST_SWAP_BYTES, COLL_CGROUP,
      "Memory of the domain's cgroup the host has swapped out (v2 memory.swap.current, v1 memory.stat total_swap)"),
    D(FAM_DOMAIN_HOST_SWAP_CACHED, "kvmmem_domain_host_swap_cached_bytes", MT_GAUGE, "bytes", DF_HOST_SWAP_CACHED_BYTES,
      COLL_CGROUP,
      "Memory of the domain's cgroup held both in swap and in RAM (memory.stat v2 swapcached, v1 total_swapcached)"),
    D(FAM_DOMAIN_HOST_LIMIT_HITS, "kvmmem_domain_host_memory_limit_hits_total", MT_COUNTER, "", DF_HOST_LIMIT_HITS,
      COLL_CGROUP, "Times the domain's cgroup reached its memory limit (v2 memory.events max, v1 memory.failcnt)"),
    D(FAM_DOMAIN_HOST_HIGH_HITS, "kvmmem_domain_host_memory_high_hits_total", MT_COUNTER, "", DF_HOST_HIGH_HITS,
      COLL_CGROUP,
      "Times the domain's cgroup went over memory.high and was throttled into reclaim (v2 memory.events high)"),
    D(FAM_DOMAIN_HOST_OOM_KILLS, "kvmmem_domain_host_oom_kills_total", MT_COUNTER, "", DF_HOST_OOM_KILLS, COLL_CGROUP,
      "Processes of the domain's cgroup the host's OOM killer killed (v2 memory.events oom_kill, v1 "
      "memory.oom_control oom_kill)"),
    D(FAM_DOMAIN_HOST_PRESSURE_WAITING, "kvmmem_domain_host_memory_pressure_waiting_seconds_total", MT_COUNTER,
      "seconds", DF_HOST_PRESSURE_WAITING_SECONDS, COLL_CGROUP,
      "Time some task of the domain's cgroup waited for memory (v2 memory.pressure some total)"),
    D(FAM_DOMAIN_HOST_PRESSURE_STALLED, "kvmmem_domain_host_memory_pressure_stalled_seconds_total", MT_COUNTER,
      "seconds", DF_HOST_PRESSURE_STALLED_SECONDS, COLL_CGROUP,
      "Time every task of the domain's cgroup waited for memory at once (v2 memory.pressure full total)"),
    D(FAM_DOMAIN_PROCESS_SWAP, "kvmmem_domain_process_swap_bytes", MT_GAUGE, "bytes", DF_PROCESS_SWAP_BYTES,
      COLL_CGROUP, "Memory of the domain's QEMU process the host has swapped out (VmSwap of /proc/<pid>/status)"),
    S(FAM_SCRAPE_COLLECTOR_SUCCESS, "kvmmem_scrape_collector_success", MT_GAUGE, "", COLL_COUNT, true,
      "1 if the collector finished without error in this collection", "collector"),
    S(FAM_SCRAPE_COLLECTOR_DURATION, "kvmmem_scrape_collector_duration_seconds", MT_GAUGE, "seconds", COLL_COUNT, true,
      "Time the collector took in this collection", "collector"),
    S(FAM_BUILD_INFO, "kvmmem_exporter_build_info", MT_GAUGE, "", COLL_COUNT, true,
      "kvmmem build and the libvirt library it runs with; always 1", "version", "revision", "libvirt_version"),
};

const struct family *catalogue_find(const char *name)
{
	for (size_t i = 0; i < FAM_COUNT; i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	return NULL;
}

size_t family_nlabels(const struct family *f)
{
	size_t n = 0;
	while (n < FAM_MAX_LABELS && f->labels[n] != NULL)
		n++;
	return n;
}
