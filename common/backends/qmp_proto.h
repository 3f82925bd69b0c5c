/*
 * qmp_proto.h - QEMU's monitor protocol (QMP) as bytes in and values out.
 *
 * QEMU sends one JSON object per line: first the greeting
 * {"QMP":{"version":{"qemu":{"major":..,"minor":..,"micro":..}},...}},
 * then a {"return":..} or {"error":..} per command, in order, echoing the
 * command's "id", and {"event":..} objects at any time (qemu/qemu
 * docs/interop/qmp-spec.rst).  The balloon's values are those of
 * docs/interop/virtio-balloon-stats.rst: sizes in bytes, 2^64-1 for a
 * value the guest does not report, "last-update" 0 before its first
 * report.
 *
 * Pure functions: no I/O, no logging.  A reply that is garbage costs only
 * its own values.
 */
#ifndef KVMMEM_QMP_PROTO_H
#define KVMMEM_QMP_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "model/snapshot.h"

#define QMP_REPLY_MAX (1024 * 1024) /* the longest line read from a monitor */
#define QMP_ID_MAX 8

struct json_object;

struct json_tokener;

/* The bytes read from one monitor that do not yet form a whole line, and
 * the one JSON tokener its lines are parsed with. */
struct qmp_rx {
	char *data; /* owned: lines already taken out (before off), then the rest */
	size_t len, alloc, max;
	size_t off;               /* where the bytes not yet taken out start */
	size_t scanned;           /* bytes from off on known to hold no end of line */
	struct json_tokener *tok; /* owned; made with the first line */
};

/* An empty buffer for lines of at most max bytes before their '\n' (a
 * '\r' counts); it holds at most max bytes plus one append's. */
void qmp_rx_init(struct qmp_rx *rx, size_t max);
void qmp_rx_free(struct qmp_rx *rx);
/* Appends n bytes read.  0, -ENOMEM, or -EFBIG when the line they leave
 * unfinished is longer than the buffer's max (the monitor then costs its
 * VM's values). */
int qmp_rx_append(struct qmp_rx *rx, const char *p, size_t n);

enum qmp_kind { QMP_GREETING, QMP_RETURN, QMP_ERROR, QMP_EVENT };

struct qmp_msg {
	enum qmp_kind kind;
	char id[QMP_ID_MAX]; /* the echoed "id" of a reply, "" without */
	/* owned: the greeting's "QMP" or the "return" value; NULL for an
	 * empty object returned ({}), which every qmp_map_* below refuses
	 * as it refuses {} */
	struct json_object *value;
	int major, minor, micro;  /* the greeting's QEMU version, -1 when not given */
	struct json_object *root; /* owned: the whole message; NULL with value */
};

/*
 * Takes the next whole line out of rx and parses it into m.  1 with a
 * message (free it with qmp_msg_free), 0 when no whole line is there yet,
 * -EINVAL when the line is not a QMP message (it is dropped; the caller
 * decides whether the monitor is still worth reading), -EFBIG when it is
 * longer than the buffer's max (dropped too), -ENOMEM.  The line is parsed
 * where it lies in the buffer, with the buffer's one tokener.
 */
int qmp_rx_next(struct qmp_rx *rx, struct qmp_msg *m);
void qmp_msg_free(struct qmp_msg *m);

/* Parses one line (without its end) into m: 0, -EINVAL, -ENOMEM. */
int qmp_parse_line(const char *line, size_t len, struct qmp_msg *m);

/* Is a QEMU of this version one whose guest-stats must not be read
 * (9.1.9x, the release candidates of 9.2.0, crash on it)? */
bool qmp_version_skips_stats(int major, int minor, int micro);

/* query-balloon's return: "actual", and Proxmox VE's patched fields
 * (max_mem, total_mem, free_mem, mem_swapped_in, mem_swapped_out,
 * major_page_faults, minor_page_faults, last_update) into f, the patched
 * ones only where f holds nothing yet.  0, or -EINVAL without "actual". */
int qmp_map_balloon(const struct json_object *ret, struct mval f[DF_COUNT]);
/* qom-get guest-stats' return ({"stats":{..},"last-update":..}) into f.
 * 0, or -EINVAL when it is no such object. */
int qmp_map_guest_stats(const struct json_object *ret, struct mval f[DF_COUNT]);
/* qom-get guest-stats-polling-interval's return (seconds) into f.  0 or
 * -EINVAL. */
int qmp_map_polling_interval(const struct json_object *ret, struct mval f[DF_COUNT]);
/* qom-list's return: the name of the first child whose type is a
 * virtio-balloon device, into name.  0, -ENOENT, -EINVAL. */
int qmp_find_balloon_child(const struct json_object *ret, char *name, size_t cap);

#endif
