/* cli.c - kvmmem-top's flags into struct top_opts; no I/O. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "util/errbuf.h"
#include "util/parse.h"

void top_cli_defaults(struct top_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = TOP_SCREEN;
	o->delay_ms = TOP_DEFAULT_DELAY_MS;
	o->sort = COL_NAME;
	collect_flags_defaults(&o->coll);
}

int top_parse_delay(const char *s, int *ms)
{
	struct cursor c = cursor_make(s, strlen(s));
	uint64_t whole, frac = 0, scale = 1000;

	if (cursor_u64(&c, TOP_MAX_DELAY_MS / 1000, &whole) != 0)
		return -EINVAL;
	if (cursor_accept(&c, ".")) {
		const char *p = c.p;
		while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && scale > 1) {
			scale /= 10;
			frac += (uint64_t)(*c.p - '0') * scale;
			c.p++;
		}
		if (c.p == p)
			return -EINVAL;
	}
	uint64_t total = whole * 1000 + frac;
	if (!cursor_eof(&c) || total < TOP_MIN_DELAY_MS || total > TOP_MAX_DELAY_MS)
		return -EINVAL;
	*ms = (int)total;
	return 0;
}

static int parse_count(const char *s, uint64_t max, uint64_t *out)
{
	struct cursor c = cursor_make(s, strlen(s));

	if (cursor_u64(&c, max, out) != 0 || !cursor_eof(&c) || *out == 0)
		return -EINVAL;
	return 0;
}

/* The flags that take a value: short or long name, what to do with it. */
static int set_value(const char *flag, const char *v, struct top_opts *o, char *err, size_t errsz)
{
	uint64_t n;

	if (strcmp(flag, "d") == 0 || strcmp(flag, "delay") == 0) {
		if (top_parse_delay(v, &o->delay_ms) != 0)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '%s': expected seconds from 0.1 to 3600", v,
			                   flag[1] ? "--delay" : "-d");
	} else if (strcmp(flag, "n") == 0 || strcmp(flag, "iterations") == 0) {
		if (parse_count(v, 1000000000, &n) != 0)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '%s': expected a positive count", v,
			                   flag[1] ? "--iterations" : "-n");
		o->count = (unsigned long)n;
	} else if (strcmp(flag, "width") == 0) {
		if (parse_count(v, TOP_LINE_MAX - 1, &n) != 0 || n < 20)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '--width': expected 20 to %d columns", v,
			                   TOP_LINE_MAX - 1);
		o->width = (int)n;
	} else if (strcmp(flag, "sort") == 0) {
		if (top_col_lookup(v, &o->sort) != 0)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '--sort': expected a column heading such as "
			                   "NAME, MAX or KSM",
			                   v);
	} else if (strcmp(flag, "filter") == 0) {
		if (strlen(v) >= TOP_FILTER_MAX)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value for flag '--filter': longer than %d bytes",
			                   TOP_FILTER_MAX - 1);
		o->filter = v[0] != '\0' ? v : NULL;
	} else {
		return -ENOENT;
	}
	return 0;
}

static bool takes_value(const char *name, size_t len)
{
	static const char *const with_value[] = {"d", "n", "delay", "iterations", "width", "sort", "filter"};
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (strlen(with_value[i]) == len && memcmp(with_value[i], name, len) == 0)
			return true;
	return false;
}

static int set_switch(const char *name, size_t len, struct top_opts *o)
{
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
	/* --help and --version win over the output modes whatever the order. */
	if (IS("h") || IS("help"))
		o->mode = TOP_HELP;
	else if (IS("version"))
		o->mode = o->mode == TOP_HELP ? TOP_HELP : TOP_VERSION;
	else if (IS("once"))
		o->mode = o->mode >= TOP_HELP ? o->mode : TOP_ONCE;
	else if (IS("json"))
		o->mode = o->mode >= TOP_HELP ? o->mode : TOP_JSON;
	else if (IS("r") || IS("reverse"))
		o->reverse = true;
	else
		return -ENOENT;
	return 0;
#undef IS
}

/* Splits one argument into its flag name and attached value. */
struct arg {
	const char *name;
	size_t len;
	const char *value; /* NULL when none is attached */
	bool is_short;
};

