/* http_tls.c - client certificate policy and GnuTLS priorities for the HTTP server. */
#include "http_tls.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/buf.h"

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
void http_tls_session_setup(const struct webconfig *web, struct MHD_Connection *conn)
{
	gnutls_session_t s = tls_session(conn);

	if (s == NULL)
		return;
	switch (web->client_auth) {
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
bool http_client_cert_ok(const struct webconfig *web, struct MHD_Connection *conn)
{
	enum wc_client_auth a = web != NULL && web->tls ? web->client_auth : WC_NO_CLIENT_CERT;
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

/* GnuTLS priorities with only the versions between min and max. */
int http_tls_priorities(const struct webconfig *web, char *dst, size_t dstsz)
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
