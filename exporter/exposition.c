/* exposition.c - Prometheus text format 0.0.4 through the sink interface. */
#include "exposition.h"

#include <errno.h>
#include <string.h>

/* Appends S with each byte of SPECIAL escaped (backslash, double quote
 * and newline are the only ones Prometheus knows).  The runs between
 * them are copied whole: a byte at a time costs a tenth of a scrape with
 * thousands of domains (see README, Performance). */
static void put_escaped(struct buf *b, const char *s, const char *special)
{
	for (;;) {
		size_t run = strcspn(s, special);
		if (run != 0)
			buf_append(b, s, run);
		s += run;
		if (*s == '\0')
			return;
		buf_puts(b, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n");
		s++;
	}
}

/* HELP text escapes backslash and newline only. */
static void put_help(struct buf *b, const char *s)
{
	put_escaped(b, s, "\\\n");
}

/* Label values also escape the double quote; other bytes, UTF-8
 * included, pass through unchanged. */
static void put_label_value(struct buf *b, const char *s)
{
	put_escaped(b, s, "\\\"\n");
}

static int expo_begin(void *ctx, const struct family *fam)
{
	struct buf *b = ctx;

	buf_printf(b, "# HELP %s ", fam->name);
	put_help(b, fam->help);
	buf_printf(b, "\n# TYPE %s %s\n", fam->name, fam->type == MT_COUNTER ? "counter" : "gauge");
	return b->err;
}

static int expo_sample(void *ctx, const struct family *fam, const struct dom_snap *dom, const struct label *labels,
                       size_t nlabels, const struct mval *value)
{
	struct buf *b = ctx;

	(void)dom;
	buf_puts(b, fam->name);
	if (nlabels > 0) {
		buf_putc(b, '{');
		for (size_t i = 0; i < nlabels; i++) {
			if (i > 0)
				buf_putc(b, ',');
			buf_puts(b, labels[i].name);
			buf_puts(b, "=\"");
			put_label_value(b, labels[i].value != NULL ? labels[i].value : "");
			buf_putc(b, '"');
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ' ');
	switch (value->kind) {
	case MV_U64:
		buf_put_u64(b, value->v.u);
		break;
	case MV_I64:
		buf_put_i64(b, value->v.i);
		break;
	default:
		buf_put_double(b, value->v.f);
		break;
	}
	buf_putc(b, '\n');
	return b->err;
}

void exposition_sink(struct sink *sink, struct buf *out)
{
	sink->ctx = out;
	sink->begin_family = expo_begin;
	sink->sample = expo_sample;
	sink->end_family = NULL;
}

int exposition_render(const struct snapshot *s, const struct build_labels *build, struct buf *out)
{
	struct sink sink;
	int r;

	exposition_sink(&sink, out);
	r = emit_snapshot(s, build, &sink);
	if (r == 0)
		r = out->err;
	return r != 0 ? r : 0;
}
