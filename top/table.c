/* table.c - header lines, column layout and rows of kvmmem-top as text. */
#include "table.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

static const struct {
	const char *heading;
	int width;
	bool left; /* left-aligned text, else right-aligned numbers */
} cols[COL_COUNT] = {
    [COL_NAME] = {"NAME", 0, true},    [COL_STATE] = {"STATE", 8, true},      [COL_MAX] = {"MAX", 6, false},
    [COL_CUR] = {"CUR", 6, false},     [COL_BALLOON] = {"BALLOON", 7, false}, [COL_USED] = {"USED", 6, false},
    [COL_CACHE] = {"CACHE", 6, false}, [COL_SWAP] = {"SWAP/s", 6, false},     [COL_AGE] = {"AGE", 5, false},
    [COL_KSM] = {"KSM", 6, false},     [COL_PROFIT] = {"PROFIT", 6, false},   [COL_RSS] = {"RSS", 6, false},
    [COL_COST] = {"COST", 6, false},   [COL_PSI] = {"PSI%", 5, false},        [COL_FLAGS] = {"FLAGS", 5, true},
};

/* Columns that give way to a narrow terminal, the first first.  RSS
 * double-counts merged pages and goes before what explains overcommit;
 * the name, the maximum and the flags always stay. */
static const enum top_col drop_order[] = {COL_RSS,  COL_PSI,  COL_CACHE, COL_AGE,     COL_PROFIT, COL_SWAP,
                                          COL_COST, COL_USED, COL_KSM,   COL_BALLOON, COL_STATE,  COL_CUR};

const char *top_col_heading(enum top_col c)
{
	return c >= 0 && c < COL_COUNT ? cols[c].heading : "?";
}

int top_col_width(enum top_col c)
{
	return c >= 0 && c < COL_COUNT ? cols[c].width : 0;
}

int top_col_lookup(const char *name, enum top_col *out)
{
	for (int c = 0; c < COL_COUNT; c++) {
		if (strcasecmp(name, cols[c].heading) == 0) {
			*out = (enum top_col)c;
			return 0;
		}
	}
	return -ENOENT;
}

/* Length of the valid, printable UTF-8 sequence at s (not ASCII), or 0.
 * The C1 controls are refused too: terminals obey them as escapes. */
static size_t printable_seq(const unsigned char *s)
{
	uint32_t cp;
	size_t n = utf8_seq(s, &cp);

	return n > 0 && !(cp >= 0x80 && cp <= 0x9f) ? n : 0;
}

int top_display_name(const char *raw, char *out, size_t outsz, int max_cols)
{
	const unsigned char *s = (const unsigned char *)raw;
	size_t o = 0;
	int ncols = 0;

	if (outsz == 0)
		return 0;
	while (*s != '\0' && ncols < max_cols) {
		size_t n = *s >= 0x20 && *s < 0x7f ? 1 : printable_seq(s);
		const unsigned char *src = n > 0 ? s : (const unsigned char *)"?";
		size_t len = n > 0 ? n : 1;
		if (o + len + 2 > outsz)
			break;
		/* The last column shows '~' when more of the name follows. */
		if (ncols == max_cols - 1 && s[n > 0 ? n : 1] != '\0') {
			out[o++] = '~';
			ncols++;
			s += n > 0 ? n : 1;
			break;
		}
		memcpy(out + o, src, len);
		o += len;
		ncols++;
		s += n > 0 ? n : 1;
	}
	out[o] = '\0';
	return ncols;
}

void top_fmt_size(double bytes, char *out, size_t outsz)
{
	static const char units[] = "BKMGTPE";
	const char *sign = bytes < 0 ? "-" : "";
	double x = fabs(bytes);
	int u = 0;

	while (x >= 1024 && u < 6) {
		x /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outsz, "%s%.0f%c", sign, x, units[u]);
	else if (x < 9.95)
		snprintf(out, outsz, "%s%.1f%c", sign, x, units[u]);
	else
		snprintf(out, outsz, "%s%.0f%c", sign, x, units[u]);
}

