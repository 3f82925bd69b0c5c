/*
 * qemu_cmdline.c - a QEMU command line, read the way QEMU reads it.
 *
 * Every option value goes through one iterator (qemu_opts.c) that yields
 * key/value pairs from either syntax QEMU accepts, into bounded buffers:
 * a key or value cut short matches nothing, so a hostile command line can
 * only lose its own fields.  The first pass reads every option; memory
 * devices are resolved against their backends at the end, since QEMU
 * itself does not care in which order they come.
 */
#include "backends/qemu_cmdline.h"
#include "backends/qemu_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 64
#define MAX_MEMOBJS 1024 /* memory backends and memory devices counted per command line */

const char *qemu_cmdline_next_arg(const char *cmd, size_t len, size_t *pos, size_t *alen)
{
	if (*pos >= len)
		return NULL;
	const char *a = cmd + *pos;
	const char *nul = memchr(a, '\0', len - *pos);
	size_t n = nul ? (size_t)(nul - a) : len - *pos;
	*pos += n + 1;
	*alen = n;
	return a;
}

bool qemu_cmdline_is_qemu(const char *cmd, size_t len)
{
	size_t pos = 0, alen;
	const char *a = qemu_cmdline_next_arg(cmd, len, &pos, &alen);
	if (!a || alen == 0)
		return false;
	const char *slash = memrchr(a, '/', alen);
	const char *b = slash ? slash + 1 : a;
	size_t bl = alen - (size_t)(b - a);
	return (bl == 3 && memcmp(b, "kvm", 3) == 0) || (bl == 8 && memcmp(b, "qemu-kvm", 8) == 0) ||
	       (bl > 12 && memcmp(b, "qemu-system-", 12) == 0);
}

/* --- the name (also for libvirt's pid lookup) ------------------------------ */

static bool arg_is(const char *a, size_t alen, const char *opt)
{
	/* QEMU takes "-opt" and "--opt" alike. */
	if (alen >= 2 && a[0] == '-' && a[1] == '-') {
		a++;
		alen--;
	}
	size_t ol = strlen(opt);
	return alen == ol + 1 && a[0] == '-' && memcmp(a + 1, opt, ol) == 0;
}

/* The guest name in -name's value: into dst; *explicit when "guest=" was
 * written out.  false when there is none or it was cut. */
static bool name_of(const char *v, size_t vlen, char *dst, size_t cap, bool *explicit_key)
{
	struct opt_iter it;
	struct opt_kv kv;
	qopt_begin(&it, v, vlen, "guest");
	/* -name takes no JSON: a '{' is part of a name. */
	it.json = false;
	it.p = v;
	while (qopt_next(&it, &kv) == 1) {
		if (strcmp(kv.key, "guest") != 0)
			continue;
		if (!kv.ok || kv.vlen == 0 || kv.vlen + 1 > cap)
			return false;
		memcpy(dst, kv.val, kv.vlen + 1);
		*explicit_key = !kv.implied;
		return true;
	}
	return false;
}

int qemu_cmdline_identity(const char *cmd, size_t len, struct buf *out, bool *guest_key, bool *has_uuid)
{
	size_t pos = 0, alen;
	const char *a;
	int found = -ENOENT;
	char name[QEMU_NAME_MAX];

	*has_uuid = false;
	*guest_key = false;
	while ((a = qemu_cmdline_next_arg(cmd, len, &pos, &alen)) != NULL) {
		if (arg_is(a, alen, "uuid")) {
			*has_uuid = true;
			continue;
		}
		if (found == 0 || !arg_is(a, alen, "name"))
			continue;
		const char *v = qemu_cmdline_next_arg(cmd, len, &pos, &alen);
		if (!v)
			break;
		if (name_of(v, alen, name, sizeof(name), guest_key))
			buf_puts(out, name);
		found = 0;
		if (buf_failed(out))
			break;
	}
	return buf_failed(out) ? out->err : found;
}

int qemu_cmdline_name(const char *cmd, size_t len, struct buf *out, bool *has_uuid)
{
	bool guest_key;
	return qemu_cmdline_identity(cmd, len, out, &guest_key, has_uuid);
}

/* --- the whole command line ---------------------------------------------- */

struct memobj {
	char id[ID_MAX];
	uint64_t size;
	bool has_size;
	bool merge_off;
};

struct memdev {
	char id[ID_MAX]; /* its memdev */
	bool vmem;       /* virtio-mem, not a DIMM */
};