static int split_arg(const char *a, struct arg *out)
{
	if (a[0] != '-' || a[1] == '\0' || (a[1] == '-' && a[2] == '\0'))
		return -EINVAL;
	if (a[1] != '-') {
		/* -d2 and -d 2, as top(1) takes them. */
		*out = (struct arg){a + 1, 1, a[2] != '\0' ? a + 2 : NULL, true};
		return 0;
	}
	const char *eq = strchr(a + 2, '=');
	*out =
	    (struct arg){a + 2, eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2), eq != NULL ? eq + 1 : NULL, false};
	return 0;
}

static int own_flag(const struct arg *g, const char *next, bool *used_next, struct top_opts *o, char *err, size_t errsz)
{
	char name[32];

	*used_next = false;
	if (g->len >= sizeof(name))
		return -ENOENT;
	memcpy(name, g->name, g->len);
	name[g->len] = '\0';
	if (!takes_value(g->name, g->len)) {
		if (set_switch(g->name, g->len, o) != 0)
			return -ENOENT;
		if (g->value != NULL)
			return errbuf_fail(err, errsz, -EINVAL, "flag '%s%s' takes no value", g->is_short ? "-" : "--",
			                   name);
		return 0;
	}
	const char *v = g->value;
	if (v == NULL) {
		if (next == NULL)
			return errbuf_fail(err, errsz, -EINVAL, "flag '%s%s' needs a value", g->is_short ? "-" : "--",
			                   name);
		v = next;
		*used_next = true;
	}
	return set_value(name, v, o, err, errsz);
}

int top_cli_parse(int argc, char *const argv[], struct top_opts *o, char *err, size_t errsz)
{
	bool once = false, json = false;

	top_cli_defaults(o);
	for (int i = 1; i < argc; i++) {
		struct arg g;
		bool used_next;
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (split_arg(argv[i], &g) != 0)
			return errbuf_fail(err, errsz, -EINVAL, "unexpected argument '%s', try --help", argv[i]);
		int r = own_flag(&g, next, &used_next, o, err, errsz);
		if (r == -ENOENT && !g.is_short) {
			struct flag_arg fa = {g.name, g.len, g.value, next, false};
			r = collect_flags_parse(&o->coll, &fa, err, errsz);
			used_next = fa.used_next;
		}
		if (r == -ENOENT)
			return errbuf_fail(err, errsz, -EINVAL, "unknown flag '%s%.*s', try --help",
			                   g.is_short ? "-" : "--", (int)g.len, g.name);
		if (r != 0)
			return r;
		once |= g.len == 4 && memcmp(g.name, "once", 4) == 0;
		json |= g.len == 4 && memcmp(g.name, "json", 4) == 0;
		i += used_next ? 1 : 0;
	}
	if (once && json && o->mode < TOP_HELP)
		return errbuf_fail(err, errsz, -EINVAL, "--once and --json exclude each other");
	return 0;
}

int top_cli_usage(struct buf *b, const char *prog)
{
	buf_printf(b, "usage: %s [flags]\n\n", prog);
	buf_puts(b, "The KVM host's memory overcommit at a glance: virtio balloon, guest view and KSM per VM.\n\n");
	buf_puts(b, "Flags:\n"
	            "  -h, --help\n      Show this help and exit.\n"
	            "  --version\n      Show the version and exit.\n"
	            "  --once\n      Print one table and exit; no terminal needed (80 columns, or the terminal's "
	            "width).\n"
	            "  --json\n      Print one JSON document per collection, one per line.\n"
	            "  -d, --delay=SECONDS\n      Time between collections (default: \"2\").\n"
	            "  -n, --iterations=N\n      Exit after N collections (default: 1 with --once, else none).\n"
	            "  --width=COLUMNS\n      Width of the --once table (default: the terminal's, else 80).\n"
	            "  --sort=COLUMN\n      Sort by this column heading: NAME, STATE, MAX, CUR, BALLOON, USED, "
	            "CACHE,\n      SWAP/s, AGE, KSM, PROFIT, RSS, COST, PSI%, FLAGS (default: \"NAME\").\n"
	            "  -r, --reverse\n      Reverse the sort order.\n"
	            "  --filter=TEXT\n      Show only domains whose name contains TEXT (any case).\n");
	collect_flags_usage_paths(b);
	collect_flags_usage_collectors(b);
	buf_puts(b, "\nKeys: q quit, h help, l legend, d interval, < > sort column, r reverse, / filter,\n"
	            "space refresh, arrows and PgUp/PgDn scroll.\n");
	return b->err;
}
