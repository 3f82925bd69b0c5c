/*
 * domxml.h - the memory-related parts of a libvirt domain XML (libxml2).
 *
 * See https://libvirt.org/formatdomain.html: <memory>, <memoryBacking>
 * (<hugepages>, <nosharepages/>, <locked/>) and <devices><memballoon
 * model=... autodeflate=... freePageReporting=...><stats
 * period=.../></memballoon>, and virtio-mem devices (<memory
 * model='virtio-mem'><target><size/><requested/><current/>).
 */
#ifndef KVMMEM_DOMXML_H
#define KVMMEM_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h"

struct domxml_info {
	struct domain_config config;      /* config.present set on success */
	struct mval max_memory_bytes;     /* <memory> converted by its unit */
	struct mval stats_period_seconds; /* absent without a balloon; 0 without <stats> */
	/* <devices><memory model='virtio-mem'><target>: <size>, <requested>
	 * and (live XML) <current>, each summed over the devices that have
	 * it; absent when none has */
	struct mval virtio_mem_size, virtio_mem_requested, virtio_mem_current;
};

/* Parses a domain XML document.  0, or -EINVAL when it is not a domain
 * XML (out untouched).  Never touches the network or the file system. */
int domxml_parse(const char *xml, size_t len, struct domxml_info *out);

#endif
