/*
 * collectd_stubs.h - stand-ins for the symbols the collectd executable
 * gives a plugin at dlopen time, for unit tests of collectd-plugin/.
 *
 * A fake because a plugin cannot run outside a daemon otherwise; the real
 * daemon runs the built plugin in tests/integration/test_collectd*.sh.
 * Dispatches are interpreted with the real /usr/share/collectd/types.db,
 * as collectd would, and recorded one per line:
 *   <plugin>|<plugin_instance>|<type>|<type_instance>|<value>
 * with GAUGE values printed as shortest round-trip doubles and DERIVE as
 * integers.  Log lines are recorded as "<level>: <message>".
 */
#ifndef KVMMEM_TEST_COLLECTD_STUBS_H
#define KVMMEM_TEST_COLLECTD_STUBS_H

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

#include "util/buf.h"

struct stub_state {
	int (*config)(oconfig_item_t *);
	int (*init)(void);
	int (*read)(void);
	int (*shutdown)(void);
	struct buf dispatched; /* one line per value list */
	struct buf logged;     /* one line per plugin_log call */
	cdtime_t interval;     /* what plugin_get_interval returns */
	int dispatch_result;   /* what plugin_dispatch_values returns */
};

extern struct stub_state stub;

/* Frees the recordings and forgets the callbacks; interval 10 s. */
void stub_reset(void);

#endif
