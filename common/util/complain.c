/* complain.c - a bounded set of per-key complaints (usually file paths). */
#include "util/complain.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enough for every file the core reads on a host with a few hundred VMs
 * failing at once; past it, new keys still log, just without back-off. */
#define COMPLAINT_SET_MAX 256

struct complaint_entry {
	char *key; /* owned */
	struct complaint c;
};

struct complaint_set {
	struct complaint_entry e[COMPLAINT_SET_MAX];
	size_t n;
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
 * the caller then logs without remembering, which is the safe side. */
static struct complaint_entry *add(struct complaint_set *cs, const char *key)
{
	if (cs == NULL || cs->n >= COMPLAINT_SET_MAX)
		return NULL;
	char *k = strdup(key);
	if (k == NULL)
		return NULL;
	struct complaint_entry *e = &cs->e[cs->n++];
	memset(e, 0, sizeof(*e));
	e->key = k;
	return e;
}

void complain_key(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct complaint_entry *e = find(cs, key);
	if (e == NULL)
		e = add(cs, key);
	if (e == NULL) {
		log_warnx(lg, "%s: %s", key, msg);
		return;
	}
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
	free(e->key);
	*e = cs->e[--cs->n];
}
