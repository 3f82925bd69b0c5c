/*
 * complain.h - "log it once" bookkeeping per key (usually a file path).
 *
 * A damaged file must be named in the log, but not on every scrape.  A
 * complaint set remembers which keys are currently failing: the first
 * failure logs at warn, repeats back off as struct complaint does, and the
 * first success afterwards logs once at info.
 *
 * Keys come and go with pids and domains, so a collection is a round:
 * complaint_set_begin() at its start, complaint_set_sweep() at its end, and
 * a key that neither complain_key() nor complain_key_release() named in
 * between is forgotten, silently (nobody reads that file any more).
 *
 * The set holds 256 keys.  Failures of keys it cannot hold
 * share one complaint: the first logs, with a note that the set is full;
 * later ones back off together and the next line says how many were not
 * logged.  So more failing keys than the set holds cost one line per
 * back-off interval, not one per key per scrape.
 *
 * A set is used by one thread at a time.
 */
#ifndef KVMMEM_COMPLAIN_H
#define KVMMEM_COMPLAIN_H

#include "util/log.h"

struct complaint_set;

/* Returns a new empty set or NULL when out of memory. */
struct complaint_set *complaint_set_new(void);
/* Frees the set; NULL is fine. */
void complaint_set_free(struct complaint_set *cs);

/* Starts a round (a collection): from now on every key counts as not seen
 * until one of the two calls below names it.  NULL is fine. */
void complaint_set_begin(struct complaint_set *cs);
/* Ends a round: forgets, without logging, every key not named since
 * complaint_set_begin(), and ends the shared complaint of keys the set
 * could not hold if none failed in this round.  A set whose caller never
 * calls begin forgets nothing.  NULL is fine. */
void complaint_set_sweep(struct complaint_set *cs);

/* Logs "<key>: <message>" at warn if key is not already failing (or its
 * back-off interval has passed), and marks key seen in this round.  When
 * the set is full the shared complaint above decides, and the line gets a
 * note.  cs may be NULL: then it always logs. */
void complain_key(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Logs "<key>: <message>" at info if key was failing, and forgets it. */
void complain_key_release(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * One cause shared by every key of a round, such as a permission refused
 * for every process of another user: logged once like struct complaint,
 * and released (one info line, "released") only by a round in which no
 * key met it.  One readable process among unreadable ones is no recovery,
 * so a host with one foreign QEMU does not log twice per scrape.
 */
struct refusal {
	struct complaint c;
	const struct kvm_log *lg;
	const char *released; /* the info line at the release */
	bool met;             /* in this round */
};

/* Starts a round; NULL is fine. */
void refusal_begin(struct refusal *r);
/* Logs at warn as complain() does and marks the round refused. */
void refuse(struct refusal *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends a round: releases the complaint if nothing was refused in it.
 * NULL is fine. */
void refusal_end(struct refusal *r);

#endif
