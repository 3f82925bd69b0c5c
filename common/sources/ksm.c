/*
 * ksm.c - host-wide KSM from sysfs, ksmd's CPU time and vmstat.
 *
 * Field meanings and units follow the kernel's
 * Documentation/admin-guide/mm/ksm.rst: counters are pages, the
 * *_millisecs tunables are milliseconds, advisor_max_cpu is a percentage,
 * advisor_target_scan_time is seconds, general_profit is signed bytes.
 */
#include "sources/ksm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/collect.h"
#include "util/complain.h"
#include "util/parse.h"
#include "util/paths.h"
#include "util/procfs.h"

/* How a sysfs value becomes a snapshot value. */
enum ksm_conv {
	CONV_U64,          /* unsigned count, stored as is */
	CONV_I64,          /* signed (general_profit can be negative) */
	CONV_MS_TO_S,      /* unsigned milliseconds -> seconds */
	CONV_PERCENT_TO_R, /* unsigned percent -> ratio 0..1 */
};

static const struct ksm_file {
	const char *name;
	enum host_field field;
	enum ksm_conv conv;
} ksm_files[] = {
    {"run", HF_KSM_RUN, CONV_U64},
    {"pages_shared", HF_KSM_PAGES_SHARED, CONV_U64},
    {"pages_sharing", HF_KSM_PAGES_SHARING, CONV_U64},
    {"pages_unshared", HF_KSM_PAGES_UNSHARED, CONV_U64},
    {"pages_volatile", HF_KSM_PAGES_VOLATILE, CONV_U64},
    {"pages_scanned", HF_KSM_PAGES_SCANNED, CONV_U64},
    {"pages_skipped", HF_KSM_PAGES_SKIPPED, CONV_U64},
    {"full_scans", HF_KSM_FULL_SCANS, CONV_U64},
    {"general_profit", HF_KSM_GENERAL_PROFIT, CONV_I64},
    {"ksm_zero_pages", HF_KSM_ZERO_PAGES, CONV_U64},
    {"stable_node_chains", HF_KSM_STABLE_NODE_CHAINS, CONV_U64},
    {"stable_node_dups", HF_KSM_STABLE_NODE_DUPS, CONV_U64},
    {"pages_to_scan", HF_KSM_PAGES_TO_SCAN, CONV_U64},
    {"sleep_millisecs", HF_KSM_SLEEP_SECONDS, CONV_MS_TO_S},
    {"merge_across_nodes", HF_KSM_MERGE_ACROSS_NODES, CONV_U64},
    {"max_page_sharing", HF_KSM_MAX_PAGE_SHARING, CONV_U64},
    {"use_zero_pages", HF_KSM_USE_ZERO_PAGES, CONV_U64},
    {"smart_scan", HF_KSM_SMART_SCAN, CONV_U64},
    {"stable_node_chains_prune_millisecs", HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, CONV_MS_TO_S},
    {"advisor_max_cpu", HF_KSM_ADVISOR_MAX_CPU_RATIO, CONV_PERCENT_TO_R},
    {"advisor_min_pages_to_scan", HF_KSM_ADVISOR_MIN_PAGES_TO_SCAN, CONV_U64},
    {"advisor_max_pages_to_scan", HF_KSM_ADVISOR_MAX_PAGES_TO_SCAN, CONV_U64},
    {"advisor_target_scan_time", HF_KSM_ADVISOR_TARGET_SCAN_TIME_SECONDS, CONV_U64},
};

/* The KSM counters of /proc/vmstat (ksm.rst, "Monitoring KSM events"). */
static const struct vmstat_key {
	const char *name;
	enum host_field field;
} vmstat_keys[] = {
    {"cow_ksm", HF_KSM_COW},
    {"ksm_swpin_copy", HF_KSM_SWAPIN_COPIES},
};

/* sysfs attributes are at most a page; anything near that is garbage. */
#define KSM_VALUE_MAX 256
#define KTHREADD_PID 2

struct ksm {
	const struct kvm_env *env;
	struct complaint_set *complaints;
	long clk_tck;
	pid_t ksmd_pid; /* 0 until found */
	char *big;      /* PARSE_MAX_FILE bytes for vmstat */
};

struct ksm *ksm_new(const struct kvm_env *env)
{
	struct ksm *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->env = env;
	k->complaints = complaint_set_new();
	k->big = malloc(PARSE_MAX_FILE);
	if (k->complaints == NULL || k->big == NULL) {
		ksm_free(k);
		return NULL;
	}
	k->clk_tck = sysconf(_SC_CLK_TCK);
	return k;
}

void ksm_free(struct ksm *k)
{
	if (k == NULL)
		return;
	complaint_set_free(k->complaints);
	free(k->big);
	free(k);
}

