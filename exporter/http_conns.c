/* http_conns.c - a table of the server's connections, their header deadlines, and a sweeper that enforces them. */
#include "http_conns.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* How often the sweeper looks: a deadline is enforced this late at most. */
#define SWEEP_MS 200

struct conn_slot {
	bool used;
	bool shut;           /* shut down already: once is enough */
	int fd;              /* libmicrohttpd's; only shut down, never closed here */
	uint64_t deadline;   /* ms, monotonic; 0 while a request is being handled */
	uint64_t started;    /* when the current wait for headers began */
	uint64_t generation; /* of the body being sent, 0 for none */
};

struct conns {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	bool stopping;
	pthread_t sweeper;
	struct conns_opts o;
	unsigned used;
	uint64_t closed;
	struct conn_slot *slot;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Under lock. */
static void shut(struct conns *c, struct conn_slot *s)
{
	if (s->shut)
		return;
	/* Both directions: a reader blocked on a full send buffer and a
	 * connection waiting for bytes both wake up and are closed. */
	(void)shutdown(s->fd, SHUT_RDWR);
	s->shut = true;
	c->closed++;
}

static void sweep(struct conns *c, uint64_t now)
{
	/* When slots run low, connections still waiting for their headers
	 * (idle keep-alive ones among them) get the shorter deadline. */
	bool crowded = c->used * 4 >= c->o.slots * 3;
	unsigned n = 0;

	for (unsigned i = 0; i < c->o.slots; i++) {
		struct conn_slot *s = &c->slot[i];
		if (!s->used || s->shut || s->deadline == 0)
			continue;
		if (now >= s->deadline || (crowded && now >= s->started + c->o.crowded_deadline_ms)) {
			shut(c, s);
			n++;
		}
	}
	if (n > 0)
		log_debug(c->o.log, "closed %u connections past their header deadline%s", n,
		          crowded ? " (slots running low)" : "");
}

static void *sweeper_main(void *arg)
{
	struct conns *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&c->wake, &c->lock, &ts);
		if (!c->stopping)
			sweep(c, now_ms());
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int conns_new(const struct conns_opts *o, struct conns **out)
{
	struct conns *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	int rc;

	if (c == NULL)
		return -ENOMEM;
	c->o = *o;
	c->slot = calloc(o->slots, sizeof(*c->slot));
	if (c->slot == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = -pthread_mutex_init(&c->lock, NULL);
	if (rc != 0)
		goto out_free;
	rc = -pthread_condattr_init(&ca);
	if (rc != 0)
		goto out_mutex;
	/* A deadline read on the wall clock would fire at once or never. */
	rc = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = -pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto out_mutex;
	rc = -pthread_create(&c->sweeper, NULL, sweeper_main, c);
	if (rc != 0)
		goto out_cond;
	*out = c;
	return 0;

out_cond:
	pthread_cond_destroy(&c->wake);
out_mutex:
	pthread_mutex_destroy(&c->lock);
out_free:
	free(c->slot);
	free(c);
	return rc;
}

void conns_free(struct conns *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->sweeper, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->slot);
	free(c);
}

struct conn_slot *conns_add(struct conns *c, int fd)
{
	struct conn_slot *s = NULL;
	uint64_t now = now_ms();

	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->o.slots; i++) {
		if (!c->slot[i].used) {
			s = &c->slot[i];
			break;
		}
	}
	if (s != NULL) {
		*s = (struct conn_slot){
		    .used = true, .fd = fd, .started = now, .deadline = now + c->o.header_deadline_ms};
		c->used++;
	}
	pthread_mutex_unlock(&c->lock);
	return s;
}

void conns_remove(struct conns *c, struct conn_slot *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	memset(s, 0, sizeof(*s));
	c->used--;
	pthread_mutex_unlock(&c->lock);
}

void conns_headers_done(struct conns *c, struct conn_slot *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	s->deadline = 0;
	pthread_mutex_unlock(&c->lock);
}

void conns_request_done(struct conns *c, struct conn_slot *s)
{
	uint64_t now = now_ms();

	if (s == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	s->generation = 0;
	s->started = now;
	s->deadline = now + c->o.next_deadline_ms;
	pthread_mutex_unlock(&c->lock);
}

void conns_serving(struct conns *c, struct conn_slot *s, uint64_t generation)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	s->generation = generation;
	pthread_mutex_unlock(&c->lock);
}

void conns_cut_older(struct conns *c, uint64_t generation)
{
	unsigned n = 0;

	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->o.slots; i++) {
		struct conn_slot *s = &c->slot[i];
		if (s->used && !s->shut && s->generation != 0 && s->generation < generation) {
			shut(c, s);
			n++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (n > 0)
		log_debug(c->o.log, "cut %u responses still sending a body older than collection %llu", n,
		          (unsigned long long)generation);
}

uint64_t conns_closed_count(struct conns *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->closed;
	pthread_mutex_unlock(&c->lock);
	return n;
}
