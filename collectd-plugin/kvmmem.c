/*
 * kvmmem.c - the collectd read plugin: registration and callbacks.
 *
 * collectd's config, init, read and shutdown callbacks carry no user
 * data, so the plugin's state is one static struct.  That is the
 * front-end's business; the core it drives keeps no globals.  collectd
 * never runs the same read callback twice at once, so no lock is needed.
 */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/collect.h"
#include "util/complain.h"
#include "conf.h"
#include "dispatch.h"
#include "model/emit.h"
#include "model/env.h"
#include "util/log.h"

/* Used when no Timeout is set: libvirt may take this share of the read
 * interval, at most the core's default of 8 s. */
#define DEFAULT_TIMEOUT_SHARE 0.8
#define DEFAULT_TIMEOUT_MAX_MS 8000

static struct {
	struct cd_conf conf;
	bool conf_ready;
	struct kvm_log log;
	struct collection *coll;
	struct complaint_set *cs;
	struct complaint nothing; /* a read that collected nothing at all */
} g;

static void log_to_collectd(void *ctx, enum log_level level, const char *msg)
{
	static const int map[] = {[LOG_LVL_ERROR] = LOG_ERR,
	                          [LOG_LVL_WARN] = LOG_WARNING,
	                          [LOG_LVL_INFO] = LOG_INFO,
	                          [LOG_LVL_DEBUG] = LOG_DEBUG};
	(void)ctx;
	plugin_log(map[level], CD_PLUGIN_NAME " plugin: %s", msg);
}

static void ensure_conf(void)
{
	if (!g.conf_ready) {
		cd_conf_init(&g.conf);
		g.conf_ready = true;
	}
}

static int kvmmem_config(oconfig_item_t *ci)
{
	char err[256];

	ensure_conf();
	int r = cd_conf_apply(&g.conf, ci, err, sizeof(err));
	if (r == -ENOMEM)
		plugin_log(LOG_ERR, CD_PLUGIN_NAME " plugin: out of memory reading the configuration");
	else if (r != 0)
		plugin_log(LOG_ERR, CD_PLUGIN_NAME " plugin: %s", err);
	return r == 0 ? 0 : -1;
}

/* The libvirt timeout in ms; -EINVAL (logged) when Timeout is not below
 * the read interval, because a read must end before the next is due. */
static int timeout_ms(int *out)
{
	double interval = CDTIME_T_TO_DOUBLE(plugin_get_interval());

	if (g.conf.timeout_seconds == 0) {
		double ms = interval * DEFAULT_TIMEOUT_SHARE * 1000;
		*out = ms > DEFAULT_TIMEOUT_MAX_MS ? DEFAULT_TIMEOUT_MAX_MS : ms < 1 ? 1 : (int)ms;
		return 0;
	}
	if (interval > 0 && g.conf.timeout_seconds >= interval) {
		plugin_log(LOG_ERR,
		           CD_PLUGIN_NAME " plugin: option Timeout (%g s) must be below the read interval (%g s)",
		           g.conf.timeout_seconds, interval);
		return -EINVAL;
	}
	*out = (int)(g.conf.timeout_seconds * 1000);
	return 0;
}

/* Only the domains Domain/IgnoreSelected report have their monitors asked. */
static bool qmp_selected(void *ctx, const char *name)
{
	return cd_conf_domain_selected(ctx, name);
}

