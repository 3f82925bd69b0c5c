/*
 * main.c - kvmmem_exporter: flags in, collector and HTTP server up, clean
 * exit on SIGTERM/SIGINT.  Everything else lives in the modules it wires.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util/buf.h"
#include "cli.h"
#include "model/collect.h"
#include "model/emit.h"
#include "http.h"
#include "landing.h"
#include "logfmt.h"
#include "scrape.h"
#include "webconfig.h"

#define PROG "kvmmem_exporter"
/* The largest exposition served; above it the scrape fails with 500. */
#define MAX_BODY (64u * 1024 * 1024)
/* Far above what Prometheus needs, so slow or idle clients (which cost
 * only memory on the event loop) cannot lock a scraper out. */
#define CONNECTION_LIMIT 512
#define CONNECTION_TIMEOUT_S 30
#define HEADER_TIMEOUT_S 10
/* Per connection; request headers must fit in about half of it. */
#define CONNECTION_MEMORY_LIMIT (32 * 1024)
#define HTTP_WORKERS 4

extern const char kvmmem_revision[];

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int print_usage(void)
{
	struct buf b;
	int rc;

	buf_init(&b, 64 * 1024);
	rc = cli_usage(&b, PROG);
	if (rc == 0)
		rc = write_all(STDOUT_FILENO, b.data, b.len);
	buf_free(&b);
	return rc == 0 ? 0 : 1;
}

