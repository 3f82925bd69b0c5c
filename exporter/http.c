/* http.c - libmicrohttpd front: its callbacks, basic auth on the event loop, the landing page, start and stop. */
#include "http_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "encoding.h"
#include "util/errbuf.h"
#include "exposition.h"
#include "http_listen.h"
#include "http_shape.h"
#include "landing.h"
#include "http_tls.h"

/* --- basic auth on the event loop ----------------------------------------- */

enum auth_result { AUTH_OK, AUTH_FAIL, AUTH_VERIFY };

/* Fast part, on the event loop: no credentials fail, cached ones pass,
 * anything else goes to a check thread (bcrypt would stall the loop). */
static enum auth_result auth_check(struct http *h, struct MHD_Connection *conn, struct req *r)
{
	char *user = NULL, *pass = NULL;
	enum auth_result res = AUTH_FAIL;

	/* Decoded here, not by libmicrohttpd: its C strings end at a NUL, so
	 * "secret\0zzz" would be checked as "secret". */
	if (auth_parse_basic(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &user,
	                     &pass) != 0)
		goto out;
	if (auth_cached(h->auth, user, pass)) {
		res = AUTH_OK;
		goto out;
	}
	r->user = strdup(user);
	r->pass = strdup(pass);
	if (r->user != NULL && r->pass != NULL)
		res = AUTH_VERIFY;
out:
	http_wipe_free(pass);
	free(user);
	return res;
}

/* Event loop threads: TLS handshakes of several clients in parallel. */
#define EVENT_THREADS 2
/* Defaults for the limits http_opts leaves at 0. */
#define DEFAULT_PER_ADDRESS_LIMIT 64
#define DEFAULT_CROWDED_DEADLINE_S 2
/* A result collected this recently is served again while some response
 * still sends it (see scrape_set_reuse). */
#define REUSE_MS 1000

/* --- libmicrohttpd callbacks -------------------------------------------------- */

static struct conn_slot *slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* The first call for a request: its headers are in. */
/* The exporter reads no query parameters.  libmicrohttpd 0.9.75 parses
 * them into the connection's 32 kB, and when they do not fit (about 460 of
 * them) it neither answers nor closes until the timeout.  It calls the URI
 * log callback after finding the '?' and before parsing what follows, in
 * its own writable read buffer (the const is its API's, not the memory's),
 * so ending the string right after the '?' leaves it nothing to parse; the
 * request is then served as if it had no query. */
static void drop_query(const char *uri)
{
	char *q = uri != NULL ? strchr(uri, '?') : NULL;

	if (q != NULL)
		q[1] = '\0';
}

