/* cli.c - command line flags into struct cli_opts; no I/O. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/env.h"
#include "util/errbuf.h"
#include "util/parse.h"

enum flag_id {
	F_HELP,
	F_VERSION,
	F_DUMP,
	F_LISTEN,
	F_TELEMETRY,
	F_WEB_CONFIG,
	F_SCRAPE_TIMEOUT,
	F_LOG_LEVEL,
};

struct flag_def {
	enum flag_id id;
	const char *name; /* without the leading "--" */
	bool takes_value;
	const char *metavar; /* for --help */
	const char *help;    /* for --help, default appended by cli_usage */
	const char *def;     /* default shown in --help, NULL for none */
};

static const struct flag_def flags[] = {
    {F_HELP, "help", false, NULL, "Show this help and exit.", NULL},
    {F_VERSION, "version", false, NULL, "Show the version, revision and library versions and exit.", NULL},
    {F_DUMP, "dump", false, NULL,
     "Collect once, print the exposition to stdout and exit (non-zero only when nothing could be collected).", NULL},
    {F_LISTEN, "web.listen-address", true, "ADDR",
     "Address to listen on: :PORT for every address, HOST:PORT, [IPV6]:PORT.", CLI_DEFAULT_LISTEN},
    {F_TELEMETRY, "web.telemetry-path", true, "PATH", "Path under which the metrics are served.",
     CLI_DEFAULT_TELEMETRY_PATH},
    {F_WEB_CONFIG, "web.config.file", true, "FILE",
     "Exporter-toolkit web configuration file: TLS, client certificates, basic auth, headers.", ""},
    {F_SCRAPE_TIMEOUT, "scrape.timeout", true, "DURATION",
     "Deadline of one collection (h, m, s, ms units, e.g. 500ms, 8s, 1m).", "8s"},
    {F_LOG_LEVEL, "log.level", true, "LEVEL", "Least severe log level shown: error, warn, info, debug.", "info"},
};

#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

void cli_defaults(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->action = CLI_SERVE;
	o->listen_address = CLI_DEFAULT_LISTEN;
	o->listen_host[0] = '\0';
	o->listen_port = 19177;
	o->telemetry_path = CLI_DEFAULT_TELEMETRY_PATH;
	o->web_config_file = NULL;
	collect_flags_defaults(&o->coll);
	o->scrape_timeout_ms = CLI_DEFAULT_SCRAPE_TIMEOUT_MS;
	o->log_level = LOG_LVL_INFO;
}

int cli_parse_duration(const char *s, uint64_t *ms)
{
	struct cursor c = cursor_make(s, strlen(s));
	uint64_t total = 0;

	if (cursor_eof(&c))
		return -EINVAL;
	while (!cursor_eof(&c)) {
		uint64_t n, unit;
		if (cursor_u64(&c, CLI_MAX_DURATION_MS, &n) != 0)
			return -EINVAL;
		/* "ms" before "m": the longer unit must win. */
		if (cursor_accept(&c, "ms"))
			unit = 1;
		else if (cursor_accept(&c, "s"))
			unit = 1000;
		else if (cursor_accept(&c, "m"))
			unit = 60 * 1000;
		else if (cursor_accept(&c, "h"))
			unit = 3600 * 1000;
		else
			return -EINVAL;
		if (n > CLI_MAX_DURATION_MS / unit || total + n * unit > CLI_MAX_DURATION_MS)
			return -EINVAL;
		total += n * unit;
	}
	if (total == 0)
		return -EINVAL;
	*ms = total;
	return 0;
}

static int parse_port(const char *s, unsigned *port)
{
	struct cursor c = cursor_make(s, strlen(s));
	uint64_t v;

	/* cursor_u64 accepts no sign, so "-1" and "+1" fail here. */
	if (cursor_u64(&c, 65535, &v) != 0 || !cursor_eof(&c))
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

int cli_parse_listen(const char *s, char *host, size_t hostsz, unsigned *port)
{
	const char *hs, *he, *colon;
	unsigned p;

	if (s[0] == '[') {
		hs = s + 1;
		he = strchr(hs, ']');
		if (he == NULL || he == hs || he[1] != ':')
			return -EINVAL;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		hs = s;
		he = colon;
		/* A bare IPv6 address is ambiguous: "::1:80". */
		if (memchr(hs, ':', (size_t)(he - hs)) != NULL)
			return -EINVAL;
	}
	if ((size_t)(he - hs) >= hostsz || parse_port(colon + 1, &p) != 0)
		return -EINVAL;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = p;
	return 0;
}

static const struct flag_def *find_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < NFLAGS; i++) {
		if (strlen(flags[i].name) == len && memcmp(flags[i].name, name, len) == 0)
			return &flags[i];
	}
	return NULL;
}

