/*
 * http_conns.h - the connections the HTTP server holds, and the deadlines
 * libmicrohttpd does not enforce.
 *
 * libmicrohttpd only times out inactivity, so a client that trickles a
 * byte every few seconds would keep its slot for ever.  This table gives
 * every connection a fixed deadline by which its request headers (and a
 * TLS handshake before them) must be complete, counted from the accept
 * or from the end of the previous request, and a sweeper thread closes
 * the connections past it.  It also remembers which collection each
 * response is sending, so responses that hold old bodies can be cut when
 * newer ones exist (slow readers must not keep one body each).
 *
 * A connection is "closed" by shutdown(2) on its descriptor:
 * libmicrohttpd then sees the end of the stream and closes and frees it
 * on its own thread.  conns_remove() runs from libmicrohttpd's
 * MHD_CONNECTION_NOTIFY_CLOSED, which comes before it closes the
 * descriptor, under the table's lock, so a descriptor number is never
 * shut down after it was reused.
 *
 * Every function may be called from any thread.
 */
#ifndef KVMMEM_HTTP_CONNS_H
#define KVMMEM_HTTP_CONNS_H

#include <stdint.h>

#include "util/log.h"

struct conns;
struct conn_slot;

struct conns_opts {
	unsigned slots;               /* as many as the server's connection limit */
	unsigned header_deadline_ms;  /* from the accept to complete request headers */
	unsigned next_deadline_ms;    /* from the end of a request to the next one's headers */
	unsigned crowded_deadline_ms; /* the header deadline once 3/4 of the slots are used */
	const struct kvm_log *log;    /* borrowed */
};

/* Makes the table and starts its sweeper.  0 and *out, or a negative errno. */
int conns_new(const struct conns_opts *o, struct conns **out);
/* Stops the sweeper and frees; every connection must have been removed.  NULL is fine. */
void conns_free(struct conns *c);

/* A connection was accepted on fd: its header deadline starts.  NULL when
 * the table is full (the server then has more connections than slots). */
struct conn_slot *conns_add(struct conns *c, int fd);
/* The connection is about to be closed; s is invalid afterwards.  NULL is fine. */
void conns_remove(struct conns *c, struct conn_slot *s);
/* Its request headers are complete: no deadline until the request ends. */
void conns_headers_done(struct conns *c, struct conn_slot *s);
/* Its request ended: the next request's headers have the next deadline. */
void conns_request_done(struct conns *c, struct conn_slot *s);
/* Its response sends the body of collection generation (non-zero). */
void conns_serving(struct conns *c, struct conn_slot *s, uint64_t generation);
/* Shuts down every connection still sending a body older than generation. */
void conns_cut_older(struct conns *c, uint64_t generation);
/* How many connections the deadlines and cuts have shut down so far. */
uint64_t conns_closed_count(struct conns *c);

#endif
