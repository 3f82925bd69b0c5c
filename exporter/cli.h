/*
 * cli.h - the exporter's command line, parsed into plain data.
 *
 * A pure parser: no I/O, no exit().  main() prints the error text and
 * decides the exit code, so tests can check argv -> struct and the exact
 * error messages in a table.  Flags follow Prometheus exporter habits:
 * --flag=value and --flag value, --collector.X / --no-collector.X.
 */
#ifndef KVMMEM_CLI_H
#define KVMMEM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/log.h"
#include "model/collect_flags.h"
#include "model/snapshot.h"

enum cli_action {
	CLI_SERVE = 0, /* run the HTTP server */
	CLI_DUMP,      /* collect once, print the exposition */
	CLI_HELP,
	CLI_VERSION,
};

#define CLI_DEFAULT_LISTEN ":19177"
#define CLI_DEFAULT_TELEMETRY_PATH "/metrics"
#define CLI_DEFAULT_SCRAPE_TIMEOUT_MS 8000
/* Upper bound of --scrape.timeout, so milliseconds always fit an int. */
#define CLI_MAX_DURATION_MS (24ULL * 3600 * 1000)
#define CLI_HOST_MAX 256
#define CLI_ERR_MAX 256
/* The longest --web.telemetry-path: a request line longer than that is
 * refused anyway (libmicrohttpd's 32 kB per connection), and it keeps the
 * messages that quote the path within CLI_ERR_MAX. */
#define CLI_MAX_TELEMETRY_PATH 100

struct cli_opts {
	enum cli_action action;
	const char *listen_address;     /* as given, for messages; borrowed from argv */
	char listen_host[CLI_HOST_MAX]; /* without brackets; "" means every address */
	unsigned listen_port;
	const char *telemetry_path;
	const char *web_config_file; /* NULL when not given */
	struct collect_flags coll;   /* --libvirt.uri, --path.*, --[no-]collector.* */
	uint64_t scrape_timeout_ms;
	enum log_level log_level;
};

/* Fills o with every default. */
void cli_defaults(struct cli_opts *o);

/*
 * Parses argv[1..argc-1] over the defaults.  Strings in o are borrowed
 * from argv or are static literals.  Returns 0, or -EINVAL with a one-line
 * message (no trailing newline) naming the flag in err; o is then
 * unspecified.  The caller exits 2 on error.
 */
int cli_parse(int argc, char *const argv[], struct cli_opts *o, char *err, size_t errsz);

/* Writes the --help text for program name prog.  Returns 0 or the buf error. */
int cli_usage(struct buf *b, const char *prog);

/*
 * A Go-style duration: one or more <integer><unit> parts with units h, m,
 * s, ms ("500ms", "8s", "1m30s").  It must be positive and at most
 * CLI_MAX_DURATION_MS.  Returns 0 or -EINVAL; *ms untouched on failure.
 */
int cli_parse_duration(const char *s, uint64_t *ms);

/*
 * A listen address "[host]:port": ":19177", "127.0.0.1:9100", "[::1]:9100",
 * "localhost:9100".  IPv6 hosts need brackets.  host receives the host
 * without brackets ("" for every address).  Returns 0 or -EINVAL.
 */
int cli_parse_listen(const char *s, char *host, size_t hostsz, unsigned *port);

#endif
