/*
 * snapshot.h - the plain data one collection produces.
 *
 * Every value carries a present bit: kernels and guests differ in what they
 * report, and absent is not zero.  Values are stored already in base units
 * (bytes, seconds) so front-ends only translate, never convert.
 *
 * Field enums are indexes into fixed arrays; the catalogue (catalogue.h)
 * says which field feeds which metric family.
 */
#ifndef KVMMEM_SNAPSHOT_H
#define KVMMEM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/collectors.h"

enum mval_kind { MV_U64 = 0, MV_I64, MV_F64 };

/* One value that may be absent. */
struct mval {
	bool present;
	uint8_t kind; /* enum mval_kind */
	union {
		uint64_t u;
		int64_t i;
		double f;
	} v;
};

static inline void mval_set_u64(struct mval *m, uint64_t v)
{
	m->present = true;
	m->kind = MV_U64;
	m->v.u = v;
}

static inline void mval_set_i64(struct mval *m, int64_t v)
{
	m->present = true;
	m->kind = MV_I64;
	m->v.i = v;
}

static inline void mval_set_f64(struct mval *m, double v)
{
	m->present = true;
	m->kind = MV_F64;
	m->v.f = v;
}

/* The value as a double, for consumers that only do floating point. */
double mval_as_double(const struct mval *m);

/* Host-wide values.  Names follow the kernel files they come from. */
enum host_field {
	/* <sysfs>/kernel/mm/ksm/ (Documentation/admin-guide/mm/ksm.rst) */
	HF_KSM_RUN,
	HF_KSM_PAGES_SHARED,
	HF_KSM_PAGES_SHARING,
	HF_KSM_PAGES_UNSHARED,
	HF_KSM_PAGES_VOLATILE,
	HF_KSM_PAGES_SCANNED,
	HF_KSM_PAGES_SKIPPED,
	HF_KSM_FULL_SCANS,
	HF_KSM_GENERAL_PROFIT, /* bytes, signed */
	HF_KSM_ZERO_PAGES,
	HF_KSM_STABLE_NODE_CHAINS,
	HF_KSM_STABLE_NODE_DUPS,
	HF_KSM_PAGES_TO_SCAN,
	HF_KSM_SLEEP_SECONDS, /* sleep_millisecs / 1000 */
	HF_KSM_MERGE_ACROSS_NODES,
	HF_KSM_MAX_PAGE_SHARING,
	HF_KSM_USE_ZERO_PAGES,
	HF_KSM_SMART_SCAN,
	HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, /* stable_node_chains_prune_millisecs / 1000 */
	HF_KSM_ADVISOR_MAX_CPU_RATIO,            /* advisor_max_cpu percent / 100 */
	HF_KSM_ADVISOR_MIN_PAGES_TO_SCAN,
	HF_KSM_ADVISOR_MAX_PAGES_TO_SCAN,
	HF_KSM_ADVISOR_TARGET_SCAN_TIME_SECONDS,
	/* ksmd's utime + stime from <procfs>/<pid>/stat, in seconds */
	HF_KSMD_CPU_SECONDS,
	/* <procfs>/vmstat */
	HF_KSM_COW,           /* cow_ksm */
	HF_KSM_SWAPIN_COPIES, /* ksm_swpin_copy */
	/* sysconf and <procfs>/meminfo */
	HF_PAGE_SIZE_BYTES,
	HF_MEM_TOTAL_BYTES,
	HF_MEM_AVAILABLE_BYTES,
	HF_COUNT
};

/*
 * A domain's state, the same whichever backend found it.  The values are
 * the published codes of kvmmem_domain_state_code: they are libvirt's
 * virDomainState numbers, which operators already know from virsh, and
 * every backend maps its own states onto them.
 */
enum dom_state {
	DOM_STATE_NOSTATE = 0,
	DOM_STATE_RUNNING = 1,
	DOM_STATE_BLOCKED = 2,
	DOM_STATE_PAUSED = 3,
	DOM_STATE_SHUTDOWN = 4, /* shutting down */
	DOM_STATE_SHUTOFF = 5,
	DOM_STATE_CRASHED = 6,
	DOM_STATE_PMSUSPENDED = 7, /* suspended by guest power management */
};