static int print_version(void)
{
	char lv[32];

	collector_library_version(COLL_LIBVIRT, lv, sizeof(lv));
	printf("%s, version %s (revision: %s)\n  libvirt: %s\n  libmicrohttpd: %s\n", PROG, KVMMEM_VERSION,
	       kvmmem_revision, lv, MHD_get_version());
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Leaves a little of the scrape deadline for rendering and sending. */
static int collection_timeout_ms(uint64_t scrape_ms)
{
	uint64_t margin = scrape_ms / 10;
	if (margin > 500)
		margin = 500;
	return (int)(scrape_ms - margin);
}

static int dump(struct scrape *sc, const struct kvm_log *lg)
{
	struct scrape_result *res = NULL;
	const char *data;
	size_t len;
	int rc = scrape_get(sc, &res);

	if (rc == 0)
		rc = scrape_result_body(res, &data, &len);
	if (rc == 0)
		rc = write_all(STDOUT_FILENO, data, len);
	if (rc != 0) {
		log_errx(lg, "cannot write the exposition: %s", strerror(-rc));
		scrape_result_put(res);
		return 1;
	}
	rc = scrape_result_collect_status(res);
	scrape_result_put(res);
	if (rc == -EIO) {
		log_errx(lg, "nothing could be collected");
		return 1;
	}
	return 0;
}

/* Each connection is a descriptor: make sure the limit fits, raising the
 * soft limit towards the hard one when it is lower (often 1024). */
static void raise_fd_limit(const struct kvm_log *lg)
{
	struct rlimit rl;
	rlim_t want = CONNECTION_LIMIT + 128;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warnx(lg, "open file limit %llu is low for %d connections", (unsigned long long)rl.rlim_cur,
		          CONNECTION_LIMIT);
}

/* One collection right after start-up, shared with any scrape that comes
 * meanwhile: the landing page has something to show at once, and on a
 * machine without VMs the first log lines say what was looked for
 * (landing_observe), before anyone scrapes. */
static void first_collection(struct scrape *sc)
{
	struct scrape_result *res = NULL;

	if (scrape_get(sc, &res) == 0)
		scrape_result_put(res);
}

/* Waits in the main thread for SIGTERM or SIGINT, which every thread
 * blocks, so no work ever runs inside a signal handler. */
static int wait_for_stop(const sigset_t *set, const struct kvm_log *lg)
{
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	log_info(lg, "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return 0;
}

int main(int argc, char *argv[])
{
	struct cli_opts o;
	char err[CLI_ERR_MAX];
	struct kvm_log lg = {.backend = logfmt_stderr, .ctx = NULL, .max_level = LOG_LVL_INFO};
	struct collect_opts co;
	struct collection *coll = NULL;
	struct scrape *sc = NULL;
	struct http *http = NULL;
	struct landing *landing = NULL;
	struct webconfig *web = NULL;
	char libvirt_version[32];
	sigset_t stop;
	int status = 1;

	/* One malloc arena for every thread.  By default glibc gives each
	 * thread that allocates (HTTP workers, the libvirt worker, the event
	 * loop) an arena of its own, and memory freed in one is not reused by
	 * another: at 5000 domains that was 110 MiB peak against 72 MiB with
	 * one arena (81 MiB with two).  Collections run one at a time, so the
	 * shared arena's lock is not contended.  See docs/performance.md. */
	mallopt(M_ARENA_MAX, 1);
	/* Blocks of 128 KiB and more (a body, a snapshot's domain array,
	 * libvirt's answer) are mapped and unmapped on their own.  glibc
	 * would otherwise raise that threshold to the largest block freed so
	 * far, and from then on keep megabytes in the heap between scrapes. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	if (cli_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: error: %s\n", PROG, err);
		return 2;
	}
	if (o.action == CLI_HELP)
		return print_usage();
	if (o.action == CLI_VERSION)
		return print_version();
	lg.max_level = o.log_level;

	/* Before anything starts: a web config that cannot be honoured
	 * exactly stops the exporter, serving without the TLS or the
	 * authentication the operator asked for would be worse. */
	if (o.action == CLI_SERVE && o.web_config_file != NULL) {
		if (webconfig_load(o.web_config_file, &web, err, sizeof(err)) != 0) {
			log_errx(&lg, "--web.config.file=%s: %s", o.web_config_file, err);
			return 1;
		}
	}

	/* Blocked before any thread starts, so every thread inherits it. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (o.action == CLI_SERVE)
		pthread_sigmask(SIG_BLOCK, &stop, NULL);

	collect_opts_default(&co);
	collect_flags_apply(&o.coll, &co);
	co.env.log = &lg;
	co.timeout_ms = collection_timeout_ms(o.scrape_timeout_ms);

	collector_library_version(COLL_LIBVIRT, libvirt_version, sizeof(libvirt_version));
	struct build_labels build = {
	    .version = KVMMEM_VERSION, .revision = kvmmem_revision, .libvirt_version = libvirt_version};

	coll = collection_new(&co);
	if (coll == NULL) {
		log_errx(&lg, "cannot create the collector (out of memory or no threads)");
		goto out;
	}
	sc = scrape_new(coll, &build, MAX_BODY, &lg);
	if (sc == NULL) {
		log_errx(&lg, "out of memory");
		goto out;
	}
	if (o.action == CLI_DUMP) {
		status = dump(sc, &lg);
		goto out;
	}

	landing = landing_new(&o.coll, o.telemetry_path, &lg);
	if (landing == NULL) {
		log_errx(&lg, "out of memory");
		goto out;
	}
	scrape_set_observer(sc, landing_observe, landing);

	struct http_opts ho = {
	    .host = o.listen_host,
	    .port = o.listen_port,
	    .telemetry_path = o.telemetry_path,
	    .scrape = sc,
	    .landing = landing,
	    .log = &lg,
	    .web = web,
	    .connection_limit = CONNECTION_LIMIT,
	    .connection_timeout_s = CONNECTION_TIMEOUT_S,
	    .header_timeout_s = HEADER_TIMEOUT_S,
	    .memory_limit = CONNECTION_MEMORY_LIMIT,
	    .workers = HTTP_WORKERS,
	};
	raise_fd_limit(&lg);
	if (http_start(&ho, &http, err, sizeof(err)) != 0) {
		log_errx(&lg, "%s", err);
		goto out;
	}
	log_info(&lg, "%s %s (revision %s) listening on %s, port %u%s%s, metrics at %s, libvirt %s", PROG,
	         KVMMEM_VERSION, kvmmem_revision, o.listen_address, http_port(http),
	         web != NULL && web->tls ? ", TLS" : "", web != NULL && web->nusers > 0 ? ", basic auth" : "",
	         o.telemetry_path, o.coll.libvirt_uri);
	first_collection(sc);
	wait_for_stop(&stop, &lg);
	status = 0;

out:
	http_stop(http);
	landing_free(landing);
	scrape_free(sc);
	collection_free(coll);
	webconfig_free(web);
	return status;
}
