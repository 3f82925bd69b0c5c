/* test_webconfig.c - web config YAML -> exact struct webconfig or exact error text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "webconfig.h"

/* Well-formed bcrypt strings; their format is all the parser checks. */
#define H10 "$2b$10$407ZWGGfI1vchIZGIvqluOxbKvsWKxW5Ev8qU6g.mQ5CbM4N6njB2"
#define H12 "$2y$12$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze"
#define H12B "$2b$12$407ZWGGfI1vchIZGIvqluOxbKvsWKxW5Ev8qU6g.mQ5CbM4N6njB2"
#define H04 "$2a$04$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze"

struct kv {
	const char *k, *v;
};

/* What a config must parse into; unnamed fields are the defaults. */
struct want {
	bool tls;
	const char *cert, *key, *ca;
	enum wc_client_auth auth;
	enum wc_tls_version min, max; /* 0: the default */
	struct kv users[3];
	struct kv headers[3];
};

struct wc_case {
	const char *name;
	const char *yaml;
	const char *err; /* NULL: must parse into want */
	struct want want;
};

static const struct wc_case cases[] = {
    {"empty file", "", NULL, {0}},
    {"comment only", "# nothing\n", NULL, {0}},
    {"null sections", "tls_server_config:\nbasic_auth_users: ~\nhttp_server_config: null\n", NULL, {0}},
    {"tls minimal",
     "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n",
     NULL,
     {.tls = true, .cert = "s.crt", .key = "s.key"}},
    {"tls full",
     "tls_server_config:\n  cert_file: /a/s.crt\n  key_file: /a/s.key\n  client_auth_type: RequireAndVerifyClientCert\n"
     "  client_ca_file: ca.crt\n  min_version: TLS13\n  max_version: TLS13\n",
     NULL,
     {.tls = true,
      .cert = "/a/s.crt",
      .key = "/a/s.key",
      .ca = "ca.crt",
      .auth = WC_REQUIRE_AND_VERIFY_CLIENT_CERT,
      .min = WC_TLS13,
      .max = WC_TLS13}},
    {"request client cert",
     "tls_server_config: {cert_file: c, key_file: k, client_auth_type: RequestClientCert}\n",
     NULL,
     {.tls = true, .cert = "c", .key = "k", .auth = WC_REQUEST_CLIENT_CERT}},
    {"require any with ca",
     "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAnyClientCert\n"
     "  client_ca_file: ca\n",
     NULL,
     {.tls = true, .cert = "c", .key = "k", .ca = "ca", .auth = WC_REQUIRE_ANY_CLIENT_CERT}},
    {"verify if given",
     "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: VerifyClientCertIfGiven\n"
     "  client_ca_file: ca\n  min_version: TLS10\n  max_version: TLS11\n",
     NULL,
     {.tls = true,
      .cert = "c",
      .key = "k",
      .ca = "ca",
      .auth = WC_VERIFY_CLIENT_CERT_IF_GIVEN,
      .min = WC_TLS10,
      .max = WC_TLS11}},
    {"users",
     "basic_auth_users:\n  alice: " H12B "\n  bob: '" H12 "'\n",
     NULL,
     {.users = {{"alice", H12B}, {"bob", H12}}}},
    {"headers",
     "http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: "
     "nosniff\n    Content-Security-Policy: \"default-src 'self'\"\n",
     NULL,
     {.headers = {{"X-Frame-Options", "deny"},
                  {"X-Content-Type-Options", "nosniff"},
                  {"Content-Security-Policy", "default-src 'self'"}}}},
    {"blank header unset",
     "http_server_config:\n  headers:\n    X-XSS-Protection: ''\n    Strict-Transport-Security:\n",
     NULL,
     {0}},
    {"all three",
     "tls_server_config:\n  cert_file: c\n  key_file: k\nbasic_auth_users:\n  u: " H10
     "\nhttp_server_config:\n  headers:\n    X-Test: 1\n",
     NULL,
     {.tls = true, .cert = "c", .key = "k", .users = {{"u", H10}}, .headers = {{"X-Test", "1"}}}},

    /* Syntax and shape. */
    {"bad yaml", "tls_server_config:\n  cert_file: [a\n",
     "line 3: while parsing a flow sequence: did not find expected ',' or ']'"},
    {"tab indentation", "tls_server_config:\n\tcert_file: c\n",
     "line 2: while scanning for the next token: found character that cannot start any token"},
    {"not a mapping", "- a\n- b\n", "line 1: the web config must be a mapping"},
    {"scalar document", "hello\n", "line 1: the web config must be a mapping"},
    {"unknown top key", "tls_server_config:\n  cert_file: c\n  key_file: k\nfoo: 1\n", "line 4: unknown key 'foo'"},
    {"unknown tls key", "tls_server_config:\n  cert_file: c\n  keyfile: k\n",
     "line 3: unknown key 'keyfile' in tls_server_config"},
    {"unknown http key", "http_server_config:\n  gzip: true\n", "line 2: unknown key 'gzip' in http_server_config"},
    {"duplicate key", "tls_server_config:\n  cert_file: c\n  key_file: k\n  cert_file: d\n",
     "line 4: duplicate key 'cert_file' in tls_server_config"},
    {"duplicate section", "basic_auth_users:\nbasic_auth_users:\n",
     "line 2: duplicate key 'basic_auth_users' in the web config"},
    {"section not a mapping", "tls_server_config: yes\n", "line 1: tls_server_config must be a mapping"},
    {"value not a string", "tls_server_config:\n  cert_file: [a, b]\n  key_file: k\n",
     "line 2: tls_server_config.cert_file must be a string"},
    {"empty cert_file", "tls_server_config:\n  cert_file: ''\n  key_file: k\n",
     "line 2: tls_server_config.cert_file is empty"},
    {"non-string key", "tls_server_config:\n  [a]: c\n", "line 2: a key in tls_server_config must be a string"},

    /* Refused toolkit keys. */
    {"inline cert", "tls_server_config:\n  cert: abc\n", "line 2: tls_server_config.cert is not supported by kvmmem"},
    {"allowed sans", "tls_server_config:\n  client_allowed_sans: [a]\n",
     "line 2: tls_server_config.client_allowed_sans is not supported by kvmmem"},
    {"cipher suites", "tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "line 2: tls_server_config.cipher_suites is not supported by kvmmem"},
    {"rate limit", "rate_limit:\n  interval: 1s\n", "line 1: rate_limit is not supported by kvmmem"},

    /* TLS rules. */
    {"cert without key", "tls_server_config:\n  cert_file: c\n", "line 1: tls_server_config: key_file is missing"},
    {"key without cert", "tls_server_config:\n  key_file: k\n", "line 1: tls_server_config: cert_file is missing"},
    {"auth without cert", "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
     "line 1: tls_server_config: cert_file is missing"},
    {"bad client auth", "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireClientCerts\n",
     "line 4: tls_server_config.client_auth_type: unknown value 'RequireClientCerts', expected NoClientCert, "
     "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"},
    {"ca without auth", "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
     "line 1: tls_server_config: client_ca_file is set but client_auth_type is NoClientCert"},
    {"verify without ca",
     "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n",
     "line 1: tls_server_config: client_auth_type RequireAndVerifyClientCert needs client_ca_file"},
    {"bad version", "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS1.2\n",
     "line 4: tls_server_config.min_version: unknown value 'TLS1.2', expected TLS10, TLS11, TLS12 or TLS13"},
    {"min above max", "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
     "line 1: tls_server_config: min_version TLS13 is above max_version TLS12"},
    {"min above default max", "\ntls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: TLS11\n",
     "line 2: tls_server_config: min_version TLS12 is above max_version TLS11"},

    /* Users. */
    {"weak cost", "basic_auth_users:\n  alice: " H04 "\n",
     "line 2: basic_auth_users.alice: weak bcrypt cost 4, at least 10 needed"},
    {"plain password", "basic_auth_users:\n  alice: secret\n", "line 2: basic_auth_users.alice: not a bcrypt hash"},
    {"sha512 crypt", "basic_auth_users:\n  alice: $6$salt$abc\n", "line 2: basic_auth_users.alice: not a bcrypt hash"},
    {"truncated hash", "basic_auth_users:\n  alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPz\n",
     "line 2: basic_auth_users.alice: not a bcrypt hash"},
    {"cost above 31", "basic_auth_users:\n  alice: $2y$32$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n",
     "line 2: basic_auth_users.alice: bcrypt cost 32 is above 12, the most a password check may cost"},
    {"two costs", "basic_auth_users:\n  alice: " H10 "\n  bob: " H12 "\n",
     "line 3: basic_auth_users.bob: bcrypt cost 12 differs from alice's 10: every user needs the same cost, or the "
     "time a check takes tells which names exist"},
    /* Refused whatever the value, a blank one too. */
    {"unknown tls key, blank", "tls_server_config: {bogus_key: }\n",
     "line 1: unknown key 'bogus_key' in tls_server_config"},
    {"unsupported tls key, blank", "tls_server_config:\n  cipher_suites:\n",
     "line 2: tls_server_config.cipher_suites is not supported by kvmmem"},
    {"second document", "---\n{}\n---\nbasic_auth_users:\n  alice: " H10 "\n",
     "line 3: a second YAML document: the web config must be one document"},
    {"second document, empty first", "---\n---\nbasic_auth_users:\n  alice: " H10 "\n",
     "line 2: a second YAML document: the web config must be one document"},
    {"nested 17 deep", "a: [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]\n", "line 1: nested deeper than 16 levels"},
    {"cost 31", "basic_auth_users:\n  alice: $2y$31$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n",
     "line 2: basic_auth_users.alice: bcrypt cost 31 is above 12, the most a password check may cost"},
    {"cost 13", "basic_auth_users:\n  alice: $2y$13$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n",
     "line 2: basic_auth_users.alice: bcrypt cost 13 is above 12, the most a password check may cost"},
    {"no hash", "basic_auth_users:\n  alice:\n", "line 2: basic_auth_users.alice: no password hash"},
    {"colon in name", "basic_auth_users:\n  'a:b': " H10 "\n",
     "line 2: basic_auth_users: user name 'a:b' contains ':'"},
    {"empty name", "basic_auth_users:\n  '': " H10 "\n", "line 2: basic_auth_users: empty user name"},
    {"users a list", "basic_auth_users:\n  - alice\n", "line 2: basic_auth_users must be a mapping"},

    /* Headers. */
    {"content type", "http_server_config:\n  headers:\n    Content-Type: foo\n",
     "line 3: http_server_config.headers.Content-Type cannot be set: the exporter sets it"},
    {"content encoding lower case", "http_server_config:\n  headers:\n    content-encoding: br\n",
     "line 3: http_server_config.headers.content-encoding cannot be set: the exporter sets it"},
    {"content length", "http_server_config:\n  headers:\n    Content-Length: 5\n",
     "line 3: http_server_config.headers.Content-Length cannot be set: the exporter sets it"},
    {"bad header name", "http_server_config:\n  headers:\n    'X Bad': 1\n",
     "line 3: http_server_config.headers: 'X Bad' is not a valid header name"},
    {"header twice", "http_server_config:\n  headers:\n    X-A: 1\n    x-a: 2\n",
     "line 4: http_server_config.headers: 'x-a' given twice"},
    {"control char", "http_server_config:\n  headers:\n    X-A: \"a\\r\\nSet-Cookie: x\"\n",
     "line 3: http_server_config.headers.X-A: the value contains a control character"},
    {"frame options", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
     "line 3: http_server_config.headers.X-Frame-Options: 'allow' is not deny or sameorigin"},
    {"content type options", "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
     "line 3: http_server_config.headers.X-Content-Type-Options: 'sniff' is not nosniff"},
    {"http2 not bool", "http_server_config:\n  http2: maybe\n",
     "line 2: http_server_config.http2: 'maybe' is not true or false"},
};

static void check_str(const char *what, const char *want, const char *got)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(want, got) != 0) {
		print_error("%s: want '%s', got '%s'\n", what, want != NULL ? want : "(null)",
		            got != NULL ? got : "(null)");
		fail();
	}
}