/* Called by libmicrohttpd with the request line, before it cuts the query
 * off or unescapes the URI: the request starts here, so the raw line can
 * be checked with the headers. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->h = cls;
	r->conn = conn;
	r->line = (struct raw_line){uri, uri != NULL ? strlen(uri) : 0};
	drop_query(uri);
	return r;
}

static mhd_result on_headers(struct http *h, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, void **con_cls)
{
	struct conn_slot *slot = slot_of(conn);
	struct req *r = *con_cls;
	const char *why;

	log_debug(h->log, "%s %s", method, url);
	conns_headers_done(h->conns, slot);
	if (!http_client_cert_ok(h->web, conn)) {
		log_debug(h->log, "client certificate refused, closing");
		return MHD_NO;
	}
	/* The headers are in: from now on the (longer) connection timeout
	 * applies instead of the header timeout. */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, h->connection_timeout_s);
	/* Refusals go out at once (libmicrohttpd then closes the connection,
	 * so an unread body does no harm). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		static const char msg[] = "method not allowed\n";
		return http_send_static(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN, msg, sizeof(msg) - 1,
		                        "GET, HEAD");
	}
	why = http_shape_refusal(conn, r != NULL ? &r->line : NULL, version);
	if (why != NULL) {
		log_debug(h->log, "bad request: %s, closing", why);
		return http_send_closing(h, conn, MHD_HTTP_BAD_REQUEST, "bad request\n");
	}
	if (http_has_body(conn))
		return http_send_closing(h, conn, HTTP_STATUS_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		r->h = h;
		r->conn = conn;
		*con_cls = r;
	}
	r->slot = slot;
	r->started = true;
	return MHD_YES;
}

static mhd_result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct req *r = *con_cls;

	(void)upload_data;
	if (r == NULL || !r->started)
		return on_headers(h, conn, url, method, version, con_cls);
	if (*upload_data_size != 0)
		return MHD_NO;
	switch (r->phase) {
	case PH_HEADERS:
		/* The request is complete (it has no body); answering now
		 * keeps the connection reusable. */
		r->metrics = strcmp(url, h->telemetry_path) == 0;
		r->gzip = r->metrics && encoding_accepts_gzip(MHD_lookup_connection_value(
		                            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
		if (h->auth != NULL) {
			enum auth_result a = auth_check(h, conn, r);
			if (a == AUTH_FAIL)
				return http_send_unauthorized(h, conn);
			r->need_verify = a == AUTH_VERIFY;
			if (r->need_verify) {
				const union MHD_ConnectionInfo *ci =
				    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
				r->key = auth_key_of(ci != NULL ? ci->client_addr : NULL);
			}
		}
		if (!r->need_verify && !r->metrics)
			return http_route(h, conn, url, r);
		if (http_enqueue(h, r) != 0)
			return http_send_text(h, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n");
		return MHD_YES;
	case PH_QUEUED:
		return MHD_YES;
	default:
		return http_route(h, conn, url, r);
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req *r = *con_cls;

	(void)toe;
	conns_request_done(h->conns, slot_of(conn));
	if (r == NULL)
		return;
	scrape_result_put(r->res);
	free(r->user);
	http_wipe_free(r->pass);
	free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_remove(h->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	*socket_context = ci != NULL ? conns_add(h->conns, ci->connect_fd) : NULL;
	/* Until its request headers are in, a connection gets the short
	 * header timeout: slow or silent clients are dropped early; the
	 * table above closes those that trickle. */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, h->header_timeout_s);
	if (h->web != NULL && h->web->tls)
		http_tls_session_setup(h->web, conn);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	const struct kvm_log *log = cls;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* A response that cannot be made leaves the client without an answer:
	 * an error, once a minute at most, since a client's huge request
	 * headers can cause it too. */
	if (strstr(msg, "failed to create") != NULL && strstr(msg, "header") != NULL) {
		static uint64_t last_ms;
		uint64_t now = http_now_ms(), last = __atomic_load_n(&last_ms, __ATOMIC_RELAXED);
		if ((last == 0 || now - last >= 60000) &&
		    __atomic_compare_exchange_n(&last_ms, &last, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			log_errx(log,
			         "libmicrohttpd: %s (a response could not be made; repeats within a minute are "
			         "logged at debug)",
			         msg);
			return;
		}
	}
	/* Mostly client-side trouble (resets, malformed requests): debug
	 * keeps a misbehaving client from flooding the log. */
	log_debug(log, "libmicrohttpd: %s", msg);
}

static int build_landing(struct http *h)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	buf_puts(&b, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>kvmmem exporter</title></head>\n"
	             "<body>\n<h1>kvmmem exporter</h1>\n"
	             "<p>virtio-balloon and KSM memory metrics of this KVM host.</p>\n<ul>\n<li><a href=\"");
	landing_put_html(&b, h->telemetry_path);
	buf_puts(&b, "\">");
	landing_put_html(&b, h->telemetry_path);
	buf_puts(&b, "</a></li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n</ul>\n</body>\n</html>\n");
	h->landing = buf_steal(&b, &h->landing_len);
	buf_free(&b);
	return h->landing != NULL ? 0 : -ENOMEM;
}

static void http_free(struct http *h)
{
	conns_free(h->conns);
	auth_free(h->auth);
	pthread_cond_destroy(&h->checks);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->landing);
	free(h);
}

static int monotonic_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	int rc = -pthread_condattr_init(&ca);

	if (rc != 0)
		return rc;
	rc = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = -pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
	return rc;
}

/* The locks, the connection table and the auth state; on failure nothing
 * is left to free but h itself. */
