/*
 * qmp_exchange.h - what kvmmem says to one QEMU monitor and what it makes
 * of the answers, without the socket.
 *
 * After the greeting it sends, in one go (QMP answers in order, and QEMU
 * queues up to 8 requests before it stops reading): qmp_capabilities,
 * query-balloon and, unless the version is one whose guest-stats crash
 * (qmp_version_skips_stats), qom-get of the balloon's guest-stats and
 * guest-stats-polling-interval by its /machine/peripheral/<id> path; a
 * balloon without id is looked up first with qom-list of
 * /machine/peripheral-anon.  Nothing but these read-only commands is ever
 * sent.  Used by one thread at a time.
 */
#ifndef KVMMEM_QMP_EXCHANGE_H
#define KVMMEM_QMP_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/qemu_monitor.h"
#include "backends/qmp_proto.h"
#include "model/snapshot.h"

#define QMP_OUT_MAX 1024

enum qmp_xstate {
	QX_GREETING, /* waiting for {"QMP":..} */
	QX_REPLIES,  /* commands sent, pending replies to come */
	QX_DONE,     /* every reply is in: close */
	QX_FAILED,   /* the monitor said something no QEMU says: close */
};

struct qmp_xchg {
	enum qmp_xstate state;
	char balloon_id[QEMU_DEVID_MAX]; /* "" until known */
	char out[QMP_OUT_MAX];           /* bytes still to send */
	size_t outlen;
	unsigned pending;     /* replies still expected */
	bool skipped_version; /* guest-stats were not asked: QEMU 9.1.9x */
	const char *why;      /* of QX_FAILED, a static string */
	struct mval f[DF_COUNT];
};

/* A new exchange for a monitor whose balloon has the id mon->balloon_id
 * ("" without). */
void qmp_xchg_init(struct qmp_xchg *x, const struct qemu_monitor *mon);

/* One message from the monitor (borrowed).  Appends what to send next to
 * x->out and moves x->state on. */
void qmp_xchg_feed(struct qmp_xchg *x, const struct qmp_msg *m);

/* Drops the first n bytes of x->out, which were sent. */
void qmp_xchg_sent(struct qmp_xchg *x, size_t n);

#endif