struct parse_ctx {
	struct qemu_cmdline *out;
	struct opt_kv kv;
	struct memobj *objs;
	size_t nobjs, aobjs;
	struct memdev *devs; /* the memory devices */
	size_t ndevs, adevs;
	bool nomem;
	char main_backend[ID_MAX]; /* -machine memory-backend= */
	bool seen_m, seen_balloon, seen_name, seen_id, seen_pidfile;
	bool has_m;
	uint64_t m_bytes;
	char smbios_uuid[UUID_STRING_LEN];
};

/* Room for one more entry of size sz in *arr (n used, *alloc allocated),
 * at most MAX_MEMOBJS: a command line of thousands of memory devices
 * counts the first ones.  0, or -1 (-ENOMEM is noted in c). */
static int grow(struct parse_ctx *c, void **arr, size_t n, size_t *alloc, size_t sz)
{
	if (n < *alloc)
		return 0;
	if (n >= MAX_MEMOBJS)
		return -1;
	size_t na = *alloc ? *alloc * 2 : 8;
	void *p = realloc(*arr, na * sz);
	if (!p) {
		c->nomem = true;
		return -1;
	}
	*arr = p;
	*alloc = na;
	return 0;
}

static void copy_id(char dst[ID_MAX], const struct opt_kv *kv)
{
	if (kv->ok && kv->vlen < ID_MAX)
		memcpy(dst, kv->val, kv->vlen + 1);
	else
		dst[0] = '\0';
}

/* Balloon drivers and the model names libvirt gives them. */
static const char *balloon_model_of(const char *driver)
{
	if (strcmp(driver, "virtio-balloon-pci-transitional") == 0)
		return "virtio-transitional";
	if (strcmp(driver, "virtio-balloon-pci-non-transitional") == 0)
		return "virtio-non-transitional";
	if (strcmp(driver, "virtio-balloon-pci") == 0 || strcmp(driver, "virtio-balloon-ccw") == 0 ||
	    strcmp(driver, "virtio-balloon-device") == 0 || strcmp(driver, "virtio-balloon") == 0)
		return "virtio";
	return NULL;
}

static bool is_memory_device(const char *driver)
{
	return strcmp(driver, "pc-dimm") == 0 || strcmp(driver, "nvdimm") == 0 ||
	       strncmp(driver, "virtio-mem-", 11) == 0 || strcmp(driver, "virtio-mem") == 0;
}

/* Adds v to the sum m; an overflow leaves m as it was. */
static void add_sum(struct mval *m, uint64_t v)
{
	uint64_t cur = m->present ? m->v.u : 0;
	if (v <= UINT64_MAX - cur)
		mval_set_u64(m, cur + v);
}

static void on_device(struct parse_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	char driver[QOPT_KEY_MAX] = "", memdev[ID_MAX] = "";
	int fpr = -1, dod = -1, r;
	uint64_t requested = 0;
	bool has_requested = false;
	qopt_begin(&it, v, vlen, "driver");
	while ((r = qopt_next(&it, &c->kv)) == 1) {
		const struct opt_kv *kv = &c->kv;
		if (qopt_is(kv, "driver") && kv->vlen < sizeof(driver))
			memcpy(driver, kv->val, kv->vlen + 1);
		else if (qopt_is(kv, "memdev"))
			copy_id(memdev, kv);
		else if (qopt_is(kv, "free-page-reporting"))
			fpr = qopt_bool(kv);
		else if (qopt_is(kv, "deflate-on-oom"))
			dod = qopt_bool(kv);
		else if (qopt_is(kv, "requested-size"))
			has_requested = qemu_parse_size(kv->val, kv->vlen, 0, &requested) == 0;
	}
	/* QEMU refuses a malformed -device: so does this. */
	if (r < 0)
		return;
	const char *model = balloon_model_of(driver);
	if (model && !c->seen_balloon) {
		c->seen_balloon = true;
		c->out->config.balloon = model;
		c->out->config.free_page_reporting = fpr == 1;
		c->out->config.deflate_on_oom = dod == 1;
	}
	bool vmem = strncmp(driver, "virtio-mem", 10) == 0;
	if (vmem && has_requested)
		add_sum(&c->out->virtio_mem_requested, requested);
	if (is_memory_device(driver) && memdev[0] &&
	    grow(c, (void **)&c->devs, c->ndevs, &c->adevs, sizeof(*c->devs)) == 0) {
		memcpy(c->devs[c->ndevs].id, memdev, ID_MAX);
		c->devs[c->ndevs++].vmem = vmem;
	}
}

