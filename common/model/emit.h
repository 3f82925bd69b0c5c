/*
 * emit.h - walks a snapshot family by family through a sink.
 *
 * Order is the catalogue's, and within a domain family the snapshot's
 * (sorted by name), so output is stable enough for golden files.
 */
#ifndef KVMMEM_EMIT_H
#define KVMMEM_EMIT_H

#include "model/sink.h"
#include "model/snapshot.h"

/* Labels of kvmmem_exporter_build_info; NULL members print as "". */
struct build_labels {
	const char *version;
	const char *revision;
	const char *libvirt_version;
};

/* Returns 0, or the first non-zero value a sink callback returned (emit
 * stops there). */
int emit_snapshot(const struct snapshot *s, const struct build_labels *build, const struct sink *sink);

#endif