static void fmt_age(uint64_t s, char *out, size_t outsz)
{
	if (s < 100)
		snprintf(out, outsz, "%llus", (unsigned long long)s);
	else if (s < 100 * 60)
		snprintf(out, outsz, "%llum", (unsigned long long)(s / 60));
	else if (s < 48 * 3600)
		snprintf(out, outsz, "%lluh", (unsigned long long)(s / 3600));
	else if (s < 1000ULL * 86400)
		snprintf(out, outsz, "%llud", (unsigned long long)(s / 86400));
	else
		snprintf(out, outsz, ">999d"); /* the column's width; --json has the number */
}

static int longest_name(const struct top_view *v)
{
	char tmp[TOP_NAME_MAX * 4 + 2];
	int longest = (int)strlen(cols[COL_NAME].heading);

	for (size_t i = 0; i < v->nrows; i++) {
		int n = top_display_name(v->rows[i].name, tmp, sizeof(tmp), TOP_NAME_MAX + 1);
		if (n > longest)
			longest = n;
	}
	return longest > TOP_NAME_MAX ? TOP_NAME_MAX : longest;
}

static int width_of(const struct top_layout *lay, enum top_col c)
{
	return c == COL_FLAGS ? lay->flags_w : cols[c].width;
}

/* The most flag letters a row has, and room for the heading. */
static int flags_width(const struct top_view *v)
{
	int w = (int)strlen(cols[COL_FLAGS].heading);

	for (size_t i = 0; i < v->nrows; i++) {
		int n = __builtin_popcount(v->rows[i].flags);
		w = n > w ? n : w;
	}
	return w;
}

void top_layout_compute(const struct top_view *v, int width, struct top_layout *lay)
{
	int longest = longest_name(v);
	int base = longest < 12 ? longest : 12;
	int total = base;

	memset(lay, 0, sizeof(*lay));
	lay->width = width;
	lay->flags_w = flags_width(v);
	for (int c = 1; c < COL_COUNT; c++) {
		lay->show[c] = v->has_col[c];
		total += lay->show[c] ? width_of(lay, (enum top_col)c) + 1 : 0;
	}
	lay->show[COL_NAME] = true;
	for (size_t i = 0; i < sizeof(drop_order) / sizeof(drop_order[0]) && total > width; i++) {
		if (lay->show[drop_order[i]]) {
			lay->show[drop_order[i]] = false;
			total -= width_of(lay, drop_order[i]) + 1;
		}
	}
	if (total > width)
		base = base - (total - width) > TOP_NAME_MIN ? base - (total - width) : TOP_NAME_MIN;
	else if (longest > base)
		base = longest - base < width - total ? longest : base + (width - total);
	lay->name_w = base;
}

int top_col_span(const struct top_layout *lay, enum top_col c, int *x, int *w)
{
	int pos = 0;

	if (c < 0 || c >= COL_COUNT || !lay->show[c])
		return -ENOENT;
	for (int i = 0; i < (int)c; i++)
		if (lay->show[i])
			pos += (i == COL_NAME ? lay->name_w : width_of(lay, (enum top_col)i)) + 1;
	*x = pos;
	*w = c == COL_NAME ? lay->name_w : width_of(lay, c);
	return 0;
}

/* The text of one cell. */
static void cell_text(const struct top_row *r, enum top_col c, char *out, size_t outsz)
{
	const struct mval *m = &r->v[c];
	size_t n = 0;

	if (c == COL_STATE) {
		snprintf(out, outsz, "%s", r->state.present ? top_state_name(r->state.v.i) : "-");
		return;
	}
	if (c == COL_FLAGS) {
		for (int i = 0; i < TF_COUNT && n + 1 < outsz; i++)
			if (r->flags & (1u << i))
				out[n++] = top_flag_letter(i);
		out[n] = '\0';
		return;
	}
	if (!m->present)
		snprintf(out, outsz, "-");
	else if (c == COL_AGE)
		fmt_age(m->v.u, out, outsz);
	else if (c == COL_PSI)
		snprintf(out, outsz, "%.1f", mval_as_double(m));
	else
		top_fmt_size(mval_as_double(m), out, outsz);
}