static int http_init(struct http *h, const struct http_opts *o, char *err, size_t errsz)
{
	/* Checked before anything else: http_free destroys them, which is
	 * only defined for initialised ones. */
	int rc = -pthread_mutex_init(&h->lock, NULL);
	if (rc != 0)
		return errbuf_fail(err, errsz, rc, "cannot initialise the HTTP worker lock: %s", strerrordesc_np(-rc));
	rc = -pthread_cond_init(&h->cond, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&h->lock);
		return errbuf_fail(err, errsz, rc, "cannot initialise the HTTP worker condition: %s",
		                   strerrordesc_np(-rc));
	}
	rc = monotonic_cond_init(&h->checks);
	if (rc != 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		return errbuf_fail(err, errsz, rc, "cannot initialise the HTTP check condition: %s",
		                   strerrordesc_np(-rc));
	}
	unsigned header_s = o->header_timeout_s;
	unsigned crowded_s = o->crowded_deadline_s != 0 ? o->crowded_deadline_s : DEFAULT_CROWDED_DEADLINE_S;
	struct conns_opts co = {
	    .slots = o->connection_limit,
	    .header_deadline_ms = header_s * 1000,
	    .next_deadline_ms = o->connection_timeout_s * 1000,
	    .crowded_deadline_ms = (crowded_s < header_s ? crowded_s : header_s) * 1000,
	    .log = o->log,
	};
	rc = conns_new(&co, &h->conns);
	if (rc == 0 && h->web != NULL && h->web->nusers > 0)
		rc = auth_new(h->web, o->log, &h->auth);
	if (rc != 0) {
		conns_free(h->conns);
		h->conns = NULL;
		pthread_cond_destroy(&h->checks);
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		return errbuf_fail(err, errsz, rc, "cannot set up the HTTP server: %s", strerrordesc_np(-rc));
	}
	return 0;
}

int http_start(const struct http_opts *o, struct http **out, char *err, size_t errsz)
{
	struct http *h = calloc(1, sizeof(*h));
	unsigned nworkers = o->workers == 0 ? 1 : o->workers > HTTP_MAX_WORKERS ? HTTP_MAX_WORKERS : o->workers;
	unsigned per_address = o->per_address_limit != 0 ? o->per_address_limit : DEFAULT_PER_ADDRESS_LIMIT;
	int fd = -1;
	int rc;

	if (h == NULL)
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	h->telemetry_path = o->telemetry_path;
	h->scrape = o->scrape;
	h->live = o->landing;
	h->log = o->log;
	h->web = o->web;
	h->header_timeout_s = o->header_timeout_s;
	h->connection_timeout_s = o->connection_timeout_s;
	rc = http_init(h, o, err, errsz);
	if (rc != 0) {
		free(h);
		return rc;
	}
	if (h->scrape != NULL)
		scrape_set_reuse(h->scrape, REUSE_MS);
	rc = build_landing(h);
	if (rc != 0) {
		errbuf_fail(err, errsz, rc, "out of memory");
		goto out_free;
	}
	if (h->web != NULL && h->web->tls && http_tls_priorities(h->web, h->priorities, sizeof(h->priorities)) != 0) {
		rc = errbuf_fail(err, errsz, -E2BIG, "TLS priorities too long");
		goto out_free;
	}
	rc = http_listen_socket(o->host, o->port, &fd, err, errsz);
	if (rc != 0)
		goto out_free;

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	h->port = o->port;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		                                   : ntohs(((struct sockaddr_in *)&ss)->sin_port);

	rc = http_start_threads(h, nworkers, err, errsz);
	if (rc != 0) {
		close(fd);
		goto out_free;
	}

	/* TLS material, when configured; MHD copies none of it, the web
	 * config outlives the daemon. */
	struct MHD_OptionItem tls_opts[5];
	unsigned nt = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (h->web != NULL && h->web->tls) {
		flags |= MHD_USE_TLS;
		tls_opts[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->web->cert_pem};
		tls_opts[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->web->key_pem};
		tls_opts[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, h->priorities};
		if (h->web->client_ca_pem != NULL)
			tls_opts[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, h->web->client_ca_pem};
	}
	tls_opts[nt] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	/* An event loop (epoll) instead of a thread per connection: hundreds
	 * of idle or slow connections cost memory, not threads, and requests
	 * that wait (collection, bcrypt) are suspended and served by the
	 * workers above. */
	/* The logger first: libmicrohttpd prints what options before it
	 * say to stderr in its own format (and complains that it is not). */
	h->daemon = MHD_start_daemon(
	    flags, (uint16_t)h->port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, (void *)o->log,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)EVENT_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, o->connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->memory_limit,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (h->daemon == NULL) {
		rc = errbuf_fail(err, errsz, -EIO, "cannot start the HTTP server (libmicrohttpd %s%s)",
		                 MHD_get_version(), h->web != NULL && h->web->tls ? ", TLS" : "");
		http_stop_workers(h);
		close(fd);
		goto out_free;
	}
	*out = h;
	return 0;

out_free:
	http_free(h);
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
	/* Workers first: every suspended connection is resumed, which
	 * libmicrohttpd needs before it can stop. */
	http_stop_workers(h);
	MHD_stop_daemon(h->daemon);
	http_free(h);
}
