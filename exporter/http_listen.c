/* http_listen.c - the HTTP server's listening socket, bound the way Go's net.Listen binds. */
#include "http_listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/errbuf.h"

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
int http_listen_socket(const char *host, unsigned port, int *fdout, char *err, size_t errsz)
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
