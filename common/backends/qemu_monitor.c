/* qemu_monitor.c - the QMP socket and balloon id of a QEMU command line. */
#include "backends/qemu_monitor.h"

#include <errno.h>
#include <string.h>

#include "backends/qemu_cmdline.h"

#define MAX_CHARDEVS 16

struct chardev {
	char id[QEMU_DEVID_MAX];
	char path[QOPT_VAL_MAX];
};

struct mon_ctx {
	struct qemu_monitor *out;
	struct chardev devs[MAX_CHARDEVS];
	size_t ndevs;
	char qmp_path[QOPT_VAL_MAX];  /* the first -qmp unix server */
	char mon_dev[QEMU_DEVID_MAX]; /* the first -mon mode=control's chardev */
	struct opt_kv kv;
};

static bool opt_is(const char *a, size_t alen, const char *opt)
{
	if (alen >= 2 && a[0] == '-' && a[1] == '-') {
		a++;
		alen--;
	}
	size_t ol = strlen(opt);
	return alen == ol + 1 && a[0] == '-' && memcmp(a + 1, opt, ol) == 0;
}

static void copy_val(char *dst, size_t cap, const struct opt_kv *kv)
{
	if (kv->vlen < cap && !memchr(kv->val, '\0', kv->vlen)) {
		memcpy(dst, kv->val, kv->vlen);
		dst[kv->vlen] = '\0';
	}
}

/* The pairs of v: the path, whether it is a listening socket and whether
 * anything else makes it no unix socket of QEMU's own (host=, fd=). */
static bool socket_opts(struct mon_ctx *c, const char *v, size_t vlen, const char *implied, char *path, char *id)
{
	struct opt_iter it;
	bool server = false, other = false;
	int r;
	path[0] = '\0';
	qopt_begin(&it, v, vlen, implied);
	while ((r = qopt_next(&it, &c->kv)) == 1) {
		const struct opt_kv *kv = &c->kv;
		if (qopt_is(kv, "path"))
			copy_val(path, QOPT_VAL_MAX, kv);
		else if (qopt_is(kv, "server"))
			server = qopt_bool(kv) == 1;
		else if (id && qopt_is(kv, "id"))
			copy_val(id, QEMU_DEVID_MAX, kv);
		else if (qopt_is(kv, "host") || qopt_is(kv, "port") || qopt_is(kv, "fd") || qopt_is(kv, "abstract") ||
		         (qopt_is(kv, "backend") && strcmp(kv->val, "socket") != 0))
			other = true;
	}
	return r == 0 && server && !other && path[0] == '/';
}

static void on_qmp(struct mon_ctx *c, const char *v, size_t vlen)
{
	char path[QOPT_VAL_MAX];
	if (c->qmp_path[0] || vlen < 5 || memcmp(v, "unix:", 5) != 0)
		return;
	if (socket_opts(c, v + 5, vlen - 5, "path", path, NULL))
		memcpy(c->qmp_path, path, sizeof(path));
}

static void on_chardev(struct mon_ctx *c, const char *v, size_t vlen)
{
	struct chardev *d;
	if (c->ndevs == MAX_CHARDEVS)
		return;
	d = &c->devs[c->ndevs];
	d->id[0] = '\0';
	if (socket_opts(c, v, vlen, "backend", d->path, d->id) && d->id[0])
		c->ndevs++;
}

static void on_mon(struct mon_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	char dev[QEMU_DEVID_MAX] = "";
	bool control = false;
	if (c->mon_dev[0])
		return;
	qopt_begin(&it, v, vlen, "chardev");
	while (qopt_next(&it, &c->kv) == 1) {
		if (qopt_is(&c->kv, "chardev"))
			copy_val(dev, sizeof(dev), &c->kv);
		else if (qopt_is(&c->kv, "mode"))
			control = strcmp(c->kv.val, "control") == 0;
	}
	if (control && dev[0])
		memcpy(c->mon_dev, dev, sizeof(dev));
}

static void on_device(struct mon_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	char driver[QOPT_KEY_MAX] = "", id[QEMU_DEVID_MAX] = "";
	if (c->out->balloon)
		return;
	qopt_begin(&it, v, vlen, "driver");
	while (qopt_next(&it, &c->kv) == 1) {
		if (qopt_is(&c->kv, "driver"))
			copy_val(driver, sizeof(driver), &c->kv);
		else if (qopt_is(&c->kv, "id"))
			copy_val(id, sizeof(id), &c->kv);
	}
	if (strncmp(driver, "virtio-balloon", 14) != 0)
		return;
	c->out->balloon = true;
	/* A QOM path element: no '/' in it. */
	if (!strchr(id, '/'))
		memcpy(c->out->balloon_id, id, sizeof(id));
}

int qemu_monitor_find(const char *cmd, size_t len, struct qemu_monitor *out)
{
	static struct mon_ctx zero;
	struct mon_ctx c = zero;
	size_t pos = 0, alen, vlen;
	const char *a;
	memset(out, 0, sizeof(*out));
	c.out = out;
	(void)qemu_cmdline_next_arg(cmd, len, &pos, &alen);
	while ((a = qemu_cmdline_next_arg(cmd, len, &pos, &alen)) != NULL) {
		size_t save = pos;
		const char *v = qemu_cmdline_next_arg(cmd, len, &pos, &vlen);
		if (!v)
			break;
		if (opt_is(a, alen, "qmp") || opt_is(a, alen, "qmp-pretty"))
			on_qmp(&c, v, vlen);
		else if (opt_is(a, alen, "chardev"))
			on_chardev(&c, v, vlen);
		else if (opt_is(a, alen, "mon"))
			on_mon(&c, v, vlen);
		else if (opt_is(a, alen, "device"))
			on_device(&c, v, vlen);
		else
			pos = save; /* a flag without a value, or one we skip: its value may be an option */
	}
	for (size_t i = 0; c.mon_dev[0] && i < c.ndevs; i++)
		if (strcmp(c.devs[i].id, c.mon_dev) == 0) {
			memcpy(out->path, c.devs[i].path, sizeof(out->path));
			return 0;
		}
	if (c.qmp_path[0]) {
		memcpy(out->path, c.qmp_path, sizeof(out->path));
		return 0;
	}
	return -ENOENT;
}