static size_t count_kv(const struct kv *kv)
{
	size_t n = 0;
	while (n < 3 && kv[n].k != NULL)
		n++;
	return n;
}

static void check_want(const struct wc_case *c, const struct webconfig *wc)
{
	const struct want *w = &c->want;

	print_message("case: %s\n", c->name);
	assert_int_equal(wc->tls, w->tls);
	check_str("cert_file", w->cert, wc->cert_file);
	check_str("key_file", w->key, wc->key_file);
	check_str("client_ca_file", w->ca, wc->client_ca_file);
	assert_int_equal(wc->client_auth, w->auth);
	assert_int_equal(wc->min_version, w->min != 0 ? w->min : WC_TLS12);
	assert_int_equal(wc->max_version, w->max != 0 ? w->max : WC_TLS13);
	assert_int_equal(wc->nusers, count_kv(w->users));
	for (size_t i = 0; i < wc->nusers; i++) {
		check_str("user", w->users[i].k, wc->users[i].name);
		check_str("hash", w->users[i].v, wc->users[i].hash);
	}
	assert_int_equal(wc->nheaders, count_kv(w->headers));
	for (size_t i = 0; i < wc->nheaders; i++) {
		check_str("header", w->headers[i].k, wc->headers[i].name);
		check_str("value", w->headers[i].v, wc->headers[i].value);
	}
	assert_null(wc->cert_pem);
	assert_null(wc->key_pem);
	assert_null(wc->client_ca_pem);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wc_case *c = &cases[i];
		struct webconfig *wc = (struct webconfig *)0x1;
		char err[512] = "";
		int rc = webconfig_parse(c->yaml, strlen(c->yaml), &wc, err, sizeof(err));

		if (c->err == NULL) {
			if (rc != 0) {
				print_error("case %s: unexpected error '%s'\n", c->name, err);
				fail();
			}
			check_want(c, wc);
			webconfig_free(wc);
		} else {
			if (rc != -EINVAL) {
				print_error("case %s: want -EINVAL, got %d\n", c->name, rc);
				fail();
			}
			check_str(c->name, c->err, err);
			/* The output stays untouched on failure. */
			assert_ptr_equal(wc, (struct webconfig *)0x1);
		}
	}
}

