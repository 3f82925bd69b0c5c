/* webconfig.c - exporter-toolkit web config YAML (libyaml) into struct webconfig. */
#include "webconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "util/errbuf.h"

/* One parse: the document, the struct being filled and the error text. */
struct wc_parse {
	yaml_document_t *doc;
	struct webconfig *wc;
	char *err;
	size_t errsz;
	int tls_line;  /* line of tls_server_config, for the checks that span keys */
	bool tls_keys; /* any tls_server_config key was given */
};

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static const char *const client_auth_names[] = {
    [WC_NO_CLIENT_CERT] = "NoClientCert",
    [WC_REQUEST_CLIENT_CERT] = "RequestClientCert",
    [WC_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
    [WC_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
    [WC_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

const char *webconfig_client_auth_name(enum wc_client_auth a)
{
	if ((unsigned)a >= sizeof(client_auth_names) / sizeof(client_auth_names[0]))
		return "?";
	return client_auth_names[a];
}

static const char *tls_version_name(enum wc_tls_version v)
{
	switch (v) {
	case WC_TLS10:
		return "TLS10";
	case WC_TLS11:
		return "TLS11";
	case WC_TLS12:
		return "TLS12";
	default:
		return "TLS13";
	}
}

/* A plain scalar that YAML reads as null: the key is then as if absent. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

/* The scalar's text, refusing other node kinds and embedded NUL bytes. */
static int scalar(struct wc_parse *p, const yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: %s must be a string", line_of(n), what);
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: %s contains a NUL byte", line_of(n), what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int dup_string(struct wc_parse *p, const char *s, char **out)
{
	char *d = strdup(s);

	if (d == NULL)
		return errbuf_fail(p->err, p->errsz, -ENOMEM, "out of memory");
	*out = d;
	return 0;
}

/* A non-empty string value for key what, copied into *out. */
static int string_value(struct wc_parse *p, const yaml_node_t *n, const char *what, char **out)
{
	const char *s = NULL;
	int rc = scalar(p, n, what, &s);

	if (rc != 0)
		return rc;
	if (s[0] == '\0')
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: %s is empty", line_of(n), what);
	return dup_string(p, s, out);
}

/*
 * Calls fn for every key of mapping n (NULL or null: no keys), refusing
 * non-mappings, non-string keys and duplicate keys.  section names the
 * mapping in messages.
 */
typedef int (*pair_fn)(struct wc_parse *p, const char *key, const yaml_node_t *k, const yaml_node_t *v);

static int each_pair(struct wc_parse *p, const yaml_node_t *n, const char *section, pair_fn fn)
{
	if (n == NULL || is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: %s must be a mapping", line_of(n), section);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *key;
		int rc;

		if (k == NULL || v == NULL)
			return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: broken mapping in %s", line_of(n),
			                   section);
		if (k->type != YAML_SCALAR_NODE)
			return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: a key in %s must be a string",
			                   line_of(k), section);
		rc = scalar(p, k, "a key", &key);
		if (rc != 0)
			return rc;
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
			const yaml_node_t *k2 = yaml_document_get_node(p->doc, q->key);
			if (k2 != NULL && k2->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)k2->data.scalar.value, key) == 0)
				return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: duplicate key '%s' in %s",
				                   line_of(k), key, section);
		}
		rc = fn(p, key, k, v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- tls_server_config -------------------------------------------------- */

static int tls_version(struct wc_parse *p, const yaml_node_t *v, const char *what, enum wc_tls_version *out)
{
	static const struct {
		const char *name;
		enum wc_tls_version v;
	} vers[] = {{"TLS10", WC_TLS10}, {"TLS11", WC_TLS11}, {"TLS12", WC_TLS12}, {"TLS13", WC_TLS13}};
	const char *s;
	int rc = scalar(p, v, what, &s);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		if (strcmp(s, vers[i].name) == 0) {
			*out = vers[i].v;
			return 0;
		}
	}
	return errbuf_fail(p->err, p->errsz, -EINVAL,
	                   "line %d: %s: unknown value '%s', expected TLS10, TLS11, TLS12 or TLS13", line_of(v), what,
	                   s);
}

static int tls_pair(struct wc_parse *p, const char *key, const yaml_node_t *k, const yaml_node_t *v)
{
	/* Toolkit keys kvmmem refuses rather than ignores: each changes who
	 * may connect or how, so ignoring one would weaken the set-up. */
	static const char *const unsupported[] = {"cert",
	                                          "key",
	                                          "client_ca",
	                                          "client_allowed_sans",
	                                          "cipher_suites",
	                                          "curve_preferences",
	                                          "prefer_server_cipher_suites"};
	static const char *const known[] = {"cert_file",   "key_file",    "client_ca_file",
	                                    "min_version", "max_version", "client_auth_type"};
	struct webconfig *wc = p->wc;
	const char *s;
	bool is_known = false;
	int rc;

	/* An unknown or unsupported key is refused whatever its value, a
	 * blank one too ("bogus_key:"): it is a typo or a setting ignored. */
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (strcmp(key, unsupported[i]) == 0)
			return errbuf_fail(p->err, p->errsz, -EINVAL,
			                   "line %d: tls_server_config.%s is not supported by kvmmem", line_of(k), key);
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		is_known |= strcmp(key, known[i]) == 0;
	if (!is_known)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: unknown key '%s' in tls_server_config",
		                   line_of(k), key);
	if (is_null(v))
		return 0;
	p->tls_keys = true;
	if (strcmp(key, "cert_file") == 0)
		return string_value(p, v, "tls_server_config.cert_file", &wc->cert_file);
	if (strcmp(key, "key_file") == 0)
		return string_value(p, v, "tls_server_config.key_file", &wc->key_file);
	if (strcmp(key, "client_ca_file") == 0)
		return string_value(p, v, "tls_server_config.client_ca_file", &wc->client_ca_file);
	if (strcmp(key, "min_version") == 0)
		return tls_version(p, v, "tls_server_config.min_version", &wc->min_version);
	if (strcmp(key, "max_version") == 0)
		return tls_version(p, v, "tls_server_config.max_version", &wc->max_version);
	if (strcmp(key, "client_auth_type") == 0) {
		rc = scalar(p, v, "tls_server_config.client_auth_type", &s);
		if (rc != 0)
			return rc;
		for (size_t i = 0; i < sizeof(client_auth_names) / sizeof(client_auth_names[0]); i++) {
			if (strcmp(s, client_auth_names[i]) == 0) {
				wc->client_auth = (enum wc_client_auth)i;
				return 0;
			}
		}
		return errbuf_fail(
		    p->err, p->errsz, -EINVAL,
		    "line %d: tls_server_config.client_auth_type: unknown value '%s', expected NoClientCert, "
		    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
		    "RequireAndVerifyClientCert",
		    line_of(v), s);
	}
	return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: unknown key '%s' in tls_server_config", line_of(k),
	                   key);
}