static void on_object(struct parse_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	struct memobj o;
	char type[QOPT_KEY_MAX] = "", path[QEMU_PATH_MAX] = "";
	bool hugetlb = false;
	int r;
	memset(&o, 0, sizeof(o));
	qopt_begin(&it, v, vlen, "qom-type");
	while ((r = qopt_next(&it, &c->kv)) == 1) {
		const struct opt_kv *kv = &c->kv;
		if (qopt_is(kv, "qom-type") && kv->vlen < sizeof(type))
			memcpy(type, kv->val, kv->vlen + 1);
		else if (qopt_is(kv, "id"))
			copy_id(o.id, kv);
		else if (qopt_is(kv, "size"))
			o.has_size = qemu_parse_size(kv->val, kv->vlen, 0, &o.size) == 0;
		else if (qopt_is(kv, "mem-path"))
			memcpy(path, kv->val, kv->vlen + 1);
		else if (qopt_is(kv, "hugetlb"))
			hugetlb = qopt_bool(kv) == 1;
		else if (qopt_is(kv, "merge"))
			o.merge_off = qopt_bool(kv) == 0;
	}
	if (r < 0 || strncmp(type, "memory-backend-", 15) != 0)
		return;
	if (strcmp(type, "memory-backend-file") == 0 && path[0] && !c->out->mem_path[0])
		memcpy(c->out->mem_path, path, strlen(path) + 1);
	if (strcmp(type, "memory-backend-memfd") == 0 && hugetlb)
		c->out->hugetlb_memfd = true;
	if (o.id[0] && grow(c, (void **)&c->objs, c->nobjs, &c->aobjs, sizeof(o)) == 0)
		c->objs[c->nobjs++] = o;
}

static void on_machine(struct parse_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	qopt_begin(&it, v, vlen, "type");
	while (qopt_next(&it, &c->kv) == 1) {
		if (qopt_is(&c->kv, "mem-merge") && qopt_bool(&c->kv) == 0)
			c->out->config.nosharepages = true;
		else if (qopt_is(&c->kv, "memory-backend"))
			copy_id(c->main_backend, &c->kv);
	}
}

/* -overcommit mem-lock=on|on-fault, or the older -realtime mlock=on. */
static void on_lock(struct parse_ctx *c, const char *v, size_t vlen, const char *key)
{
	struct opt_iter it;
	qopt_begin(&it, v, vlen, NULL);
	while (qopt_next(&it, &c->kv) == 1)
		if (qopt_is(&c->kv, key) && (qopt_bool(&c->kv) == 1 || strcmp(c->kv.val, "on-fault") == 0))
			c->out->config.locked = true;
}

static void on_memory(struct parse_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	c->seen_m = true;
	qopt_begin(&it, v, vlen, "size");
	it.json = false;
	it.p = v;
	while (qopt_next(&it, &c->kv) == 1)
		if (qopt_is(&c->kv, "size"))
			c->has_m = qemu_parse_size(c->kv.val, c->kv.vlen, 20, &c->m_bytes) == 0;
}

static void on_smbios(struct parse_ctx *c, const char *v, size_t vlen)
{
	struct opt_iter it;
	bool type1 = false;
	char uuid[UUID_STRING_LEN] = "";
	qopt_begin(&it, v, vlen, "type");
	while (qopt_next(&it, &c->kv) == 1) {
		if (qopt_is(&c->kv, "type"))
			type1 = strcmp(c->kv.val, "1") == 0;
		else if (qopt_is(&c->kv, "uuid") && qemu_uuid_valid(c->kv.val, c->kv.vlen))
			memcpy(uuid, c->kv.val, UUID_STRING_LEN);
	}
	if (type1 && uuid[0] && !c->smbios_uuid[0])
		memcpy(c->smbios_uuid, uuid, UUID_STRING_LEN);
}

/* A Proxmox VMID: 1 to 9 digits, no leading zero. */
static void on_id(struct parse_ctx *c, const char *v, size_t vlen)
{
	c->seen_id = true;
	/* The last argument has no NUL after it: count within vlen. */
	if (vlen == 0 || vlen >= QEMU_VMID_MAX - 2 || v[0] == '0')
		return;
	for (size_t i = 0; i < vlen; i++)
		if (v[i] < '0' || v[i] > '9')
			return;
	memcpy(c->out->vmid, v, vlen);
	c->out->vmid[vlen] = '\0';
}

static void copy_arg(char *dst, size_t cap, const char *v, size_t vlen)
{
	if (vlen + 1 <= cap && memchr(v, '\0', vlen) == NULL) {
		memcpy(dst, v, vlen);
		dst[vlen] = '\0';
	}
}

enum opt_code {
	OPT_OTHER, /* a value follows, nothing to read in it */
	OPT_NAME,
	OPT_UUID,
	OPT_SMBIOS,
	OPT_ID,
	OPT_PIDFILE,
	OPT_M,
	OPT_MACHINE,
	OPT_OVERCOMMIT,
	OPT_REALTIME,
	OPT_MEM_PATH,
	OPT_OBJECT,
	OPT_DEVICE,
};