static const char *err_text(int err)
{
	switch (err) {
	case -EINVAL:
		return "not a valid value";
	case -ERANGE:
		return "value out of range";
	case -EFBIG:
		return "file too large";
	case -EISDIR:
		return "is a directory";
	default:
		return log_strerror(err);
	}
}

int ksm_parse_advisor_mode(const char *text, size_t len, char *out, size_t outsz)
{
	struct cursor c = cursor_make(text, len);
	const char *chosen = NULL;
	size_t chosen_len = 0;
	int words = 0;

	/* The kernel lists every mode and brackets the active one:
	 * "[none] scan-time\n".  Exactly one bracketed word is accepted. */
	for (;;) {
		cursor_skip_blanks(&c);
		if (cursor_eof(&c) || *c.p == '\n')
			break;
		bool bracket = cursor_accept(&c, "[");
		const char *w = c.p;
		while (!cursor_eof(&c) && (isalnum((unsigned char)*c.p) || *c.p == '-' || *c.p == '_'))
			c.p++;
		size_t wl = (size_t)(c.p - w);
		if (wl == 0)
			return -EINVAL;
		if (bracket) {
			if (!cursor_accept(&c, "]") || chosen != NULL)
				return -EINVAL;
			chosen = w;
			chosen_len = wl;
		}
		if (!cursor_eof(&c) && *c.p != ' ' && *c.p != '\t' && *c.p != '\n')
			return -EINVAL;
		words++;
	}
	cursor_accept(&c, "\n");
	if (!cursor_eof(&c) || chosen == NULL || words == 0 || chosen_len + 1 > outsz)
		return -EINVAL;
	memcpy(out, chosen, chosen_len);
	out[chosen_len] = '\0';
	return 0;
}

static int convert(const struct ksm_file *f, const char *text, size_t len, struct mval *m)
{
	uint64_t u;
	int64_t i;
	int r;

	if (f->conv == CONV_I64) {
		r = parse_i64_value(text, len, &i);
		if (r == 0)
			mval_set_i64(m, i);
		return r;
	}
	r = parse_u64_value(text, len, &u);
	if (r != 0)
		return r;
	switch (f->conv) {
	case CONV_MS_TO_S:
		mval_set_f64(m, (double)u / 1000.0);
		break;
	case CONV_PERCENT_TO_R:
		mval_set_f64(m, (double)u / 100.0);
		break;
	default:
		mval_set_u64(m, u);
		break;
	}
	return 0;
}

/* Logs a damaged file once by path; a missing one only at debug. */
static void report(struct ksm *k, const char *path, int r)
{
	if (r == 0)
		complain_key_release(k->env->log, k->complaints, path, "readable again");
	else if (r == -ENOENT)
		log_debug(k->env->log, "%s: absent on this kernel", path);
	else
		complain_key(k->env->log, k->complaints, path, "%s; field skipped", err_text(r));
}

static int read_sysfs(struct ksm *k, int dirfd, const char *dir, struct snapshot *s)
{
	char val[KSM_VALUE_MAX];
	char path[PATH_MAX + 64];
	size_t len;
	int err = 0;

	for (size_t i = 0; i < sizeof(ksm_files) / sizeof(ksm_files[0]); i++) {
		const struct ksm_file *f = &ksm_files[i];
		int r = read_file_at(dirfd, f->name, val, sizeof(val), &len);
		if (r == 0)
			r = convert(f, val, len, &s->host[f->field]);
		/* Fits: path has 64 bytes more than dir, and the names are short. */
		(void)path_join3(path, sizeof(path), dir, "/", f->name);
		report(k, path, r);
		if (r != 0 && r != -ENOENT && err == 0)
			err = r;
	}

	int r = read_file_at(dirfd, "advisor_mode", val, sizeof(val), &len);
	if (r == 0)
		r = ksm_parse_advisor_mode(val, len, s->advisor_mode, sizeof(s->advisor_mode));
	(void)path_join3(path, sizeof(path), dir, "/advisor_mode", "");
	report(k, path, r);
	if (r != 0 && r != -ENOENT && err == 0)
		err = r;
	return err;
}

/* 0 and the CPU ticks when pid is the ksmd kernel thread, else an errno. */
static int ksmd_ticks(struct ksm *k, pid_t pid, uint64_t *ticks)
{
	char path[PATH_MAX];
	char num[16];
	struct proc_stat st;

	if (path_join3(path, sizeof(path), k->env->procfs, path_slash_pid(num, pid), "/stat") < 0)
		return -ENAMETOOLONG;
	int r = proc_stat_read(path, &st);
	if (r != 0)
		return r;
	/* A user process may call itself ksmd; the kernel thread's parent is
	 * kthreadd. */
	if (strcmp(st.comm, "ksmd") != 0 || st.ppid != KTHREADD_PID)
		return -ESRCH;
	if (st.utime > UINT64_MAX - st.stime)
		return -ERANGE;
	*ticks = st.utime + st.stime;
	return 0;
}

