/*
 * test_http_faults.c - the HTTP front when the system says no: a lock or
 * condition variable that cannot be initialised fails start-up with a
 * clear message, and a worker without its bcrypt state refuses basic auth
 * with one error line (not one per request) and recovers when memory does.
 *
 * The fakes: this binary defines pthread_mutex_init, pthread_cond_init and
 * calloc, which take the place of glibc's for http.c (linked in from the
 * archive) and forward to the real functions unless a test has armed a
 * fault.  These failures (EAGAIN, ENOMEM for 32 kB) cannot be provoked
 * from outside the process on demand; everything else is real: a
 * libmicrohttpd server on 127.0.0.1, a socket client, bcrypt.
 */
#include <crypt.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "http.h"
#include "logrec.h"

/* --- the fakes ------------------------------------------------------------ */

/* How many of the next calls fail; 0: all are forwarded. */
static atomic_int fail_mutex_init, fail_cond_init;
/* When set, every calloc of exactly sizeof(struct crypt_data) fails:
 * nothing else in the process asks for that size. */
static atomic_bool fail_crypt_calloc;

static bool take_fault(atomic_int *n)
{
	int v = atomic_load(n);
	while (v > 0) {
		if (atomic_compare_exchange_weak(n, &v, v - 1))
			return true;
	}
	return false;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	static int (*real)(pthread_mutex_t *, const pthread_mutexattr_t *);
	if (take_fault(&fail_mutex_init))
		return EAGAIN;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_mutex_init");
	return real(m, a);
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	static int (*real)(pthread_cond_t *, const pthread_condattr_t *);
	if (take_fault(&fail_cond_init))
		return EAGAIN;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_cond_init");
	return real(c, a);
}

/* Under ASan the real calloc is the sanitizer's (memory from glibc's
 * would be "not malloc()-ed" when freed); without it, glibc's. */
extern void *__libc_calloc(size_t n, size_t size);
#if defined(__SANITIZE_ADDRESS__)
extern void *__interceptor_calloc(size_t n, size_t size) __attribute__((weak));
#define REAL_CALLOC __interceptor_calloc
#define CALLOC_FAKE_WORKS (__interceptor_calloc != NULL)
#else
#define REAL_CALLOC __libc_calloc
#define CALLOC_FAKE_WORKS 1
#endif

void *calloc(size_t n, size_t size)
{
	if (atomic_load(&fail_crypt_calloc) && n == 1 && size == sizeof(struct crypt_data)) {
		errno = ENOMEM;
		return NULL;
	}
	return REAL_CALLOC(n, size);
}

/* --- a server and a client --------------------------------------------------- */

static struct http_opts opts(const struct kvm_log *lg, const struct webconfig *web)
{
	struct http_opts o = {
	    .host = "127.0.0.1",
	    .port = 0,
	    .telemetry_path = "/metrics",
	    .log = lg,
	    .web = web,
	    .connection_limit = 16,
	    .connection_timeout_s = 5,
	    .header_timeout_s = 5,
	    .memory_limit = 32 * 1024,
	    .workers = 1,
	};
	return o;
}

/* Sends one GET with basic auth (user "u", password pass) on a fresh
 * connection and returns the response's status code, or -1. */
static int get_status(unsigned port, const char *b64)
{
	char req[256];
	char resp[4096];
	size_t len = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	int n =
	    snprintf(req, sizeof(req),
	             "GET /-/healthy HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n", b64);
	if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, resp + len, sizeof(resp) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(resp) - 1)
			break;
	}
	close(fd);
	resp[len] = '\0';
	/* "HTTP/1.1 401 ...": the three digits after the first space. */
	const char *sp = memchr(resp, ' ', len);
	if (sp == NULL || len - (size_t)(sp - resp) < 4)
		return -1;
	int code = 0;
	for (int i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			return -1;
		code = code * 10 + (sp[i] - '0');
	}
	return code;
}

/* --- tests -------------------------------------------------------------------- */

static void test_mutex_init_failure(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct http_opts o = opts(&lg, NULL);
	struct http *h = NULL;
	char err[256] = "";

	atomic_store(&fail_mutex_init, 1);
	int rc = http_start(&o, &h, err, sizeof(err));
	atomic_store(&fail_mutex_init, 0);
	if (rc == 0)
		http_stop(h);
	assert_int_equal(rc, -EAGAIN);
	assert_null(h);
	assert_string_equal(err, "cannot initialise the HTTP worker lock: Resource temporarily unavailable");
}

static void test_cond_init_failure(void **state)
{
	(void)state;
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct http_opts o = opts(&lg, NULL);
	struct http *h = NULL;
	char err[256] = "";

	atomic_store(&fail_cond_init, 1);
	int rc = http_start(&o, &h, err, sizeof(err));
	atomic_store(&fail_cond_init, 0);
	if (rc == 0)
		http_stop(h);
	assert_int_equal(rc, -EAGAIN);
	assert_null(h);
	assert_string_equal(err, "cannot initialise the HTTP worker condition: Resource temporarily unavailable");

	/* Nothing is left broken: the next start works. */
	rc = http_start(&o, &h, err, sizeof(err));
	assert_int_equal(rc, 0);
	http_stop(h);
}

static void test_bcrypt_state_oom(void **state)
{
	(void)state;
	if (!CALLOC_FAKE_WORKS) {
		printf("SKIP: test_bcrypt_state_oom: this sanitizer's calloc cannot be wrapped\n");
		skip();
	}
	/* Cost 4 keeps the test fast; http.c checks hashes, not costs. */
	static struct crypt_data cd;
	const char *hash = crypt_r("p", "$2b$04$abcdefghijklmnopqrstuu", &cd);
	assert_non_null(hash);
	char name[] = "u";
	char hashbuf[CRYPT_OUTPUT_SIZE];
	assert_true(strlen(hash) < sizeof(hashbuf));
	memcpy(hashbuf, hash, strlen(hash) + 1);
	struct wc_user user = {.name = name, .hash = hashbuf};
	struct webconfig web = {.users = &user, .nusers = 1};

	/* Errors only: the debug lines of every request are not the point. */
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_ERROR);
	struct http_opts o = opts(&lg, &web);
	struct http *h = NULL;
	char err[256] = "";

	atomic_store(&fail_crypt_calloc, true);
	assert_int_equal(http_start(&o, &h, err, sizeof(err)), 0);
	/* "u:p", right and wrong: refused alike while there is no state. */
	assert_int_equal(get_status(http_port(h), "dTpw"), 401);
	assert_int_equal(get_status(http_port(h), "dTpw"), 401);
	assert_int_equal(get_status(http_port(h), "dTp4"), 401);
	/* Memory is back: the right password works, the wrong one still fails. */
	atomic_store(&fail_crypt_calloc, false);
	assert_int_equal(get_status(http_port(h), "dTpw"), 200);
	assert_int_equal(get_status(http_port(h), "dTp4"), 401);
	http_stop(h);
	assert_string_equal(r.text, "error: basic auth: cannot allocate the bcrypt state (32768 bytes): password "
	                            "checks on this worker fail until memory is available\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutex_init_failure),
	    cmocka_unit_test(test_cond_init_failure),
	    cmocka_unit_test(test_bcrypt_state_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
