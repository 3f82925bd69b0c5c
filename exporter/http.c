/* http.c - libmicrohttpd front: routing, methods, compression, shared scrapes. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "encoding.h"
#include "exposition.h"
#include "mhd_compat.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define TEXT_HTML "text/html; charset=utf-8"
/* Bytes MHD pulls from a shared body per read callback. */
#define BODY_BLOCK (64 * 1024)

struct http {
	struct MHD_Daemon *daemon;
	unsigned port;
	const char *telemetry_path;
	struct scrape *scrape;
	const struct kvm_log *log;
	char *landing; /* the page at /, built once */
	size_t landing_len;
};

static int fail(char *err, size_t errsz, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* --- listening socket -------------------------------------------------- */

static int bind_one(int family, const struct sockaddr *sa, socklen_t salen, bool dual_stack, int *fdout)
{
	int one = 1, zero = 0;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	/* A restarted exporter must not wait for TIME_WAIT connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? &zero : &one, sizeof(int)) != 0)
		goto fail;
	if (bind(fd, sa, salen) != 0 || listen(fd, 128) != 0)
		goto fail;
	*fdout = fd;
	return 0;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

/* Like Go's net.Listen: ":port" means every address of both families
 * (one IPv6 socket that also takes IPv4, or IPv4 alone where the kernel
 * has no IPv6); a name binds its first address that works. */
static int listen_socket(const char *host, unsigned port, int *fdout, char *err, size_t errsz)
{
	int rc;

	if (host == NULL || host[0] == '\0') {
		struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
		a6.sin6_addr = in6addr_any;
		rc = bind_one(AF_INET6, (struct sockaddr *)&a6, sizeof(a6), true, fdout);
		if (rc == -EAFNOSUPPORT) {
			struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
			a4.sin_addr.s_addr = htonl(INADDR_ANY);
			rc = bind_one(AF_INET, (struct sockaddr *)&a4, sizeof(a4), false, fdout);
		}
		if (rc != 0)
			return fail(err, errsz, rc, "cannot listen on :%u: %s", port, strerror(-rc));
		return 0;
	}

	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0)
		return fail(err, errsz, -EADDRNOTAVAIL, "cannot resolve listen host '%s': %s", host, gai_strerror(g));
	rc = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		rc = bind_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, false, fdout);
		if (rc == 0)
			break;
	}
	freeaddrinfo(res);
	if (rc != 0)
		return fail(err, errsz, rc, "cannot listen on %s%s%s:%u: %s", strchr(host, ':') != NULL ? "[" : "",
		            host, strchr(host, ':') != NULL ? "]" : "", port, strerror(-rc));
	return 0;
}

/* --- responses ---------------------------------------------------------- */

static mhd_result send_static(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                              size_t len, const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	mhd_result r;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static mhd_result send_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return send_static(conn, status, TEXT_PLAIN, text, strlen(text), NULL);
}

/* A response body that borrows bytes from a shared result and holds a
 * reference until libmicrohttpd is done with it. */
struct shared_body {
	struct scrape_result *result;
	const char *data;
	size_t len;
};

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

static void shared_free(void *cls)
{
	struct shared_body *b = cls;

	scrape_result_put(b->result);
	free(b);
}

