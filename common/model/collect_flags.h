/*
 * collect_flags.h - the command-line flags that say what a collection
 * reads, shared by every front-end that has a command line.
 *
 * --libvirt.uri, one --path.* per root the core reads, --qmp.timeout,
 * --collector.<name> and --no-collector.<name>.  A pure parser: no I/O, no exit(), no
 * knowledge of HTTP or terminals.  A front-end parses its own flags and
 * hands every flag it does not know to collect_flags_parse(), so a new
 * root or collector is one row here and appears in every front-end.
 */
#ifndef KVMMEM_COLLECT_FLAGS_H
#define KVMMEM_COLLECT_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/collect.h"
#include "util/buf.h"

struct collect_flags {
	const char *libvirt_uri; /* borrowed from argv or a static literal */
	const char *sysfs;
	const char *procfs;
	const char *libvirt_run;
	const char *qemu_server_run;
	const char *cgroupfs;
	bool collectors[COLL_COUNT];
	int qmp_timeout_ms; /* --qmp.timeout */
};

/* Fills f with the defaults: real paths, each collector as its row says. */
void collect_flags_defaults(struct collect_flags *f);

/* One command-line flag as a front-end split it. */
struct flag_arg {
	const char *name;  /* without the leading "--", up to any '=' */
	size_t len;        /* of name */
	const char *value; /* the text after '=', NULL when there was none */
	const char *next;  /* the following argv element, NULL at the end */
	bool used_next;    /* out: the flag took next as its value */
};

/*
 * Parses one flag into f.  A flag that needs a value and has none takes
 * a->next and says so in a->used_next.  Returns 0, -ENOENT when the flag is
 * no collection flag (err untouched), or -EINVAL with a one-line message in
 * err.
 */
int collect_flags_parse(struct collect_flags *f, struct flag_arg *a, char *err, size_t errsz);

/* Copies the flags into a collection's options (strings stay borrowed). */
void collect_flags_apply(const struct collect_flags *f, struct collect_opts *o);

/* --help lines of the flags with values, and of the collector switches,
 * in the exporter's format.  Each returns 0 or the buf error. */
int collect_flags_usage_paths(struct buf *b);
int collect_flags_usage_collectors(struct buf *b);

#endif
