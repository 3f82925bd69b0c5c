/* http_auth.c - basic auth: the cache of good credentials, bcrypt, and the per-address failure record. */
#include "http_auth.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* Successful checks remembered, so a scrape every few seconds does not
 * pay a bcrypt (tens of milliseconds of CPU) each time. */
#define CACHE_SLOTS 16
#define MAC_LEN 32
/* bcrypt looks at the first 72 bytes only; longer passwords never match
 * rather than matching on a prefix. */
#define BCRYPT_MAX_PASSWORD 72
/* Addresses whose failures are remembered; the quietest is forgotten
 * first when a new one comes. */
#define ADDR_SLOTS 256

struct cache_slot {
	bool used;
	unsigned char mac[MAC_LEN];
};

struct addr_slot {
	bool used;
	struct auth_key key;
	unsigned failures;
	unsigned pending;
	uint64_t last_failure_ms;
};

struct auth {
	const struct webconfig *web;
	const struct kvm_log *log;
	pthread_mutex_t lock;           /* guards everything below */
	unsigned char mac_key[MAC_LEN]; /* random per process: cache entries mean nothing elsewhere */
	struct cache_slot cache[CACHE_SLOTS];
	unsigned cache_next;
	unsigned pending; /* admitted checks not yet done */
	struct addr_slot addr[ADDR_SLOTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int auth_new(const struct webconfig *web, const struct kvm_log *log, struct auth **out)
{
	struct auth *a = calloc(1, sizeof(*a));
	int rc;

	if (a == NULL)
		return -ENOMEM;
	a->web = web;
	a->log = log;
	rc = -pthread_mutex_init(&a->lock, NULL);
	if (rc != 0) {
		free(a);
		return rc;
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, a->mac_key, sizeof(a->mac_key)) != 0) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return -EIO;
	}
	*out = a;
	return 0;
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

struct auth_key auth_key_of(const struct sockaddr *sa)
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct auth_key k = {{0}};

	if (sa == NULL)
		return k;
	if (sa->sa_family == AF_INET) {
		memcpy(k.b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const unsigned char *a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		/* An IPv4 client of a dual-stack socket counts as its IPv4
		 * address; an IPv6 client as its /64, which one host usually
		 * has whole. */
		if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0) {
			memcpy(k.b, a6 + 12, 4);
		} else {
			memcpy(k.b, a6, 8);
			k.b[15] = 6;
		}
	}
	return k;
}

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

/* The cache keys on a keyed hash of the credentials, never the password. */
static int credential_mac(const struct auth *a, const char *user, const char *pass, unsigned char *mac)
{
	gnutls_hmac_hd_t hd;

	if (gnutls_hmac_init(&hd, GNUTLS_MAC_SHA256, a->mac_key, sizeof(a->mac_key)) < 0)
		return -ENOMEM;
	gnutls_hmac(hd, user, strlen(user) + 1);
	gnutls_hmac(hd, pass, strlen(pass));
	gnutls_hmac_deinit(hd, mac);
	return 0;
}

bool auth_cached(struct auth *a, const char *user, const char *pass)
{
	unsigned char mac[MAC_LEN];
	bool hit = false;

	if (credential_mac(a, user, pass, mac) != 0)
		return false;
	pthread_mutex_lock(&a->lock);
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		hit |= a->cache[i].used && equal_ct(a->cache[i].mac, mac, MAC_LEN);
	pthread_mutex_unlock(&a->lock);
	return hit;
}

static void cache_add(struct auth *a, const char *user, const char *pass)
{
	unsigned char mac[MAC_LEN];

	if (credential_mac(a, user, pass, mac) != 0)
		return;
	pthread_mutex_lock(&a->lock);
	a->cache[a->cache_next].used = true;
	memcpy(a->cache[a->cache_next].mac, mac, MAC_LEN);
	a->cache_next = (a->cache_next + 1) % CACHE_SLOTS;
	pthread_mutex_unlock(&a->lock);
	explicit_bzero(mac, sizeof(mac));
}

/* The slot of key, made when missing (taking the quietest one with
 * nothing pending when all are used); NULL when none can be had.  Under lock. */
static struct addr_slot *addr_slot(struct auth *a, const struct auth_key *key, uint64_t now)
{
	struct addr_slot *free_slot = NULL, *quietest = NULL;

