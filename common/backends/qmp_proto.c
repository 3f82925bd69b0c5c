/*
 * qmp_proto.c - QMP lines into messages, and balloon replies into fields.
 *
 * Field meanings: qemu/qemu docs/interop/virtio-balloon-stats.rst and
 * qapi/machine.json (BalloonInfo); Proxmox VE's patched BalloonInfo comes
 * from pve-qemu's "PVE: [Up] virtio-balloon: improve query-balloon".
 */
#include "backends/qmp_proto.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define JSON_DEPTH 16 /* QMP replies we read nest four deep */

void qmp_rx_init(struct qmp_rx *rx, size_t max)
{
	memset(rx, 0, sizeof(*rx));
	rx->max = max;
}

void qmp_rx_free(struct qmp_rx *rx)
{
	if (rx->tok)
		json_tokener_free(rx->tok);
	free(rx->data);
	memset(rx, 0, sizeof(*rx));
}

int qmp_rx_append(struct qmp_rx *rx, const char *p, size_t n)
{
	/* The caller takes every whole line out before it reads again, so
	 * what is held is one unfinished line; what is left unfinished after
	 * these bytes is their tail after their last end of line, or all of
	 * it.  Past max it is too long (a whole line is checked when it is
	 * taken out). */
	size_t held = rx->len - rx->off;
	const char *last = n ? memrchr(p, '\n', n) : NULL;
	if (last ? n - (size_t)(last + 1 - p) > rx->max : n > rx->max || held > rx->max - n)
		return -EFBIG;
	/* The lines taken out go now, not one by one as they are taken. */
	if (rx->off) {
		memmove(rx->data, rx->data + rx->off, held);
		rx->len = held;
		rx->off = 0;
	}
	if (rx->len + n + 1 > rx->alloc) {
		size_t want = rx->alloc ? rx->alloc : 4096;
		while (want < rx->len + n + 1)
			want *= 2;
		char *d = realloc(rx->data, want);
		if (!d)
			return -ENOMEM;
		rx->data = d;
		rx->alloc = want;
	}
	memcpy(rx->data + rx->len, p, n);
	rx->len += n;
	return 0;
}

void qmp_msg_free(struct qmp_msg *m)
{
	if (m->root)
		json_object_put(m->root);
	memset(m, 0, sizeof(*m));
}

/* An integer member of o, -1 when missing or out of int's range. */
static int small_int(const struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t i = json_object_get_int64(v);
	return i >= 0 && i <= 100000 ? (int)i : -1;
}

static void take_version(struct qmp_msg *m)
{
	struct json_object *ver, *q;
	m->major = m->minor = m->micro = -1;
	if (!json_object_object_get_ex(m->value, "version", &ver) || !json_object_object_get_ex(ver, "qemu", &q) ||
	    !json_object_is_type(q, json_type_object))
		return;
	m->major = small_int(q, "major");
	m->minor = small_int(q, "minor");
	m->micro = small_int(q, "micro");
}

static void take_id(struct qmp_msg *m)
{
	struct json_object *id;
	if (!json_object_object_get_ex(m->root, "id", &id) || !json_object_is_type(id, json_type_string))
		return;
	const char *s = json_object_get_string(id);
	size_t n = (size_t)json_object_get_string_len(id);
	if (n < sizeof(m->id) && !memchr(s, '\0', n)) {
		memcpy(m->id, s, n);
		m->id[n] = '\0';
	}
}

/* Which kind of message root is: 0 with m->kind and m->value, or -EINVAL. */
static int classify(struct qmp_msg *m)
{
	struct json_object *v;
	if (json_object_object_get_ex(m->root, "return", &v)) {
		m->kind = QMP_RETURN;
	} else if (json_object_object_get_ex(m->root, "error", &v)) {
		m->kind = QMP_ERROR;
	} else if (json_object_object_get_ex(m->root, "event", &v)) {
		m->kind = QMP_EVENT;
	} else if (json_object_object_get_ex(m->root, "QMP", &v) && json_object_is_type(v, json_type_object)) {
		m->kind = QMP_GREETING;
	} else {
		return -EINVAL;
	}
	m->value = v;
	if (m->kind == QMP_GREETING)
		take_version(m);
	else
		take_id(m);
	return 0;
}

static struct json_tokener *tokener_new(void)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	return tok;
}

/* Is line QEMU's own spelling of an empty return, {"return": {}, "id": ".."}
 * (qmp_capabilities' answer), with an id that needs no unescaping?  Then m
 * is that message without a tree.  Anything else, however close, is left
 * to json-c. */
