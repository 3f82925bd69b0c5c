/*
 * http_priv.h - what the HTTP server's files share, and no one else sees:
 * the server and request structs and the functions each file offers the
 * others.  http.c holds libmicrohttpd's callbacks, start and stop;
 * http_respond.c the responses; http_work.c the workers, the check
 * threads and their queues.
 *
 * Threads: libmicrohttpd's event threads run the callbacks and the
 * http_send_* and http_route functions; collection workers run scrapes;
 * check threads run bcrypt.  A request is suspended while it is queued
 * and belongs to the thread that took it off its queue until it is
 * resumed.
 */
#ifndef KVMMEM_HTTP_PRIV_H
#define KVMMEM_HTTP_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "http_auth.h"
#include "http_conns.h"
#include "http_shape.h"
#include "mhd_compat.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define TEXT_HTML "text/html; charset=utf-8"
/* Threads for bcrypt checks, apart from the collection workers: a flood of
 * wrong passwords then takes this much CPU at most and never queues in
 * front of a collection. */
#define CHECK_THREADS 1

/* Where a request is: headers read, waiting for a worker, worker done. */
enum phase { PH_HEADERS = 0, PH_QUEUED, PH_DONE };

/* One request, from its headers until libmicrohttpd reports it complete. */
struct req {
	struct http *h;
	struct MHD_Connection *conn;
	struct conn_slot *slot; /* NULL when the table was full */
	enum phase phase;
	bool metrics;         /* wants the telemetry path: a worker collects */
	bool gzip;            /* the client accepts gzip (decided with the headers) */
	bool need_verify;     /* credentials not in the cache: a check thread runs bcrypt */
	bool authed;          /* set by the check thread when the credentials were right */
	bool stopped;         /* the server stopped before the work was done: 503 */
	bool started;         /* on_request has seen its headers */
	bool throttled;       /* too many checks waiting: 429 once not_before has passed, no check */
	struct raw_line line; /* the request line as the URI log callback saw it */
	struct auth_key key;
	uint64_t not_before; /* ms, monotonic: a check from a failing address waits until then */
	char *user;          /* owned while need_verify */
	char *pass;          /* owned while need_verify, wiped when freed */
	struct scrape_result *res;
	int scrape_rc;
	struct req *next; /* queue link */
};

struct queue {
	struct req *head, *tail;
};

struct http {
	struct MHD_Daemon *daemon;
	unsigned port;
	const char *telemetry_path;
	struct scrape *scrape;
	const struct kvm_log *log;
	const struct webconfig *web; /* NULL: plain HTTP, no authentication */
	unsigned header_timeout_s;
	unsigned connection_timeout_s;
	char *landing; /* the page at / with links only, built once: the fallback of live */
	size_t landing_len;
	struct landing *live; /* what the exporter found, for the page at /; may be NULL */
	char priorities[128];
	struct conns *conns;
	struct auth *auth; /* NULL without basic auth users */

	/* Guards the queues and stopping.  Lock order: lock, then
	 * libmicrohttpd's own (suspend and resume), then the auth and conns
	 * locks, which take no other. */
	pthread_mutex_t lock;
	pthread_cond_t cond;   /* work for the collection workers */
	pthread_cond_t checks; /* checks for the check threads, on CLOCK_MONOTONIC */
	struct queue work, check;
	bool stopping;
	pthread_t workers[HTTP_MAX_WORKERS];
	unsigned nworkers;
	pthread_t checkers[CHECK_THREADS];
	unsigned ncheckers;
};

/* The monotonic clock in milliseconds. */
uint64_t http_now_ms(void);
/* Wipes and frees a password; NULL is fine. */
void http_wipe_free(char *s);

/* Responses (http_respond.c); each returns what MHD_queue_response did,
 * and logs at error level when the response could not be made. */
mhd_result http_send_static(struct http *h, struct MHD_Connection *conn, unsigned status, const char *type,
                            const char *body, size_t len, const char *allow);
mhd_result http_send_text(struct http *h, struct MHD_Connection *conn, unsigned status, const char *text);
mhd_result http_send_unauthorized(struct http *h, struct MHD_Connection *conn);
/* text with Connection: close, so libmicrohttpd closes the connection after it. */
mhd_result http_send_closing(struct http *h, struct MHD_Connection *conn, unsigned status, const char *text);
/* The answer to r once its work is done (or needed none). */
mhd_result http_route(struct http *h, struct MHD_Connection *conn, const char *url, struct req *r);
/* True when the request announces a body. */
bool http_has_body(struct MHD_Connection *conn);

/* Queues (http_work.c). */
/* Suspends r's connection and queues it for a check or a collection; -ESHUTDOWN when stopping. */
int http_enqueue(struct http *h, struct req *r);
/* Starts nworkers collection workers and the check threads (when h->auth). */
int http_start_threads(struct http *h, unsigned nworkers, char *err, size_t errsz);
/* Answers what is queued with 503 and joins every thread. */
void http_stop_workers(struct http *h);

#endif
