/*
 * conf.c - strict parsing of <Plugin kvmmem>.
 *
 * The block is walked by hand over oconfig_item_t: the cf_util_* helpers
 * live in the collectd executable but are not part of plugin.h, and their
 * messages do not say which plugin complained.
 */
#include "conf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/errbuf.h"

void cd_conf_init(struct cd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->inst[0] = CD_INST_NAME;
	c->ninst = 1;
	c->report_host = true;
	c->report_domains = true;
	c->report_domain_ksm = true;
	c->report_domain_cgroup = true;
	c->qemu_discovery = true;
}

void cd_conf_free(struct cd_conf *c)
{
	free(c->uri);
	free(c->sysfs);
	free(c->procfs);
	free(c->libvirt_run);
	free(c->cgroupfs);
	free(c->qemu_server_run);
	for (size_t i = 0; i < c->ndomains; i++) {
		if (c->domains[i].is_regex)
			regfree(&c->domains[i].re);
		free(c->domains[i].name);
	}
	free(c->domains);
	cd_conf_init(c);
}

/* Exactly one non-empty string. */
static int get_string(const oconfig_item_t *ci, char **dst, char *err, size_t errsz)
{
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING)
		return errbuf_fail(err, errsz, -EINVAL, "option %s needs exactly one string argument", ci->key);
	if (ci->values[0].value.string[0] == '\0')
		return errbuf_fail(err, errsz, -EINVAL, "option %s must not be empty", ci->key);
	char *s = strdup(ci->values[0].value.string);
	if (s == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* An unquoted true/false, or the quoted words collectd itself accepts. */
static int get_bool(const oconfig_item_t *ci, bool *dst, char *err, size_t errsz)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_BOOLEAN) {
		*dst = ci->values[0].value.boolean != 0;
		return 0;
	}
	if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_STRING) {
		for (size_t i = 0; i < 3; i++) {
			if (strcasecmp(ci->values[0].value.string, yes[i]) == 0) {
				*dst = true;
				return 0;
			}
			if (strcasecmp(ci->values[0].value.string, no[i]) == 0) {
				*dst = false;
				return 0;
			}
		}
	}
	return errbuf_fail(err, errsz, -EINVAL, "option %s needs exactly one boolean argument (true or false)",
	                   ci->key);
}

static int get_instance_format(const oconfig_item_t *ci, struct cd_conf *c, char *err, size_t errsz)
{
	enum cd_inst_field f[2];
	int n = ci->values_num;

	if (n < 1 || n > 2)
		return errbuf_fail(err, errsz, -EINVAL, "option %s needs one or two of: name uuid", ci->key);
	for (int i = 0; i < n; i++) {
		const oconfig_value_t *v = &ci->values[i];
		if (v->type != OCONFIG_TYPE_STRING)
			return errbuf_fail(err, errsz, -EINVAL, "option %s needs one or two of: name uuid", ci->key);
		if (strcasecmp(v->value.string, "name") == 0)
			f[i] = CD_INST_NAME;
		else if (strcasecmp(v->value.string, "uuid") == 0)
			f[i] = CD_INST_UUID;
		else
			return errbuf_fail(err, errsz, -EINVAL, "option %s: unknown field \"%s\" (known: name uuid)",
			                   ci->key, v->value.string);
	}
	if (n == 2 && f[0] == f[1])
		return errbuf_fail(err, errsz, -EINVAL, "option %s lists a field twice", ci->key);
	for (int i = 0; i < n; i++)
		c->inst[i] = f[i];
	c->ninst = (size_t)n;
	return 0;
}

static int add_domain(const oconfig_item_t *ci, struct cd_conf *c, char *err, size_t errsz)
{
	char *text = NULL;
	int r = get_string(ci, &text, err, errsz);
	if (r != 0)
		return r;

	struct cd_domain_match m = {.name = text};
	size_t len = strlen(text);
	if (len >= 2 && text[0] == '/' && text[len - 1] == '/') {
		/* regcomp wants the pattern alone; reuse the copy. */
		char *pat = strndup(text + 1, len - 2);
		if (pat == NULL) {
			free(text);
			return -ENOMEM;
		}
		int rc = regcomp(&m.re, pat, REG_EXTENDED | REG_NOSUB);
		free(pat);
		if (rc != 0) {
			char why[128];
			regerror(rc, &m.re, why, sizeof(why));
			r = errbuf_fail(err, errsz, -EINVAL, "option %s: bad regular expression %s: %s", ci->key, text,
			                why);
			free(text);
			return r;
		}
		m.is_regex = true;
	}

	struct cd_domain_match *grown = realloc(c->domains, (c->ndomains + 1) * sizeof(*grown));
	if (grown == NULL) {
		if (m.is_regex)
			regfree(&m.re);
		free(text);
		return -ENOMEM;
	}
	c->domains = grown;
	c->domains[c->ndomains++] = m;
	return 0;
}

