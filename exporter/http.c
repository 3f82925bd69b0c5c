/* http.c - libmicrohttpd front: routing, methods, compression, shared scrapes, TLS and basic auth. */
#include "http.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/buf.h"
#include "encoding.h"
#include "errbuf.h"
#include "exposition.h"
#include "mhd_compat.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define TEXT_HTML "text/html; charset=utf-8"
/* Bytes MHD pulls from a shared body per read callback. */
#define BODY_BLOCK (64 * 1024)
#define REALM "kvmmem"
/* Successful basic auth checks remembered, so a scrape every few seconds
 * does not pay a bcrypt (tens of milliseconds of CPU) each time. */
#define AUTH_CACHE_SLOTS 16
#define MAC_LEN 32
/* bcrypt looks at the first 72 bytes only; longer passwords never match
 * rather than matching on a prefix. */
#define BCRYPT_MAX_PASSWORD 72
/* Event loop threads: TLS handshakes of several clients in parallel. */
#define EVENT_THREADS 2

/* Where a request is: headers read, waiting for a worker, worker done. */
enum phase { PH_HEADERS = 0, PH_QUEUED, PH_DONE };

/* One request, from its headers until libmicrohttpd reports it complete. */
struct req {
	struct http *h;
	struct MHD_Connection *conn;
	enum phase phase;
	bool metrics;     /* wants the telemetry path: a worker collects */
	bool gzip;        /* the client accepts gzip (decided with the headers) */
	bool need_verify; /* credentials not in the cache: a worker runs bcrypt */
	bool authed;      /* set by the worker when the credentials were right */
	char *user;       /* owned while need_verify */
	char *pass;       /* owned while need_verify, wiped when freed */
	struct scrape_result *res;
	int scrape_rc;
	struct req *next; /* queue link */
};

struct auth_slot {
	bool used;
	unsigned char mac[MAC_LEN];
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
	char *landing; /* the page at /, built once */
	size_t landing_len;
	char priorities[128];

	/* The workers and their queue; lock also guards the auth cache. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct req *qhead, *qtail;
	bool stopping;
	pthread_t workers[HTTP_MAX_WORKERS];
	unsigned nworkers;

	unsigned char mac_key[MAC_LEN]; /* random per process: cache entries mean nothing elsewhere */
	struct auth_slot cache[AUTH_CACHE_SLOTS];
	unsigned cache_next;
};

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
			return errbuf_fail(err, errsz, rc, "cannot listen on :%u: %s", port, strerror(-rc));
		return 0;
	}

	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0)
		return errbuf_fail(err, errsz, -EADDRNOTAVAIL, "cannot resolve listen host '%s': %s", host,
		                   gai_strerror(g));
	rc = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		rc = bind_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, false, fdout);
		if (rc == 0)
			break;
	}
	freeaddrinfo(res);
	if (rc != 0)
		return errbuf_fail(err, errsz, rc, "cannot listen on %s%s%s:%u: %s",
		                   strchr(host, ':') != NULL ? "[" : "", host, strchr(host, ':') != NULL ? "]" : "",
		                   port, strerror(-rc));
	return 0;
}

/* --- responses ---------------------------------------------------------- */

/* The web config's extra headers go on every response. */
static void add_extra_headers(const struct http *h, struct MHD_Response *resp)
{
	if (h->web == NULL)
		return;
	for (size_t i = 0; i < h->web->nheaders; i++)
		MHD_add_response_header(resp, h->web->headers[i].name, h->web->headers[i].value);
}

