/* http_respond.c - the HTTP server's responses: routing, the shared metrics body, errors logged when a response cannot
 * be made. */
#include "http_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.h"
#include "landing.h"

/* Bytes MHD pulls from a shared body per read callback. */
#define BODY_BLOCK (64 * 1024)
#define REALM "kvmmem"

/* The web config's extra headers go on every response.  False (logged) when
 * one cannot be added: the response is then not sent. */
static bool add_extra_headers(const struct http *h, struct MHD_Response *resp)
{
	if (h->web == NULL)
		return true;
	for (size_t i = 0; i < h->web->nheaders; i++) {
		if (MHD_add_response_header(resp, h->web->headers[i].name, h->web->headers[i].value) != MHD_YES) {
			log_errx(h->log, "cannot add the header %s to a response", h->web->headers[i].name);
			return false;
		}
	}
	return true;
}

/* Queues resp (and drops the caller's reference); a failure is logged as an
 * error, since the client then gets no answer at all. */
static mhd_result queue(const struct http *h, struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp)
{
	mhd_result r = MHD_NO;

	if (resp == NULL) {
		log_errx(h->log, "cannot make a %u response: out of memory", status);
		return MHD_NO;
	}
	if (add_extra_headers(h, resp))
		r = MHD_queue_response(conn, status, resp);
	if (r != MHD_YES)
		log_errx(h->log, "cannot queue a %u response, closing the connection", status);
	MHD_destroy_response(resp);
	return r;
}

mhd_result http_send_static(struct http *h, struct MHD_Connection *conn, unsigned status, const char *type,
                            const char *body, size_t len, const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);

	if (resp != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
		if (allow != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	return queue(h, conn, status, resp);
}

mhd_result http_send_text(struct http *h, struct MHD_Connection *conn, unsigned status, const char *text)
{
	return http_send_static(h, conn, status, TEXT_PLAIN, text, strlen(text), NULL);
}

mhd_result http_send_closing(struct http *h, struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (resp != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	return queue(h, conn, status, resp);
}

mhd_result http_send_unauthorized(struct http *h, struct MHD_Connection *conn)
{
	static const char msg[] = "Unauthorized\n";
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	mhd_result r = MHD_NO;

	if (resp == NULL) {
		log_errx(h->log, "cannot make a 401 response: out of memory");
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN);
	/* Adds WWW-Authenticate: Basic realm="kvmmem". */
	if (add_extra_headers(h, resp))
		r = MHD_queue_basic_auth_fail_response(conn, REALM, resp);
	if (r != MHD_YES)
		log_errx(h->log, "cannot queue a 401 response, closing the connection");
	MHD_destroy_response(resp);
	return r;
}

/* A response body that borrows bytes from a shared result and holds a
 * reference until libmicrohttpd is done with it: every response of one
 * collection and form sends the same bytes. */
struct shared_body {
	struct scrape_result *result;
	const char *data;
	size_t len;
};

static void shared_free(void *cls)
{
	struct shared_body *b = cls;

	scrape_result_put(b->result);
	free(b);
}

#if HAVE_MHD_BUFFER_FREE_CLS
/* Sent straight from the shared bytes: no per-response copy or block. */
static struct MHD_Response *shared_response(struct shared_body *sb)
{
	return MHD_create_response_from_buffer_with_free_callback_cls(sb->len, (void *)sb->data, shared_free, sb);
}
#else
static ssize_t shared_read(void *cls, uint64_t pos, char *dst, size_t max)
{
	struct shared_body *b = cls;

	if (pos >= b->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = b->len - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(dst, b->data + pos, n);
	return (ssize_t)n;
}

/* Before 0.9.73 a callback copies the shared bytes into a block per response. */
static struct MHD_Response *shared_response(struct shared_body *sb)
{
	return MHD_create_response_from_callback(sb->len, BODY_BLOCK, shared_read, sb, shared_free);
}
#endif

/* Serves the result a worker collected for r; takes over r->res. */
static mhd_result serve_metrics(struct http *h, struct MHD_Connection *conn, struct req *r)
{
	struct scrape_result *res = r->res;
	const char *data = NULL;
	size_t len = 0;
	bool gz = false;
	int rc = r->scrape_rc;

	r->res = NULL;
	/* The gzip form is rendered without the plain text, so it is asked
	 * first; the plain text only when gzip is not wanted or failed (over
	 * the cap, the plain form fails at once the same way). */
	if (rc == 0 && r->gzip) {
		int zr = scrape_result_gzip(res, &data, &len);
		if (zr == 0)
			gz = true;
		else if (zr != -E2BIG)
			log_warnerr(h->log, zr, "gzip failed, serving uncompressed");
	}
	if (rc == 0 && !gz)
		rc = scrape_result_body(res, &data, &len);
	if (rc != 0) {
		scrape_result_put(res);
		/* Never a partial document: Prometheus would take it as complete. */
		log_warnerr(h->log, rc, "serving 500 for %s", h->telemetry_path);
		return http_send_text(h, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                      "cannot render the metrics, see the exporter log\n");
	}

	struct shared_body *sb = malloc(sizeof(*sb));
	if (sb == NULL) {
		scrape_result_put(res);
		return http_send_text(h, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	sb->result = res;
	sb->data = data;
	sb->len = len;
	conns_serving(h->conns, r->slot, scrape_result_generation(res));
	struct MHD_Response *resp = shared_response(sb);
	if (resp == NULL) {
		shared_free(sb);
		return queue(h, conn, MHD_HTTP_OK, NULL);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, EXPOSITION_CONTENT_TYPE);
	/* Caches must keep the plain and the gzip body apart. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(h, conn, MHD_HTTP_OK, resp);
}

/* The page at / from the newest collection's summary, made here on the
 * event loop (a few kB, no collection); the page with links only when it
 * cannot be made. */
static mhd_result serve_landing(struct http *h, struct MHD_Connection *conn)
{
	char *page = NULL;
	size_t len = 0;

	if (h->live == NULL || landing_page(h->live, &page, &len) != 0)
		return http_send_static(h, conn, MHD_HTTP_OK, TEXT_HTML, h->landing, h->landing_len, NULL);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		free(page);
	else
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_HTML);
	return queue(h, conn, MHD_HTTP_OK, resp);
}

/* True when the request announces a body: a non-zero Content-Length or
 * any Transfer-Encoding (a chunked body has no length up front). */
bool http_has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

	if (te != NULL)
		return true;
	if (cl == NULL)
		return false;
	for (; *cl == '0'; cl++)
		;
	return *cl != '\0';
}

mhd_result http_route(struct http *h, struct MHD_Connection *conn, const char *url, struct req *r)
{
	if (r->stopped)
		return http_send_text(h, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n");
	if (r->throttled)
		return http_send_text(h, conn, MHD_HTTP_TOO_MANY_REQUESTS, "too many password checks waiting\n");
	if (r->need_verify && !r->authed)
		return http_send_unauthorized(h, conn);
	if (r->metrics)
		return serve_metrics(h, conn, r);
	if (strcmp(url, "/") == 0)
		return serve_landing(h, conn);
	if (strcmp(url, "/-/healthy") == 0)
		return http_send_text(h, conn, MHD_HTTP_OK, "OK");
	return http_send_text(h, conn, MHD_HTTP_NOT_FOUND, "not found\n");
}
