/*
 * logrec.h - a log backend for tests that records every line as
 * "<level>: <message>\n" so a test can compare the whole log exactly.
 * Header-only: each test binary gets its own copy.
 */
#ifndef KVMMEM_TEST_LOGREC_H
#define KVMMEM_TEST_LOGREC_H

#include <stdio.h>
#include <string.h>

#include "util/log.h"

struct logrec {
	char text[16384];
	size_t len;
	int lines;
};

static inline void logrec_backend(void *ctx, enum log_level level, const char *msg)
{
	struct logrec *r = ctx;
	const char *name = log_level_name(level);
	size_t need = strlen(name) + 2 + strlen(msg) + 1;
	/* A test that logs more than fits has a bug worth seeing: mark it. */
	if (r->len + need + 1 > sizeof(r->text)) {
		memcpy(r->text, "<logrec overflow>", 18);
		r->len = 17;
		return;
	}
	r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s: %s\n", name, msg);
	r->lines++;
}

static inline struct kvm_log logrec_log(struct logrec *r, enum log_level max)
{
	memset(r, 0, sizeof(*r));
	struct kvm_log lg = {.backend = logrec_backend, .ctx = r, .max_level = max};
	return lg;
}

static inline void logrec_clear(struct logrec *r)
{
	r->text[0] = '\0';
	r->len = 0;
	r->lines = 0;
}

#endif
