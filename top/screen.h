/*
 * screen.h - kvmmem-top's live view in a terminal, through ncurses.
 *
 * The screen owns the terminal from top_screen_run() until it returns:
 * it restores the terminal on every way out (q, a stop signal, an error).
 * Collections happen through the callback, on this thread, between key
 * presses.
 */
#ifndef KVMMEM_TOP_SCREEN_H
#define KVMMEM_TOP_SCREEN_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>

#include "cli.h"
#include "model.h"

/* The last log line, shown in the status line instead of being written
 * over the screen.  The core logs from its worker threads too, so the
 * text is guarded by lock, a leaf lock: nothing else is taken under it. */
#define TOP_MSG_MAX 256
struct top_msg {
	pthread_mutex_t lock;
	char text[TOP_MSG_MAX];
};

/* Any thread: replaces the message. */
void top_msg_set(struct top_msg *m, const char *text);
/* Copies the message into out. */
void top_msg_get(struct top_msg *m, char *out, size_t outsz);

/* Runs one collection into out (which the callee fills and the screen
 * clears); *ms gets its duration.  Returns 0 or a negative errno. */
typedef int (*top_collect_fn)(void *ctx, struct top_view *out, double *ms);

struct top_screen {
	const struct top_opts *opts;
	top_collect_fn collect;
	void *ctx;
	volatile sig_atomic_t *stop; /* set by the signal handlers */
	struct top_msg *msg;
	bool color; /* false with NO_COLOR */
};

/* Runs until q or *stop.  Returns 0, or -ENOTTY with a message in err
 * when the terminal cannot show a screen (TERM=dumb, unknown TERM). */
int top_screen_run(const struct top_screen *sc, char *err, size_t errsz);

#endif
