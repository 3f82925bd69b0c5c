/*
 * domxml.c - the memory-related parts of a libvirt domain XML.
 *
 * The document comes from libvirt, but it is still parsed defensively: no
 * network, no external DTD, no entity substitution, errors not printed by
 * libxml2 itself (the caller decides what to log).
 */
#include "backends/domxml.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/parse.h"

/* Units of <memory unit=...>, as https://libvirt.org/formatdomain.html
 * lists them ("b or bytes, KB, k or KiB, MB, M or MiB, GB, G or GiB, TB,
 * T or TiB"); without the attribute the value is in KiB. */
static const struct {
	const char *name;
	uint64_t scale;
} mem_units[] = {
    {"b", 1},
    {"bytes", 1},
    {"KB", 1000ULL},
    {"k", 1024ULL},
    {"KiB", 1024ULL},
    {"MB", 1000ULL * 1000},
    {"M", 1024ULL * 1024},
    {"MiB", 1024ULL * 1024},
    {"GB", 1000ULL * 1000 * 1000},
    {"G", 1024ULL * 1024 * 1024},
    {"GiB", 1024ULL * 1024 * 1024},
    {"TB", 1000ULL * 1000 * 1000 * 1000},
    {"T", 1024ULL * 1024 * 1024 * 1024},
    {"TiB", 1024ULL * 1024 * 1024 * 1024},
};

/* Balloon models libvirt knows; anything else is reported as "other" so a
 * label value never carries text from the document. */
