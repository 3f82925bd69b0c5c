/* xml_cache.c - the name-keyed cache of parsed domain XML. */
#include "backends/xml_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/nametab.h"

/* Some XML changes come without a lifecycle event (virsh dommemstat
 * --period --live changes the stats period), so an entry is refetched
 * after this long even when nothing else says it changed. */
#define XML_MAX_AGE_SECONDS 600
/* Each domain's age limit is stretched by up to this much, by its name,
 * so that thousands of XMLs fetched together do not all expire in the same
 * collection again. */
#define XML_AGE_SPREAD_SECONDS 300

struct entry {
	struct nametab_node node;
	struct xml_cached v;
	unsigned seen; /* collection that last listed the domain */
	char name[];
};

struct xml_cache {
	pthread_mutex_t lock;
	struct nametab tab;
};

struct xml_cache *xml_cache_new(void)
{
	struct xml_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (nametab_init(&c->tab) != 0 || pthread_mutex_init(&c->lock, NULL) != 0) {
		nametab_fini(&c->tab);
		free(c);
		return NULL;
	}
	return c;
}

static bool drop_all(struct nametab_node *n, void *arg)
{
	(void)arg;
	free(nametab_entry(n, struct entry, node));
	return true;
}

void xml_cache_free(struct xml_cache *c)
{
	if (!c)
		return;
	nametab_sweep(&c->tab, drop_all, NULL);
	nametab_fini(&c->tab);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct entry *find(struct xml_cache *c, const char *name)
{
	struct nametab_node *n = nametab_find(&c->tab, name);
	return n ? nametab_entry(n, struct entry, node) : NULL;
}

bool xml_cache_get(struct xml_cache *c, const char *name, unsigned gen, struct xml_cached *out)
{
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, name);
	if (e) {
		e->seen = gen;
		*out = e->v;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

void xml_cache_put(struct xml_cache *c, const char *name, unsigned gen, const struct xml_cached *in)
{
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, name);
	if (!e) {
		size_t len = strlen(name);
		e = calloc(1, sizeof(*e) + len + 1);
		if (!e)
			goto out;
		memcpy(e->name, name, len + 1);
		nametab_add(&c->tab, &e->node, e->name);
		e->v.max_age = XML_MAX_AGE_SECONDS + (time_t)(e->node.hash % XML_AGE_SPREAD_SECONDS);
	}
	unsigned events = e->v.events;
	time_t max_age = e->v.max_age;
	struct domxml_info old = e->v.info;
	e->v = *in;
	e->v.events = events;
	e->v.max_age = max_age;
	/* An entry that failed to parse keeps the older answer it had. */
	if (!in->valid)
		e->v.info = old;
	e->v.stale = false;
	e->seen = gen;
out:
	pthread_mutex_unlock(&c->lock);
}

void xml_cache_event(struct xml_cache *c, const char *name)
{
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, name);
	if (e)
		e->v.events++;
	pthread_mutex_unlock(&c->lock);
}

static bool mark_stale(struct nametab_node *n, void *arg)
{
	(void)arg;
	nametab_entry(n, struct entry, node)->v.stale = true;
	return false;
}

void xml_cache_mark_stale(struct xml_cache *c)
{
	pthread_mutex_lock(&c->lock);
	nametab_sweep(&c->tab, mark_stale, NULL);
	pthread_mutex_unlock(&c->lock);
}

static bool unseen(struct nametab_node *n, void *arg)
{
	struct entry *e = nametab_entry(n, struct entry, node);
	if (e->seen == *(const unsigned *)arg)
		return false;
	free(e);
	return true;
}

void xml_cache_prune(struct xml_cache *c, unsigned gen)
{
	pthread_mutex_lock(&c->lock);
	nametab_sweep(&c->tab, unseen, &gen);
	pthread_mutex_unlock(&c->lock);
}

bool xml_cache_usable(const struct xml_cached *e, bool active, bool busy, time_t now)
{
	bool same_state = e->active == active;
	bool fresh = !e->stale && e->events == e->fetched_events && same_state && now - e->fetched < e->max_age;
	return fresh || (busy && same_state);
}