/* Appends text padded to w columns (text is ASCII or sanitised and at
 * most w columns). */
static void put_cell(struct buf *b, const char *text, int ncols, int w, bool left)
{
	if (!left)
		for (int i = ncols; i < w; i++)
			buf_putc(b, ' ');
	buf_puts(b, text);
	if (left)
		for (int i = ncols; i < w; i++)
			buf_putc(b, ' ');
}

/* Ends a line: trailing blanks go, so golden files hold no invisible
 * spaces. */
static void end_line(struct buf *b, size_t start)
{
	while (b->len > start && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	buf_putc(b, '\n');
}

int top_format_heads(const struct top_layout *lay, struct buf *b)
{
	size_t start = b->len;

	put_cell(b, cols[COL_NAME].heading, (int)strlen(cols[COL_NAME].heading), lay->name_w, true);
	for (int c = 1; c < COL_COUNT; c++) {
		if (!lay->show[c])
			continue;
		buf_putc(b, ' ');
		put_cell(b, cols[c].heading, (int)strlen(cols[c].heading), width_of(lay, (enum top_col)c),
		         cols[c].left);
	}
	end_line(b, start);
	return b->err;
}

int top_format_row(const struct top_layout *lay, const struct top_row *r, struct buf *b)
{
	char name[TOP_NAME_MAX * 4 + 2], text[32];
	size_t start = b->len;
	int n = top_display_name(r->name, name, sizeof(name), lay->name_w);

	put_cell(b, name, n, lay->name_w, true);
	for (int c = 1; c < COL_COUNT; c++) {
		if (!lay->show[c])
			continue;
		cell_text(r, (enum top_col)c, text, sizeof(text));
		buf_putc(b, ' ');
		put_cell(b, text, (int)strlen(text), width_of(lay, (enum top_col)c), cols[c].left);
	}
	end_line(b, start);
	return b->err;
}

/* The header is lines of segments; a segment that does not fit the rest
 * of a line starts the next one. */
struct seg_writer {
	struct buf *b;
	int width;
	int col; /* columns used on the current line */
};

/* Appends text[0..len) after sep blanks, or on a new line when it does
 * not fit the rest of this one. */
static void put_piece(struct seg_writer *w, const char *text, int len, int sep)
{
	if (len > w->width)
		len = w->width;
	if (w->col > 0 && w->col + sep + len > w->width) {
		buf_putc(w->b, '\n');
		w->col = 0;
	}
	for (int i = 0; w->col > 0 && i < sep; i++, w->col++)
		buf_putc(w->b, ' ');
	buf_append(w->b, text, (size_t)len);
	w->col += len;
}

/* A sentence: wrapped between words. */
static void words(struct seg_writer *w, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len > 0)
			put_piece(w, p, (int)len, 1);
		p += len;
	}
}

