/*
 * mapping.h - which collectd type and type instance each catalogue family
 * becomes.
 *
 * A table indexed by enum family_id, so a new family without a row is a
 * compile-time-visible gap that test_plugin_mapping.c reports.  Only stock
 * types.db types are used; the type carries the unit, so the type instance
 * is the family name without "kvmmem_", without "domain_" for per-domain
 * families and without the unit suffix.  This module knows no collectd
 * header, so its rules can be tested and documented on their own.
 */
#ifndef KVMMEM_CD_MAPPING_H
#define KVMMEM_CD_MAPPING_H

#include "model/catalogue.h"

/* The data source type of the collectd type's only value. */
enum cd_ds { CD_GAUGE = 0, CD_DERIVE };

struct cd_map {
	const char *type;          /* types.db type; NULL: not dispatched */
	const char *type_instance; /* NULL when not dispatched */
	enum cd_ds ds;
	double scale;     /* multiply the catalogue value by this (1 unless the type's unit differs) */
	const char *note; /* why not dispatched, or the conversion made; NULL for none */
};

/* The table, cd_mapping[id] for every enum family_id. */
extern const struct cd_map cd_mapping[FAM_COUNT];

/* The row of family id, or NULL when the family is not dispatched to
 * collectd. */
const struct cd_map *cd_map_get(enum family_id id);

#endif
