/* http_listen.h - the HTTP server's listening socket. */
#ifndef KVMMEM_HTTP_LISTEN_H
#define KVMMEM_HTTP_LISTEN_H

#include <stddef.h>

/*
 * Binds and listens on host:port.  "" or NULL means every address of both
 * families (one IPv6 socket that also takes IPv4, or IPv4 alone where the
 * kernel has no IPv6); a name binds its first address that works.
 * Returns 0 and a non-blocking close-on-exec descriptor in *fdout, or a
 * negative errno with a one-line message in err.
 */
int http_listen_socket(const char *host, unsigned port, int *fdout, char *err, size_t errsz);

#endif
