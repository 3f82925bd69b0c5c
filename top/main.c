/* main.c - kvmmem-top: flags, the collection, then the screen, --once or --json. */
#include <errno.h>
#include <linux/capability.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "model.h"
#include "model/collect.h"
#include "screen.h"
#include "table.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/parse.h"

#define PROG "kvmmem-top"
#define MAX_OUTPUT (256u << 20) /* one table or document at most; 5000 domains need about 2 MiB */
#define MAX_TIMEOUT_MS 8000     /* the exporter's default deadline */
#define MIN_SCREEN_TIMEOUT_MS 1000

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* SIGINT and SIGTERM end the program through the main loop, so the screen
 * restores the terminal first.  No SA_RESTART: a blocked read returns. */
static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* May this process read other users' /proc/<pid> files?  Asked of the
 * kernel (capget), not of /proc. */
static bool privileged(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (geteuid() == 0)
		return true;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].effective & CAP_TO_MASK(CAP_DAC_READ_SEARCH)) != 0;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct runner {
	struct collection *coll;
	struct top_model model;
	bool privileged;
	bool any_success;
	time_t fixed_now; /* KVMMEM_TOP_NOW, for golden files; 0: the clock */
};

static int collect(void *ctx, struct top_view *out, double *ms)
{
	struct runner *r = ctx;
	struct snapshot s;
	struct top_clock clk;

	snapshot_init(&s);
	double t0 = mono_now();
	int rc = collection_run(r->coll, &s);
	clk.mono = mono_now();
	clk.wall = r->fixed_now != 0 ? r->fixed_now : time(NULL);
	*ms = (clk.mono - t0) * 1000;
	r->any_success |= rc == 0;
	snapshot_finish(&s);
	int mr = top_model_update(&r->model, &s, &clk, r->privileged, out);
	snapshot_clear(&s);
	return mr;
}

static void log_stderr(void *ctx, enum log_level level, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s: %s\n", PROG, log_level_name(level), msg);
}

static void log_screen(void *ctx, enum log_level level, const char *msg)
{
	char line[TOP_MSG_MAX];

	snprintf(line, sizeof(line), "%s: %s", log_level_name(level), msg);
	top_msg_set(ctx, line);
}

/* --once's width: --width, else the terminal's, else 80. */
static int once_width(const struct top_opts *o)
{
	struct winsize ws;

	if (o->width > 0)
		return o->width;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col < TOP_LINE_MAX ? ws.ws_col : TOP_LINE_MAX - 1;
	return 80;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	/* A stop signal cuts the sleep short (EINTR) and ends the loop. */
	(void)nanosleep(&ts, NULL);
}

/* --once and --json: collections written to stdout, no terminal. */
static int run_batch(const struct top_opts *o, struct runner *r)
{
	unsigned long count = o->count > 0 ? o->count : o->mode == TOP_ONCE ? 1 : 0;
	struct buf b;
	int status = 0;
	bool reader_gone = false;

	buf_init(&b, MAX_OUTPUT);
	for (unsigned long i = 0; !stop_flag && (count == 0 || i < count); i++) {
		struct top_view v;
		double ms;
		if (i > 0)
			sleep_ms(o->delay_ms);
		if (stop_flag)
			break;
		if (collect(r, &v, &ms) != 0) {
			fprintf(stderr, "%s: out of memory\n", PROG);
			status = 1;
			break;
		}
		top_view_sort(&v, o->sort, o->reverse);
		buf_reset(&b);
		if (o->mode == TOP_JSON)
			top_json_view(&v, o->filter, &b);
		else
			top_format_table(&v, once_width(o), o->filter, &b);
		if (o->mode == TOP_ONCE && i + 1 < count)
			buf_putc(&b, '\n');
		top_view_clear(&v);
		if (buf_failed(&b) || fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
			/* A reader that has had enough (| head) ends the stream
			 * quietly, as for any filter. */
			if (!buf_failed(&b) && errno == EPIPE) {
				reader_gone = true;
				break;
			}
			fprintf(stderr, "%s: cannot write the output: %s\n", PROG,
			        buf_failed(&b) ? strerrordesc_np(-b.err) : strerrordesc_np(errno));
			status = 1;
			break;
		}
	}
	buf_free(&b);
	/* Like the exporter's --dump: non-zero only when nothing at all could
	 * be collected. */
	return reader_gone ? 0 : status != 0 ? status : r->any_success ? 0 : 1;
}

