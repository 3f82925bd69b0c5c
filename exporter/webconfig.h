/*
 * webconfig.h - the --web.config.file of the Prometheus exporter-toolkit:
 * TLS, client certificates, basic auth users and extra response headers.
 *
 * webconfig_parse() turns YAML text into a struct and checks it (a pure
 * function: no I/O, exact error texts, so a case table can test it);
 * webconfig_load() reads a file, parses it and reads the certificate, key
 * and CA files it names into memory, checking that TLS can use them.  The
 * file is read once at start-up: a change needs a restart.
 *
 * Differences from the toolkit, all of them refusals rather than silent
 * changes: inline cert/key/client_ca, client_allowed_sans, cipher_suites,
 * curve_preferences, prefer_server_cipher_suites and rate_limit are
 * rejected as not supported; the Verify* client auth types need a
 * client_ca_file (Go would fall back to the system roots); any
 * tls_server_config key needs cert_file and key_file; a basic auth
 * password longer than 72 bytes never matches (bcrypt ignores the rest).
 */
#ifndef KVMMEM_WEBCONFIG_H
#define KVMMEM_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The client_auth_type values, named as in Go's crypto/tls. */
enum wc_client_auth {
	WC_NO_CLIENT_CERT = 0,
	WC_REQUEST_CLIENT_CERT,
	WC_REQUIRE_ANY_CLIENT_CERT,
	WC_VERIFY_CLIENT_CERT_IF_GIVEN,
	WC_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* min_version and max_version; the numbers order them. */
enum wc_tls_version { WC_TLS10 = 10, WC_TLS11 = 11, WC_TLS12 = 12, WC_TLS13 = 13 };

/* The lowest bcrypt cost accepted; cheaper hashes are "weak". */
#define WC_MIN_BCRYPT_COST 10
/* The highest: each step doubles the CPU of a check (about 50 ms at 10,
 * 200 ms at 12 on a current core), and a check cannot be interrupted, so
 * one wrong password at cost 31 would pin a core for days.  12 is the top
 * of what the exporter toolkit's users use (10 to 12). */
#define WC_MAX_BCRYPT_COST 12
/* http_server_config.headers: how many, and their bytes in all as sent
 * ("Name: value\r\n").  Response headers are built in the connection's
 * memory (32 kB, which the request headers share), so 8 kB leaves room
 * for an 8 kB request and the exporter's own headers. */
#define WC_MAX_HEADERS 64
#define WC_MAX_HEADER_BYTES 8192
/* The deepest nesting and the most YAML nodes a web config may have (it
 * needs three levels, and two nodes per user or header). */
#define WC_MAX_DEPTH 16
#define WC_MAX_NODES 10000
/* The smallest RSA or DSA key served. */
#define WC_MIN_KEY_BITS 2048
/* The largest web config file read. */
#define WC_MAX_FILE (1024 * 1024)

struct wc_user {
	char *name;
	char *hash; /* "$2y$10$..." as written */
};

struct wc_header {
	char *name;
	char *value;
};

struct webconfig {
	bool tls; /* cert_file and key_file were given */
	char *cert_file;
	char *key_file;
	char *client_ca_file; /* NULL when not given */
	enum wc_client_auth client_auth;
	enum wc_tls_version min_version; /* default TLS12 */
	enum wc_tls_version max_version; /* default TLS13 */
	struct wc_user *users;           /* in file order; none: no authentication */
	size_t nusers;
	struct wc_header *headers; /* in file order */
	size_t nheaders;
	/* Filled by webconfig_load() only: the PEM text of the files. */
	char *cert_pem;
	char *key_pem;
	char *client_ca_pem;
};

/*
 * Parses YAML text of len bytes.  Relative file names are kept as written.
 * Returns 0 and a new *out (free with webconfig_free), or -EINVAL with a
 * one-line message such as "line 3: unknown key 'foo' in tls_server_config"
 * in err (-ENOMEM: "out of memory"); *out untouched on failure.
 */
int webconfig_parse(const char *text, size_t len, struct webconfig **out, char *err, size_t errsz);

/*
 * Reads and parses the file at path, resolves relative cert_file, key_file
 * and client_ca_file against the file's directory (as the toolkit does),
 * reads them and checks that the key matches the certificate and that the
 * CA file holds certificates.  Returns 0 and *out, or a negative errno with
 * a one-line message in err naming the key or file at fault.
 */
int webconfig_load(const char *path, struct webconfig **out, char *err, size_t errsz);

/* Frees everything, wiping the key; NULL is fine. */
void webconfig_free(struct webconfig *wc);

/* "NoClientCert" ... "RequireAndVerifyClientCert". */
const char *webconfig_client_auth_name(enum wc_client_auth a);

/*
 * Checks a basic auth hash: bcrypt ($2a$, $2b$ or $2y$), well formed, cost
 * from WC_MIN_BCRYPT_COST to WC_MAX_BCRYPT_COST.  Returns 0 or -EINVAL with
 * the reason ("not a bcrypt hash", "weak bcrypt cost 4, at least 10
 * needed", "bcrypt cost 13 is above 12, ...") in why.
 */
int webconfig_check_hash(const char *hash, char *why, size_t whysz);

#endif
