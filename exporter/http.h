/*
 * http.h - the exporter's HTTP server (libmicrohttpd).
 *
 * Serves the telemetry path from a shared scrape (scrape.h), a landing
 * page at /, and /-/healthy.  GET and HEAD only; request bodies are
 * refused; the connection count, the request header size and the time a
 * client may take are bounded.  An event loop (epoll) serves every
 * connection; a request that must wait (a collection, a bcrypt check) is
 * suspended and finished by a small pool of workers, so slow clients and
 * slow collections block nobody else.  With a web config (webconfig.h):
 * TLS, client certificates, basic auth on every path and extra headers.
 */
#ifndef KVMMEM_HTTP_H
#define KVMMEM_HTTP_H

#include <stddef.h>

#include "util/log.h"
#include "landing.h"
#include "scrape.h"
#include "webconfig.h"

#define HTTP_MAX_WORKERS 16

struct http_opts {
	const char *host; /* "" or NULL: every address (IPv6 and IPv4 where possible) */
	unsigned port;
	const char *telemetry_path;  /* borrowed */
	struct scrape *scrape;       /* borrowed */
	struct landing *landing;     /* borrowed: the live page at /; NULL: links only */
	const struct kvm_log *log;   /* borrowed */
	const struct webconfig *web; /* borrowed, with its PEM loaded; NULL: plain HTTP, no auth */
	unsigned connection_limit;
	unsigned connection_timeout_s; /* idle time allowed once a request's headers are in */
	unsigned header_timeout_s;     /* idle time allowed before that */
	size_t memory_limit;           /* per connection; bounds the request headers */
	unsigned workers;              /* threads for collections, 1..HTTP_MAX_WORKERS */
	/* Connections one client address may hold at once (0: 64).  The
	 * request headers must be complete header_timeout_s after the accept
	 * however slowly they trickle in (libmicrohttpd's own timeout only
	 * counts idle time), and once 3/4 of connection_limit is used, after
	 * crowded_deadline_s (0: 2 s) of waiting for them. */
	unsigned per_address_limit;
	unsigned crowded_deadline_s;
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
/* Stops the workers (finishing queued requests) and the daemon, and frees; NULL is fine. */
void http_stop(struct http *h);

#endif