/* Does a domain in this state have a QEMU process (whose pid, KSM and
 * cgroup can be read)? */
bool dom_state_has_process(enum dom_state st);

/* Per-domain values. */
enum dom_field {
	DF_STATE,                 /* enum dom_state */
	DF_MEMORY_MAXIMUM_BYTES,  /* balloon.maximum, else <memory> of the XML */
	DF_BALLOON_CURRENT_BYTES, /* balloon.current (the "actual" tag) */
	DF_STATS_PERIOD_SECONDS,  /* <memballoon><stats period>; 0 = off */
	DF_GUEST_UNUSED_BYTES,    /* guest-reported, see virDomainMemoryStatTags */
	DF_GUEST_AVAILABLE_BYTES,
	DF_GUEST_USABLE_BYTES,
	DF_GUEST_DISK_CACHES_BYTES,
	DF_GUEST_SWAP_IN_BYTES,    /* cumulative */
	DF_GUEST_SWAP_OUT_BYTES,   /* cumulative */
	DF_GUEST_MAJOR_FAULTS,     /* cumulative */
	DF_GUEST_MINOR_FAULTS,     /* cumulative */
	DF_GUEST_HUGETLB_ALLOCS,   /* cumulative */
	DF_GUEST_HUGETLB_FAILURES, /* cumulative */
	DF_GUEST_STATS_UPDATED,    /* unix seconds of the guest's last report */
	/* QEMU 9.2's guest-stats from guest Linux 6.12 (QMP only) */
	DF_GUEST_OOM_KILLS,            /* cumulative */
	DF_GUEST_ALLOC_STALLS,         /* cumulative */
	DF_GUEST_ASYNC_SCAN_BYTES,     /* cumulative: scanned by kswapd */
	DF_GUEST_DIRECT_SCAN_BYTES,    /* cumulative: scanned in direct reclaim */
	DF_GUEST_ASYNC_RECLAIM_BYTES,  /* cumulative: reclaimed by kswapd */
	DF_GUEST_DIRECT_RECLAIM_BYTES, /* cumulative: reclaimed in direct reclaim */
	DF_RSS_BYTES,                  /* host RSS of the QEMU process */
	/* <procfs>/<pid>/ksm_stat and ksm_merging_pages of the QEMU process */
	DF_KSM_MERGING_PAGES,
	DF_KSM_RMAP_ITEMS,
	DF_KSM_ZERO_PAGES,
	DF_KSM_PROFIT_BYTES, /* signed */
	DF_KSM_MERGEABLE,    /* 0/1 */
	DF_KSM_MERGE_ANY,    /* 0/1 */
	/* 1 when libvirt gave no balloon statistics for this running domain
	 * while it gave them for others (its job was busy: a stuck or busy
	 * guest), else 0; present for running domains only */
	DF_BALLOON_STATS_SKIPPED,
	/* The QEMU process's memory cgroup, cut at its first *.scope
	 * (sources/cgroup.h): v2 memory.current, memory.stat, memory.swap.current,
	 * memory.events, memory.pressure; v1 memory.usage_in_bytes, memory.stat
	 * total_*, memory.failcnt, memory.oom_control */
	DF_HOST_MEMORY_BYTES,
	DF_HOST_ANON_BYTES,
	DF_HOST_FILE_BYTES,
	DF_HOST_SHMEM_BYTES,
	DF_HOST_KERNEL_BYTES,
	DF_HOST_SWAP_BYTES,
	DF_HOST_SWAP_CACHED_BYTES,
	DF_HOST_LIMIT_HITS,               /* cumulative: v2 "max" events, v1 failcnt */
	DF_HOST_HIGH_HITS,                /* cumulative: v2 "high" events */
	DF_HOST_OOM_KILLS,                /* cumulative */
	DF_HOST_PRESSURE_WAITING_SECONDS, /* cumulative: "some" total */
	DF_HOST_PRESSURE_STALLED_SECONDS, /* cumulative: "full" total */
	DF_PROCESS_SWAP_BYTES,            /* VmSwap of <procfs>/<pid>/status */
	/* virtio-mem devices, summed over the domain's: the most they can
	 * plug (libvirt <target><size>, QEMU's memdev size), what the host
	 * asked them to plug (<requested>, requested-size) and what they have
	 * plugged (<current> of the live XML only) */
	DF_VIRTIO_MEM_SIZE_BYTES,
	DF_VIRTIO_MEM_REQUESTED_BYTES,
	DF_VIRTIO_MEM_CURRENT_BYTES,
	DF_COUNT
};

