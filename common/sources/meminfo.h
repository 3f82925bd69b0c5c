/*
 * meminfo.h - host memory: the page size and MemTotal/MemAvailable of
 * <procfs>/meminfo.
 */
#ifndef KVMMEM_MEMINFO_H
#define KVMMEM_MEMINFO_H

#include "model/env.h"
#include "model/snapshot.h"

struct meminfo;

struct meminfo *meminfo_new(const struct kvm_env *env);
void meminfo_free(struct meminfo *m);

/* Fills HF_PAGE_SIZE_BYTES, HF_MEM_TOTAL_BYTES, HF_MEM_AVAILABLE_BYTES.
 * 0, or a negative errno when meminfo was missing or damaged (the page
 * size is still filled). */
int meminfo_collect(struct meminfo *m, struct snapshot *s);

/* Pure parser: "Key:   123 kB" lines; fills total/available (bytes) and
 * their present flags.  Unknown keys are ignored.  0 or -EINVAL when a
 * wanted key is malformed. */
int meminfo_parse(const char *text, size_t len, struct mval *total, struct mval *available);

#endif
