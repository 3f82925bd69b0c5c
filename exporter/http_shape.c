/* http_shape.c - refuses requests shaped to be read two ways: conflicting lengths, odd names, folds, NULs, Host. */
#include "http_shape.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mhd_compat.h"

struct shape {
	unsigned host, length, te;
	const char *end; /* where the previous header's value ended in the read buffer */
	const char *why;
};

/* libmicrohttpd 0.9.75 parses the headers in place: it ends each name and
 * value with a NUL and leaves the line's end in the buffer, so between one
 * value's end and the next name there is only that ("\0\n", blanks it
 * trimmed).  Anything else there was hidden by a NUL or swallowed by a
 * fold.  Pointers that are not in order (a copy somewhere else) are not
 * judged. */
static bool hidden_between(const char *from, const char *to)
{
	if (from == NULL || to <= from || to - from > 64 * 1024)
		return false;
	for (const char *c = from; c < to; c++) {
		if (*c != '\0' && *c != '\r' && *c != '\n' && *c != ' ' && *c != '\t')
			return true;
	}
	return false;
}

/* After the last value libmicrohttpd has overwritten the line's end and
 * the empty line with NULs, and what follows is old buffer content; so
 * only the byte after the value's own terminator is judged: a NUL that a
 * client sent inside the value leaves the value's rest there. */
static bool hidden_after_last(const char *from)
{
	return from != NULL && from[1] != '\0' && from[1] != '\r' && from[1] != '\n' && from[1] != ' ' &&
	       from[1] != '\t';
}

static mhd_result look(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
                       size_t value_size)
{
	struct shape *s = cls;

	(void)kind;
	if (s->why != NULL)
		return MHD_NO;
	if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size) || hidden_between(s->end, key)) {
		s->why = "a NUL byte or a fold in a header";
		return MHD_NO;
	}
	/* libmicrohttpd keeps what stood before the colon, blanks included
	 * ("Transfer-Encoding :"), and joins a folded line to the value. */
	if (strpbrk(key, " \t\r\n") != NULL) {
		s->why = "a blank in a header name";
		return MHD_NO;
	}
	if (value != NULL && strpbrk(value, "\r\n") != NULL) {
		s->why = "a folded header";
		return MHD_NO;
	}
	s->end = value != NULL ? value + value_size : key + key_size;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		s->host++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		s->length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		s->te++;
	return MHD_YES;
}

const char *http_shape_refusal(struct MHD_Connection *conn, const struct raw_line *line, const char *version)
{
	struct shape s = {0};

	/* The request line "METHOD URI VERSION": libmicrohttpd ends the URI
	 * with a NUL where the blank before the version was, so a URI that
	 * ends earlier hid a NUL (or more blanks). */
	if (line != NULL && line->uri != NULL && version != NULL && line->uri + line->len + 1 != version)
		return "a NUL byte in the request line";
	(void)MHD_get_connection_values_n(conn, MHD_HEADER_KIND, look, &s);
	if (s.why == NULL && hidden_after_last(s.end))
		s.why = "a NUL byte in a header";
	if (s.why != NULL)
		return s.why;
	if (s.te > 0)
		return "a Transfer-Encoding header";
	if (s.length > 1)
		return "more than one Content-Length header";
	if (s.host > 1)
		return "more than one Host header";
	if (s.host == 0 && version != NULL && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
		return "no Host header";
	return NULL;
}
