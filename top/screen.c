/* screen.c - the live view: ncurses drawing, keys, prompts, resize. */
#include "screen.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <time.h>

#include "table.h"

enum prompt { PROMPT_NONE, PROMPT_DELAY, PROMPT_FILTER };

enum { PAIR_HEAD = 1, PAIR_NOTE, PAIR_STATUS };

struct state {
	const struct top_screen *sc;
	struct top_view view;
	bool have_view;
	double collect_ms;
	int delay_ms;
	enum top_col sort;
	bool reverse;
	char filter[TOP_FILTER_MAX];
	bool help, legend;
	bool color; /* wanted and the terminal has colours */
	size_t scroll;
	enum prompt prompt;
	char input[TOP_FILTER_MAX];
	size_t input_len;
	char notice[TOP_MSG_MAX]; /* answer to the last key, e.g. a bad interval */
	size_t *visible;          /* indexes of the rows that match the filter */
	size_t nvisible;
};

void top_msg_set(struct top_msg *m, const char *text)
{
	pthread_mutex_lock(&m->lock);
	snprintf(m->text, sizeof(m->text), "%s", text);
	pthread_mutex_unlock(&m->lock);
}

void top_msg_get(struct top_msg *m, char *out, size_t outsz)
{
	pthread_mutex_lock(&m->lock);
	snprintf(out, outsz, "%s", m->text);
	pthread_mutex_unlock(&m->lock);
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void recompute_visible(struct state *st)
{
	st->nvisible = 0;
	for (size_t i = 0; i < st->view.nrows; i++)
		if (top_row_matches(&st->view.rows[i], st->filter))
			st->visible[st->nvisible++] = i;
}

static int refresh_view(struct state *st)
{
	struct top_view v;
	double ms;

	if (st->sc->collect(st->sc->ctx, &v, &ms) != 0)
		return -ENOMEM;
	size_t *vis = v.nrows > 0 ? calloc(v.nrows, sizeof(*vis)) : NULL;
	if (v.nrows > 0 && vis == NULL) {
		top_view_clear(&v);
		return -ENOMEM;
	}
	top_view_clear(&st->view);
	free(st->visible);
	st->view = v;
	st->visible = vis;
	st->have_view = true;
	st->collect_ms = ms;
	top_view_sort(&st->view, st->sort, st->reverse);
	recompute_visible(st);
	return 0;
}

static void resort(struct state *st)
{
	top_view_sort(&st->view, st->sort, st->reverse);
	recompute_visible(st);
}

/* Draws lines of text (each ending in '\n') from row y on; returns the
 * next free row.  Nothing is written into the last line, which is the
 * status line, so the screen never scrolls. */
static int draw_lines(int y, const char *text, attr_t attr)
{
	const char *p = text;

	while (*p != '\0' && y < LINES - 1) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		attron(attr);
		mvaddnstr(y, 0, p, (int)len);
		attroff(attr);
		clrtoeol();
		y++;
		p += len + (nl != NULL);
	}
	return y;
}

static attr_t color(const struct state *st, short pair, attr_t fallback)
{
	return st->color ? COLOR_PAIR(pair) | fallback : fallback;
}

static void draw_status(struct state *st)
{
	char line[TOP_LINE_MAX], logged[TOP_MSG_MAX];
	const char *msg = st->notice;

	if (msg[0] == '\0') {
		top_msg_get(st->sc->msg, logged, sizeof(logged));
		msg = logged;
	}

	if (st->prompt != PROMPT_NONE) {
		snprintf(line, sizeof(line), "%s: %s",
		         st->prompt == PROMPT_DELAY ? "interval in seconds" : "filter by name", st->input);
	} else {
		snprintf(line, sizeof(line),
		         "%zu/%zu domains  sort %s%s%s%s  every %.1fs  collected in %.0f ms  "
		         "h help  q quit%s%s",
		         st->nvisible, st->view.nrows, top_col_heading(st->sort), st->reverse ? " reversed" : "",
		         st->filter[0] != '\0' ? "  filter " : "", st->filter[0] != '\0' ? st->filter : "",
		         st->delay_ms / 1000.0, st->collect_ms, msg[0] != '\0' ? "  " : "", msg);
	}
	/* The filter text is the user's own typing: shown sanitised too. */
	char safe[TOP_LINE_MAX];
	top_display_name(line, safe, sizeof(safe), COLS > 1 ? COLS - 1 : 1);
	attron(color(st, PAIR_STATUS, A_REVERSE));
	mvaddstr(LINES - 1, 0, safe);
	attroff(color(st, PAIR_STATUS, A_REVERSE));
	clrtoeol();
	if (st->prompt != PROMPT_NONE)
		move(LINES - 1, (int)strlen(safe) < COLS ? (int)strlen(safe) : COLS - 1);
}

