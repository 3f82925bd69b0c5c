/*
 * dispatch.h - the collectd plugin's sink: samples become value lists.
 *
 * Every sample of a mapped family (mapping.h) is sent with
 * plugin_dispatch_values as plugin "kvmmem": host values under the empty
 * plugin instance, a domain's under the instance PluginInstanceFormat
 * gives it.  Samples of families that are not mapped, of domains the
 * Domain/IgnoreSelected options leave out, and of reports switched off
 * are dropped here.  Absent values never reach a sink.
 */
#ifndef KVMMEM_CD_DISPATCH_H
#define KVMMEM_CD_DISPATCH_H

#include <stddef.h>

#include "util/complain.h"
#include "conf.h"
#include "util/log.h"
#include "model/sink.h"

#define CD_PLUGIN_NAME "kvmmem"

struct cd_dispatch {
	const struct cd_conf *conf; /* borrowed */
	const struct kvm_log *log;  /* borrowed; may be NULL */
	struct complaint_set *cs;   /* borrowed; may be NULL (then every problem logs) */
	size_t sent;                /* value lists collectd accepted */
	size_t failed;              /* value lists not sent: dispatch error or value out of the type's range */
};

/* Fills *out with a sink writing through d (which must outlive it). */
void cd_dispatch_sink(struct cd_dispatch *d, struct sink *out);

/*
 * Writes the plugin instance of dom ("name", "uuid" or both joined by ':'
 * in the configured order) into dst.  Returns 0, or -E2BIG when it had to
 * be shortened (at a UTF-8 character boundary) to fit dstsz.
 */
int cd_plugin_instance(const struct cd_conf *c, const struct dom_snap *dom, char *dst, size_t dstsz);

#endif