static const char *const balloon_models[] = {
    "virtio", "virtio-transitional", "virtio-non-transitional", "xen", "none",
};

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *parent, const char *name)
{
	for (const xmlNode *n = parent->children; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* An attribute's value (xmlFree it) or NULL. */
static char *attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* Is the attribute 'on' (libvirt's virTristateSwitch)? */
static bool attr_on(const xmlNode *n, const char *name)
{
	char *v = attr(n, name);
	bool on = v && strcmp(v, "on") == 0;
	xmlFree(v);
	return on;
}

static int parse_u64_text(const xmlNode *n, uint64_t *out)
{
	char *text = (char *)xmlNodeGetContent(n);
	if (!text)
		return -ENOMEM;
	/* XML allows whitespace, newlines included, around the number. */
	struct cursor c = cursor_make(text, strlen(text));
	uint64_t v;
	cursor_skip_space(&c);
	int rc = cursor_u64(&c, UINT64_MAX, &v);
	cursor_skip_space(&c);
	if (rc == 0 && !cursor_eof(&c))
		rc = -EINVAL;
	if (rc == 0)
		*out = v;
	xmlFree(text);
	return rc;
}

/* <memory unit=...>N</memory> in bytes.  libvirt keeps memory in KiB and
 * rounds a byte count up to whole KiB, so this does too. */
static int parse_memory(const xmlNode *mem, uint64_t *bytes)
{
	uint64_t v = 0, scale = 1024;
	char *unit = attr(mem, "unit");
	if (unit) {
		size_t i;
		for (i = 0; i < sizeof(mem_units) / sizeof(mem_units[0]); i++)
			if (strcmp(unit, mem_units[i].name) == 0)
				break;
		if (i == sizeof(mem_units) / sizeof(mem_units[0])) {
			xmlFree(unit);
			return -EINVAL;
		}
		scale = mem_units[i].scale;
		xmlFree(unit);
	}
	int rc = parse_u64_text(mem, &v);
	if (rc < 0)
		return rc;
	if (v > UINT64_MAX / scale)
		return -ERANGE;
	v *= scale;
	if (v > UINT64_MAX - 1023)
		return -ERANGE;
	uint64_t kib = v / 1024 + (v % 1024 != 0);
	*bytes = kib * 1024;
	return 0;
}

static const char *balloon_model(const xmlNode *mb)
{
	char *model = attr(mb, "model");
	const char *res = "other";
	if (!model)
		return res;
	for (size_t i = 0; i < sizeof(balloon_models) / sizeof(balloon_models[0]); i++) {
		if (strcmp(model, balloon_models[i]) == 0) {
			res = balloon_models[i];
			break;
		}
	}
	xmlFree(model);
	return res;
}

/* Fills the balloon model and stats period from <devices><memballoon>. */
static void parse_balloon(const xmlNode *dom, struct domxml_info *info)
{
	const xmlNode *devices = child(dom, "devices");
	const xmlNode *mb = devices ? child(devices, "memballoon") : NULL;

	/* No element means no balloon: QEMU's live XML always lists the
	 * default one it adds, so absence is not "virtio by default". */
	if (!mb) {
		info->config.balloon = "none";
		return;
	}
	info->config.balloon = balloon_model(mb);
	if (strcmp(info->config.balloon, "none") == 0)
		return;
	info->config.free_page_reporting = attr_on(mb, "freePageReporting");
	info->config.deflate_on_oom = attr_on(mb, "autodeflate");

	/* A balloon without <stats> (or without period=) has guest stats off. */
	const xmlNode *stats = child(mb, "stats");
	char *period = stats ? attr(stats, "period") : NULL;
	if (!period) {
		mval_set_u64(&info->stats_period_seconds, 0);
		return;
	}
	uint64_t p;
	if (parse_u64_value(period, strlen(period), &p) == 0 && p <= INT_MAX)
		mval_set_u64(&info->stats_period_seconds, p);
	xmlFree(period);
}

/* Adds the size element name of target to *sum, if it is there and
 * readable and the sum does not overflow. */
static void add_size(const xmlNode *target, const char *name, struct mval *sum)
{
	const xmlNode *n = child(target, name);
	uint64_t bytes;
	if (!n || parse_memory(n, &bytes) < 0)
		return;
	uint64_t cur = sum->present ? sum->v.u : 0;
	if (bytes <= UINT64_MAX - cur)
		mval_set_u64(sum, cur + bytes);
}

/* Every <devices><memory model='virtio-mem'> (libvirt 7.9 and later). */
static void parse_virtio_mem(const xmlNode *dom, struct domxml_info *info)
{
	const xmlNode *devices = child(dom, "devices");
	if (!devices)
		return;
	for (const xmlNode *n = devices->children; n; n = n->next) {
		if (!is_elem(n, "memory"))
			continue;
		char *model = attr(n, "model");
		bool vmem = model && strcmp(model, "virtio-mem") == 0;
		xmlFree(model);
		const xmlNode *target = vmem ? child(n, "target") : NULL;
		if (!target)
			continue;
		add_size(target, "size", &info->virtio_mem_size);
		add_size(target, "requested", &info->virtio_mem_requested);
		add_size(target, "current", &info->virtio_mem_current);
	}
}

int domxml_parse(const char *xml, size_t len, struct domxml_info *out)
{
	if (!xml || len == 0 || len > INT_MAX)
		return -EINVAL;
	/* XML_PARSE_NOENT is deliberately absent: entities stay unexpanded. */
	xmlDoc *doc =
	    xmlReadMemory(xml, (int)len, "domain.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return -EINVAL;
	int rc = -EINVAL;
	const xmlNode *dom = xmlDocGetRootElement(doc);
	if (!dom || !is_elem(dom, "domain"))
		goto out;

	struct domxml_info info;
	memset(&info, 0, sizeof(info));
	info.config.present = true;

	uint64_t bytes;
	const xmlNode *mem = child(dom, "memory");
	if (mem && parse_memory(mem, &bytes) == 0)
		mval_set_u64(&info.max_memory_bytes, bytes);

	const xmlNode *backing = child(dom, "memoryBacking");
	if (backing) {
		info.config.hugepages = child(backing, "hugepages") != NULL;
		info.config.nosharepages = child(backing, "nosharepages") != NULL;
		info.config.locked = child(backing, "locked") != NULL;
	}
	parse_balloon(dom, &info);
	parse_virtio_mem(dom, &info);

	*out = info;
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}
