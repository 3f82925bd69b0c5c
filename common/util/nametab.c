/* nametab.c - FNV-1a and a chained hash table of named nodes. */
#include "util/nametab.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 64

size_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

int nametab_init(struct nametab *t)
{
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = INITIAL_BUCKETS;
	return 0;
}

void nametab_fini(struct nametab *t)
{
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct nametab_node *nametab_find(const struct nametab *t, const char *name)
{
	if (t->nbuckets == 0)
		return NULL;
	size_t h = str_hash(name);
	for (struct nametab_node *n = t->buckets[h & (t->nbuckets - 1)]; n; n = n->next)
		if (n->hash == h && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static void grow(struct nametab *t)
{
	size_t nb = t->nbuckets * 2;
	struct nametab_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct nametab_node *n = t->buckets[i], *next;
		for (; n; n = next) {
			next = n->next;
			size_t k = n->hash & (nb - 1);
			n->next = b[k];
			b[k] = n;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

void nametab_add(struct nametab *t, struct nametab_node *n, const char *name)
{
	if (t->nbuckets == 0)
		return;
	if (t->count >= t->nbuckets)
		grow(t);
	n->name = name;
	n->hash = str_hash(name);
	size_t k = n->hash & (t->nbuckets - 1);
	n->next = t->buckets[k];
	t->buckets[k] = n;
	t->count++;
}

void nametab_sweep(struct nametab *t, bool (*drop)(struct nametab_node *n, void *arg), void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct nametab_node **pp = &t->buckets[i];
		while (*pp) {
			struct nametab_node *n = *pp;
			struct nametab_node *next = n->next;
			if (drop(n, arg)) {
				*pp = next;
				t->count--;
			} else {
				pp = &n->next;
			}
		}
	}
}
