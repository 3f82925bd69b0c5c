/*
 * http_tls.h - TLS for the HTTP server: the client certificate policy of
 * the web config, enforced during the handshake and again on every
 * request, and the GnuTLS priority string for its version range.
 * Called on libmicrohttpd's threads.
 */
#ifndef KVMMEM_HTTP_TLS_H
#define KVMMEM_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "webconfig.h"

/* Before the handshake: asks for (or requires) a client certificate and
 * has it verified, so a bad one fails the handshake itself. */
void http_tls_session_setup(const struct webconfig *web, struct MHD_Connection *conn);
/* After the handshake, on every request: whether the connection meets the
 * policy (true without TLS or without client certificates). */
bool http_client_cert_ok(const struct webconfig *web, struct MHD_Connection *conn);
/* GnuTLS priorities with only the versions between web's min and max.  0 or -E2BIG. */
int http_tls_priorities(const struct webconfig *web, char *dst, size_t dstsz);

#endif
