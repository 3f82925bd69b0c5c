/*
 * cli.h - kvmmem-top's command line, parsed into plain data.
 *
 * A pure parser like the exporter's: no I/O, no exit().  Its own flags
 * follow top(1) (-d, -n) where top has one; every other long flag goes to
 * the shared collection flags (model/collect_flags.h), so kvmmem-top
 * reads the same hosts the exporter does with the same words.
 */
#ifndef KVMMEM_TOP_CLI_H
#define KVMMEM_TOP_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "model/collect_flags.h"
#include "util/buf.h"

enum top_mode { TOP_SCREEN = 0, TOP_ONCE, TOP_JSON, TOP_HELP, TOP_VERSION };

#define TOP_DEFAULT_DELAY_MS 2000
#define TOP_MIN_DELAY_MS 100
#define TOP_MAX_DELAY_MS (3600 * 1000)
#define TOP_FILTER_MAX 128
#define TOP_ERR_MAX 256

struct top_opts {
	enum top_mode mode;
	int delay_ms;        /* -d, between collections */
	unsigned long count; /* -n, collections before exiting; 0: until stopped */
	int width;           /* --width for --once, 0: the terminal's or 80 */
	enum top_col sort;
	bool reverse;
	const char *filter; /* borrowed from argv; NULL for none */
	struct collect_flags coll;
};

void top_cli_defaults(struct top_opts *o);

/* Parses argv[1..argc-1].  Returns 0, or -EINVAL with a one-line message
 * in err (the caller exits 2). */
int top_cli_parse(int argc, char *const argv[], struct top_opts *o, char *err, size_t errsz);

/* Seconds with up to three decimals ("2", "0.5") into milliseconds within
 * [TOP_MIN_DELAY_MS, TOP_MAX_DELAY_MS].  Returns 0 or -EINVAL. */
int top_parse_delay(const char *s, int *ms);

int top_cli_usage(struct buf *b, const char *prog);

#endif