/* The rules that span several tls_server_config keys. */
static int tls_check(struct wc_parse *p)
{
	struct webconfig *wc = p->wc;
	int line = p->tls_line;

	if (!p->tls_keys)
		return 0;
	if (wc->cert_file == NULL)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: tls_server_config: cert_file is missing", line);
	if (wc->key_file == NULL)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: tls_server_config: key_file is missing", line);
	if (wc->client_ca_file != NULL && wc->client_auth == WC_NO_CLIENT_CERT)
		return errbuf_fail(
		    p->err, p->errsz, -EINVAL,
		    "line %d: tls_server_config: client_ca_file is set but client_auth_type is NoClientCert", line);
	if (wc->client_ca_file == NULL &&
	    (wc->client_auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN || wc->client_auth == WC_REQUIRE_AND_VERIFY_CLIENT_CERT))
		return errbuf_fail(p->err, p->errsz, -EINVAL,
		                   "line %d: tls_server_config: client_auth_type %s needs client_ca_file", line,
		                   webconfig_client_auth_name(wc->client_auth));
	if (wc->min_version > wc->max_version)
		return errbuf_fail(p->err, p->errsz, -EINVAL,
		                   "line %d: tls_server_config: min_version %s is above max_version %s", line,
		                   tls_version_name(wc->min_version), tls_version_name(wc->max_version));
	wc->tls = true;
	return 0;
}

/* --- basic_auth_users ---------------------------------------------------- */