/* A NUL byte inside the text is not a valid YAML character. */
static void test_nul_byte(void **state)
{
	static const char text[] = "basic_auth_users:\n  a\0b: x\n";
	struct webconfig *wc = NULL;
	char err[256];

	(void)state;
	assert_int_equal(webconfig_parse(text, sizeof(text) - 1, &wc, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "byte 21: control characters are not allowed");
	assert_null(wc);
}

/* 80000 keys of blank headers (1 MB): refused by the node count at once,
 * before the duplicate check would compare every pair of them. */
static void test_many_nodes(void **state)
{
	static const char head[] = "http_server_config:\n  headers:\n";
	size_t cap = 80000 * 16 + sizeof(head), len = 0;
	char *text = malloc(cap);
	struct webconfig *wc = NULL;
	char err[256];

	(void)state;
	assert_non_null(text);
	memcpy(text, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (int i = 0; i < 80000; i++) {
		int n = snprintf(text + len, cap - len, "    X-%d:\n", i);
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(webconfig_parse(text, len, &wc, err, sizeof(err)), -E2BIG);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_string_equal(err, "line 5000: more than 10000 YAML nodes");
	assert_null(wc);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
	free(text);
}

/* 100000 levels of nesting: refused at level 17, at once. */
static void test_deep(void **state)
{
	size_t n = 100000;
	char *text = malloc(2 * n + 8);
	struct webconfig *wc = NULL;
	char err[256];

	(void)state;
	assert_non_null(text);
	memcpy(text, "a: ", 3);
	memset(text + 3, '[', n);
	memset(text + 3 + n, ']', n);
	text[3 + 2 * n] = '\n';
	assert_int_equal(webconfig_parse(text, 4 + 2 * n, &wc, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: nested deeper than 16 levels");
	assert_null(wc);
	free(text);
}

/* A FIFO or a device reads as empty, which would mean no TLS and no auth. */
static void test_load_not_regular(void **state)
{
	char dir[] = "/tmp/test_webconfig.XXXXXX";
	char path[64], want[160], err[256];
	struct webconfig *wc = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "cannot read %s: not a regular file", path);
	assert_string_equal(err, want);
	assert_null(wc);
	assert_int_equal(webconfig_load("/dev/null", &wc, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cannot read /dev/null: not a regular file");
	assert_int_equal(webconfig_load(dir, &wc, err, sizeof(err)), -EINVAL);
	unlink(path);
	rmdir(dir);
}

static void test_check_hash(void **state)
{
	char why[96];

	(void)state;
	assert_int_equal(webconfig_check_hash(H10, why, sizeof(why)), 0);
	assert_int_equal(webconfig_check_hash(H12, why, sizeof(why)), 0);
	assert_int_equal(
	    webconfig_check_hash("$2x$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze", why, sizeof(why)),
	    -EINVAL);
	assert_string_equal(why, "not a bcrypt hash");
	assert_int_equal(
	    webconfig_check_hash("$2y$09$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze", why, sizeof(why)),
	    -EINVAL);
	assert_string_equal(why, "weak bcrypt cost 9, at least 10 needed");
	assert_int_equal(
	    webconfig_check_hash("$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPz!", why, sizeof(why)),
	    -EINVAL);
	assert_string_equal(why, "not a bcrypt hash");
	assert_string_equal(webconfig_client_auth_name(WC_VERIFY_CLIENT_CERT_IF_GIVEN), "VerifyClientCertIfGiven");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Loading: file errors name the file and key; relative names resolve
 * against the web config's directory. */
static void test_load(void **state)
{
	char dir[] = "/tmp/test_webconfig.XXXXXX";
	char path[256], want[512], err[512];
	struct webconfig *wc = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.yml", dir);
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "cannot read %s: No such file or directory", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	write_file(path, "basic_auth_users:\n  u: " H10 "\n");
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), 0);
	assert_false(wc->tls);
	assert_int_equal(wc->nusers, 1);
	webconfig_free(wc);
	wc = NULL;

	write_file(path, "tls_server_config:\n  cert_file: s.crt\n  key_file: /nonexistent/s.key\n");
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "tls_server_config.cert_file: cannot read %s/s.crt: No such file or directory",
	         dir);
	assert_string_equal(err, want);

	snprintf(want, sizeof(want), "%s/s.crt", dir);
	write_file(want, "not a certificate\n");
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), -ENOENT);
	assert_string_equal(err,
	                    "tls_server_config.key_file: cannot read /nonexistent/s.key: No such file or directory");

	write_file(path, "tls_server_config:\n  cert_file: s.crt\n  key_file: s.crt\n");
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
	         "tls_server_config: cannot use cert_file %s/s.crt with key_file %s/s.crt: The requested data were not "
	         "available.",
	         dir, dir);
	assert_string_equal(err, want);

	write_file(path, "tls_server_config:\n  cert_file: s.crt\n  key_file: k\n  foo: 1\n");
	assert_int_equal(webconfig_load(path, &wc, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 4: unknown key 'foo' in tls_server_config");
	assert_null(wc);

	snprintf(want, sizeof(want), "%s/s.crt", dir);
	unlink(want);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases), cmocka_unit_test(test_nul_byte),         cmocka_unit_test(test_many_nodes),
	    cmocka_unit_test(test_deep),  cmocka_unit_test(test_load_not_regular), cmocka_unit_test(test_check_hash),
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