struct ksmd_search {
	struct ksm *k;
	uint64_t *ticks;
};

static int is_ksmd(int procfd, const char *name, pid_t pid, void *arg)
{
	struct ksmd_search *q = arg;
	(void)procfd;
	(void)name;
	if (ksmd_ticks(q->k, pid, q->ticks) != 0)
		return 0;
	q->k->ksmd_pid = pid;
	return 1;
}

/* Scans <procfs> for ksmd.  Only on the first collection or after the
 * cached pid stopped being ksmd, so the scan cost is rare. */
static int find_ksmd(struct ksm *k, uint64_t *ticks)
{
	struct ksmd_search q = {k, ticks};
	int r = proc_each_pid(k->env->procfs, is_ksmd, &q);
	return r < 0 ? r : r == 1 ? 0 : -ESRCH;
}

static void read_ksmd(struct ksm *k, struct snapshot *s)
{
	uint64_t ticks;
	int r = -ESRCH;

	if (k->clk_tck <= 0)
		return;
	if (k->ksmd_pid > 0)
		r = ksmd_ticks(k, k->ksmd_pid, &ticks);
	if (r != 0) {
		k->ksmd_pid = 0;
		r = find_ksmd(k, &ticks);
	}
	if (r != 0) {
		log_debug(k->env->log, "%s: no ksmd kernel thread found", k->env->procfs);
		return;
	}
	mval_set_f64(&s->host[HF_KSMD_CPU_SECONDS], (double)ticks / (double)k->clk_tck);
}

/* "name value" lines; only the KSM counters matter.  A line cut short at
 * the end of a truncated file has an unknown name and is skipped. */
static int read_vmstat(struct ksm *k, struct snapshot *s)
{
	char path[PATH_MAX];
	size_t len;
	int err = 0;

	if (path_join3(path, sizeof(path), k->env->procfs, "/vmstat", "") < 0) {
		complain_key(k->env->log, k->complaints, "vmstat", "%s/vmstat: path too long; fields skipped",
		             k->env->procfs);
		return -ENAMETOOLONG;
	}
	int r = read_file(path, k->big, PARSE_MAX_FILE, &len);
	if (r != 0) {
		report(k, path, r);
		return r == -ENOENT ? 0 : r;
	}
	struct cursor c = cursor_make(k->big, len);
	struct kv_line l;
	while (kv_next(&c, &l)) {
		for (size_t i = 0; i < sizeof(vmstat_keys) / sizeof(vmstat_keys[0]); i++) {
			if (!kv_key_is(&l, vmstat_keys[i].name))
				continue;
			uint64_t u;
			int pr = parse_u64_value(l.rest.p, (size_t)(l.rest.end - l.rest.p), &u);
			if (pr == 0) {
				mval_set_u64(&s->host[vmstat_keys[i].field], u);
			} else {
				complain_key(k->env->log, k->complaints, path, "%.*s: %s; field skipped",
				             (int)l.key_len, l.key, err_text(pr));
				if (err == 0)
					err = pr;
			}
		}
	}
	if (err == 0)
		complain_key_release(k->env->log, k->complaints, path, "readable again");
	return err;
}

int ksm_collect(struct ksm *k, struct snapshot *s)
{
	char dir[PATH_MAX];

	if (path_join3(dir, sizeof(dir), k->env->sysfs, "/kernel/mm/ksm", "") < 0)
		return -ENAMETOOLONG;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR) {
			log_debug(k->env->log, "%s: absent, kernel without KSM", dir);
			return -ENOENT;
		}
		complain_key(k->env->log, k->complaints, dir, "%s", log_strerror(e));
		return -e;
	}
	complain_key_release(k->env->log, k->complaints, dir, "readable again");
	int err = read_sysfs(k, dirfd, dir, s);
	close(dirfd);
	read_ksmd(k, s);
	int r = read_vmstat(k, s);
	if (err == 0)
		err = r;
	return err;
}

static void *create(const struct collect_opts *o)
{
	return ksm_new(&o->env);
}

static void destroy(void *self)
{
	ksm_free(self);
}

/* A collection is a round of the complaint set: a file no longer read
 * (a ksmd pid gone) is forgotten. */
static int collect(void *self, struct snapshot *s)
{
	struct ksm *k = self;
	complaint_set_begin(k->complaints);
	int r = ksm_collect(k, s);
	complaint_set_sweep(k->complaints);
	return r;
}

const struct collector_def collector_ksm = {
    .name = "ksm",
    .help = "host KSM from sysfs, ksmd CPU time and vmstat KSM counters",
    .kind = COLLECTOR_HOST,
    .default_on = true,
    .create = create,
    .destroy = destroy,
    .collect = collect,
};