	for (unsigned i = 0; i < ADDR_SLOTS; i++) {
		struct addr_slot *s = &a->addr[i];
		if (!s->used) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (memcmp(&s->key, key, sizeof(*key)) == 0)
			return s;
		if (s->pending == 0 && (quietest == NULL || s->last_failure_ms < quietest->last_failure_ms))
			quietest = s;
	}
	struct addr_slot *s = free_slot != NULL ? free_slot : quietest;
	if (s != NULL)
		*s = (struct addr_slot){.used = true, .key = *key, .last_failure_ms = now};
	return s;
}

int auth_admit(struct auth *a, const struct auth_key *key, unsigned *delay_ms)
{
	uint64_t now = now_ms();
	int rc = -EBUSY;

	pthread_mutex_lock(&a->lock);
	struct addr_slot *s = addr_slot(a, key, now);
	if (s == NULL || a->pending >= AUTH_QUEUE_MAX || s->pending >= AUTH_PENDING_PER_ADDR)
		goto out;
	if (s->failures > 0 && now - s->last_failure_ms > AUTH_FAILURE_MEMORY_MS)
		s->failures = 0;
	/* 100 ms after the free failures, doubling with each further one. */
	unsigned d = 0;
	if (s->failures >= AUTH_FREE_FAILURES) {
		unsigned shift = s->failures - AUTH_FREE_FAILURES;
		d = shift >= 6 ? AUTH_MAX_DELAY_MS : 100u << shift;
		if (d > AUTH_MAX_DELAY_MS)
			d = AUTH_MAX_DELAY_MS;
	}
	s->pending++;
	a->pending++;
	*delay_ms = d;
	rc = 0;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void auth_done(struct auth *a, const struct auth_key *key, bool ok)
{
	uint64_t now = now_ms();

	pthread_mutex_lock(&a->lock);
	a->pending--;
	for (unsigned i = 0; i < ADDR_SLOTS; i++) {
		struct addr_slot *s = &a->addr[i];
		if (!s->used || memcmp(&s->key, key, sizeof(*key)) != 0)
			continue;
		s->pending--;
		if (ok) {
			s->failures = 0;
		} else {
			s->failures++;
			s->last_failure_ms = now;
		}
		break;
	}
	pthread_mutex_unlock(&a->lock);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int auth_parse_basic(const char *header, char **user, char **pass)
{
	static const char scheme[] = "Basic ";
	size_t n, len = 0;
	char *out, *colon;
	unsigned acc = 0, bits = 0;

	if (header == NULL || strncasecmp(header, scheme, sizeof(scheme) - 1) != 0)
		return -EINVAL;
	header += sizeof(scheme) - 1;
	while (*header == ' ')
		header++;
	n = strlen(header);
	if (n == 0 || n > 4096)
		return -EINVAL;
	out = malloc(n + 1);
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (header[i] == '=') {
			/* Padding only at the end. */
			for (size_t j = i; j < n; j++) {
				if (header[j] != '=')
					goto bad;
			}
			break;
		}
		int v = b64_value((unsigned char)header[i]);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* A NUL would end the password early for crypt(3): "secret\0zzz"
	 * must not pass as "secret". */
	if (memchr(out, '\0', len) != NULL)
		goto bad;
	out[len] = '\0';
	colon = strchr(out, ':');
	if (colon == NULL)
		goto bad;
	*colon = '\0';
	*user = strdup(out);
	*pass = strdup(colon + 1);
	explicit_bzero(out, len);
	free(out);
	if (*user == NULL || *pass == NULL) {
		free(*user);
		if (*pass != NULL)
			explicit_bzero(*pass, strlen(*pass));
		free(*pass);
		*user = *pass = NULL;
		return -ENOMEM;
	}
	return 0;
bad:
	explicit_bzero(out, n + 1);
	free(out);
	return -EINVAL;
}

bool auth_verify(struct auth *a, const char *user, const char *pass, struct crypt_data *cd)
{
	const struct wc_user *u = NULL;
	bool ok = false;

	for (size_t i = 0; i < a->web->nusers; i++) {
		if (strcmp(a->web->users[i].name, user) == 0)
			u = &a->web->users[i];
	}
	/* Unknown users are checked too (against the first user's hash), so
	 * the time does not reveal which names exist. */
	const char *hash = u != NULL ? u->hash : a->web->users[0].hash;
	if (cd != NULL) {
		const char *out = crypt_r(pass, hash, cd);
		ok = out != NULL && strlen(out) == strlen(hash) && equal_ct(out, hash, strlen(hash));
	}
	ok = ok && u != NULL && strlen(pass) <= BCRYPT_MAX_PASSWORD;
	if (ok)
		cache_add(a, user, pass);
	else
		log_debug(a->log, "basic auth failed for user '%s'", user);
	return ok;
}