static const char help_text[] = "kvmmem-top keys\n"
                                "\n"
                                "  q         quit\n"
                                "  h ?       this help (any key returns)\n"
                                "  l         legend: columns and flags\n"
                                "  d s       refresh interval in seconds\n"
                                "  < >       sort by the previous or next column\n"
                                "  r R       reverse the sort order\n"
                                "  / f       filter by name (empty: every domain)\n"
                                "  space     refresh now\n"
                                "  arrows, PgUp, PgDn, Home, End  scroll\n";

static void draw_table(struct state *st, int y)
{
	struct top_layout lay;
	struct buf b;

	buf_init(&b, TOP_LINE_MAX * 4);
	top_layout_compute(&st->view, COLS, &lay);
	top_format_heads(&lay, &b);
	int x, w;
	y = draw_lines(y, b.data != NULL ? b.data : "", color(st, PAIR_HEAD, A_REVERSE));
	/* The sort column's heading stands out (bold and underlined), as in top. */
	if (top_col_span(&lay, st->sort, &x, &w) == 0 && x < COLS)
		mvchgat(y - 1, x, w, A_REVERSE | A_BOLD | A_UNDERLINE, st->color ? PAIR_HEAD : 0, NULL);
	int rows = LINES - 1 - y;
	if (rows < 0)
		rows = 0;
	if (st->scroll + (size_t)rows > st->nvisible)
		st->scroll = st->nvisible > (size_t)rows ? st->nvisible - (size_t)rows : 0;
	for (size_t i = st->scroll; i < st->nvisible && y < LINES - 1; i++) {
		buf_reset(&b);
		top_format_row(&lay, &st->view.rows[st->visible[i]], &b);
		y = draw_lines(y, b.data != NULL ? b.data : "", A_NORMAL);
	}
	buf_free(&b);
	for (; y < LINES - 1; y++) {
		move(y, 0);
		clrtoeol();
	}
}

static void draw(struct state *st)
{
	struct buf b;
	int y = 0;

	erase();
	buf_init(&b, 64 * 1024);
	if (st->help) {
		draw_lines(0, help_text, A_NORMAL);
	} else if (st->have_view) {
		top_format_header(&st->view, COLS, &b);
		y = draw_lines(y, b.data != NULL ? b.data : "", A_BOLD);
		if (st->legend) {
			buf_reset(&b);
			top_format_legend(COLS, &b);
			y = draw_lines(y, b.data != NULL ? b.data : "", color(st, PAIR_NOTE, A_NORMAL));
		}
		y = draw_lines(y, "\n", A_NORMAL);
		draw_table(st, y);
	}
	buf_free(&b);
	draw_status(st);
	refresh();
}

/* The next or previous column that the current layout shows. */
static void step_sort(struct state *st, int dir)
{
	struct top_layout lay;
	int c = st->sort;

	top_layout_compute(&st->view, COLS, &lay);
	for (int i = 0; i < COL_COUNT; i++) {
		c = (c + dir + COL_COUNT) % COL_COUNT;
		if (lay.show[c])
			break;
	}
	st->sort = (enum top_col)c;
	resort(st);
}

static void prompt_done(struct state *st)
{
	int ms;

	st->input[st->input_len] = '\0';
	if (st->prompt == PROMPT_FILTER) {
		memcpy(st->filter, st->input, st->input_len + 1);
		st->scroll = 0;
		recompute_visible(st);
	} else if (st->input_len > 0 && top_parse_delay(st->input, &ms) == 0) {
		st->delay_ms = ms;
	} else if (st->input_len > 0) {
		snprintf(st->notice, sizeof(st->notice), "not an interval: seconds from 0.1 to 3600");
	}
	st->prompt = PROMPT_NONE;
	curs_set(0);
}

