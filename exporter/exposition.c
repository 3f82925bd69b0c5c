/* exposition.c - Prometheus text format 0.0.4 through the sink interface. */
#include "exposition.h"

#include <errno.h>

/* HELP text escapes backslash and newline only. */
static void put_help(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
}

/* Label values also escape the double quote; other bytes, UTF-8
 * included, pass through unchanged. */
static void put_label_value(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '"')
			buf_puts(b, "\\\"");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
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
