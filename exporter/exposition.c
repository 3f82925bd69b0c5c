/* exposition.c - Prometheus text format 0.0.4 through the sink interface. */
#include "exposition.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The one escaping rule of the text format: backslash and newline become
 * \\ and \n, and in label values (quote) the double quote becomes \";
 * every other byte, UTF-8 included, passes through.  Writes at most 2 * n
 * bytes to dst and returns how many.  The runs between special bytes are
 * copied whole, not a byte at a time.
 */
static size_t escape_into(char *dst, const char *src, size_t n, bool quote)
{
	char *p = dst;
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && src[run] != '\\' && src[run] != '\n' && (src[run] != '"' || !quote))
			run++;
		memcpy(p, src + i, run - i);
		p += run - i;
		if (run == n)
			break;
		*p++ = '\\';
		*p++ = src[run] == '\n' ? 'n' : src[run];
		i = run + 1;
	}
	return (size_t)(p - dst);
}

/* Appends s escaped, through a stack buffer a piece at a time. */
static void put_escaped(struct buf *b, const char *s, bool quote)
{
	char out[512];
	size_t len = strlen(s);
	while (len > 0) {
		size_t n = len < sizeof(out) / 2 ? len : sizeof(out) / 2;
		buf_append(b, out, escape_into(out, s, n, quote));
		s += n;
		len -= n;
	}
}

/* HELP text escapes backslash and newline only. */
static void put_help(struct buf *b, const char *s)
{
	put_escaped(b, s, false);
}

