/*
 * libvirt_stats.h - libvirt's answers in the model's fields: the typed
 * parameters of virConnectGetAllDomainStats, the tags of
 * virDomainMemoryStats and virDomainState.  Pure: no calls, no state.
 */
#ifndef KVMMEM_LIBVIRT_STATS_H
#define KVMMEM_LIBVIRT_STATS_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "model/snapshot.h"

/* What a bulk record says about balloon statistics.  The QEMU driver
 * (qemuDomainGetStatsBalloon) always gives balloon.current and
 * balloon.maximum from the definition; everything else, balloon.rss
 * included, only when it got the domain's job (NOWAIT skips a busy one). */
struct balloon_seen {
	bool any;   /* some balloon.* field */
	bool guest; /* a balloon.* field beyond current and maximum */
};

struct balloon_seen libvirt_scan_bulk(const virDomainStatsRecord *rec);

/* Sets the fields a bulk record (STATE and BALLOON groups) carries:
 * DF_STATE in the model's codes, sizes in bytes, counts as they are. */
void libvirt_map_bulk(const virDomainStatsRecord *rec, struct dom_snap *d);

/* Sets the fields of n virDomainMemoryStats entries. */
void libvirt_map_memstats(const virDomainMemoryStatStruct *st, int n, struct dom_snap *d);

/* The model's state of a virDomainState value; DOM_STATE_NOSTATE for a
 * value this build does not know. */
enum dom_state libvirt_state(uint64_t vir_state);

#endif