static bool empty_return(const char *line, size_t len, struct qmp_msg *m)
{
	static const char pre[] = "{\"return\": {}, \"id\": \"", post[] = "\"}";
	const size_t np = sizeof(pre) - 1, nq = sizeof(post) - 1;
	if (len <= np + nq || len - np - nq >= sizeof(m->id) || memcmp(line, pre, np) != 0 ||
	    memcmp(line + len - nq, post, nq) != 0)
		return false;
	size_t n = len - np - nq;
	for (size_t i = 0; i < n; i++) {
		char c = line[np + i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	m->kind = QMP_RETURN;
	memcpy(m->id, line + np, n);
	m->id[n] = '\0';
	return true;
}

/* qmp_parse_line with tok, which is reset first. */
static int parse_with(struct json_tokener *tok, const char *line, size_t len, struct qmp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->major = m->minor = m->micro = -1;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0 || len > INT32_MAX)
		return -EINVAL;
	if (empty_return(line, len, m))
		return 0;
	json_tokener_reset(tok);
	struct json_object *root = json_tokener_parse_ex(tok, line, (int)len);
	/* One object and nothing after it: a line that holds more (or half
	 * of one) is no message QEMU sends. */
	bool whole = root && json_tokener_get_error(tok) == json_tokener_success &&
	             json_tokener_get_parse_end(tok) == len && json_object_is_type(root, json_type_object);
	if (!whole) {
		if (root)
			json_object_put(root);
		return -EINVAL;
	}
	m->root = root;
	if (classify(m) < 0) {
		qmp_msg_free(m);
		return -EINVAL;
	}
	return 0;
}

int qmp_parse_line(const char *line, size_t len, struct qmp_msg *m)
{
	struct json_tokener *tok = tokener_new();
	if (!tok)
		return -ENOMEM;
	int rc = parse_with(tok, line, len, m);
	json_tokener_free(tok);
	return rc;
}

int qmp_rx_next(struct qmp_rx *rx, struct qmp_msg *m)
{
	for (;;) {
		char *start = rx->data + rx->off;
		size_t avail = rx->len - rx->off;
		char *nl = avail > rx->scanned ? memchr(start + rx->scanned, '\n', avail - rx->scanned) : NULL;
		if (!nl) {
			/* The next call looks only at bytes appended since. */
			rx->scanned = avail;
			return 0;
		}
		size_t n = (size_t)(nl - start);
		/* Taken out; the bytes stay in place until the next append. */
		rx->off += n + 1;
		rx->scanned = 0;
		if (n > rx->max)
			return -EFBIG;
		bool blank = true;
		for (size_t i = 0; i < n && blank; i++)
			blank = start[i] == '\r' || start[i] == ' ' || start[i] == '\t';
		if (blank)
			continue;
		if (!rx->tok && !(rx->tok = tokener_new()))
			return -ENOMEM;
		int rc = parse_with(rx->tok, start, n, m);
		return rc == 0 ? 1 : rc;
	}
}

bool qmp_version_skips_stats(int major, int minor, int micro)
{
	return major == 9 && minor == 1 && micro >= 90;
}

/* A non-negative integer member of o: 1 with *out, 0 when absent or
 * 2^64-1 (not reported), -EINVAL when it is something else. */
static int member_u64(const struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return -EINVAL;
	uint64_t u = json_object_get_uint64(v);
	if (u == UINT64_MAX)
		return 0;
	*out = u;
	return 1;
}

struct field_key {
	const char *key;
	enum dom_field field;
};

/* Sets f[field] from o's key; only_absent keeps a value already there. */
static void map_keys(const struct json_object *o, const struct field_key *keys, size_t n, struct mval f[DF_COUNT],
                     bool only_absent)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (only_absent && f[keys[i].field].present)
			continue;
		if (member_u64(o, keys[i].key, &v) == 1)
			mval_set_u64(&f[keys[i].field], v);
	}
}

static const struct field_key pve_keys[] = {
    {"max_mem", DF_MEMORY_MAXIMUM_BYTES},         {"total_mem", DF_GUEST_AVAILABLE_BYTES},
    {"free_mem", DF_GUEST_UNUSED_BYTES},          {"mem_swapped_in", DF_GUEST_SWAP_IN_BYTES},
    {"mem_swapped_out", DF_GUEST_SWAP_OUT_BYTES}, {"major_page_faults", DF_GUEST_MAJOR_FAULTS},
    {"minor_page_faults", DF_GUEST_MINOR_FAULTS},
};