static void prompt_key(struct state *st, int ch)
{
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		prompt_done(st);
	} else if (ch == 27) {
		st->prompt = PROMPT_NONE;
		curs_set(0);
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		st->input_len -= st->input_len > 0;
		st->input[st->input_len] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && st->input_len + 1 < sizeof(st->input)) {
		st->input[st->input_len++] = (char)ch;
		st->input[st->input_len] = '\0';
	}
}

static void start_prompt(struct state *st, enum prompt p)
{
	st->prompt = p;
	st->input_len = 0;
	st->input[0] = '\0';
	curs_set(1);
}

/* Handles one key; returns false to quit. */
static bool key(struct state *st, int ch, bool *refresh_now)
{
	size_t page = LINES > 4 ? (size_t)LINES / 2 : 1;

	st->notice[0] = '\0';
	if (st->prompt != PROMPT_NONE) {
		prompt_key(st, ch);
		return true;
	}
	if (st->help && ch != KEY_RESIZE) {
		st->help = false;
		return ch != 'q' && ch != 'Q';
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case 'h':
	case '?':
		st->help = true;
		break;
	case 'l':
		st->legend = !st->legend;
		break;
	case 'd':
	case 's':
		start_prompt(st, PROMPT_DELAY);
		break;
	case '/':
	case 'f':
		start_prompt(st, PROMPT_FILTER);
		break;
	case '<':
		step_sort(st, -1);
		break;
	case '>':
		step_sort(st, 1);
		break;
	case 'r':
	case 'R':
		st->reverse = !st->reverse;
		resort(st);
		break;
	case ' ':
		*refresh_now = true;
		break;
	case KEY_UP:
		st->scroll -= st->scroll > 0;
		break;
	case KEY_DOWN:
		st->scroll++;
		break;
	case KEY_PPAGE:
		st->scroll = st->scroll > page ? st->scroll - page : 0;
		break;
	case KEY_NPAGE:
		st->scroll += page;
		break;
	case KEY_HOME:
		st->scroll = 0;
		break;
	case KEY_END:
		st->scroll = st->nvisible;
		break;
	default:
		break;
	}
	return true;
}

/* A terminal that cannot place the cursor (dumb, an unknown TERM) cannot
 * show a screen; newterm, unlike initscr, returns instead of exiting. */
static int start_curses(const struct top_screen *sc, SCREEN **scr, char *err, size_t errsz)
{
	const char *term = getenv("TERM");

	*scr = newterm(NULL, stdout, stdin);
	if (*scr == NULL) {
		snprintf(err, errsz, "cannot use terminal '%s': use --once or --json", term != NULL ? term : "");
		return -ENOTTY;
	}
	const char *cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		endwin();
		delscreen(*scr);
		snprintf(err, errsz, "terminal '%s' cannot address the cursor: use --once or --json",
		         term != NULL ? term : "");
		return -ENOTTY;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (sc->color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_NOTE, COLOR_YELLOW, -1);
		init_pair(PAIR_STATUS, COLOR_BLACK, COLOR_WHITE);
	}
	return 0;
}

int top_screen_run(const struct top_screen *sc, char *err, size_t errsz)
{
	struct state st;
	SCREEN *scr;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.sc = sc;
	st.delay_ms = sc->opts->delay_ms;
	st.sort = sc->opts->sort;
	st.reverse = sc->opts->reverse;
	if (sc->opts->filter != NULL)
		snprintf(st.filter, sizeof(st.filter), "%s", sc->opts->filter);
	if (start_curses(sc, &scr, err, errsz) != 0)
		return -ENOTTY;
	st.color = sc->color && has_colors();
	bool refresh_now = true;
	double last = 0;
	while (!*sc->stop) {
		/* From the last collection, so a new interval counts at once. */
		if (refresh_now || mono_ms() >= last + st.delay_ms) {
			if (refresh_view(&st) != 0) {
				snprintf(err, errsz, "out of memory");
				rc = -ENOMEM;
				break;
			}
			last = mono_ms();
			refresh_now = false;
		}
		draw(&st);
		double wait = last + st.delay_ms - mono_ms();
		timeout(wait < 1 ? 1 : wait > 1000 ? 1000 : (int)wait);
		int ch = getch();
		if (ch == ERR)
			continue;
		if (!key(&st, ch, &refresh_now))
			break;
	}
	endwin();
	delscreen(scr);
	top_view_clear(&st.view);
	free(st.visible);
	return rc;
}