/* Label values also escape the double quote. */
static void put_label_value(struct buf *b, const char *s)
{
	put_escaped(b, s, true);
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

/*
 * The sink exposition_render() uses: the same text as exposition_sink(),
 * but a per-domain sample, the bulk of a large host's document, is one
 * append of a line assembled on the stack, with the domain's escaped
 * '{domain="..."}' made once per render instead of once per family.
 */
struct render {
	struct buf *out;
	const struct snapshot *s;
	struct buf pre;           /* every domain's '{domain="<escaped>"}', back to back */
	size_t *pre_off;          /* domain i's is pre.data[pre_off[i] .. pre_off[i + 1]) */
	const struct family *fam; /* the family whose name length is cached */
	size_t fam_len;

	/* Streaming (exposition_stream()): out is a piece, handed to write
	 * once it reaches EXPOSITION_PIECE bytes; NULL when out is the
	 * whole document. */
	exposition_write_fn write;
	void *wctx;
	size_t max;     /* cap on the whole document */
	size_t written; /* bytes handed to write so far, at most max */
};

/* Longest line the fast path assembles; longer ones take the slow path. */
#define LINE_MAX_FAST 512

static void render_prefixes(struct render *r)
{
	const struct snapshot *s = r->s;
	buf_init(&r->pre, SIZE_MAX / 2);
	r->pre_off = malloc((s->ndoms + 1) * sizeof(*r->pre_off));
	if (!r->pre_off)
		return;
	for (size_t i = 0; i < s->ndoms; i++) {
		r->pre_off[i] = r->pre.len;
		buf_puts(&r->pre, "{domain=\"");
		put_label_value(&r->pre, s->doms[i].name);
		buf_puts(&r->pre, "\"}");
	}
	r->pre_off[s->ndoms] = r->pre.len;
	if (buf_failed(&r->pre)) {
		free(r->pre_off);
		r->pre_off = NULL;
	}
}

/* Hands the piece gathered so far on, counting it against the cap: a
 * document past max fails with -E2BIG exactly as a buffer capped at max
 * would. */
static int render_flush(struct render *r)
{
	struct buf *b = r->out;

	if (b->err != 0)
		return b->err;
	if (b->len > r->max - r->written)
		return -E2BIG;
	int rc = r->write(r->wctx, b->data, b->len);
	if (rc != 0)
		return rc;
	r->written += b->len;
	buf_reset(b);
	return 0;
}

/* After each append: a full piece goes on when streaming. */
static int render_after(struct render *r, int rc)
{
	if (rc == 0 && r->write != NULL && r->out->len >= EXPOSITION_PIECE)
		rc = render_flush(r);
	return rc;
}

static int render_begin(void *ctx, const struct family *fam)
{
	struct render *r = ctx;
	return render_after(r, expo_begin(r->out, fam));
}

/* Decimal digits of v ending at end; returns where they start. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/* Appends what expo_sample() writes after the labels: ' ', the value and
 * the newline.  Integers are formatted here; a double goes through buf. */
static size_t put_value(char *p, const struct mval *value)
{
	char num[24], *end = num + sizeof(num), *d;
	if (value->kind == MV_U64) {
		d = u64_digits(end, value->v.u);
	} else if (value->v.i >= 0) {
		d = u64_digits(end, (uint64_t)value->v.i);
	} else {
		/* Negated in unsigned arithmetic so INT64_MIN does not overflow. */
		d = u64_digits(end, (uint64_t)0 - (uint64_t)value->v.i);
		*--d = '-';
	}
	size_t n = (size_t)(end - d);
	p[0] = ' ';
	memcpy(p + 1, d, n);
	p[n + 1] = '\n';
	return n + 2;
}

/* Worst case of put_value(): ' ', '-', 20 digits, '\n'. */
#define VALUE_MAX 23

static int render_line(struct render *r, const struct family *fam, const struct dom_snap *dom,
                       const struct label *labels, size_t nlabels, const struct mval *value)
{
	const struct snapshot *s = r->s;
	/* Only a per-domain sample whose first label is the domain's own name
	 * (what emit.c passes) has its prefix made in advance; other labels
	 * of such a sample (uuid, config) are short and escaped here. */
	if (!r->pre_off || !dom || dom < s->doms || dom >= s->doms + s->ndoms || nlabels == 0 ||
	    labels[0].value != dom->name || strcmp(labels[0].name, "domain") != 0 || value->kind == MV_F64)
		return expo_sample(r->out, fam, dom, labels, nlabels, value);
	if (fam != r->fam) {
		r->fam = fam;
		r->fam_len = strlen(fam->name);
	}
	size_t i = (size_t)(dom - s->doms);
	size_t plen = r->pre_off[i + 1] - r->pre_off[i];
	char line[LINE_MAX_FAST], *p = line, *lim = line + sizeof(line);
	if (r->fam_len + plen + 1 + VALUE_MAX > sizeof(line))
		return expo_sample(r->out, fam, dom, labels, nlabels, value);
	memcpy(p, fam->name, r->fam_len);
	p += r->fam_len;
	/* The prefix without its closing '}'. */
	memcpy(p, r->pre.data + r->pre_off[i], plen - 1);
	p += plen - 1;
	for (size_t k = 1; k < nlabels; k++) {
		const char *v = labels[k].value != NULL ? labels[k].value : "";
		size_t nl = strlen(labels[k].name), vl = strlen(v);
		/* ,name="value" with every byte of value escaped at worst. */
		if ((size_t)(lim - p) < 1 + nl + 2 + 2 * vl + 1 + 1 + VALUE_MAX)
			return expo_sample(r->out, fam, dom, labels, nlabels, value);
		*p++ = ',';
		memcpy(p, labels[k].name, nl);
		p += nl;
		*p++ = '=';
		*p++ = '"';
		p += escape_into(p, v, vl, true);
		*p++ = '"';
	}
	*p++ = '}';
	p += put_value(p, value);
	return buf_append(r->out, line, (size_t)(p - line));
}

static int render_sample(void *ctx, const struct family *fam, const struct dom_snap *dom, const struct label *labels,
                         size_t nlabels, const struct mval *value)
{
	struct render *r = ctx;
	return render_after(r, render_line(r, fam, dom, labels, nlabels, value));
}

static int render_run(struct render *r, const struct snapshot *s, const struct build_labels *build)
{
	struct sink sink = {.ctx = r, .begin_family = render_begin, .sample = render_sample, .end_family = NULL};
	int rc;

	render_prefixes(r);
	rc = emit_snapshot(s, build, &sink);
	if (rc == 0)
		rc = r->out->err;
	free(r->pre_off);
	buf_free(&r->pre);
	return rc;
}

int exposition_render(const struct snapshot *s, const struct build_labels *build, struct buf *out)
{
	struct render r = {.out = out, .s = s};
	return render_run(&r, s, build);
}

int exposition_stream(const struct snapshot *s, const struct build_labels *build, size_t max, exposition_write_fn write,
                      void *ctx, size_t *total)
{
	struct buf piece;
	struct render r = {.out = &piece, .s = s, .write = write, .wctx = ctx, .max = max};
	int rc;

	buf_init(&piece, max);
	/* A piece never grows past its size and the line that crosses it. */
	buf_presize(&piece, EXPOSITION_PIECE + LINE_MAX_FAST);
	rc = render_run(&r, s, build);
	if (rc == 0 && piece.len > 0)
		rc = render_flush(&r);
	buf_free(&piece);
	if (rc == 0)
		*total = r.written;
	return rc;
}
