/* complain.c - a bounded set of per-key complaints (usually file paths). */
#include "util/complain.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enough for every file the core reads on a host with a few hundred VMs
 * failing at once; past it, new keys share one complaint. */
#define COMPLAINT_SET_MAX 256

struct complaint_entry {
	char *key; /* owned */
	struct complaint c;
	unsigned seen; /* the round that last named this key */
};

struct complaint_set {
	struct complaint_entry e[COMPLAINT_SET_MAX];
	size_t n;
	unsigned round; /* counts complaint_set_begin() calls; wraps harmlessly */
	/* The shared complaint of keys the set could not hold. */
	struct complaint overflow;
	unsigned long long overflow_quiet; /* their failures not logged since its last line */
	bool overflow_in_round;            /* one of them failed in this round */
};

struct complaint_set *complaint_set_new(void)
{
	return calloc(1, sizeof(struct complaint_set));
}

void complaint_set_free(struct complaint_set *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		free(cs->e[i].key);
	free(cs);
}

void complaint_set_begin(struct complaint_set *cs)
{
	if (cs == NULL)
		return;
	cs->round++;
	cs->overflow_in_round = false;
}

/* Forgets entry i by moving the last one into its place. */
static void drop(struct complaint_set *cs, size_t i)
{
	free(cs->e[i].key);
	cs->e[i] = cs->e[--cs->n];
}

void complaint_set_sweep(struct complaint_set *cs)
{
	if (cs == NULL)
		return;
	/* Backwards, so the entry moved into a dropped place is one already
	 * looked at. */
	for (size_t i = cs->n; i-- > 0;)
		if (cs->e[i].seen != cs->round)
			drop(cs, i);
	/* A round in which every failing key had a place ends the episode:
	 * the next key without one is news again and logs at once. */
	if (!cs->overflow_in_round) {
		memset(&cs->overflow, 0, sizeof(cs->overflow));
		cs->overflow_quiet = 0;
	}
}

static struct complaint_entry *find(struct complaint_set *cs, const char *key)
{
	if (cs == NULL)
		return NULL;
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->e[i].key, key) == 0)
			return &cs->e[i];
	return NULL;
}

/* A new remembered entry, or NULL when the set is full or memory is short:
 * the caller then falls back to the shared complaint. */
static struct complaint_entry *add(struct complaint_set *cs, const char *key)
{
	if (cs->n >= COMPLAINT_SET_MAX)
		return NULL;
	char *k = strdup(key);
	if (k == NULL)
		return NULL;
	struct complaint_entry *e = &cs->e[cs->n++];
	memset(e, 0, sizeof(*e));
	e->key = k;
	return e;
}

/* A failure of a key the set has no place for.  complain() logs exactly
 * when it moves overflow.last or starts the complaint, which is how the
 * count of quiet failures knows when to start again. */
static void complain_overflow(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *msg)
{
	time_t last = cs->overflow.last;
	bool failing = cs->overflow.failing;

	cs->overflow_in_round = true;
	if (!failing)
		complain(
		    lg, &cs->overflow,
		    "%s: %s (complaint set full at %d keys: failures of further keys are counted, not logged, until "
		    "it has room)",
		    key, msg, COMPLAINT_SET_MAX);
	else
		complain(lg, &cs->overflow,
		         "%s: %s (complaint set full at %d keys: %llu failures of other keys not logged since the last "
		         "such line)",
		         key, msg, COMPLAINT_SET_MAX, cs->overflow_quiet);
	if (!failing || cs->overflow.last != last)
		cs->overflow_quiet = 0;
	else
		cs->overflow_quiet++;
}

void complain_key(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (cs == NULL) {
		log_warnx(lg, "%s: %s", key, msg);
		return;
	}
	struct complaint_entry *e = find(cs, key);
	if (e == NULL)
		e = add(cs, key);
	if (e == NULL) {
		complain_overflow(lg, cs, key, msg);
		return;
	}
	e->seen = cs->round;
	complain(lg, &e->c, "%s: %s", key, msg);
}

void complain_key_release(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	struct complaint_entry *e = find(cs, key);
	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	complain_release(lg, &e->c, "%s: %s", key, msg);
	/* Forget the key so a set that sees many short-lived keys (pids)
	 * does not fill up with healthy ones. */
	drop(cs, (size_t)(e - cs->e));
}

void refusal_begin(struct refusal *r)
{
	if (r != NULL)
		r->met = false;
}

void refuse(struct refusal *r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	r->met = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	complain(r->lg, &r->c, "%s", msg);
}

void refusal_end(struct refusal *r)
{
	if (r != NULL && !r->met)
		complain_release(r->lg, &r->c, "%s", r->released);
}