static int kvmmem_init(void)
{
	struct collect_opts o;

	ensure_conf();
	collect_opts_default(&o);
	if (timeout_ms(&o.timeout_ms) != 0)
		return -1;
	g.log.backend = log_to_collectd;
	g.log.ctx = NULL;
	g.log.max_level = LOG_LVL_INFO;
	o.env.log = &g.log;
	if (g.conf.sysfs != NULL)
		o.env.sysfs = g.conf.sysfs;
	if (g.conf.procfs != NULL)
		o.env.procfs = g.conf.procfs;
	if (g.conf.libvirt_run != NULL)
		o.env.libvirt_run = g.conf.libvirt_run;
	if (g.conf.cgroupfs != NULL)
		o.env.cgroupfs = g.conf.cgroupfs;
	if (g.conf.qemu_server_run != NULL)
		o.env.qemu_server_run = g.conf.qemu_server_run;
	if (g.conf.uri != NULL)
		o.libvirt.uri = g.conf.uri;
	if (g.conf.qmp_timeout_ms > 0)
		o.qmp.timeout_ms = g.conf.qmp_timeout_ms;
	o.qmp.selected = qmp_selected;
	o.qmp.selected_ctx = &g.conf;
	/* The switches name what is reported, the collectors what is read:
	 * per-domain KSM needs the backends' domain lists even when their own
	 * values are not reported (dispatch leaves those out). */
	for (int i = 0; i < COLL_COUNT; i++) {
		switch (collector_def((enum collector_id)i)->kind) {
		case COLLECTOR_HOST:
			o.enabled[i] = g.conf.report_host;
			break;
		case COLLECTOR_BACKEND:
			o.enabled[i] = g.conf.report_domains || g.conf.report_domain_ksm || g.conf.report_domain_cgroup;
			if (i == COLL_QEMU && !g.conf.qemu_discovery)
				o.enabled[i] = false;
			break;
		case COLLECTOR_PER_DOMAIN:
			o.enabled[i] = i == COLL_CGROUP ? g.conf.report_domain_cgroup : g.conf.report_domain_ksm;
			/* The balloon and guest values are the domains' own. */
			if (i == COLL_QMP)
				o.enabled[i] = g.conf.qmp && g.conf.report_domains;
			break;
		}
	}

	g.cs = complaint_set_new();
	g.coll = collection_new(&o);
	if (g.cs == NULL || g.coll == NULL) {
		plugin_log(LOG_ERR, CD_PLUGIN_NAME " plugin: cannot start the collector (out of memory or threads)");
		collection_free(g.coll);
		complaint_set_free(g.cs);
		g.coll = NULL;
		g.cs = NULL;
		return -1;
	}
	return 0;
}

static int kvmmem_read(void)
{
	struct snapshot s;
	struct cd_dispatch d = {.conf = &g.conf, .log = &g.log, .cs = g.cs};
	struct sink sink;

	if (g.coll == NULL)
		return -1;
	snapshot_init(&s);
	int r = collection_run(g.coll, &s);
	if (r != 0)
		complain(&g.log, &g.nothing, "nothing could be collected (%s)", log_strerror(r));
	else
		complain_release(&g.log, &g.nothing, "collecting again");
	cd_dispatch_sink(&d, &sink);
	/* Each read is a round of the dispatch complaints: a domain that is
	 * gone is forgotten. */
	complaint_set_begin(g.cs);
	emit_snapshot(&s, NULL, &sink);
	complaint_set_sweep(g.cs);
	snapshot_clear(&s);
	/* Always 0: a non-zero return makes collectd back off this plugin up
	 * to a day, and a partial (or even empty) collection is no reason for
	 * that.  The sources log their own failures. */
	return 0;
}

static int kvmmem_shutdown(void)
{
	collection_free(g.coll);
	g.coll = NULL;
	complaint_set_free(g.cs);
	g.cs = NULL;
	if (g.conf_ready)
		cd_conf_free(&g.conf);
	g.conf_ready = false;
	g.nothing = (struct complaint){0};
	return 0;
}

__attribute__((visibility("default"))) void module_register(void);

void module_register(void)
{
	plugin_register_complex_config(CD_PLUGIN_NAME, kvmmem_config);
	plugin_register_init(CD_PLUGIN_NAME, kvmmem_init);
	plugin_register_read(CD_PLUGIN_NAME, kvmmem_read);
	plugin_register_shutdown(CD_PLUGIN_NAME, kvmmem_shutdown);
}