static mhd_result send_static(struct http *h, struct MHD_Connection *conn, unsigned status, const char *type,
                              const char *body, size_t len, const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	mhd_result r;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	add_extra_headers(h, resp);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static mhd_result send_text(struct http *h, struct MHD_Connection *conn, unsigned status, const char *text)
{
	return send_static(h, conn, status, TEXT_PLAIN, text, strlen(text), NULL);
}

static mhd_result send_unauthorized(struct http *h, struct MHD_Connection *conn)
{
	static const char msg[] = "Unauthorized\n";
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	mhd_result r;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN);
	add_extra_headers(h, resp);
	/* Adds WWW-Authenticate: Basic realm="kvmmem". */
	r = MHD_queue_basic_auth_fail_response(conn, REALM, resp);
	MHD_destroy_response(resp);
	return r;
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
		return send_text(h, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                 "cannot render the metrics, see the exporter log\n");
	}

	struct shared_body *sb = malloc(sizeof(*sb));
	if (sb == NULL) {
		scrape_result_put(res);
		return send_text(h, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
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
	add_extra_headers(h, resp);
	mhd_result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
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

static mhd_result route(struct http *h, struct MHD_Connection *conn, const char *url, struct req *r)
{
	if (r->metrics)
		return serve_metrics(h, conn, r);
	if (strcmp(url, "/") == 0)
		return send_static(h, conn, MHD_HTTP_OK, TEXT_HTML, h->landing, h->landing_len, NULL);
	if (strcmp(url, "/-/healthy") == 0)
		return send_text(h, conn, MHD_HTTP_OK, "OK");
	return send_text(h, conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* --- basic auth ----------------------------------------------------------- */

/* Compares without an early exit, so the time taken does not tell an
 * attacker how many leading bytes were right. */
static bool equal_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static void wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* The cache keys on a keyed hash of the credentials, never the password. */
static int credential_mac(const struct http *h, const char *user, const char *pass, unsigned char *mac)
{
	gnutls_hmac_hd_t hd;

	if (gnutls_hmac_init(&hd, GNUTLS_MAC_SHA256, h->mac_key, sizeof(h->mac_key)) < 0)
		return -ENOMEM;
	gnutls_hmac(hd, user, strlen(user) + 1);
	gnutls_hmac(hd, pass, strlen(pass));
	gnutls_hmac_deinit(hd, mac);
	return 0;
}

static bool cache_has(struct http *h, const unsigned char *mac)
{
	bool hit = false;

	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < AUTH_CACHE_SLOTS; i++)
		hit |= h->cache[i].used && equal_ct(h->cache[i].mac, mac, MAC_LEN);
	pthread_mutex_unlock(&h->lock);
	return hit;
}

static void cache_add(struct http *h, const unsigned char *mac)
{
	pthread_mutex_lock(&h->lock);
	h->cache[h->cache_next].used = true;
	memcpy(h->cache[h->cache_next].mac, mac, MAC_LEN);
	h->cache_next = (h->cache_next + 1) % AUTH_CACHE_SLOTS;
	pthread_mutex_unlock(&h->lock);
}

enum auth_result { AUTH_OK, AUTH_FAIL, AUTH_VERIFY };

/* Fast part, on the event loop: no credentials fail, cached ones pass,
 * anything else goes to a worker (bcrypt would stall the loop). */
static enum auth_result auth_check(struct http *h, struct MHD_Connection *conn, struct req *r)
{
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &pass);
	unsigned char mac[MAC_LEN];
	enum auth_result res = AUTH_FAIL;

	if (user == NULL || pass == NULL)
		goto out;
	if (credential_mac(h, user, pass, mac) == 0 && cache_has(h, mac)) {
		res = AUTH_OK;
		goto out;
	}
	r->user = strdup(user);
	r->pass = strdup(pass);
	if (r->user != NULL && r->pass != NULL)
		res = AUTH_VERIFY;
out:
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user != NULL)
		MHD_free(user);
	return res;
}

/* Slow part, on a worker: bcrypt, also for unknown users (against the
 * first user's hash) so the time does not reveal which names exist. */
static bool auth_verify(struct http *h, struct req *r, struct crypt_data *cd)
{
	const struct wc_user *u = NULL;
	unsigned char mac[MAC_LEN];
	bool ok = false;

	for (size_t i = 0; i < h->web->nusers; i++) {
		if (strcmp(h->web->users[i].name, r->user) == 0)
			u = &h->web->users[i];
	}
	const char *hash = u != NULL ? u->hash : h->web->users[0].hash;
	if (cd != NULL) {
		const char *out = crypt_r(r->pass, hash, cd);
		ok = out != NULL && strlen(out) == strlen(hash) && equal_ct(out, hash, strlen(hash));
	}
	ok = ok && u != NULL && strlen(r->pass) <= BCRYPT_MAX_PASSWORD;
	if (ok && credential_mac(h, r->user, r->pass, mac) == 0)
		cache_add(h, mac);
	if (!ok)
		log_debug(h->log, "basic auth failed for user '%s'", r->user);
	return ok;
}

/* --- TLS client certificates ---------------------------------------------- */

static gnutls_session_t tls_session(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci != NULL ? (gnutls_session_t)ci->tls_session : NULL;
}

/* Client certificates are checked for the TLS client purpose, as Go does. */
static gnutls_typed_vdata_st client_purpose = {GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};

/* Called by GnuTLS during the handshake once the client's certificate
 * (if any) is in: a certificate that was sent must verify against the
 * client CA for the TLS client purpose; whether one is required at all is
 * GNUTLS_CERT_REQUIRE's business.  Non-zero fails the handshake. */
static int verify_during_handshake(gnutls_session_t s)
{
	unsigned n = 0, status = 0;

	if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers(s, &client_purpose, 1, &status) != 0 || status != 0)
		return GNUTLS_E_CERTIFICATE_ERROR;
	return 0;
}

