/* snapshot.c - allocation and ordering of snapshot data. */
#include "model/snapshot.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool dom_state_has_process(enum dom_state st)
{
	switch (st) {
	case DOM_STATE_RUNNING:
	case DOM_STATE_BLOCKED:
	case DOM_STATE_PAUSED:
	case DOM_STATE_SHUTDOWN:
	case DOM_STATE_PMSUSPENDED:
		return true;
	default:
		return false;
	}
}

const char *dom_source_name(enum dom_source s)
{
	switch (s) {
	case DOM_SOURCE_PROXMOX:
		return "proxmox";
	case DOM_SOURCE_QEMU:
		return "qemu";
	default:
		return "libvirt";
	}
}

double mval_as_double(const struct mval *m)
{
	switch (m->kind) {
	case MV_U64:
		return (double)m->v.u;
	case MV_I64:
		return (double)m->v.i;
	default:
		return m->v.f;
	}
}

void snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void snapshot_clear(struct snapshot *s)
{
	for (size_t i = 0; i < s->ndoms; i++)
		free(s->doms[i].name);
	free(s->doms);
	snapshot_init(s);
}

/* Room for extra more domains; exact when exact, else by doubling. */
static int reserve_domains(struct snapshot *s, size_t extra, bool exact)
{
	if (s->ndoms + extra <= s->doms_alloc)
		return 0;
	if (extra > SIZE_MAX / sizeof(struct dom_snap) - s->ndoms)
		return -ENOMEM;
	size_t n = s->doms_alloc != 0 ? s->doms_alloc : 16;
	if (exact)
		n = s->ndoms + extra;
	while (n < s->ndoms + extra)
		n *= 2;
	struct dom_snap *p = realloc(s->doms, n * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	s->doms = p;
	s->doms_alloc = n;
	return 0;
}

int snapshot_reserve_domains(struct snapshot *s, size_t n)
{
	return reserve_domains(s, n, true);
}

struct dom_snap *snapshot_add_domain(struct snapshot *s, const char *name, const char *uuid)
{
	if (reserve_domains(s, 1, false) != 0)
		return NULL;
	char *copy = strdup(name);
	if (copy == NULL)
		return NULL;
	struct dom_snap *d = &s->doms[s->ndoms++];
	memset(d, 0, sizeof(*d));
	d->name = copy;
	if (uuid != NULL) {
		size_t n = strnlen(uuid, UUID_STRING_LEN - 1);
		memcpy(d->uuid, uuid, n);
		d->uuid[n] = '\0';
	}
	return d;
}

int snapshot_take_domains(struct snapshot *dst, struct snapshot *src)
{
	/* Into an empty dst the array itself moves: a large host's domains
	 * are megabytes, and a copy would hold them twice for a moment. */
	if (dst->ndoms == 0) {
		struct dom_snap *p = dst->doms;
		size_t a = dst->doms_alloc;
		dst->doms = src->doms;
		dst->ndoms = src->ndoms;
		dst->doms_alloc = src->doms_alloc;
		src->doms = p;
		src->ndoms = 0;
		src->doms_alloc = a;
		return 0;
	}
	if (reserve_domains(dst, src->ndoms, true) != 0)
		return -ENOMEM;
	if (src->ndoms != 0)
		memcpy(dst->doms + dst->ndoms, src->doms, src->ndoms * sizeof(*src->doms));
	dst->ndoms += src->ndoms;
	src->ndoms = 0;
	return 0;
}

static int cmp_dom(const void *a, const void *b)
{
	const struct dom_snap *x = a, *y = b;
	return strcmp(x->name, y->name);
}

void snapshot_finish(struct snapshot *s)
{
	/* libvirt usually lists domains in name order already: one pass
	 * checks that and spares the sort's N log N compares and moves of
	 * the large entries. */
	size_t i = 1;
	while (i < s->ndoms && strcmp(s->doms[i - 1].name, s->doms[i].name) <= 0)
		i++;
	if (i < s->ndoms)
		qsort(s->doms, s->ndoms, sizeof(*s->doms), cmp_dom);
}