static mhd_result serve_metrics(struct http *h, struct MHD_Connection *conn)
{
	struct scrape_result *res = NULL;
	const char *data = NULL;
	size_t len = 0;
	bool gz = false;
	int rc;

	rc = scrape_get(h->scrape, &res);
	if (rc == 0)
		rc = scrape_result_body(res, &data, &len);
	if (rc != 0) {
		scrape_result_put(res);
		/* Never a partial document: Prometheus would take it as complete. */
		log_warnerr(h->log, rc, "serving 500 for %s", h->telemetry_path);
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                 "cannot render the metrics, see the exporter log\n");
	}
	if (encoding_accepts_gzip(
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING))) {
		const char *zd;
		size_t zl;
		int zr = scrape_result_gzip(res, &zd, &zl);
		if (zr == 0) {
			data = zd;
			len = zl;
			gz = true;
		} else {
			log_warnerr(h->log, zr, "gzip failed, serving uncompressed");
		}
	}

	struct shared_body *sb = malloc(sizeof(*sb));
	if (sb == NULL) {
		scrape_result_put(res);
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	sb->result = res;
	sb->data = data;
	sb->len = len;
	struct MHD_Response *resp = MHD_create_response_from_callback(len, BODY_BLOCK, shared_read, sb, shared_free);
	if (resp == NULL) {
		shared_free(sb);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, EXPOSITION_CONTENT_TYPE);
	/* Caches must keep the plain and the gzip body apart. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	mhd_result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

/* True when the request announces a body: a non-zero Content-Length or
 * any Transfer-Encoding (a chunked body has no length up front). */
static bool has_body(struct MHD_Connection *conn)
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

static mhd_result route(struct http *h, struct MHD_Connection *conn, const char *url)
{
	if (strcmp(url, h->telemetry_path) == 0)
		return serve_metrics(h, conn);
	if (strcmp(url, "/") == 0)
		return send_static(conn, MHD_HTTP_OK, TEXT_HTML, h->landing, h->landing_len, NULL);
	if (strcmp(url, "/-/healthy") == 0)
		return send_text(conn, MHD_HTTP_OK, "OK");
	return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static mhd_result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;

	(void)version;
	(void)upload_data;
	/* Second call: the request is complete (it has no body, see below),
	 * so answering now keeps the connection reusable. */
	if (*con_cls != NULL) {
		if (*upload_data_size != 0)
			return MHD_NO;
		return route(h, conn, url);
	}
	log_debug(h->log, "%s %s", method, url);
	/* First call, headers only: refusals go out at once (libmicrohttpd
	 * then closes the connection, so an unread body does no harm). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		static const char msg[] = "method not allowed\n";
		return send_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN, msg, sizeof(msg) - 1, "GET, HEAD");
	}
	if (has_body(conn))
		return send_text(conn, HTTP_STATUS_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
	*con_cls = h;
	return MHD_YES;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	const struct kvm_log *log = cls;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* Mostly client-side trouble (resets, malformed requests): debug
	 * keeps a misbehaving client from flooding the log. */
	log_debug(log, "libmicrohttpd: %s", msg);
}

static void put_html(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

static int build_landing(struct http *h)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	buf_puts(&b, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>kvmmem exporter</title></head>\n"
	             "<body>\n<h1>kvmmem exporter</h1>\n"
	             "<p>virtio-balloon and KSM memory metrics of this KVM host.</p>\n<ul>\n<li><a href=\"");
	put_html(&b, h->telemetry_path);
	buf_puts(&b, "\">");
	put_html(&b, h->telemetry_path);
	buf_puts(&b, "</a></li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n</ul>\n</body>\n</html>\n");
	h->landing = buf_steal(&b, &h->landing_len);
	buf_free(&b);
	return h->landing != NULL ? 0 : -ENOMEM;
}

int http_start(const struct http_opts *o, struct http **out, char *err, size_t errsz)
{
	struct http *h = calloc(1, sizeof(*h));
	int fd = -1;
	int rc;

	if (h == NULL)
		return fail(err, errsz, -ENOMEM, "out of memory");
	h->telemetry_path = o->telemetry_path;
	h->scrape = o->scrape;
	h->log = o->log;
	rc = build_landing(h);
	if (rc != 0) {
		fail(err, errsz, rc, "out of memory");
		goto out_free;
	}
	rc = listen_socket(o->host, o->port, &fd, err, errsz);
	if (rc != 0)
		goto out_free;

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	h->port = o->port;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		                                   : ntohs(((struct sockaddr_in *)&ss)->sin_port);

	/* A thread per connection: a request waiting for the shared
	 * collection must not stall the other connections. */
	h->daemon = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
	    (uint16_t)h->port, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, o->connection_limit, MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, (void *)o->log, MHD_OPTION_END);
	if (h->daemon == NULL) {
		rc = fail(err, errsz, -EIO, "cannot start the HTTP server (libmicrohttpd %s)", MHD_get_version());
		close(fd);
		goto out_free;
	}
	*out = h;
	return 0;

out_free:
	free(h->landing);
	free(h);
	return rc;
}

unsigned http_port(const struct http *h)
{
	return h->port;
}

void http_stop(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h->landing);
	free(h);
}