/* Before the handshake: ask for (or require) a client certificate and
 * have it verified, so a bad one fails the handshake itself. */
static void tls_session_setup(const struct http *h, struct MHD_Connection *conn)
{
	gnutls_session_t s = tls_session(conn);

	if (s == NULL)
		return;
	switch (h->web->client_auth) {
	case WC_REQUEST_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
		break;
	case WC_REQUIRE_ANY_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		break;
	case WC_VERIFY_CLIENT_CERT_IF_GIVEN:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_function(s, verify_during_handshake);
		break;
	case WC_REQUIRE_AND_VERIFY_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_function(s, verify_during_handshake);
		break;
	default:
		break;
	}
}

/* After the handshake, on every request: the same policy checked again,
 * so a libmicrohttpd that set up sessions differently cannot let a
 * client through. */
static bool client_cert_ok(const struct http *h, struct MHD_Connection *conn)
{
	enum wc_client_auth a = h->web != NULL && h->web->tls ? h->web->client_auth : WC_NO_CLIENT_CERT;
	unsigned n = 0, status = 0;

	if (a == WC_NO_CLIENT_CERT || a == WC_REQUEST_CLIENT_CERT)
		return true;
	gnutls_session_t s = tls_session(conn);
	if (s == NULL)
		return false;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
	if (peers == NULL || n == 0)
		return a == WC_VERIFY_CLIENT_CERT_IF_GIVEN;
	if (a == WC_REQUIRE_ANY_CLIENT_CERT)
		return true;
	return gnutls_certificate_verify_peers(s, &client_purpose, 1, &status) == 0 && status == 0;
}

/* --- workers ---------------------------------------------------------------- */

/* crypt_r's state for one worker, or NULL: auth_verify then fails closed.
 * The failure is logged once per worker (*logged), not once per request,
 * and the caller asks again at the next check, so the worker recovers
 * when memory does. */
static struct crypt_data *crypt_state_new(const struct http *h, bool *logged)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	if (cd == NULL && !*logged) {
		log_errx(h->log,
		         "basic auth: cannot allocate the bcrypt state (%zu bytes): password checks on this worker "
		         "fail until memory is available",
		         sizeof(*cd));
		*logged = true;
	}
	return cd;
}

/* Collections and bcrypt run here, never on the event loop: a slow
 * libvirt or a password check must not hold up other connections. */