#define OPT(s, c)                                                                                                      \
	{                                                                                                              \
		s, sizeof(s) - 1, c                                                                                    \
	}

/* The options read here, and the other options whose value is the next
 * element (so that value is never taken for an option itself); options
 * not listed are read as flags.  The length is compared first: one
 * command line has dozens of options and a host hundreds of QEMUs. */
static const struct {
	const char *name;
	size_t len;
	enum opt_code code;
} options[] = {
    OPT("name", OPT_NAME),
    OPT("uuid", OPT_UUID),
    OPT("smbios", OPT_SMBIOS),
    OPT("id", OPT_ID),
    OPT("pidfile", OPT_PIDFILE),
    OPT("m", OPT_M),
    OPT("machine", OPT_MACHINE),
    OPT("M", OPT_MACHINE),
    OPT("overcommit", OPT_OVERCOMMIT),
    OPT("realtime", OPT_REALTIME),
    OPT("mem-path", OPT_MEM_PATH),
    OPT("object", OPT_OBJECT),
    OPT("device", OPT_DEVICE),
    OPT("append", OPT_OTHER),
    OPT("kernel", OPT_OTHER),
    OPT("initrd", OPT_OTHER),
    OPT("drive", OPT_OTHER),
    OPT("netdev", OPT_OTHER),
    OPT("chardev", OPT_OTHER),
    OPT("mon", OPT_OTHER),
    OPT("cpu", OPT_OTHER),
    OPT("smp", OPT_OTHER),
    OPT("boot", OPT_OTHER),
    OPT("vnc", OPT_OTHER),
    OPT("global", OPT_OTHER),
    OPT("numa", OPT_OTHER),
    OPT("iscsi", OPT_OTHER),
    OPT("serial", OPT_OTHER),
    OPT("rtc", OPT_OTHER),
    OPT("sandbox", OPT_OTHER),
    OPT("msg", OPT_OTHER),
    OPT("accel", OPT_OTHER),
    OPT("display", OPT_OTHER),
    OPT("vga", OPT_OTHER),
    OPT("k", OPT_OTHER),
    OPT("L", OPT_OTHER),
    OPT("bios", OPT_OTHER),
    OPT("fw_cfg", OPT_OTHER),
    OPT("qmp", OPT_OTHER),
    OPT("monitor", OPT_OTHER),
    OPT("spice", OPT_OTHER),
    OPT("audiodev", OPT_OTHER),
    OPT("blockdev", OPT_OTHER),
    OPT("incoming", OPT_OTHER),
    OPT("loadvm", OPT_OTHER),
    OPT("parallel", OPT_OTHER),
    OPT("usbdevice", OPT_OTHER),
    OPT("action", OPT_OTHER),
    OPT("compat", OPT_OTHER),
    OPT("run-with", OPT_OTHER),
    OPT("D", OPT_OTHER),
    OPT("d", OPT_OTHER),
    OPT("trace", OPT_OTHER),
    OPT("plugin", OPT_OTHER),
    OPT("add-fd", OPT_OTHER),
    OPT("set", OPT_OTHER),
    OPT("readconfig", OPT_OTHER),
    OPT("runas", OPT_OTHER),
    OPT("chroot", OPT_OTHER),
    OPT("nic", OPT_OTHER),
    OPT("net", OPT_OTHER),
    OPT("virtfs", OPT_OTHER),
    OPT("fsdev", OPT_OTHER),
    OPT("cdrom", OPT_OTHER),
    OPT("hda", OPT_OTHER),
    OPT("hdb", OPT_OTHER),
    OPT("hdc", OPT_OTHER),
    OPT("hdd", OPT_OTHER),
    OPT("fda", OPT_OTHER),
    OPT("fdb", OPT_OTHER),
    OPT("mtdblock", OPT_OTHER),
    OPT("sd", OPT_OTHER),
    OPT("pflash", OPT_OTHER),
    OPT("xen-domid", OPT_OTHER),
    OPT("icount", OPT_OTHER),
    OPT("watchdog-action", OPT_OTHER),
    OPT("semihosting-config", OPT_OTHER),
    OPT("tpmdev", OPT_OTHER),
    OPT("acpitable", OPT_OTHER),
};

/* The code of an option that takes a value, -1 for anything else (a flag,
 * a value, an option not listed).  "-opt" and "--opt" alike. */