static bool is_bcrypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

int webconfig_check_hash(const char *hash, char *why, size_t whysz)
{
	/* $2b$NN$ then 22 characters of salt and 31 of hash. */
	if (strlen(hash) != 60 || hash[0] != '$' || hash[1] != '2' || strchr("aby", hash[2]) == NULL ||
	    hash[3] != '$' || hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$')
		return errbuf_fail(why, whysz, -EINVAL, "not a bcrypt hash");
	for (size_t i = 7; i < 60; i++) {
		if (!is_bcrypt_char(hash[i]))
			return errbuf_fail(why, whysz, -EINVAL, "not a bcrypt hash");
	}
	int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
	if (cost > WC_MAX_BCRYPT_COST)
		return errbuf_fail(why, whysz, -EINVAL,
		                   "bcrypt cost %d is above %d, the most a password check may cost", cost,
		                   WC_MAX_BCRYPT_COST);
	if (cost < WC_MIN_BCRYPT_COST)
		return errbuf_fail(why, whysz, -EINVAL, "weak bcrypt cost %d, at least %d needed", cost,
		                   WC_MIN_BCRYPT_COST);
	return 0;
}

static int user_pair(struct wc_parse *p, const char *key, const yaml_node_t *k, const yaml_node_t *v)
{
	struct webconfig *wc = p->wc;
	struct wc_user *u;
	char why[96];
	const char *hash;
	int rc;

	if (key[0] == '\0')
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: basic_auth_users: empty user name", line_of(k));
	/* Basic auth sends "user:password": a colon cannot be in a name. */
	if (strchr(key, ':') != NULL)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: basic_auth_users: user name '%s' contains ':'",
		                   line_of(k), key);
	if (is_null(v))
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: basic_auth_users.%s: no password hash",
		                   line_of(v), key);
	rc = scalar(p, v, "a password hash", &hash);
	if (rc != 0)
		return rc;
	if (webconfig_check_hash(hash, why, sizeof(why)) != 0)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: basic_auth_users.%s: %s", line_of(v), key, why);
	/* An unknown user is checked against the first user's hash: with
	 * one cost for all, a check takes as long whoever is named. */
	if (wc->nusers > 0 && strncmp(hash + 4, wc->users[0].hash + 4, 2) != 0)
		return errbuf_fail(p->err, p->errsz, -EINVAL,
		                   "line %d: basic_auth_users.%s: bcrypt cost %.2s differs from %s's %.2s: every user "
		                   "needs the same cost, or the time a check takes tells which names exist",
		                   line_of(v), key, hash + 4, wc->users[0].name, wc->users[0].hash + 4);
	u = realloc(wc->users, (wc->nusers + 1) * sizeof(*u));
	if (u == NULL)
		return errbuf_fail(p->err, p->errsz, -ENOMEM, "out of memory");
	wc->users = u;
	u = &wc->users[wc->nusers];
	u->name = strdup(key);
	u->hash = strdup(hash);
	if (u->name == NULL || u->hash == NULL) {
		free(u->name);
		free(u->hash);
		return errbuf_fail(p->err, p->errsz, -ENOMEM, "out of memory");
	}
	wc->nusers++;
	return 0;
}

/* --- http_server_config -------------------------------------------------- */

