/*
 * nametab.h - a hash table keyed by name, for the tables of domains (the
 * XML cache, the domain-to-pid cache).
 *
 * Intrusive: the caller's entry embeds a struct nametab_node and owns its
 * memory; the table only links nodes.  A lookup is O(1) because a host of
 * thousands of domains looks every one up in every collection.  Not
 * thread-safe: the owner locks.
 */
#ifndef KVMMEM_NAMETAB_H
#define KVMMEM_NAMETAB_H

#include <stdbool.h>
#include <stddef.h>

/* 64-bit FNV-1a of s, as a size_t: cheap, and spreads names that differ
 * in one trailing digit (guest-00017, guest-00018) over the whole range. */
size_t str_hash(const char *s);

struct nametab_node {
	struct nametab_node *next;
	size_t hash;
	const char *name; /* borrowed from the entry */
};

struct nametab {
	struct nametab_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

/* An empty table.  0 or -ENOMEM. */
int nametab_init(struct nametab *t);
/* Frees the buckets, not the nodes (free them first, e.g. with
 * nametab_sweep).  A zeroed or failed table is fine. */
void nametab_fini(struct nametab *t);

/* The node named name, or NULL. */
struct nametab_node *nametab_find(const struct nametab *t, const char *name);
/* Links n under name (borrowed: it must live as long as n is linked),
 * which must not be in the table yet.  The table doubles when it holds
 * more nodes than buckets; when that allocation fails the chains only get
 * longer. */
void nametab_add(struct nametab *t, struct nametab_node *n, const char *name);
/* Unlinks every node for which drop(n, arg) returns true; drop may free
 * it. */
void nametab_sweep(struct nametab *t, bool (*drop)(struct nametab_node *n, void *arg), void *arg);

/* The entry that embeds node n as its member named member. */
#define nametab_entry(n, type, member) ((type *)((char *)(n)-offsetof(type, member)))

#endif