static int option_code(const char *a, size_t alen)
{
	if (alen < 2 || a[0] != '-')
		return -1;
	a++, alen--;
	if (a[0] == '-')
		a++, alen--;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].len == alen && memcmp(options[i].name, a, alen) == 0)
			return (int)options[i].code;
	return -1;
}

/* One option and its value. */
static void on_option(struct parse_ctx *c, enum opt_code code, const char *v, size_t vlen)
{
	struct qemu_cmdline *out = c->out;
	switch (code) {
	case OPT_NAME:
		if (!c->seen_name)
			out->has_name = name_of(v, vlen, out->name, sizeof(out->name), &out->guest_key);
		if (!out->has_name)
			out->name[0] = '\0';
		c->seen_name = true;
		break;
	case OPT_UUID:
		if (!out->has_uuid_opt && qemu_uuid_valid(v, vlen))
			copy_arg(out->uuid, sizeof(out->uuid), v, vlen);
		out->has_uuid_opt = true;
		break;
	case OPT_SMBIOS:
		on_smbios(c, v, vlen);
		break;
	case OPT_ID:
		if (!c->seen_id)
			on_id(c, v, vlen);
		break;
	case OPT_PIDFILE:
		if (!c->seen_pidfile)
			copy_arg(out->pidfile, sizeof(out->pidfile), v, vlen);
		c->seen_pidfile = true;
		break;
	case OPT_M:
		if (!c->seen_m)
			on_memory(c, v, vlen);
		break;
	case OPT_MACHINE:
		on_machine(c, v, vlen);
		break;
	case OPT_OVERCOMMIT:
		on_lock(c, v, vlen, "mem-lock");
		break;
	case OPT_REALTIME:
		on_lock(c, v, vlen, "mlock");
		break;
	case OPT_MEM_PATH:
		if (!out->mem_path[0])
			copy_arg(out->mem_path, sizeof(out->mem_path), v, vlen);
		break;
	case OPT_OBJECT:
		on_object(c, v, vlen);
		break;
	case OPT_DEVICE:
		on_device(c, v, vlen);
		break;
	default:
		break;
	}
}

static const struct memobj *find_obj(const struct parse_ctx *c, const char *id)
{
	for (size_t i = 0; i < c->nobjs; i++)
		if (strcmp(c->objs[i].id, id) == 0)
			return &c->objs[i];
	return NULL;
}

/* -m (or the machine's memory backend, or QEMU's default of 128 MiB) plus
 * every memory device's backend: what libvirt calls <memory>. */
static void total_memory(struct parse_ctx *c)
{
	const struct memobj *main_obj = c->main_backend[0] ? find_obj(c, c->main_backend) : NULL;
	uint64_t total;
	if (c->seen_m) {
		if (!c->has_m)
			return; /* an -m QEMU cannot read: no maximum */
		total = c->m_bytes;
	} else if (main_obj && main_obj->has_size) {
		total = main_obj->size;
	} else {
		total = 128ULL << 20;
	}
	if (main_obj && main_obj->merge_off)
		c->out->config.nosharepages = true;
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct memobj *o = find_obj(c, c->devs[i].id);
		if (c->devs[i].vmem && o && o->has_size)
			add_sum(&c->out->virtio_mem_size, o->size);
	}
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct memobj *o = find_obj(c, c->devs[i].id);
		if (!o || !o->has_size)
			continue;
		if (o->size > UINT64_MAX - total)
			return;
		total += o->size;
	}
	mval_set_u64(&c->out->memory_bytes, total);
}

int qemu_cmdline_parse(const char *cmd, size_t len, struct qemu_cmdline *out)
{
	if (!cmd || !qemu_cmdline_is_qemu(cmd, len))
		return -EINVAL;
	struct parse_ctx *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	memset(out, 0, sizeof(*out));
	out->config.present = true;
	out->config.balloon = "none";
	c->out = out;
	size_t pos = 0, alen, vlen;
	const char *a = qemu_cmdline_next_arg(cmd, len, &pos, &alen); /* argv[0] */
	while ((a = qemu_cmdline_next_arg(cmd, len, &pos, &alen)) != NULL) {
		int code = option_code(a, alen);
		if (code < 0)
			continue;
		const char *v = qemu_cmdline_next_arg(cmd, len, &pos, &vlen);
		if (!v)
			break;
		on_option(c, (enum opt_code)code, v, vlen);
	}
	if (!out->uuid[0] && c->smbios_uuid[0])
		memcpy(out->uuid, c->smbios_uuid, UUID_STRING_LEN);
	total_memory(c);
	int rc = c->nomem ? -ENOMEM : 0;
	free(c->objs);
	free(c->devs);
	free(c);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
