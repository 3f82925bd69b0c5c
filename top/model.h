/*
 * model.h - kvmmem-top's derived view of a snapshot.
 *
 * The core gives raw values (snapshot.h); an operator reads overcommit,
 * what is ballooned out, what the guest uses and rates.  This module
 * derives them, pure: time comes in as arguments, nothing is read from
 * the system, so unit tests feed snapshots and clocks by hand.  Absent
 * stays absent: a derived value is present only when all its inputs are.
 */
#ifndef KVMMEM_TOP_MODEL_H
#define KVMMEM_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/snapshot.h"

/* The table's columns, in display order. */
enum top_col {
	COL_NAME,
	COL_STATE,
	COL_MAX,     /* maximum memory */
	COL_CUR,     /* balloon current */
	COL_BALLOON, /* ballooned out: maximum - current */
	COL_USED,    /* guest used: available - usable */
	COL_CACHE,   /* guest disk caches */
	COL_SWAP,    /* guest swap in + out, bytes per second */
	COL_AGE,     /* seconds since the guest's last report */
	COL_KSM,     /* KSM merged: merging pages x page size */
	COL_PROFIT,  /* KSM profit of the process */
	COL_RSS,     /* host RSS of the QEMU process */
	COL_COST,    /* host memory of the VM's cgroup, when a collector gives it */
	COL_PSI,     /* memory pressure of the VM's cgroup: percent of time some task waited */
	COL_FLAGS,
	COL_COUNT
};

/* Flags that explain a row's numbers; letters in top_flag_letter(). */
enum top_flag {
	TF_PERIOD0 = 1u << 0,   /* P: stats period 0, guest values never refresh */
	TF_STALE = 1u << 1,     /* S: the guest's last report is older than 3 periods */
	TF_SKIPPED = 1u << 2,   /* K: stats skipped, the VM did not answer */
	TF_NOKSM = 1u << 3,     /* O: KSM opted out (nosharepages) */
	TF_HUGE = 1u << 4,      /* H: hugepages, which KSM does not merge */
	TF_LOCKED = 1u << 5,    /* L: locked memory */
	TF_NOBALLOON = 1u << 6, /* N: no balloon device */
	TF_FPR = 1u << 7,       /* R: free page reporting, RSS falls with no balloon change */
	TF_DEFLATE = 1u << 8    /* D: the guest deflates the balloon itself before OOM */
};
#define TF_COUNT 9

/* The letter of flag bit i (0..TF_COUNT) and what it means. */
char top_flag_letter(int i);
const char *top_flag_meaning(int i);

/* Host values of the header. */
enum top_hval {
	HV_MEM_TOTAL,
	HV_MEM_AVAILABLE,
	HV_SUM_MAX,       /* sum of maxima of domains with a process */
	HV_OVERCOMMIT,    /* HV_SUM_MAX / HV_MEM_TOTAL, f64 */
	HV_BALLOONED_OUT, /* sum of maximum - current */
	HV_KSM_RUN,       /* 0 stopped, 1 running, 2 unmerging */
	HV_KSM_SAVED,     /* pages_sharing x page size */
	HV_KSM_PROFIT,    /* general_profit, signed */
	HV_KSM_RATIO,     /* pages_sharing / pages_shared, f64 */
	HV_KSM_ZERO,      /* zero pages x page size */
	HV_KSMD_CPU,      /* ksmd's CPU share in percent (rate), f64 */
	HV_KSM_SCAN_TIME, /* seconds one full scan takes (rate), f64 */
	HV_KSM_COW_RATE,  /* copy-on-write breaks of merged pages per second, f64 */
	HV_COUNT
};

/* The guest's own report as it came, beside the columns derived from it,
 * so --json gives scripts the numbers the exporter publishes. */
enum top_guest {
	TG_AVAILABLE, /* guest available */
	TG_USABLE,    /* guest usable */
	TG_UNUSED,    /* guest unused (free) */
	TG_UPDATED,   /* unix seconds of the guest's last report */
	TG_COUNT
};

struct top_row {
	char *name;              /* owned; the backend's bytes, unsanitised */
	const char *source;      /* static: "libvirt", "proxmox", "qemu" */
	char vmid[DOM_VMID_MAX]; /* Proxmox VMID, "" elsewhere */
	struct mval state;       /* enum dom_state */
	struct mval v[COL_COUNT];
	struct mval guest[TG_COUNT];
	unsigned flags; /* enum top_flag bits */
};

/* A collector as the header shows it. */
struct top_source {
	bool enabled, ran, success;
};

#define TOP_WHY_MAX 160

struct top_view {
	struct mval host[HV_COUNT];
	struct top_source src[COLL_COUNT];
	bool rates_ready;        /* false on the first collection */
	bool has_col[COL_COUNT]; /* some row has this value (NAME, STATE, FLAGS always) */
	char why[TOP_WHY_MAX];   /* why per-VM values are unreadable, "" when they are */
	time_t now;              /* wall clock of the collection */
	struct top_row *rows;    /* in snapshot order (by name) */
	size_t nrows;
};

/* Values kept between collections for rates. */
struct top_prev_dom;
struct top_model {
	bool have_prev;
	double prev_mono;
	struct mval prev_ksmd_cpu, prev_full_scans, prev_cow;
	struct mval scan_time; /* the last known full scan time */
	struct top_prev_dom *prev_doms;
	size_t nprev;
	/* Fields of families other collectors add, found in the catalogue by
	 * name at start, -1 when this build has none. */
	int cost_field, psi_field;
};

/* Times of one collection: wall clock (ages) and monotonic (rates). */
struct top_clock {
	time_t wall;
	double mono;
};

void top_model_init(struct top_model *m);
void top_model_free(struct top_model *m);

/*
 * Derives the view of snapshot s collected at clk into out (which the
 * caller top_view_clear()s).  privileged says whether the process may read
 * other users' /proc/<pid> files (root or CAP_DAC_READ_SEARCH), to say why
 * per-VM values are missing.  Remembers what rates need.  Returns 0 or
 * -ENOMEM (out is then empty, the model unchanged).
 */
int top_model_update(struct top_model *m, const struct snapshot *s, const struct top_clock *clk, bool privileged,
                     struct top_view *out);

void top_view_clear(struct top_view *v);

/* Sorts the view's rows by column col (absent values last whatever the
 * direction, then by name). */
void top_view_sort(struct top_view *v, enum top_col col, bool reverse);

/* Does the row's name contain filter, in any case?  NULL or "" matches
 * every row. */
bool top_row_matches(const struct top_row *r, const char *filter);

/* A state's short name ("running", "paused", ...). */
const char *top_state_name(int64_t state);

#endif