static void *worker_main(void *arg)
{
	struct http *h = arg;
	/* crypt_r's state is large (tens of kB): one per worker, made at its
	 * first password check and kept. */
	struct crypt_data *cd = NULL;
	bool cd_logged = false;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		while (h->qhead == NULL && !h->stopping)
			pthread_cond_wait(&h->cond, &h->lock);
		struct req *r = h->qhead;
		if (r != NULL) {
			h->qhead = r->next;
			if (h->qhead == NULL)
				h->qtail = NULL;
			r->next = NULL;
		}
		pthread_mutex_unlock(&h->lock);
		/* Stopping drains the queue first: every suspended connection
		 * must be resumed before the daemon stops. */
		if (r == NULL)
			break;
		if (r->need_verify) {
			if (cd == NULL)
				cd = crypt_state_new(h, &cd_logged);
			r->authed = auth_verify(h, r, cd);
			wipe_free(r->pass);
			r->pass = NULL;
		}
		if (r->metrics && (!r->need_verify || r->authed)) {
			r->scrape_rc = scrape_get(h->scrape, &r->res);
			/* Rendering (and compressing) a large host takes a while:
			 * here, not on the event loop that serve_metrics runs on,
			 * which then finds the form already made. */
			if (r->scrape_rc == 0)
				scrape_result_prepare(r->res, r->gzip);
		}
		r->phase = PH_DONE;
		MHD_resume_connection(r->conn);
	}
	free(cd);
	return NULL;
}

