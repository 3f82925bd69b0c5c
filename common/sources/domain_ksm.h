/*
 * domain_ksm.h - per-process KSM of a QEMU process:
 * <procfs>/<pid>/ksm_stat and <procfs>/<pid>/ksm_merging_pages.
 *
 * ksm_stat mixes "key value" and "key: yes|no" lines, has signed fields,
 * and grows keys with kernel versions: unknown keys are ignored, missing
 * ones are absent.  Both files are mode 0400 owned by the process's user:
 * reading them needs that user, root or CAP_DAC_READ_SEARCH.
 */
#ifndef KVMMEM_DOMAIN_KSM_H
#define KVMMEM_DOMAIN_KSM_H

#include <sys/types.h>

#include "model/env.h"
#include "model/snapshot.h"

struct domain_ksm;

struct domain_ksm *domain_ksm_new(const struct kvm_env *env);
void domain_ksm_free(struct domain_ksm *p);

/*
 * Fills DF_KSM_* of d for process pid.  Returns 0; -ESRCH when the process
 * is gone (quietly: QEMU may exit between listing and reading); -ENOENT
 * when the kernel has neither file; another negative errno (for example
 * -EACCES, logged once) when a file could not be read or parsed, with
 * whatever could be read still filled.
 */
int domain_ksm_collect(struct domain_ksm *p, pid_t pid, struct dom_snap *d);

/* Pure parser for ksm_stat text: fills the DF_KSM_* fields it finds.
 * 0, or -EINVAL when a known line is malformed (the other fields are
 * still filled). */
int ksm_stat_parse(const char *text, size_t len, struct dom_snap *d);

#endif