/* RFC 9110 token characters. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int header_pair(struct wc_parse *p, const char *key, const yaml_node_t *k, const yaml_node_t *v)
{
	/* What the exporter sets itself or what frames the message: a web
	 * config that changed these would corrupt responses. */
	static const char *const reserved[] = {"Content-Type",   "Content-Encoding",
	                                       "Content-Length", "Transfer-Encoding",
	                                       "Connection",     "Keep-Alive",
	                                       "Upgrade",        "Trailer",
	                                       "Date",           "Vary",
	                                       "Allow",          "WWW-Authenticate"};
	struct webconfig *wc = p->wc;
	struct wc_header *h;
	const char *val;
	int rc;

	if (key[0] == '\0')
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: http_server_config.headers: empty header name",
		                   line_of(k));
	for (const char *c = key; *c != '\0'; c++) {
		if (!is_tchar(*c))
			return errbuf_fail(p->err, p->errsz, -EINVAL,
			                   "line %d: http_server_config.headers: '%s' is not a valid header name",
			                   line_of(k), key);
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (strcasecmp(key, reserved[i]) == 0)
			return errbuf_fail(p->err, p->errsz, -EINVAL,
			                   "line %d: http_server_config.headers.%s cannot be set: the exporter sets it",
			                   line_of(k), key);
	}
	for (size_t i = 0; i < wc->nheaders; i++) {
		if (strcasecmp(key, wc->headers[i].name) == 0)
			return errbuf_fail(p->err, p->errsz, -EINVAL,
			                   "line %d: http_server_config.headers: '%s' given twice", line_of(k), key);
	}
	/* Blank means unset, as in the toolkit. */
	if (is_null(v))
		return 0;
	rc = scalar(p, v, "a header value", &val);
	if (rc != 0)
		return rc;
	if (val[0] == '\0')
		return 0;
	for (const char *c = val; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return errbuf_fail(
			    p->err, p->errsz, -EINVAL,
			    "line %d: http_server_config.headers.%s: the value contains a control character",
			    line_of(v), key);
	}
	if (strcasecmp(key, "X-Frame-Options") == 0 && strcasecmp(val, "deny") != 0 &&
	    strcasecmp(val, "sameorigin") != 0)
		return errbuf_fail(
		    p->err, p->errsz, -EINVAL,
		    "line %d: http_server_config.headers.X-Frame-Options: '%s' is not deny or sameorigin", line_of(v),
		    val);
	if (strcasecmp(key, "X-Content-Type-Options") == 0 && strcasecmp(val, "nosniff") != 0)
		return errbuf_fail(p->err, p->errsz, -EINVAL,
		                   "line %d: http_server_config.headers.X-Content-Type-Options: '%s' is not nosniff",
		                   line_of(v), val);
	/* Every response carries them, in the connection's memory: a set that
	 * does not fit would make every response fail, so it is refused here. */
	if (wc->nheaders >= WC_MAX_HEADERS)
		return errbuf_fail(p->err, p->errsz, -E2BIG,
		                   "line %d: http_server_config.headers.%s: more than %d headers", line_of(k), key,
		                   WC_MAX_HEADERS);
	size_t total = strlen(key) + strlen(val) + 4;
	for (size_t i = 0; i < wc->nheaders; i++)
		total += strlen(wc->headers[i].name) + strlen(wc->headers[i].value) + 4;
	if (total > WC_MAX_HEADER_BYTES)
		return errbuf_fail(
		    p->err, p->errsz, -E2BIG,
		    "line %d: http_server_config.headers.%s: the headers would take %zu bytes, more than "
		    "the %d a response has room for",
		    line_of(v), key, total, WC_MAX_HEADER_BYTES);
	h = realloc(wc->headers, (wc->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		return errbuf_fail(p->err, p->errsz, -ENOMEM, "out of memory");
	wc->headers = h;
	h = &wc->headers[wc->nheaders];
	h->name = strdup(key);
	h->value = strdup(val);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return errbuf_fail(p->err, p->errsz, -ENOMEM, "out of memory");
	}
	wc->nheaders++;
	return 0;
}

static int http_pair(struct wc_parse *p, const char *key, const yaml_node_t *k, const yaml_node_t *v)
{
	if (strcmp(key, "headers") == 0)
		return each_pair(p, v, "http_server_config.headers", header_pair);
	/* HTTP/2 is never served, so either value describes this server. */
	if (strcmp(key, "http2") == 0) {
		const char *s;
		int rc;
		if (is_null(v))
			return 0;
		rc = scalar(p, v, "http_server_config.http2", &s);
		if (rc != 0)
			return rc;
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return errbuf_fail(p->err, p->errsz, -EINVAL,
			                   "line %d: http_server_config.http2: '%s' is not true or false", line_of(v),
			                   s);
		return 0;
	}
	return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: unknown key '%s' in http_server_config", line_of(k),
	                   key);
}