/* Suspends the connection and hands r to a worker; -ESHUTDOWN when stopping. */
static int enqueue(struct http *h, struct req *r)
{
	pthread_mutex_lock(&h->lock);
	if (h->stopping) {
		pthread_mutex_unlock(&h->lock);
		return -ESHUTDOWN;
	}
	r->phase = PH_QUEUED;
	/* Suspended before a worker can see it, so its resume never comes first. */
	MHD_suspend_connection(r->conn);
	if (h->qtail != NULL)
		h->qtail->next = r;
	else
		h->qhead = r;
	h->qtail = r;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* --- libmicrohttpd callbacks -------------------------------------------------- */

static mhd_result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct req *r = *con_cls;

	(void)version;
	(void)upload_data;
	if (r == NULL) {
		/* First call, headers only. */
		log_debug(h->log, "%s %s", method, url);
		if (!client_cert_ok(h, conn)) {
			log_debug(h->log, "client certificate refused, closing");
			return MHD_NO;
		}
		/* The headers are in: from now on the (longer) connection
		 * timeout applies instead of the header timeout. */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, h->connection_timeout_s);
		/* Refusals go out at once (libmicrohttpd then closes the
		 * connection, so an unread body does no harm). */
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
			static const char msg[] = "method not allowed\n";
			return send_static(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN, msg, sizeof(msg) - 1,
			                   "GET, HEAD");
		}
		if (has_body(conn))
			return send_text(h, conn, HTTP_STATUS_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		r->h = h;
		r->conn = conn;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size != 0)
		return MHD_NO;
	switch (r->phase) {
	case PH_HEADERS:
		/* The request is complete (it has no body); answering now
		 * keeps the connection reusable. */
		r->metrics = strcmp(url, h->telemetry_path) == 0;
		r->gzip = r->metrics && encoding_accepts_gzip(MHD_lookup_connection_value(
		                            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
		if (h->web != NULL && h->web->nusers > 0) {
			enum auth_result a = auth_check(h, conn, r);
			if (a == AUTH_FAIL)
				return send_unauthorized(h, conn);
			r->need_verify = a == AUTH_VERIFY;
		}
		if (!r->need_verify && !r->metrics)
			return route(h, conn, url, r);
		if (enqueue(h, r) != 0)
			return send_text(h, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n");
		return MHD_YES;
	case PH_QUEUED:
		return MHD_YES;
	default:
		if (r->need_verify && !r->authed)
			return send_unauthorized(h, conn);
		return route(h, conn, url, r);
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	scrape_result_put(r->res);
	free(r->user);
	wipe_free(r->pass);
	free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;

	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	/* Until its request headers are in, a connection gets the short
	 * header timeout: slow or silent clients are dropped early. */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, h->header_timeout_s);
	if (h->web != NULL && h->web->tls)
		tls_session_setup(h, conn);
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

/* GnuTLS priorities with only the versions between min and max. */
static int tls_priorities(const struct webconfig *web, char *dst, size_t dstsz)
{
	static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
	struct buf b;
	int rc;

	buf_init(&b, dstsz - 1);
	buf_puts(&b, "NORMAL:-VERS-ALL");
	for (int v = web->min_version; v <= (int)web->max_version; v++)
		buf_printf(&b, ":+VERS-TLS%s", names[v - WC_TLS10]);
	rc = b.err;
	if (rc == 0) {
		memcpy(dst, b.data, b.len);
		dst[b.len] = '\0';
	}
	buf_free(&b);
	return rc;
}

static void stop_workers(struct http *h)
{
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	for (unsigned i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	h->nworkers = 0;
}

static void http_free(struct http *h)
{
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	explicit_bzero(h->mac_key, sizeof(h->mac_key));
	explicit_bzero(h->cache, sizeof(h->cache));
	free(h->landing);
	free(h);
}

int http_start(const struct http_opts *o, struct http **out, char *err, size_t errsz)
{
	struct http *h = calloc(1, sizeof(*h));
	unsigned nworkers = o->workers == 0 ? 1 : o->workers > HTTP_MAX_WORKERS ? HTTP_MAX_WORKERS : o->workers;
	int fd = -1;
	int rc;

	if (h == NULL)
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	h->telemetry_path = o->telemetry_path;
	h->scrape = o->scrape;
	h->log = o->log;
	h->web = o->web;
	h->header_timeout_s = o->header_timeout_s;
	h->connection_timeout_s = o->connection_timeout_s;
	/* Checked before anything else: http_free destroys both, which is
	 * only defined for initialised ones. */
	rc = -pthread_mutex_init(&h->lock, NULL);
	if (rc != 0) {
		free(h);
		return errbuf_fail(err, errsz, rc, "cannot initialise the HTTP worker lock: %s", strerrordesc_np(-rc));
	}
	rc = -pthread_cond_init(&h->cond, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		return errbuf_fail(err, errsz, rc, "cannot initialise the HTTP worker condition: %s",
		                   strerrordesc_np(-rc));
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, h->mac_key, sizeof(h->mac_key)) != 0) {
		rc = errbuf_fail(err, errsz, -EIO, "cannot get random bytes for the auth cache");
		goto out_free;
	}
	rc = build_landing(h);
	if (rc != 0) {
		errbuf_fail(err, errsz, rc, "out of memory");
		goto out_free;
	}
	if (h->web != NULL && h->web->tls && tls_priorities(h->web, h->priorities, sizeof(h->priorities)) != 0) {
		rc = errbuf_fail(err, errsz, -E2BIG, "TLS priorities too long");
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

	for (unsigned i = 0; i < nworkers; i++) {
		rc = -pthread_create(&h->workers[i], NULL, worker_main, h);
		if (rc != 0) {
			errbuf_fail(err, errsz, rc, "cannot start HTTP worker threads: %s", strerror(-rc));
			stop_workers(h);
			close(fd);
			goto out_free;
		}
		h->nworkers++;
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
	    MHD_OPTION_CONNECTION_LIMIT, o->connection_limit, MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->memory_limit, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (h->daemon == NULL) {
		rc = errbuf_fail(err, errsz, -EIO, "cannot start the HTTP server (libmicrohttpd %s%s)",
		                 MHD_get_version(), h->web != NULL && h->web->tls ? ", TLS" : "");
		stop_workers(h);
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
	/* Workers first: they resume every suspended connection, which
	 * libmicrohttpd needs before it can stop. */
	stop_workers(h);
	MHD_stop_daemon(h->daemon);
	http_free(h);
}
