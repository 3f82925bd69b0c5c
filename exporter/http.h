/*
 * http.h - the exporter's HTTP server (libmicrohttpd).
 *
 * Serves the telemetry path from a shared scrape (scrape.h), a landing
 * page at /, and /-/healthy.  GET and HEAD only; request bodies are
 * refused; the connection count and idle time are bounded.  Each
 * connection has its own thread, so a request waiting for a collection
 * blocks nobody else.
 */
#ifndef KVMMEM_HTTP_H
#define KVMMEM_HTTP_H

#include <stddef.h>

#include "log.h"
#include "scrape.h"

struct http_opts {
	const char *host; /* "" or NULL: every address (IPv6 and IPv4 where possible) */
	unsigned port;
	const char *telemetry_path; /* borrowed */
	struct scrape *scrape;      /* borrowed */
	const struct kvm_log *log;  /* borrowed */
	unsigned connection_limit;
	unsigned connection_timeout_s;
};

struct http;

/*
 * Binds, listens and starts serving.  Returns 0 and *out, or a negative
 * errno with a one-line message in err (e.g. "cannot listen on
 * 127.0.0.1:80: Address already in use").
 */
int http_start(const struct http_opts *o, struct http **out, char *err, size_t errsz);
/* The port actually bound (useful with port 0). */
unsigned http_port(const struct http *h);
/* Stops the daemon (waiting for running requests) and frees; NULL is fine. */
void http_stop(struct http *h);

#endif
