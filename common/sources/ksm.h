/*
 * ksm.h - host-wide KSM: the files of <sysfs>/kernel/mm/ksm/, ksmd's CPU time
 * (<procfs>/<pid>/stat of the kernel thread named ksmd) and the KSM
 * counters of <procfs>/vmstat (cow_ksm, ksm_swpin_copy).
 *
 * Files a kernel does not have are absent, not errors (logged at debug).
 * A damaged file costs only its own field and is logged once by path.
 */
#ifndef KVMMEM_KSM_H
#define KVMMEM_KSM_H

#include "model/env.h"
#include "model/snapshot.h"

struct ksm;

/* Returns a reader for env (borrowed, must outlive it) or NULL on ENOMEM. */
struct ksm *ksm_new(const struct kvm_env *env);
void ksm_free(struct ksm *k);

/*
 * Fills HF_KSM_*, HF_KSMD_CPU_SECONDS, HF_KSM_COW, HF_KSM_SWAPIN_COPIES and
 * s->advisor_mode.  Returns 0 when every file that exists parsed; -ENOENT
 * when the kernel has no KSM directory at all; another negative errno when
 * at least one file was damaged (everything else is still filled).
 */
int ksm_collect(struct ksm *k, struct snapshot *s);

/* Pure parser for ksm/advisor_mode ("[none] scan-time"): copies the
 * bracketed choice into out.  0 or -EINVAL. */
int ksm_parse_advisor_mode(const char *text, size_t len, char *out, size_t outsz);

#endif