static int set_value(const struct flag_def *f, const char *v, struct cli_opts *o, char *err, size_t errsz)
{
	if (v[0] == '\0')
		return errbuf_fail(err, errsz, -EINVAL, "invalid value '' for flag '--%s': empty", f->name);
	switch (f->id) {
	case F_LISTEN:
		if (cli_parse_listen(v, o->listen_host, sizeof(o->listen_host), &o->listen_port) != 0)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '--%s': expected [HOST]:PORT such as :19177, "
			                   "127.0.0.1:19177 or [::1]:19177",
			                   v, f->name);
		o->listen_address = v;
		return 0;
	case F_TELEMETRY:
		/* Checked before the value is quoted back: a long one would not
		 * fit the message. */
		if (strlen(v) > CLI_MAX_TELEMETRY_PATH)
			return errbuf_fail(err, errsz, -EINVAL, "invalid value for flag '--%s': longer than %d bytes",
			                   f->name, CLI_MAX_TELEMETRY_PATH);
		if (v[0] != '/' || v[1] == '\0' || strcmp(v, "/-/healthy") == 0)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '--%s': expected a path starting with '/', "
			                   "other than / and /-/healthy",
			                   v, f->name);
		/* libmicrohttpd decodes %XX before the path is compared, ends it
		 * at '?', and a client never sends '#', blanks or control
		 * characters: a path with one of them could never be matched. */
		for (const char *c = v; *c != '\0'; c++) {
			if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '?' || *c == '#' || *c == '%')
				return errbuf_fail(
				    err, errsz, -EINVAL,
				    "invalid value '%s' for flag '--%s': no request path matches a '%%', "
				    "'?', '#', blank or control character",
				    v, f->name);
		}
		o->telemetry_path = v;
		return 0;
	case F_WEB_CONFIG:
		o->web_config_file = v;
		return 0;
	case F_SCRAPE_TIMEOUT:
		if (cli_parse_duration(v, &o->scrape_timeout_ms) != 0)
			return errbuf_fail(
			    err, errsz, -EINVAL,
			    "invalid value '%s' for flag '--%s': expected a positive duration of at most 24h "
			    "such as 500ms, 8s or 1m",
			    v, f->name);
		return 0;
	case F_LOG_LEVEL:
		if (log_level_parse(v, &o->log_level) != 0)
			return errbuf_fail(err, errsz, -EINVAL,
			                   "invalid value '%s' for flag '--%s': expected error, warn, info or debug", v,
			                   f->name);
		return 0;
	default:
		return errbuf_fail(err, errsz, -EINVAL, "flag '--%s' takes no value", f->name);
	}
}

static void set_switch(const struct flag_def *f, struct cli_opts *o)
{
	/* --help and --version win over --dump whatever the order. */
	if (f->id == F_HELP)
		o->action = CLI_HELP;
	else if (f->id == F_VERSION && o->action != CLI_HELP)
		o->action = CLI_VERSION;
	else if (f->id == F_DUMP && o->action == CLI_SERVE)
		o->action = CLI_DUMP;
}

int cli_parse(int argc, char *const argv[], struct cli_opts *o, char *err, size_t errsz)
{
	cli_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *name, *eq;
		const struct flag_def *f;
		size_t len;

		if (strcmp(a, "-h") == 0) {
			set_switch(&flags[F_HELP], o);
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
			return errbuf_fail(err, errsz, -EINVAL, "unexpected argument '%s', try --help", a);
		name = a + 2;
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		f = find_flag(name, len);
		if (f == NULL) {
			struct flag_arg fa = {name, len, eq != NULL ? eq + 1 : NULL, i + 1 < argc ? argv[i + 1] : NULL,
			                      false};
			int r = collect_flags_parse(&o->coll, &fa, err, errsz);
			bool used_next = fa.used_next;
			if (r == -ENOENT)
				return errbuf_fail(err, errsz, -EINVAL, "unknown flag '--%.*s', try --help", (int)len,
				                   name);
			if (r != 0)
				return r;
			i += used_next ? 1 : 0;
			continue;
		}
		if (!f->takes_value) {
			if (eq != NULL)
				return errbuf_fail(err, errsz, -EINVAL, "flag '--%s' takes no value", f->name);
			set_switch(f, o);
			continue;
		}
		const char *v;
		if (eq != NULL) {
			v = eq + 1;
		} else {
			if (i + 1 >= argc)
				return errbuf_fail(err, errsz, -EINVAL, "flag '--%s' needs a value", f->name);
			v = argv[++i];
		}
		int r = set_value(f, v, o, err, errsz);
		if (r != 0)
			return r;
	}
	return 0;
}

int cli_usage(struct buf *b, const char *prog)
{
	buf_printf(b, "usage: %s [flags]\n\n", prog);
	buf_puts(b, "Prometheus exporter for KVM hosts: virtio-balloon (via libvirt) and KSM memory metrics.\n\n");
	buf_puts(b, "Flags:\n");
	for (size_t i = 0; i < NFLAGS; i++) {
		const struct flag_def *f = &flags[i];
		if (f->id == F_HELP)
			buf_puts(b, "  -h, --help\n");
		else if (f->takes_value)
			buf_printf(b, "  --%s=%s\n", f->name, f->metavar);
		else
			buf_printf(b, "  --%s\n", f->name);
		buf_printf(b, "      %s", f->help);
		if (f->def != NULL)
			buf_printf(b, " (default: \"%s\")", f->def);
		buf_putc(b, '\n');
		/* The collection flags sit where the exporter always listed them. */
		if (f->id == F_WEB_CONFIG)
			collect_flags_usage_paths(b);
	}
	collect_flags_usage_collectors(b);
	return b->err;
}
