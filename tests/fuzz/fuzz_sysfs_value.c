/*
 * fuzz_sysfs_value.c - one-number sysfs files (parse_u64_value,
 * parse_i64_value) and ksm/advisor_mode (ksm_parse_advisor_mode).
 *
 * Besides surviving, each parser must leave its output untouched on
 * failure, and a number it accepts must be the digits of the input: the
 * value is printed back and looked for in the text.
 */
#include <errno.h>
#include <string.h>

#include "util/buf.h"
#include "fuzz.h"
#include "sources/ksm.h"
#include "util/parse.h"

#define SENTINEL_U 0x5a5a5a5a5a5a5a5aULL

/* Is the decimal text of a number (as buf_put_* writes it) in data? */
static int printed_in(const uint8_t *data, size_t size, struct buf *b)
{
	return b->len > 0 && b->len <= size && memmem(data, size, b->data, b->len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct buf b;
	uint64_t u = SENTINEL_U;
	int64_t i = (int64_t)SENTINEL_U;

	buf_init(&b, 64);
	int r = parse_u64_value(text, size, &u);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r != 0) {
		FUZZ_CHECK(u == SENTINEL_U);
	} else {
		/* Leading zeros are allowed, so compare without them. */
		buf_put_u64(&b, u);
		FUZZ_CHECK(u == 0 || printed_in(data, size, &b));
	}

	buf_reset(&b);
	r = parse_i64_value(text, size, &i);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r != 0) {
		FUZZ_CHECK(i == (int64_t)SENTINEL_U);
	} else if (i != 0) {
		/* The magnitude's digits are in the text ('+' and '-' aside). */
		buf_put_u64(&b, i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i);
		FUZZ_CHECK(printed_in(data, size, &b));
	}
	buf_free(&b);

	/* An output buffer of every small size, to catch off-by-one copies. */
	for (size_t outsz = 1; outsz <= 24; outsz += 7) {
		char out[32];
		memset(out, 'Z', sizeof(out));
		r = ksm_parse_advisor_mode(text, size, out, outsz);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		for (size_t k = outsz; k < sizeof(out); k++)
			FUZZ_CHECK(out[k] == 'Z');
		if (r != 0) {
			FUZZ_CHECK(out[0] == 'Z');
			continue;
		}
		size_t ol = strnlen(out, outsz);
		FUZZ_CHECK(ol > 0 && ol < outsz);
		/* The choice is the bracketed word of the input. */
		char want[34];
		want[0] = '[';
		memcpy(want + 1, out, ol);
		want[ol + 1] = ']';
		FUZZ_CHECK(memmem(data, size, want, ol + 2) != NULL);
	}
	return 0;
}
