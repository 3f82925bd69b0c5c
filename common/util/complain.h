/*
 * complain.h - "log it once" bookkeeping per key (usually a file path).
 *
 * A damaged file must be named in the log, but not on every scrape.  A
 * complaint set remembers which keys are currently failing: the first
 * failure logs at warn, repeats back off as struct complaint does, and the
 * first success afterwards logs once at info.  The set is bounded; past
 * its limit new keys still log but are not remembered.
 */
#ifndef KVMMEM_COMPLAIN_H
#define KVMMEM_COMPLAIN_H

#include "util/log.h"

struct complaint_set;

/* Returns a new empty set or NULL when out of memory. */
struct complaint_set *complaint_set_new(void);
/* Frees the set; NULL is fine. */
void complaint_set_free(struct complaint_set *cs);

/* Logs "<key>: <message>" at warn if key is not already failing (or its
 * back-off interval has passed).  cs may be NULL: then it always logs. */
void complain_key(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Logs "<key>: <message>" at info if key was failing, and forgets it. */
void complain_key_release(const struct kvm_log *lg, struct complaint_set *cs, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
