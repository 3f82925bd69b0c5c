/*
 * table.h - kvmmem-top's text: the header lines, the column layout and
 * the rows, for --once and for the screen alike.
 *
 * Pure formatting into bounded buffers.  A narrow width drops whole
 * columns in a fixed order (top_drop_order) instead of wrapping, and the
 * header wraps between its segments, never inside one.  Names are
 * sanitised: control characters, escape sequences and invalid UTF-8 are
 * never written out raw.
 */
#ifndef KVMMEM_TOP_TABLE_H
#define KVMMEM_TOP_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "util/buf.h"

#define TOP_NAME_MIN 4
#define TOP_NAME_MAX 40
#define TOP_LINE_MAX 1024 /* the widest line kvmmem-top writes, in bytes */

struct top_layout {
	int width;
	int name_w;
	int flags_w; /* as many letters as a row has, at least the heading */
	bool show[COL_COUNT];
};

/* A column's heading and width in terminal columns. */
const char *top_col_heading(enum top_col c);
int top_col_width(enum top_col c);
/* A column by heading, case-insensitive ("max", "swap/s"); -ENOENT. */
int top_col_lookup(const char *name, enum top_col *out);

/* Which columns of v fit width and how wide the names are. */
void top_layout_compute(const struct top_view *v, int width, struct top_layout *lay);

/* Where column c starts in a row of lay and how wide it is; -ENOENT when
 * lay does not show it. */
int top_col_span(const struct top_layout *lay, enum top_col c, int *x, int *w);

/* The host header: lines of at most width columns, each ending in '\n'. */
int top_format_header(const struct top_view *v, int width, struct buf *b);
/* The column headings and one row, each one line ending in '\n', no
 * trailing blanks. */
int top_format_heads(const struct top_layout *lay, struct buf *b);
int top_format_row(const struct top_layout *lay, const struct top_row *r, struct buf *b);
/* Everything --once prints: header, a blank line, headings, the rows
 * that match filter (NULL: all). */
int top_format_table(const struct top_view *v, int width, const char *filter, struct buf *b);
/* The legend: what each flag letter means, lines of at most width. */
int top_format_legend(int width, struct buf *b);

/*
 * The name as it may be shown: printable ASCII and valid UTF-8 pass,
 * every other byte becomes '?'.  At most max_cols characters are kept;
 * a longer name ends in '~'.  Returns the number of columns written.
 */
int top_display_name(const char *raw, char *out, size_t outsz, int max_cols);

/* "3.2G", "512M", "0B", "-1.5G": binary units a person reads. */
void top_fmt_size(double bytes, char *out, size_t outsz);

#endif
