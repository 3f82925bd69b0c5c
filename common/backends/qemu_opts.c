/* qemu_opts.c - QEMU option values (keyval text or JSON), sizes, UUIDs. */
#include "backends/qemu_opts.h"

#include <errno.h>
#include <string.h>

void qopt_begin(struct opt_iter *it, const char *v, size_t len, const char *implied)
{
	it->p = v;
	it->end = v + len;
	it->implied = implied;
	it->first = true;
	it->done = false;
	it->json = len > 0 && v[0] == '{';
	if (it->json)
		it->p++;
}

static void put(char *dst, size_t cap, size_t *n, bool *ok, char c)
{
	if (*n + 1 < cap)
		dst[(*n)++] = c;
	else
		*ok = false;
	dst[*n] = '\0';
}

/* A keyval value up to the next single ',' (",," is a comma). */
static void keyval_value(struct opt_iter *it, char *dst, size_t cap, size_t *n, bool *ok)
{
	dst[0] = '\0';
	while (it->p < it->end) {
		char c = *it->p++;
		if (c == ',') {
			if (it->p < it->end && *it->p == ',') {
				it->p++;
			} else {
				break;
			}
		}
		put(dst, cap, n, ok, c);
	}
}

static int keyval_next(struct opt_iter *it, struct opt_kv *kv)
{
	if (it->p >= it->end)
		return 0;
	/* Is there a '=' before the item ends? */
	bool has_eq = false;
	for (const char *q = it->p; q < it->end; q++) {
		if (*q == '=') {
			has_eq = true;
			break;
		}
		if (*q == ',') {
			if (q + 1 < it->end && q[1] == ',') {
				q++;
				continue;
			}
			break;
		}
	}
	size_t kn = 0, vn = 0;
	kv->ok = true;
	kv->implied = false;
	kv->key[0] = '\0';
	if (has_eq) {
		while (*it->p != '=')
			put(kv->key, QOPT_KEY_MAX, &kn, &kv->ok, *it->p++);
		it->p++;
		keyval_value(it, kv->val, QOPT_VAL_MAX, &vn, &kv->ok);
	} else if (it->first && it->implied) {
		size_t il = strlen(it->implied);
		memcpy(kv->key, it->implied, il + 1);
		kv->implied = true;
		keyval_value(it, kv->val, QOPT_VAL_MAX, &vn, &kv->ok);
	} else {
		/* A bare flag is "flag=on" to QemuOpts. */
		keyval_value(it, kv->key, QOPT_KEY_MAX, &kn, &kv->ok);
		memcpy(kv->val, "on", 3);
		vn = 2;
	}
	kv->vlen = vn;
	it->first = false;
	return 1;
}

static void json_ws(struct opt_iter *it)
{
	while (it->p < it->end && (*it->p == ' ' || *it->p == '\t' || *it->p == '\n' || *it->p == '\r'))
		it->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A JSON string at it->p (the opening quote), decoded into dst. */
static int json_string(struct opt_iter *it, char *dst, size_t cap, size_t *n, bool *ok)
{
	dst[0] = '\0';
	it->p++;
	while (it->p < it->end) {
		unsigned char c = (unsigned char)*it->p++;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			put(dst, cap, n, ok, (char)c);
			continue;
		}
		if (it->p >= it->end)
			return -EINVAL;
		c = (unsigned char)*it->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			put(dst, cap, n, ok, (char)c);
			break;
		case 'b':
			put(dst, cap, n, ok, '\b');
			break;
		case 'f':
			put(dst, cap, n, ok, '\f');
			break;
		case 'n':
			put(dst, cap, n, ok, '\n');
			break;
		case 'r':
			put(dst, cap, n, ok, '\r');
			break;
		case 't':
			put(dst, cap, n, ok, '\t');
			break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4; i++) {
				int h = it->p < it->end ? hexval(*it->p++) : -1;
				if (h < 0)
					return -EINVAL;
				cp = cp << 4 | (unsigned)h;
			}
			/* A NUL or half a surrogate pair cannot be a name or a
			 * path: the value matches nothing. */
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
				*ok = false;
			} else if (cp < 0x80) {
				put(dst, cap, n, ok, (char)cp);
			} else if (cp < 0x800) {
				put(dst, cap, n, ok, (char)(0xc0 | cp >> 6));
				put(dst, cap, n, ok, (char)(0x80 | (cp & 0x3f)));
			} else {
				put(dst, cap, n, ok, (char)(0xe0 | cp >> 12));
				put(dst, cap, n, ok, (char)(0x80 | ((cp >> 6) & 0x3f)));
				put(dst, cap, n, ok, (char)(0x80 | (cp & 0x3f)));
			}
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