/* What the domain XML says about memory.  Strings are static literals. */
struct domain_config {
	bool present;
	const char *balloon; /* memballoon model: "virtio", "virtio-transitional", "xen", "none", ... */
	bool nosharepages;   /* <memoryBacking><nosharepages/> */
	bool hugepages;      /* <memoryBacking><hugepages> */
	bool locked;         /* <memoryBacking><locked/> */
	/* <memballoon freePageReporting='on'> / virtio-balloon
	 * free-page-reporting=on: the guest hands freed pages back, so host
	 * RSS falls without any balloon change */
	bool free_page_reporting;
	/* <memballoon autodeflate='on'> / deflate-on-oom=on: the guest
	 * deflates the balloon itself before it runs out of memory */
	bool deflate_on_oom;
};

/* Which backend found a domain: the "source" label of kvmmem_domain_info.
 * The zero value is libvirt's, the backend that came first. */
enum dom_source {
	DOM_SOURCE_LIBVIRT = 0, /* libvirt's domain, or a QEMU process libvirt started */
	DOM_SOURCE_PROXMOX,     /* a Proxmox VE guest (qemu-server) */
	DOM_SOURCE_QEMU,        /* any other QEMU process */
};

/* "libvirt", "proxmox", "qemu". */
const char *dom_source_name(enum dom_source s);

#define DOM_VMID_MAX 12 /* Proxmox VMIDs have at most 9 digits */

#define UUID_STRING_LEN 37 /* 36 characters and the NUL, as VIR_UUID_STRING_BUFLEN */

struct dom_snap {
	char *name; /* owned */
	char uuid[UUID_STRING_LEN];
	pid_t pid; /* QEMU pid, 0 when unknown or not running */
	struct domain_config config;
	enum dom_source source;
	char vmid[DOM_VMID_MAX]; /* Proxmox VMID, "" elsewhere */
	struct mval f[DF_COUNT];
};

struct coll_status {
	bool enabled;
	bool ran;
	bool success;
	double duration_seconds;
};

#define KSM_ADVISOR_MODE_MAX 32

struct snapshot {
	struct mval host[HF_COUNT];
	char advisor_mode[KSM_ADVISOR_MODE_MAX]; /* "" when absent */

	struct dom_snap *doms; /* sorted by name after snapshot_finish() */
	size_t ndoms;
	size_t doms_alloc;

	struct coll_status coll[COLL_COUNT];
};

/* Zeroes a snapshot: nothing present, no domains. */
void snapshot_init(struct snapshot *s);
/* Frees the domains and zeroes the snapshot. */
void snapshot_clear(struct snapshot *s);

/* Appends a domain with copied name and uuid (uuid may be NULL).  Returns
 * the new entry (owned by s) or NULL when out of memory.  Pointers into
 * s->doms are invalidated by the next add. */
struct dom_snap *snapshot_add_domain(struct snapshot *s, const char *name, const char *uuid);
/* Makes room for n more domains at once, exactly (no doubling): a caller
 * that knows the count spares the slack.  Returns 0 or -ENOMEM. */
int snapshot_reserve_domains(struct snapshot *s, size_t n);
/* Moves every domain of src to the end of dst; src is left with none
 * (into an empty dst the array itself moves, nothing is copied).
 * Returns 0 or -ENOMEM (then nothing moved). */
int snapshot_take_domains(struct snapshot *dst, struct snapshot *src);
/* Sorts domains by name (byte order) so output is stable. */
void snapshot_finish(struct snapshot *s);

#endif