static int top_pair(struct wc_parse *p, const char *key, const yaml_node_t *k, const yaml_node_t *v)
{
	if (strcmp(key, "tls_server_config") == 0) {
		p->tls_line = line_of(k);
		return each_pair(p, v, "tls_server_config", tls_pair);
	}
	if (strcmp(key, "basic_auth_users") == 0)
		return each_pair(p, v, "basic_auth_users", user_pair);
	if (strcmp(key, "http_server_config") == 0)
		return each_pair(p, v, "http_server_config", http_pair);
	if (strcmp(key, "rate_limit") == 0)
		return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: rate_limit is not supported by kvmmem",
		                   line_of(k));
	return errbuf_fail(p->err, p->errsz, -EINVAL, "line %d: unknown key '%s'", line_of(k), key);
}

static void wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void webconfig_free(struct webconfig *wc)
{
	if (wc == NULL)
		return;
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->client_ca_file);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	for (size_t i = 0; i < wc->nheaders; i++) {
		free(wc->headers[i].name);
		free(wc->headers[i].value);
	}
	free(wc->headers);
	free(wc->cert_pem);
	wipe_free(wc->key_pem);
	free(wc->client_ca_pem);
	free(wc);
}

/*
 * A first pass over the YAML events, before anything is built from them:
 * the web config needs three levels and a few dozen nodes, so deeper
 * nesting (libyaml takes minutes over a megabyte of it), more nodes than
 * WC_MAX_NODES (the duplicate key check compares every pair of keys) and a
 * second document (which would be ignored, with its basic_auth_users) are
 * refused here, cheaply.  Syntax errors are left to the real parse.
 */
static int yaml_shape(const char *text, size_t len, char *err, size_t errsz)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned depth = 0, nodes = 0, docs = 0;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (rc == 0 && yaml_parser_parse(&parser, &ev)) {
		int line = (int)ev.start_mark.line + 1;
		yaml_event_type_t t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			rc = errbuf_fail(err, errsz, -EINVAL,
			                 "line %d: a second YAML document: the web config must be one document", line);
		if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
			if (++depth > WC_MAX_DEPTH)
				rc = errbuf_fail(err, errsz, -EINVAL, "line %d: nested deeper than %d levels", line,
				                 WC_MAX_DEPTH);
		}
		if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT)
			depth--;
		if ((t == YAML_SCALAR_EVENT || t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT ||
		     t == YAML_ALIAS_EVENT) &&
		    rc == 0 && ++nodes > WC_MAX_NODES)
			rc = errbuf_fail(err, errsz, -E2BIG, "line %d: more than %d YAML nodes", line, WC_MAX_NODES);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int webconfig_parse(const char *text, size_t len, struct webconfig **out, char *err, size_t errsz)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct webconfig *wc;
	int rc;

	rc = yaml_shape(text, len, err, errsz);
	if (rc != 0)
		return rc;
	wc = calloc(1, sizeof(*wc));
	if (wc == NULL)
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	wc->client_auth = WC_NO_CLIENT_CERT;
	wc->min_version = WC_TLS12;
	wc->max_version = WC_TLS13;
	if (!yaml_parser_initialize(&parser)) {
		free(wc);
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		/* Reader errors (bad encoding, control characters) carry a byte
		 * offset instead of a position. */
		if (parser.error == YAML_READER_ERROR)
			rc = errbuf_fail(err, errsz, -EINVAL, "byte %zu: %s", parser.problem_offset,
			                 parser.problem != NULL ? parser.problem : "invalid text");
		else
			rc = errbuf_fail(err, errsz, parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL,
			                 "line %d: %s%s%s", (int)parser.problem_mark.line + 1,
			                 parser.context != NULL ? parser.context : "",
			                 parser.context != NULL ? ": " : "",
			                 parser.problem != NULL ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		free(wc);
		return rc;
	}

	struct wc_parse p = {.doc = &doc, .wc = wc, .err = err, .errsz = errsz};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	rc = 0;
	/* An empty file is a valid config: plain HTTP, no authentication. */
	if (root != NULL && !is_null(root) && root->type != YAML_MAPPING_NODE)
		rc = errbuf_fail(err, errsz, -EINVAL, "line %d: the web config must be a mapping", line_of(root));
	if (rc == 0)
		rc = each_pair(&p, root, "the web config", top_pair);
	if (rc == 0)
		rc = tls_check(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0) {
		webconfig_free(wc);
		return rc;
	}
	*out = wc;
	return 0;
}
