/*
 * http_auth.h - basic auth for the HTTP server: the cache of credentials
 * known good, the bcrypt check, and the per-address record of failures
 * that slows repeated failures down.
 *
 * A check costs tens of milliseconds of CPU (bcrypt), so the server runs
 * checks on threads of their own, apart from collections, and never more
 * than a bounded number at once: auth_admit() decides whether a check may
 * be queued and how long it waits first, auth_done() records its outcome.
 *
 * Every function may be called from any thread.
 */
#ifndef KVMMEM_HTTP_AUTH_H
#define KVMMEM_HTTP_AUTH_H

#include <crypt.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/log.h"
#include "webconfig.h"

/* Checks waiting or running at once, over every client. */
#define AUTH_QUEUE_MAX 32
/* Of those, from one client address (an IPv4 address or an IPv6 /64). */
#define AUTH_PENDING_PER_ADDR 2
/* Failures from one address before its checks wait, and the longest wait. */
#define AUTH_FREE_FAILURES 3
#define AUTH_MAX_DELAY_MS 5000
/* A failure is forgotten this long after the address's last one. */
#define AUTH_FAILURE_MEMORY_MS 60000

struct auth;

/* The part of a client address failures are counted by. */
struct auth_key {
	unsigned char b[16];
};

/* Makes the state for web (borrowed, with at least one user).  0 and *out, or a negative errno. */
int auth_new(const struct webconfig *web, const struct kvm_log *log, struct auth **out);
/* Frees, wiping the cache; NULL is fine. */
void auth_free(struct auth *a);

/* The key of a client address (NULL gives the all-zero key). */
struct auth_key auth_key_of(const struct sockaddr *sa);

/* Whether user and pass are credentials a check already found good. */
bool auth_cached(struct auth *a, const char *user, const char *pass);

/*
 * May a check for key be queued?  Returns 0 and the milliseconds it must
 * wait before it runs (0 at first, growing with the address's recent
 * failures), or -EBUSY when the address or everybody has too many checks
 * waiting already: the request is then refused without a check.  Every 0
 * is followed by one auth_done() for key.
 */
int auth_admit(struct auth *a, const struct auth_key *key, unsigned *delay_ms);
/* The check admitted for key is over; ok tells how it went. */
void auth_done(struct auth *a, const struct auth_key *key, bool ok);

/*
 * Splits an Authorization header "Basic base64(user:password)" into new
 * strings (the caller wipes and frees them).  0, -ENOMEM, or -EINVAL for
 * anything else: another scheme, bad base64, no colon, or a NUL byte in
 * the decoded text (which would cut the password short for crypt(3)).
 */
int auth_parse_basic(const char *header, char **user, char **pass);

/*
 * The bcrypt check itself (slow): true when user exists and pass is its
 * password; the credentials are then cached.  cd is the caller's crypt_r
 * state; NULL fails closed.
 */
bool auth_verify(struct auth *a, const char *user, const char *pass, struct crypt_data *cd);

#endif
