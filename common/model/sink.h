/*
 * sink.h - how emit() hands samples to a front-end.
 *
 * A struct of function pointers plus a context pointer, the shape of
 * OpenSMTPD's table backends.  The exporter's sink writes text exposition;
 * the collectd plugin's sink builds value lists; tests record calls.
 */
#ifndef KVMMEM_SINK_H
#define KVMMEM_SINK_H

#include <stddef.h>

#include "model/catalogue.h"
#include "model/snapshot.h"

struct label {
	const char *name;
	const char *value; /* raw bytes; the sink escapes as its format needs */
};

struct sink {
	void *ctx;
	/* Called once before the first sample of a family.  Families without
	 * any sample in a snapshot are never begun. */
	int (*begin_family)(void *ctx, const struct family *fam);
	/* One sample.  dom is the domain it belongs to, NULL for host and self
	 * samples.  labels[] are in the order the catalogue lists them. */
	int (*sample)(void *ctx, const struct family *fam, const struct dom_snap *dom, const struct label *labels,
	              size_t nlabels, const struct mval *value);
	/* Called after the last sample of a begun family; may be NULL. */
	int (*end_family)(void *ctx, const struct family *fam);
};

#endif
