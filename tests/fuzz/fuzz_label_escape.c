/*
 * fuzz_label_escape.c - label values through the exposition sink, read
 * back by an independent parser.
 *
 * The input is split at its first NUL into two label values (label values
 * are C strings), written as one kvmmem_domain_info sample, and the line
 * is parsed here following the text format 0.0.4 (a label value is "..."
 * with \\, \" and \n as its only escapes).  The values read back must equal
 * the ones written and the line must hold nothing else.
 */
#include <string.h>

#include "util/buf.h"
#include "model/catalogue.h"
#include "exposition.h"
#include "fuzz.h"
#include "model/sink.h"

/* Reads one quoted label value at *p into out; 0 or -1. */
static int read_value(const char **p, const char *end, struct buf *out)
{
	const char *s = *p;
	if (s >= end || *s++ != '"')
		return -1;
	while (s < end && *s != '"') {
		char c = *s++;
		if (c == '\n')
			return -1; /* a raw newline would end the sample line */
		if (c == '\\') {
			if (s >= end)
				return -1;
			char e = *s++;
			if (e == '\\')
				c = '\\';
			else if (e == '"')
				c = '"';
			else if (e == 'n')
				c = '\n';
			else
				return -1;
		}
		buf_putc(out, c);
	}
	if (s >= end)
		return -1;
	*p = s + 1;
	return 0;
}

static int expect(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 2);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	in[size + 1] = '\0';
	const char *v1 = in;
	const char *v2 = in + strlen(in) + 1; /* "" when there was no NUL */

	const struct family *fam = &catalogue[FAM_DOMAIN_INFO];
	struct label labels[2] = {{"domain", v1}, {"uuid", v2}};
	struct mval one;
	mval_set_u64(&one, 1);
	struct buf out, got;
	struct sink sink;
	buf_init(&out, 1 << 20);
	buf_init(&got, 1 << 20);
	exposition_sink(&sink, &out);
	FUZZ_CHECK(sink.sample(sink.ctx, fam, NULL, labels, 2, &one) == 0);

	const char *p = out.data;
	const char *end = out.data + out.len;
	FUZZ_CHECK(expect(&p, end, fam->name) == 0);
	FUZZ_CHECK(expect(&p, end, "{domain=") == 0);
	FUZZ_CHECK(read_value(&p, end, &got) == 0);
	FUZZ_CHECK(got.len == strlen(v1) && memcmp(got.data ? got.data : "", v1, got.len) == 0);
	buf_reset(&got);
	FUZZ_CHECK(expect(&p, end, ",uuid=") == 0);
	FUZZ_CHECK(read_value(&p, end, &got) == 0);
	FUZZ_CHECK(got.len == strlen(v2) && memcmp(got.data ? got.data : "", v2, got.len) == 0);
	FUZZ_CHECK(expect(&p, end, "} 1\n") == 0);
	FUZZ_CHECK(p == end);
	/* Exactly one line: the value's newlines must all be escaped. */
	FUZZ_CHECK(memchr(out.data, '\n', out.len) == end - 1);

	buf_free(&out);
	buf_free(&got);
	free(in);
	return 0;
}