static void seg(struct seg_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A segment: kept whole, two blanks from the previous one; one wider
 * than the whole line is wrapped between its words. */
static void seg(struct seg_writer *w, const char *fmt, ...)
{
	char text[TOP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if ((int)strlen(text) > w->width)
		words(w, text);
	else
		put_piece(w, text, (int)strlen(text), 2);
}

static void seg_end(struct seg_writer *w)
{
	if (w->col > 0)
		buf_putc(w->b, '\n');
	w->col = 0;
}

/* A size or "-". */
static const char *sz(const struct mval *m, char *out, size_t outsz)
{
	if (!m->present)
		snprintf(out, outsz, "-");
	else
		top_fmt_size(mval_as_double(m), out, outsz);
	return out;
}

/* A number with prec decimals and a suffix, or "-". */
static const char *num(const struct mval *m, int prec, const char *suffix, char *out, size_t outsz)
{
	if (!m->present)
		snprintf(out, outsz, "-");
	else
		snprintf(out, outsz, "%.*f%s", prec, mval_as_double(m), suffix);
	return out;
}

static const char *ksm_state(const struct mval *m)
{
	if (!m->present)
		return "unknown";
	switch (m->v.u) {
	case 0:
		return "stopped";
	case 1:
		return "running";
	case 2:
		return "unmerging";
	default:
		return "unknown";
	}
}

static void header_sources(const struct top_view *v, struct seg_writer *w)
{
	bool first = true;

	/* Only what was asked for: a collector switched off answers nothing. */
	for (int c = 0; c < COLL_COUNT; c++) {
		const struct top_source *s = &v->src[c];
		if (!s->enabled)
			continue;
		const char *name = collector_name((enum collector_id)c);
		bool backend = collector_def((enum collector_id)c)->kind == COLLECTOR_BACKEND;
		const char *what = !s->ran      ? "idle"
		                   : s->success ? (backend ? "up" : "ok")
		                                : (backend ? "down" : "failed");
		seg(w, "%s%s %s", first ? "sources: " : "", name, what);
		first = false;
	}
	seg_end(w);
}

int top_format_header(const struct top_view *v, int width, struct buf *b)
{
	struct seg_writer w = {b, width, 0};
	const struct mval *h = v->host;
	char a[16], c[16];

	seg(&w, "mem %s total", sz(&h[HV_MEM_TOTAL], a, sizeof(a)));
	seg(&w, "%s available", sz(&h[HV_MEM_AVAILABLE], a, sizeof(a)));
	seg(&w, "overcommit %s (%s of maxima)", num(&h[HV_OVERCOMMIT], 2, "x", a, sizeof(a)),
	    sz(&h[HV_SUM_MAX], c, sizeof(c)));
	seg(&w, "ballooned out %s", sz(&h[HV_BALLOONED_OUT], a, sizeof(a)));
	seg_end(&w);
	seg(&w, "KSM %s", ksm_state(&h[HV_KSM_RUN]));
	seg(&w, "saved %s", sz(&h[HV_KSM_SAVED], a, sizeof(a)));
	seg(&w, "profit %s", sz(&h[HV_KSM_PROFIT], a, sizeof(a)));
	seg(&w, "sharing %s", num(&h[HV_KSM_RATIO], 2, "", a, sizeof(a)));
	seg(&w, "zero pages %s", sz(&h[HV_KSM_ZERO], a, sizeof(a)));
	seg(&w, "ksmd CPU %s", num(&h[HV_KSMD_CPU], 1, "%", a, sizeof(a)));
	seg(&w, "full scan %s", num(&h[HV_KSM_SCAN_TIME], 0, "s", a, sizeof(a)));
	seg(&w, "cow %s/s", num(&h[HV_KSM_COW_RATE], 1, "", a, sizeof(a)));
	seg_end(&w);
	header_sources(v, &w);
	if (!v->rates_ready) {
		words(&w, "rates (SWAP/s, PSI%, ksmd CPU, full scan, cow) need two collections: they appear from the "
		          "next refresh");
		seg_end(&w);
	}
	if (v->why[0] != '\0') {
		words(&w, v->why);
		seg_end(&w);
	}
	return b->err;
}

int top_format_table(const struct top_view *v, int width, const char *filter, struct buf *b)
{
	struct top_layout lay;

	top_layout_compute(v, width, &lay);
	top_format_header(v, width, b);
	buf_putc(b, '\n');
	top_format_heads(&lay, b);
	for (size_t i = 0; i < v->nrows; i++)
		if (top_row_matches(&v->rows[i], filter))
			top_format_row(&lay, &v->rows[i], b);
	return b->err;
}

int top_format_legend(int width, struct buf *b)
{
	struct seg_writer w = {b, width, 0};

	seg(&w, "MAX maximum, CUR balloon current, BALLOON ballooned out (MAX - CUR),");
	seg(&w, "USED guest used (available - usable), CACHE guest disk caches,");
	seg(&w, "SWAP/s guest swap in + out, AGE since the guest's last report,");
	seg(&w, "KSM merged pages, PROFIT KSM profit, RSS host RSS,");
	seg(&w, "COST host memory of the VM's cgroup, PSI%% its memory pressure");
	seg_end(&w);
	for (int i = 0; i < TF_COUNT; i++) {
		seg(&w, "%c  %s", top_flag_letter(i), top_flag_meaning(i));
		seg_end(&w);
	}
	return b->err;
}