static int print_text(int (*fn)(struct buf *, const char *))
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	int r = fn(&b, PROG);
	if (r == 0)
		fputs(b.data, stdout);
	buf_free(&b);
	return r == 0 ? 0 : 1;
}

static int version_text(struct buf *b, const char *prog)
{
	char lv[64];

	collector_library_version(COLL_LIBVIRT, lv, sizeof(lv));
	return buf_printf(b, "%s %s (libvirt %s)\n", prog, KVMMEM_VERSION, lv);
}

/* The screen needs a terminal on both ends; say what to use instead. */
static int check_tty(void)
{
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return 0;
	fprintf(stderr, "%s: error: standard %s is not a terminal: use --once for one table or --json for JSON\n", PROG,
	        isatty(STDOUT_FILENO) ? "input" : "output");
	return -ENOTTY;
}

/* KVMMEM_TOP_NOW=<unix seconds> fixes the wall clock that ages are
 * measured against, so golden files of fixture hosts (whose guests
 * reported at a fixed time) stay the same from day to day. */
static time_t fixed_now(void)
{
	const char *s = getenv("KVMMEM_TOP_NOW");
	struct cursor c;
	uint64_t v;

	if (s == NULL)
		return 0;
	c = cursor_make(s, strlen(s));
	if (cursor_u64(&c, (uint64_t)INT32_MAX * 4, &v) != 0 || !cursor_eof(&c))
		return 0;
	return (time_t)v;
}

static bool no_color(void)
{
	const char *nc = getenv("NO_COLOR");

	/* no-color.org: set and not empty. */
	return nc != NULL && nc[0] != '\0';
}

int main(int argc, char *argv[])
{
	struct top_opts o;
	struct collect_opts co;
	struct top_msg msg = {PTHREAD_MUTEX_INITIALIZER, ""};
	struct kvm_log lg = {log_stderr, NULL, LOG_LVL_WARN};
	struct runner r = {0};
	char err[TOP_ERR_MAX];
	int status = 1;

	setlocale(LC_CTYPE, "");
	if (top_cli_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: error: %s\n", PROG, err);
		return 2;
	}
	if (o.mode == TOP_HELP)
		return print_text(top_cli_usage);
	if (o.mode == TOP_VERSION)
		return print_text(version_text);
	if (o.mode == TOP_SCREEN && check_tty() != 0)
		return 2;
	install_signals();
	if (o.mode == TOP_SCREEN)
		lg = (struct kvm_log){log_screen, &msg, LOG_LVL_WARN};

	collect_opts_default(&co);
	collect_flags_apply(&o.coll, &co);
	co.env.log = &lg;
	/* The screen is held no longer than one interval (but gives a slow
	 * libvirt a second at least); --once and --json have the exporter's
	 * whole deadline, nobody waits on them to type. */
	co.timeout_ms = MAX_TIMEOUT_MS;
	if (o.mode == TOP_SCREEN && o.delay_ms < MAX_TIMEOUT_MS)
		co.timeout_ms = o.delay_ms > MIN_SCREEN_TIMEOUT_MS ? o.delay_ms : MIN_SCREEN_TIMEOUT_MS;
	top_model_init(&r.model);
	r.privileged = privileged();
	r.fixed_now = fixed_now();
	r.coll = collection_new(&co);
	if (r.coll == NULL) {
		fprintf(stderr, "%s: cannot create the collector (out of memory or no threads)\n", PROG);
		goto out;
	}
	if (o.mode != TOP_SCREEN) {
		status = run_batch(&o, &r);
		goto out;
	}
	struct top_screen sc = {&o, collect, &r, &stop_flag, &msg, !no_color()};
	if (top_screen_run(&sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: error: %s\n", PROG, err);
		status = 2;
		goto out;
	}
	status = 0;
out:
	collection_free(r.coll);
	top_model_free(&r.model);
	return status;
}