/* Skips a nested object or array (no recursion, so no depth limit). */
static int json_skip_nested(struct opt_iter *it)
{
	size_t depth = 0;
	while (it->p < it->end) {
		char c = *it->p;
		if (c == '"') {
			char dummy[1];
			size_t n = 0;
			bool ok = true;
			if (json_string(it, dummy, 1, &n, &ok) < 0)
				return -EINVAL;
			continue;
		}
		it->p++;
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return 0;
	}
	return -EINVAL;
}

static int json_next(struct opt_iter *it, struct opt_kv *kv)
{
	if (it->done)
		return 0;
	json_ws(it);
	if (it->p < it->end && *it->p == '}') {
		it->done = true;
		return 0;
	}
	if (!it->first) {
		if (it->p >= it->end || *it->p != ',')
			return -EINVAL;
		it->p++;
		json_ws(it);
	}
	if (it->p >= it->end || *it->p != '"')
		return -EINVAL;
	size_t kn = 0, vn = 0;
	kv->ok = true;
	kv->implied = false;
	if (json_string(it, kv->key, QOPT_KEY_MAX, &kn, &kv->ok) < 0)
		return -EINVAL;
	json_ws(it);
	if (it->p >= it->end || *it->p != ':')
		return -EINVAL;
	it->p++;
	json_ws(it);
	if (it->p >= it->end)
		return -EINVAL;
	kv->val[0] = '\0';
	if (*it->p == '"') {
		if (json_string(it, kv->val, QOPT_VAL_MAX, &vn, &kv->ok) < 0)
			return -EINVAL;
	} else if (*it->p == '{' || *it->p == '[') {
		if (json_skip_nested(it) < 0)
			return -EINVAL;
		kv->ok = false;
	} else {
		/* A number, true, false or null. */
		while (it->p < it->end && (hexval(*it->p) >= 0 || (*it->p >= 'a' && *it->p <= 'z') || *it->p == '.' ||
		                           *it->p == '+' || *it->p == '-'))
			put(kv->val, QOPT_VAL_MAX, &vn, &kv->ok, *it->p++);
		if (vn == 0)
			return -EINVAL;
	}
	kv->vlen = vn;
	it->first = false;
	return 1;
}

/* The next pair: 1, 0 at the end, -EINVAL when the rest is malformed
 * (the pairs before it stand). */
int qopt_next(struct opt_iter *it, struct opt_kv *kv)
{
	return it->json ? json_next(it, kv) : keyval_next(it, kv);
}

bool qopt_is(const struct opt_kv *kv, const char *key)
{
	return kv->ok && strcmp(kv->key, key) == 0;
}

/* QEMU's boolean spellings (qapi_bool_parse).  -1 for anything else. */
int qopt_bool(const struct opt_kv *kv)
{
	static const char *const yes[] = {"on", "yes", "true", "y"};
	static const char *const no[] = {"off", "no", "false", "n"};
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(kv->val, yes[i]) == 0)
			return 1;
		if (strcmp(kv->val, no[i]) == 0)
			return 0;
	}
	return -1;
}

int qemu_parse_size(const char *s, size_t len, unsigned default_shift, uint64_t *out)
{
	size_t i = 0;
	unsigned __int128 ival = 0, frac = 0, fden = 1;
	bool digits = false, hex = false;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		hex = true;
		i = 2;
		for (; i < len && hexval(s[i]) >= 0; i++) {
			ival = ival * 16 + (unsigned)hexval(s[i]);
			digits = true;
			if (ival > UINT64_MAX)
				return -ERANGE;
		}
	} else {
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			ival = ival * 10 + (unsigned)(s[i] - '0');
			digits = true;
			if (ival > UINT64_MAX)
				return -ERANGE;
		}
		if (i < len && s[i] == '.') {
			i++;
			/* 18 digits of fraction are below any unit's precision. */
			for (size_t nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
				if (nd < 18) {
					frac = frac * 10 + (unsigned)(s[i] - '0');
					fden *= 10;
				}
				digits = true;
			}
		}
	}
	if (!digits)
		return -EINVAL;
	unsigned shift = default_shift;
	if (i < len) {
		static const char units[] = "BKMGTPE";
		char u = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
		const char *at = memchr(units, u, sizeof(units) - 1);
		if (!at || i + 1 != len)
			return -EINVAL;
		shift = (unsigned)(at - units) * 10;
	}
	/* A fraction of a byte is not a size (QEMU refuses it too). */
	if (frac != 0 && (shift == 0 || hex))
		return -EINVAL;
	unsigned __int128 v = ival << shift;
	if (v > UINT64_MAX || (ival != 0 && (v >> shift) != ival))
		return -ERANGE;
	v += (frac << shift) / fden;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

bool qemu_uuid_valid(const char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : hexval(s[i]) < 0)
			return false;
	}
	return true;
}
