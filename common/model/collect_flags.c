/* collect_flags.c - --libvirt.uri, --path.*, --[no-]collector.* into struct collect_flags. */
#include "model/collect_flags.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/env.h"
#include "util/errbuf.h"
#include "util/parse.h"

struct path_flag {
	const char *name; /* without the leading "--" */
	size_t offset;    /* of the const char * in struct collect_flags */
	const char *metavar;
	const char *help;
	const char *def;
};

#define FIELD(f) offsetof(struct collect_flags, f)

static const struct path_flag path_flags[] = {
    {"libvirt.uri", FIELD(libvirt_uri), "URI", "libvirt connection URI, opened read-only.", KVM_DEFAULT_LIBVIRT_URI},
    {"path.sysfs", FIELD(sysfs), "DIR", "sysfs mount point.", KVM_DEFAULT_SYSFS},
    {"path.procfs", FIELD(procfs), "DIR", "procfs mount point.", KVM_DEFAULT_PROCFS},
    {"path.libvirt-run", FIELD(libvirt_run), "DIR", "libvirt QEMU run directory holding <domain>.pid files.",
     KVM_DEFAULT_LIBVIRT_RUN},
    {"path.qemu-server-run", FIELD(qemu_server_run), "DIR",
     "Proxmox VE qemu-server run directory holding <vmid>.pid files.", KVM_DEFAULT_QEMU_SERVER_RUN},
    {"path.cgroupfs", FIELD(cgroupfs), "DIR",
     "cgroup file system mount point (v1: the memory controller under memory/).", KVM_DEFAULT_CGROUPFS},
};

#define NPATH_FLAGS (sizeof(path_flags) / sizeof(path_flags[0]))

static const char **path_slot(struct collect_flags *f, const struct path_flag *p)
{
	return (const char **)(void *)((char *)f + p->offset);
}

void collect_flags_defaults(struct collect_flags *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < NPATH_FLAGS; i++)
		*path_slot(f, &path_flags[i]) = path_flags[i].def;
	for (int i = 0; i < COLL_COUNT; i++)
		f->collectors[i] = collector_def((enum collector_id)i)->default_on;
	f->qmp_timeout_ms = QMP_DEFAULT_TIMEOUT_MS;
}

#define QMP_TIMEOUT_FLAG "qmp.timeout"
#define QMP_TIMEOUT_MAX_MS 10000

/* A duration "<n>ms" or "<n>s", 1 ms to 10 s: longer, and the platform's
 * own client waits too long behind us.  0 or -EINVAL. */
static int parse_ms(const char *v, int *out)
{
	size_t len = strlen(v);
	uint64_t n, scale = 1;
	if (len > 2 && memcmp(v + len - 2, "ms", 2) == 0) {
		len -= 2;
	} else if (len > 1 && v[len - 1] == 's') {
		len -= 1;
		scale = 1000;
	} else {
		return -EINVAL;
	}
	if (parse_u64_value(v, len, &n) != 0 || n == 0 || n > QMP_TIMEOUT_MAX_MS / scale)
		return -EINVAL;
	*out = (int)(n * scale);
	return 0;
}

/* --qmp.timeout; -ENOENT when the flag is another. */
static int qmp_flag(struct collect_flags *f, struct flag_arg *a, char *err, size_t errsz)
{
	const char *value = a->value;
	if (a->len != strlen(QMP_TIMEOUT_FLAG) || memcmp(a->name, QMP_TIMEOUT_FLAG, a->len) != 0)
		return -ENOENT;
	if (value == NULL) {
		if (a->next == NULL)
			return errbuf_fail(err, errsz, -EINVAL, "flag '--%s' needs a value", QMP_TIMEOUT_FLAG);
		value = a->next;
		a->used_next = true;
	}
	if (parse_ms(value, &f->qmp_timeout_ms) != 0)
		return errbuf_fail(err, errsz, -EINVAL,
		                   "invalid value '%s' for flag '--%s': a duration from 1ms to 10s", value,
		                   QMP_TIMEOUT_FLAG);
	return 0;
}

/* --collector.X and --no-collector.X; -ENOENT when name is not one. */
static int collector_switch(struct collect_flags *f, const char *name, size_t len)
{
	char cname[64];
	bool on = true;
	enum collector_id id;

	if (len > 3 && memcmp(name, "no-", 3) == 0) {
		on = false;
		name += 3;
		len -= 3;
	}
	if (len <= 10 || memcmp(name, "collector.", 10) != 0 || len - 10 >= sizeof(cname))
		return -ENOENT;
	memcpy(cname, name + 10, len - 10);
	cname[len - 10] = '\0';
	if (collector_lookup(cname, &id) != 0)
		return -ENOENT;
	f->collectors[id] = on;
	return 0;
}

int collect_flags_parse(struct collect_flags *f, struct flag_arg *a, char *err, size_t errsz)
{
	const char *name = a->name, *value = a->value;
	size_t len = a->len;
	a->used_next = false;
	for (size_t i = 0; i < NPATH_FLAGS; i++) {
		const struct path_flag *p = &path_flags[i];
		if (strlen(p->name) != len || memcmp(p->name, name, len) != 0)
			continue;
		if (value == NULL) {
			if (a->next == NULL)
				return errbuf_fail(err, errsz, -EINVAL, "flag '--%s' needs a value", p->name);
			value = a->next;
			a->used_next = true;
		}
		if (value[0] == '\0')
			return errbuf_fail(err, errsz, -EINVAL, "invalid value '' for flag '--%s': empty", p->name);
		*path_slot(f, p) = value;
		return 0;
	}
	int q = qmp_flag(f, a, err, errsz);
	if (q != -ENOENT)
		return q;
	struct collect_flags saved = *f;
	if (collector_switch(f, name, len) != 0)
		return -ENOENT;
	if (value != NULL) {
		*f = saved;
		return errbuf_fail(err, errsz, -EINVAL, "flag '--%.*s' takes no value", (int)len, name);
	}
	return 0;
}

void collect_flags_apply(const struct collect_flags *f, struct collect_opts *o)
{
	o->env.sysfs = f->sysfs;
	o->env.procfs = f->procfs;
	o->env.libvirt_run = f->libvirt_run;
	o->env.qemu_server_run = f->qemu_server_run;
	o->env.cgroupfs = f->cgroupfs;
	o->libvirt.uri = f->libvirt_uri;
	for (int i = 0; i < COLL_COUNT; i++)
		o->enabled[i] = f->collectors[i];
	o->qmp.timeout_ms = f->qmp_timeout_ms;
}

int collect_flags_usage_paths(struct buf *b)
{
	for (size_t i = 0; i < NPATH_FLAGS; i++) {
		const struct path_flag *p = &path_flags[i];
		buf_printf(b, "  --%s=%s\n      %s (default: \"%s\")\n", p->name, p->metavar, p->help, p->def);
	}
	buf_printf(
	    b,
	    "  --%s=DURATION\n      Deadline of each VM's QMP monitor in a collection, 1ms to 10s; the platform's "
	    "own client (pvestatd, qm) waits at most as long. (default: \"%dms\")\n",
	    QMP_TIMEOUT_FLAG, QMP_DEFAULT_TIMEOUT_MS);
	return b->err;
}

int collect_flags_usage_collectors(struct buf *b)
{
	for (int c = 0; c < COLL_COUNT; c++) {
		const struct collector_def *d = collector_def((enum collector_id)c);
		buf_printf(b, "  --[no-]collector.%s\n", d->name);
		buf_printf(b, "      Collect %s (default: %s).\n", d->help, d->default_on ? "enabled" : "disabled");
	}
	return b->err;
}
