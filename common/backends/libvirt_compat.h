/*
 * libvirt_compat.h - what the libvirt we build against offers, as HAVE_* macros.
 *
 * Version checks live here and nowhere else, so code and tables use plain
 * macros instead of #if chains inside functions.
 */
#ifndef KVMMEM_LIBVIRT_COMPAT_H
#define KVMMEM_LIBVIRT_COMPAT_H

#include <libvirt/libvirt.h>

/* VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: since 4.5.0.  Without it the
 * bulk call may wait for a domain's job; the worker's timeout still
 * bounds a collection. */
#if LIBVIR_CHECK_VERSION(4, 5, 0)
#define KVM_STATS_NOWAIT VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT
#else
#define KVM_STATS_NOWAIT 0
#endif

/* virDomainMemoryStatTags: USABLE and LAST_UPDATE since 2.1.0,
 * DISK_CACHES since 4.6.0, HUGETLB_PGALLOC/PGFAIL since 5.4.0. */
#define HAVE_MEMSTAT_USABLE LIBVIR_CHECK_VERSION(2, 1, 0)
#define HAVE_MEMSTAT_DISK_CACHES LIBVIR_CHECK_VERSION(4, 6, 0)
#define HAVE_MEMSTAT_HUGETLB LIBVIR_CHECK_VERSION(5, 4, 0)

#endif