int qmp_map_balloon(const struct json_object *ret, struct mval f[DF_COUNT])
{
	uint64_t v;
	if (!json_object_is_type(ret, json_type_object) || member_u64(ret, "actual", &v) != 1)
		return -EINVAL;
	mval_set_u64(&f[DF_BALLOON_CURRENT_BYTES], v);
	map_keys(ret, pve_keys, sizeof(pve_keys) / sizeof(pve_keys[0]), f, true);
	/* 0 is "never reported", as in guest-stats. */
	if (!f[DF_GUEST_STATS_UPDATED].present && member_u64(ret, "last_update", &v) == 1 && v > 0)
		mval_set_u64(&f[DF_GUEST_STATS_UPDATED], v);
	return 0;
}

static const struct field_key stat_keys[] = {
    {"stat-swap-in", DF_GUEST_SWAP_IN_BYTES},
    {"stat-swap-out", DF_GUEST_SWAP_OUT_BYTES},
    {"stat-major-faults", DF_GUEST_MAJOR_FAULTS},
    {"stat-minor-faults", DF_GUEST_MINOR_FAULTS},
    {"stat-free-memory", DF_GUEST_UNUSED_BYTES},
    {"stat-total-memory", DF_GUEST_AVAILABLE_BYTES},
    {"stat-available-memory", DF_GUEST_USABLE_BYTES},
    {"stat-disk-caches", DF_GUEST_DISK_CACHES_BYTES},
    {"stat-htlb-pgalloc", DF_GUEST_HUGETLB_ALLOCS},
    {"stat-htlb-pgfail", DF_GUEST_HUGETLB_FAILURES},
    /* QEMU 9.2 and guest Linux 6.12 (include/uapi/linux/virtio_balloon.h) */
    {"stat-oom-kills", DF_GUEST_OOM_KILLS},
    {"stat-alloc-stalls", DF_GUEST_ALLOC_STALLS},
    {"stat-async-scans", DF_GUEST_ASYNC_SCAN_BYTES},
    {"stat-direct-scans", DF_GUEST_DIRECT_SCAN_BYTES},
    {"stat-async-reclaims", DF_GUEST_ASYNC_RECLAIM_BYTES},
    {"stat-direct-reclaims", DF_GUEST_DIRECT_RECLAIM_BYTES},
};

int qmp_map_guest_stats(const struct json_object *ret, struct mval f[DF_COUNT])
{
	struct json_object *stats;
	uint64_t v;
	if (!json_object_is_type(ret, json_type_object) || !json_object_object_get_ex(ret, "stats", &stats) ||
	    !json_object_is_type(stats, json_type_object))
		return -EINVAL;
	/* The guest's values are one report: before its first, none is. */
	if (member_u64(ret, "last-update", &v) != 1 || v == 0)
		return 0;
	mval_set_u64(&f[DF_GUEST_STATS_UPDATED], v);
	map_keys(stats, stat_keys, sizeof(stat_keys) / sizeof(stat_keys[0]), f, false);
	return 0;
}

int qmp_map_polling_interval(const struct json_object *ret, struct mval f[DF_COUNT])
{
	if (!json_object_is_type(ret, json_type_int) || json_object_get_int64(ret) < 0)
		return -EINVAL;
	mval_set_u64(&f[DF_STATS_PERIOD_SECONDS], (uint64_t)json_object_get_int64(ret));
	return 0;
}

int qmp_find_balloon_child(const struct json_object *ret, char *name, size_t cap)
{
	static const char want[] = "child<virtio-balloon";
	if (!json_object_is_type(ret, json_type_array))
		return -EINVAL;
	size_t n = json_object_array_length(ret);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(ret, i), *t, *nm;
		if (!json_object_object_get_ex(e, "type", &t) || !json_object_object_get_ex(e, "name", &nm) ||
		    !json_object_is_type(t, json_type_string) || !json_object_is_type(nm, json_type_string))
			continue;
		const char *ts = json_object_get_string(t), *ns = json_object_get_string(nm);
		size_t nl = (size_t)json_object_get_string_len(nm);
		if (strncmp(ts, want, sizeof(want) - 1) != 0 || nl == 0 || nl >= cap || memchr(ns, '\0', nl) ||
		    memchr(ns, '/', nl))
			continue;
		memcpy(name, ns, nl + 1);
		return 0;
	}
	return -ENOENT;
}
