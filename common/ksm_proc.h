/*
 * ksm_proc.h - per-process KSM of a QEMU process:
 * <procfs>/<pid>/ksm_stat and <procfs>/<pid>/ksm_merging_pages.
 *
 * ksm_stat mixes "key value" and "key: yes|no" lines, has signed fields,
 * and grows keys with kernel versions: unknown keys are ignored, missing
 * ones are absent.  Both files are mode 0400 owned by the process's user:
 * reading them needs that user, root or CAP_DAC_READ_SEARCH.
 */
#ifndef KVMMEM_KSM_PROC_H
#define KVMMEM_KSM_PROC_H

#include <sys/types.h>

#include "env.h"
#include "snapshot.h"

struct ksm_proc;

struct ksm_proc *ksm_proc_new(const struct kvm_env *env);
void ksm_proc_free(struct ksm_proc *p);

/*
 * Fills DF_KSM_* of d for process pid.  Returns 0; -ESRCH when the process
 * is gone (quietly: QEMU may exit between listing and reading); -ENOENT
 * when the kernel has neither file; another negative errno (for example
 * -EACCES, logged once) when a file could not be read or parsed, with
 * whatever could be read still filled.
 */
int ksm_proc_collect(struct ksm_proc *p, pid_t pid, struct dom_snap *d);

/* Pure parser for ksm_stat text: fills the DF_KSM_* fields it finds.
 * 0, or -EINVAL when a known line is malformed (the other fields are
 * still filled). */
int ksm_stat_parse(const char *text, size_t len, struct dom_snap *d);

#endif
