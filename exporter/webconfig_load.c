/* webconfig_load.c - the web config from its file: the YAML, then the certificate and key files it names. */
#include "webconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/errbuf.h"

/* Reads a whole regular file of at most max bytes into a new
 * NUL-terminated string.  Anything else (a FIFO, a device, a directory) is
 * -EINVAL: a FIFO would read as empty, which means "no TLS, no auth", so
 * it must fail closed.  O_NONBLOCK keeps the open of a FIFO from waiting
 * for a writer. */
static int slurp(const char *path, size_t max, char **out, size_t *lenout)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			rc = -EFBIG;
			break;
		}
	}
	if (rc == 0) {
		buf[len] = '\0';
		*out = buf;
		*lenout = len;
		buf = NULL;
	}
out:
	free(buf);
	close(fd);
	return rc;
}

static const char *read_error(int rc)
{
	return rc == -EINVAL ? "not a regular file" : strerror(-rc);
}

/* path relative to dir (the web config's directory) unless absolute. */
static int resolve(const char *dir, char **path)
{
	if ((*path)[0] == '/' || dir == NULL)
		return 0;
	size_t dl = strlen(dir), pl = strlen(*path);
	char *r = malloc(dl + 1 + pl + 1);
	if (r == NULL)
		return -ENOMEM;
	memcpy(r, dir, dl);
	r[dl] = '/';
	memcpy(r + dl + 1, *path, pl + 1);
	free(*path);
	*path = r;
	return 0;
}

static int load_pem(const char *key, char **path, const char *dir, char **pem, char *err, size_t errsz)
{
	size_t len;
	int rc = resolve(dir, path);

	if (rc != 0)
		return errbuf_fail(err, errsz, rc, "out of memory");
	rc = slurp(*path, WC_MAX_FILE, pem, &len);
	if (rc == -EFBIG)
		return errbuf_fail(err, errsz, rc, "tls_server_config.%s: cannot read %s: larger than %d bytes", key,
		                   *path, WC_MAX_FILE);
	if (rc != 0)
		return errbuf_fail(err, errsz, rc, "tls_server_config.%s: cannot read %s: %s", key, *path,
		                   read_error(rc));
	return 0;
}

/* A key GnuTLS loads but whose handshakes it then refuses (a 512-bit RSA
 * key) must fail at start: 2048 bits for RSA and DSA, as GnuTLS's own
 * "medium" security level wants; elliptic curve keys are all strong. */
static int key_strength(const struct webconfig *wc, const gnutls_datum_t *pem, char *err, size_t errsz)
{
	gnutls_x509_privkey_t k;
	unsigned bits = 0;
	int rc = 0;

	if (gnutls_x509_privkey_init(&k) != GNUTLS_E_SUCCESS)
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	if (gnutls_x509_privkey_import(k, pem, GNUTLS_X509_FMT_PEM) == GNUTLS_E_SUCCESS) {
		int alg = gnutls_x509_privkey_get_pk_algorithm2(k, &bits);
		if ((alg == GNUTLS_PK_RSA || alg == GNUTLS_PK_RSA_PSS || alg == GNUTLS_PK_DSA) &&
		    bits < WC_MIN_KEY_BITS)
			rc =
			    errbuf_fail(err, errsz, -EINVAL,
			                "tls_server_config.key_file %s: a %u-bit %s key is too weak to serve, at least "
			                "%d bits needed",
			                wc->key_file, bits, gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)alg),
			                WC_MIN_KEY_BITS);
	}
	gnutls_x509_privkey_deinit(k);
	return rc;
}

/* Asks GnuTLS whether it can serve with these files, as the server will. */
static int check_tls(struct webconfig *wc, char *err, size_t errsz)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = {(unsigned char *)wc->cert_pem, (unsigned)strlen(wc->cert_pem)};
	gnutls_datum_t key = {(unsigned char *)wc->key_pem, (unsigned)strlen(wc->key_pem)};
	int g, rc = 0;

	if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS)
		return errbuf_fail(err, errsz, -ENOMEM, "out of memory");
	g = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		rc = errbuf_fail(err, errsz, -EINVAL, "tls_server_config: cannot use cert_file %s with key_file %s: %s",
		                 wc->cert_file, wc->key_file, gnutls_strerror(g));
		goto out;
	}
	rc = key_strength(wc, &key, err, errsz);
	if (rc != 0)
		goto out;
	if (wc->client_ca_pem != NULL) {
		gnutls_datum_t ca = {(unsigned char *)wc->client_ca_pem, (unsigned)strlen(wc->client_ca_pem)};
		g = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (g <= 0) {
			rc = errbuf_fail(err, errsz, -EINVAL, "tls_server_config.client_ca_file %s: %s",
			                 wc->client_ca_file, g < 0 ? gnutls_strerror(g) : "no certificate in it");
			goto out;
		}
	}
out:
	gnutls_certificate_free_credentials(cred);
	return rc;
}

int webconfig_load(const char *path, struct webconfig **out, char *err, size_t errsz)
{
	struct webconfig *wc = NULL;
	char *text = NULL, *dir = NULL;
	size_t len;
	int rc;

	rc = slurp(path, WC_MAX_FILE, &text, &len);
	if (rc == -EFBIG)
		return errbuf_fail(err, errsz, rc, "cannot read %s: larger than %d bytes", path, WC_MAX_FILE);
	if (rc != 0)
		return errbuf_fail(err, errsz, rc, "cannot read %s: %s", path, read_error(rc));
	rc = webconfig_parse(text, len, &wc, err, errsz);
	free(text);
	if (rc != 0)
		return rc;
	if (!wc->tls)
		goto done;

	const char *slash = strrchr(path, '/');
	if (slash != NULL) {
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (dir == NULL) {
			rc = errbuf_fail(err, errsz, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	rc = load_pem("cert_file", &wc->cert_file, dir, &wc->cert_pem, err, errsz);
	if (rc == 0)
		rc = load_pem("key_file", &wc->key_file, dir, &wc->key_pem, err, errsz);
	if (rc == 0 && wc->client_ca_file != NULL)
		rc = load_pem("client_ca_file", &wc->client_ca_file, dir, &wc->client_ca_pem, err, errsz);
	if (rc == 0)
		rc = check_tls(wc, err, errsz);
	free(dir);
	if (rc != 0)
		goto fail;
done:
	*out = wc;
	return 0;
fail:
	webconfig_free(wc);
	return rc;
}
