/* qmp_exchange.c - one monitor's commands and replies, as a state machine. */
#include "backends/qmp_exchange.h"

#include <string.h>

/* QEMU's id_wellformed() and QOM child names ("device[0]"): nothing in
 * them needs JSON escaping. */
static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

void qmp_xchg_init(struct qmp_xchg *x, const struct qemu_monitor *mon)
{
	memset(x, 0, sizeof(*x));
	x->state = QX_GREETING;
	if (plain_name(mon->balloon_id))
		memcpy(x->balloon_id, mon->balloon_id, sizeof(x->balloon_id));
}

static void put(struct qmp_xchg *x, const char *s)
{
	size_t n = strlen(s);
	if (x->outlen + n > sizeof(x->out)) {
		x->state = QX_FAILED;
		x->why = "command buffer full";
		return;
	}
	memcpy(x->out + x->outlen, s, n);
	x->outlen += n;
}

static void ask_stats(struct qmp_xchg *x, const char *parent, const char *name)
{
	static const char *const props[][2] = {{"guest-stats", "s"}, {"guest-stats-polling-interval", "p"}};
	for (size_t i = 0; i < 2; i++) {
		put(x, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"");
		put(x, parent);
		put(x, name);
		put(x, "\",\"property\":\"");
		put(x, props[i][0]);
		put(x, "\"},\"id\":\"");
		put(x, props[i][1]);
		put(x, "\"}\n");
		x->pending++;
	}
}

static void on_greeting(struct qmp_xchg *x, const struct qmp_msg *m)
{
	put(x, "{\"execute\":\"qmp_capabilities\",\"id\":\"c\"}\n{\"execute\":\"query-balloon\",\"id\":\"b\"}\n");
	x->pending = 2;
	x->state = QX_REPLIES;
	if (qmp_version_skips_stats(m->major, m->minor, m->micro)) {
		x->skipped_version = true;
	} else if (x->balloon_id[0]) {
		ask_stats(x, "/machine/peripheral/", x->balloon_id);
	} else {
		put(x,
		    "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral-anon\"},\"id\":\"l\"}\n");
		x->pending++;
	}
}

static void on_reply(struct qmp_xchg *x, const struct qmp_msg *m)
{
	bool ok = m->kind == QMP_RETURN;
	char child[QEMU_DEVID_MAX];
	if (strlen(m->id) != 1 || !strchr("cbspl", m->id[0]))
		return; /* no answer of ours */
	x->pending--;
	switch (m->id[0]) {
	case 'c':
		if (!ok) {
			x->state = QX_FAILED;
			x->why = "qmp_capabilities refused";
		}
		break;
	case 'b':
		/* An error is a balloon QEMU does not run (DeviceNotActive). */
		if (ok)
			(void)qmp_map_balloon(m->value, x->f);
		break;
	case 's':
		if (ok)
			(void)qmp_map_guest_stats(m->value, x->f);
		break;
	case 'p':
		if (ok)
			(void)qmp_map_polling_interval(m->value, x->f);
		break;
	case 'l':
		if (ok && qmp_find_balloon_child(m->value, child, sizeof(child)) == 0 && plain_name(child))
			ask_stats(x, "/machine/peripheral-anon/", child);
		break;
	}
}

void qmp_xchg_feed(struct qmp_xchg *x, const struct qmp_msg *m)
{
	if (x->state == QX_DONE || x->state == QX_FAILED)
		return;
	if (m->kind == QMP_EVENT)
		return;
	if (m->kind == QMP_GREETING) {
		if (x->state != QX_GREETING) {
			x->state = QX_FAILED;
			x->why = "a second greeting";
			return;
		}
		on_greeting(x, m);
		return;
	}
	if (x->state == QX_GREETING) {
		x->state = QX_FAILED;
		x->why = "a reply before the greeting";
		return;
	}
	on_reply(x, m);
	if (x->state == QX_REPLIES && x->pending == 0)
		x->state = QX_DONE;
}

void qmp_xchg_sent(struct qmp_xchg *x, size_t n)
{
	if (n > x->outlen)
		n = x->outlen;
	memmove(x->out, x->out + n, x->outlen - n);
	x->outlen -= n;
}
