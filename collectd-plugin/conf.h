/*
 * conf.h - the <Plugin kvmmem> block, parsed strictly.
 *
 * Options (keys case-insensitive, as everywhere in collectd.conf):
 * Connection, SysfsPath, ProcfsPath, LibvirtRunPath, CgroupfsPath,
 * QemuServerRunPath (one string each),
 * PluginInstanceFormat name|uuid (one or both, as separate values),
 * Domain "<name>" or "/<regex>/" (repeatable), IgnoreSelected, ReportHost,
 * ReportDomains, ReportDomainKSM, ReportDomainCgroup, QemuDiscovery,
 * QMP (booleans; QMP is off unless set), Timeout, QMPTimeout
 * (seconds).  Anything
 * else, and any bad value, is an error naming the option.
 */
#ifndef KVMMEM_CD_CONF_H
#define KVMMEM_CD_CONF_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

enum cd_inst_field { CD_INST_NAME = 0, CD_INST_UUID };

/* One Domain option: an exact name, or a regex written as /.../. */
struct cd_domain_match {
	char *name; /* the option's text, owned */
	bool is_regex;
	regex_t re; /* compiled when is_regex */
};

struct cd_conf {
	char *uri;             /* owned; NULL means KVM_DEFAULT_LIBVIRT_URI */
	char *sysfs;           /* owned; NULL means the default root */
	char *procfs;          /* owned; NULL means the default root */
	char *libvirt_run;     /* owned; NULL means the default directory */
	char *cgroupfs;        /* owned; NULL means the default root */
	char *qemu_server_run; /* owned; NULL means the default directory */
	enum cd_inst_field inst[2];
	size_t ninst; /* 1 or 2 */
	struct cd_domain_match *domains;
	size_t ndomains;
	bool ignore_selected;
	bool report_host;
	bool report_domains;
	bool report_domain_ksm;
	bool report_domain_cgroup;
	bool qemu_discovery;    /* the qemu backend: QEMU processes found in /proc */
	double timeout_seconds; /* 0: derived from the read interval */
	bool qmp;               /* the qmp collector: QEMU monitors, off by default */
	int qmp_timeout_ms;     /* 0: the core's default */
};

/* Defaults: instance "name", every report on, no domain selection. */
void cd_conf_init(struct cd_conf *c);
/* Frees everything c owns and re-initialises it. */
void cd_conf_free(struct cd_conf *c);

/*
 * Applies the children of one <Plugin kvmmem> block to c (later blocks
 * override earlier values; Domain entries accumulate).  Returns 0, or
 * -EINVAL with a message naming the option in err (NUL-terminated,
 * truncated to errsz), or -ENOMEM.  On failure c may hold the options
 * before the bad one; the caller refuses the whole configuration anyway.
 */
int cd_conf_apply(struct cd_conf *c, const oconfig_item_t *block, char *err, size_t errsz);

/* Whether a domain's values are reported, after Domain and IgnoreSelected. */
bool cd_conf_domain_selected(const struct cd_conf *c, const char *name);

#endif
