/*
 * http_shape.h - requests whose shape can smuggle another one.
 *
 * libmicrohttpd 0.9.75 is lax: it serves a request with two Content-Length
 * headers, a header name with a space before the colon, a folded
 * (obs-fold) header, no Host or two, or NUL bytes in a header or in the
 * request line.  Behind a proxy that reads such a request differently,
 * the difference is a second, hidden request.  The exporter accepts no
 * bodies, so it refuses them all with 400 and closes the connection.
 * Called on libmicrohttpd's event threads.
 */
#ifndef KVMMEM_HTTP_SHAPE_H
#define KVMMEM_HTTP_SHAPE_H

#include <stddef.h>

#include <microhttpd.h>

/* What the URI log callback saw of the request line, before libmicrohttpd
 * cut the query off and unescaped it. */
struct raw_line {
	const char *uri; /* in libmicrohttpd's read buffer */
	size_t len;      /* up to the first NUL */
};

/*
 * NULL when the request's shape is acceptable, else why not ("two Host
 * headers").  line is what the URI log callback recorded (NULL: not
 * known), version the HTTP version libmicrohttpd parsed from the same
 * request line.
 */
const char *http_shape_refusal(struct MHD_Connection *conn, const struct raw_line *line, const char *version);

#endif