/* Seconds, positive and sane; the check against the interval is at init,
 * when collectd knows the plugin's interval. */
static int get_timeout(const oconfig_item_t *ci, struct cd_conf *c, char *err, size_t errsz)
{
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER)
		return errbuf_fail(err, errsz, -EINVAL, "option %s needs exactly one number (seconds)", ci->key);
	double t = ci->values[0].value.number;
	if (!isfinite(t) || t < 0.001 || t > 3600)
		return errbuf_fail(err, errsz, -EINVAL, "option %s must be between 0.001 and 3600 seconds", ci->key);
	c->timeout_seconds = t;
	return 0;
}

/* QMPTimeout: seconds, as Timeout, but at most 10: the platform's own
 * client waits as long behind us. */
static int get_qmp_timeout(const oconfig_item_t *ci, struct cd_conf *c, char *err, size_t errsz)
{
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER)
		return errbuf_fail(err, errsz, -EINVAL, "option %s needs exactly one number (seconds)", ci->key);
	double t = ci->values[0].value.number;
	if (!isfinite(t) || t < 0.001 || t > 10)
		return errbuf_fail(err, errsz, -EINVAL, "option %s must be between 0.001 and 10 seconds", ci->key);
	c->qmp_timeout_ms = (int)(t * 1000 + 0.5);
	return 0;
}

int cd_conf_apply(struct cd_conf *c, const oconfig_item_t *block, char *err, size_t errsz)
{
	if (errsz > 0)
		err[0] = '\0';
	for (int i = 0; i < block->children_num; i++) {
		const oconfig_item_t *ci = &block->children[i];
		const char *k = ci->key;
		int r;

		if (ci->children_num != 0)
			return errbuf_fail(err, errsz, -EINVAL, "option %s: blocks are not allowed here", k);
		if (strcasecmp(k, "Connection") == 0)
			r = get_string(ci, &c->uri, err, errsz);
		else if (strcasecmp(k, "SysfsPath") == 0)
			r = get_string(ci, &c->sysfs, err, errsz);
		else if (strcasecmp(k, "ProcfsPath") == 0)
			r = get_string(ci, &c->procfs, err, errsz);
		else if (strcasecmp(k, "LibvirtRunPath") == 0)
			r = get_string(ci, &c->libvirt_run, err, errsz);
		else if (strcasecmp(k, "CgroupfsPath") == 0)
			r = get_string(ci, &c->cgroupfs, err, errsz);
		else if (strcasecmp(k, "QemuServerRunPath") == 0)
			r = get_string(ci, &c->qemu_server_run, err, errsz);
		else if (strcasecmp(k, "QemuDiscovery") == 0)
			r = get_bool(ci, &c->qemu_discovery, err, errsz);
		else if (strcasecmp(k, "PluginInstanceFormat") == 0)
			r = get_instance_format(ci, c, err, errsz);
		else if (strcasecmp(k, "Domain") == 0)
			r = add_domain(ci, c, err, errsz);
		else if (strcasecmp(k, "IgnoreSelected") == 0)
			r = get_bool(ci, &c->ignore_selected, err, errsz);
		else if (strcasecmp(k, "ReportHost") == 0)
			r = get_bool(ci, &c->report_host, err, errsz);
		else if (strcasecmp(k, "ReportDomains") == 0)
			r = get_bool(ci, &c->report_domains, err, errsz);
		else if (strcasecmp(k, "ReportDomainKSM") == 0)
			r = get_bool(ci, &c->report_domain_ksm, err, errsz);
		else if (strcasecmp(k, "ReportDomainCgroup") == 0)
			r = get_bool(ci, &c->report_domain_cgroup, err, errsz);
		else if (strcasecmp(k, "Timeout") == 0)
			r = get_timeout(ci, c, err, errsz);
		else if (strcasecmp(k, "QMP") == 0)
			r = get_bool(ci, &c->qmp, err, errsz);
		else if (strcasecmp(k, "QMPTimeout") == 0)
			r = get_qmp_timeout(ci, c, err, errsz);
		else
			r = errbuf_fail(err, errsz, -EINVAL, "unknown option %s", k);
		if (r != 0)
			return r;
	}
	return 0;
}

bool cd_conf_domain_selected(const struct cd_conf *c, const char *name)
{
	bool hit = false;

	/* No Domain option: every domain, whatever IgnoreSelected says, as
	 * collectd's own ignore lists behave. */
	if (c->ndomains == 0)
		return true;
	for (size_t i = 0; i < c->ndomains && !hit; i++) {
		const struct cd_domain_match *m = &c->domains[i];
		hit = m->is_regex ? regexec(&m->re, name, 0, NULL, 0) == 0 : strcmp(m->name, name) == 0;
	}
	return hit != c->ignore_selected;
}
