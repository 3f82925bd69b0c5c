/* test_cli.c - argv -> struct cli_opts and the exact error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

#define MAXARGS 8

/* One argv and what it must produce: either a struct (checked field by
 * field against the defaults plus the changes the case names) or an
 * exact error message. */
struct cli_case {
	const char *argv[MAXARGS];
	const char *err; /* NULL: must parse */
	void (*expect)(struct cli_opts *o);
};

static void ex_none(struct cli_opts *o)
{
	(void)o;
}
static void ex_dump(struct cli_opts *o)
{
	o->action = CLI_DUMP;
}
static void ex_help(struct cli_opts *o)
{
	o->action = CLI_HELP;
}
static void ex_version(struct cli_opts *o)
{
	o->action = CLI_VERSION;
}
static void ex_listen_v4(struct cli_opts *o)
{
	o->listen_address = "127.0.0.1:9100";
	memcpy(o->listen_host, "127.0.0.1", 10);
	o->listen_port = 9100;
}
static void ex_listen_v6(struct cli_opts *o)
{
	o->listen_address = "[::1]:65535";
	memcpy(o->listen_host, "::1", 4);
	o->listen_port = 65535;
}
static void ex_listen_any(struct cli_opts *o)
{
	o->listen_address = ":0";
	o->listen_port = 0;
}
static void ex_listen_name(struct cli_opts *o)
{
	o->listen_address = "localhost:80";
	memcpy(o->listen_host, "localhost", 10);
	o->listen_port = 80;
}
static void ex_paths(struct cli_opts *o)
{
	o->coll.sysfs = "/s";
	o->coll.procfs = "/p";
	o->coll.libvirt_run = "/r";
	o->coll.libvirt_uri = "test:///default";
	o->telemetry_path = "/m";
	o->web_config_file = "web.yml";
}
static void ex_collectors(struct cli_opts *o)
{
	o->coll.collectors[COLL_LIBVIRT] = false;
	o->coll.collectors[COLL_KSM] = false;
	o->action = CLI_DUMP;
}
static void ex_collector_last_wins(struct cli_opts *o)
{
	(void)o; /* --no-collector.meminfo then --collector.meminfo */
}
static void ex_timeout_500ms(struct cli_opts *o)
{
	o->scrape_timeout_ms = 500;
}
static void ex_timeout_1m30s(struct cli_opts *o)
{
	o->scrape_timeout_ms = 90000;
}
static void ex_timeout_24h(struct cli_opts *o)
{
	o->scrape_timeout_ms = 24ULL * 3600 * 1000;
}
static void ex_debug(struct cli_opts *o)
{
	o->log_level = LOG_LVL_DEBUG;
}
static void ex_error(struct cli_opts *o)
{
	o->log_level = LOG_LVL_ERROR;
}

static const struct cli_case cases[] = {
    {{NULL}, NULL, ex_none},
    {{"--dump"}, NULL, ex_dump},
    {{"-h"}, NULL, ex_help},
    {{"--help", "--dump"}, NULL, ex_help},
    {{"--dump", "--version"}, NULL, ex_version},
    {{"--version", "--help"}, NULL, ex_help},
    {{"--web.listen-address=127.0.0.1:9100"}, NULL, ex_listen_v4},
    {{"--web.listen-address", "127.0.0.1:9100"}, NULL, ex_listen_v4},
    {{"--web.listen-address=[::1]:65535"}, NULL, ex_listen_v6},
    {{"--web.listen-address=:0"}, NULL, ex_listen_any},
    {{"--web.listen-address", "localhost:80"}, NULL, ex_listen_name},
    {{"--path.sysfs=/s", "--path.procfs", "/p", "--path.libvirt-run=/r", "--libvirt.uri", "test:///default",
      "--web.telemetry-path=/m", "--web.config.file=web.yml"},
     NULL,
     ex_paths},
    {{"--no-collector.libvirt", "--dump", "--no-collector.ksm"}, NULL, ex_collectors},
    {{"--no-collector.meminfo", "--collector.meminfo"}, NULL, ex_collector_last_wins},
    {{"--scrape.timeout=500ms"}, NULL, ex_timeout_500ms},
    {{"--scrape.timeout", "1m30s"}, NULL, ex_timeout_1m30s},
    {{"--scrape.timeout=24h"}, NULL, ex_timeout_24h},
    {{"--log.level=debug"}, NULL, ex_debug},
    {{"--log.level", "error"}, NULL, ex_error},

    {{"--foo"}, "unknown flag '--foo', try --help", NULL},
    {{"--foo=bar"}, "unknown flag '--foo', try --help", NULL},
    {{"-v"}, "unexpected argument '-v', try --help", NULL},
    {{"dump"}, "unexpected argument 'dump', try --help", NULL},
    {{"--"}, "unexpected argument '--', try --help", NULL},
    {{"--collector.nope"}, "unknown flag '--collector.nope', try --help", NULL},
    {{"--no-collector."}, "unknown flag '--no-collector.', try --help", NULL},
    {{"--collector.ksm=false"}, "flag '--collector.ksm' takes no value", NULL},
    {{"--dump=1"}, "flag '--dump' takes no value", NULL},
    {{"--libvirt.uri"}, "flag '--libvirt.uri' needs a value", NULL},
    {{"--path.sysfs="}, "invalid value '' for flag '--path.sysfs': empty", NULL},
    {{"--scrape.timeout=8"},
     "invalid value '8' for flag '--scrape.timeout': expected a positive duration of at most 24h such as 500ms, 8s "
     "or 1m",
     NULL},
    {{"--scrape.timeout=8x"},
     "invalid value '8x' for flag '--scrape.timeout': expected a positive duration of at most 24h such as 500ms, "
     "8s or 1m",
     NULL},
    {{"--scrape.timeout", "0s"},
     "invalid value '0s' for flag '--scrape.timeout': expected a positive duration of at most 24h such as 500ms, "
     "8s or 1m",
     NULL},
    {{"--scrape.timeout=25h"},
     "invalid value '25h' for flag '--scrape.timeout': expected a positive duration of at most 24h such as 500ms, "
     "8s or 1m",
     NULL},
    {{"--scrape.timeout=-1s"},
     "invalid value '-1s' for flag '--scrape.timeout': expected a positive duration of at most 24h such as 500ms, "
     "8s or 1m",
     NULL},
    {{"--log.level=loud"}, "invalid value 'loud' for flag '--log.level': expected error, warn, info or debug", NULL},
    {{"--web.listen-address=19177"},
     "invalid value '19177' for flag '--web.listen-address': expected [HOST]:PORT such as :19177, 127.0.0.1:19177 "
     "or [::1]:19177",
     NULL},
    {{"--web.listen-address=::1:80"},
     "invalid value '::1:80' for flag '--web.listen-address': expected [HOST]:PORT such as :19177, 127.0.0.1:19177 "
     "or [::1]:19177",
     NULL},
    {{"--web.listen-address=:65536"},
     "invalid value ':65536' for flag '--web.listen-address': expected [HOST]:PORT such as :19177, 127.0.0.1:19177 "
     "or [::1]:19177",
     NULL},
    {{"--web.telemetry-path=metrics"},
     "invalid value 'metrics' for flag '--web.telemetry-path': expected a path starting with '/', other than / and "
     "/-/healthy",
     NULL},
    {{"--web.telemetry-path=/"},
     "invalid value '/' for flag '--web.telemetry-path': expected a path starting with '/', other than / and "
     "/-/healthy",
     NULL},
    {{"--web.telemetry-path=/a%20b"},
     "invalid value '/a%20b' for flag '--web.telemetry-path': no request path matches a '%', '?', '#', blank or "
     "control character",
     NULL},
    {{"--web.telemetry-path=/m?x=1"},
     "invalid value '/m?x=1' for flag '--web.telemetry-path': no request path matches a '%', '?', '#', blank or "
     "control character",
     NULL},
    {{"--web.telemetry-path=/a b"},
     "invalid value '/a b' for flag '--web.telemetry-path': no request path matches a '%', '?', '#', blank or "
     "control character",
     NULL},
    {{"--web.telemetry-path=/m#top"},
     "invalid value '/m#top' for flag '--web.telemetry-path': no request path matches a '%', '?', '#', blank or "
     "control character",
     NULL},
    {{"--web.telemetry-path=/"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
     "invalid value for flag '--web.telemetry-path': longer than 100 bytes",
     NULL},
};

static void check_case(const struct cli_case *c)
{
	char *argv[MAXARGS + 2]; /* program name, the case, NULL */
	int argc = 1;
	struct cli_opts got, want;
	char err[CLI_ERR_MAX];

	argv[0] = "kvmmem_exporter";
	for (int i = 0; i < MAXARGS && c->argv[i] != NULL; i++)
		argv[argc++] = (char *)c->argv[i];
	argv[argc] = NULL;
	memset(err, 0, sizeof(err));
	int r = cli_parse(argc, argv, &got, err, sizeof(err));
	if (c->err != NULL) {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err, c->err);
		return;
	}
	if (r != 0)
		fail_msg("argv[1]=%s: unexpected error: %s", argc > 1 ? argv[1] : "(none)", err);
	cli_defaults(&want);
	c->expect(&want);
	assert_int_equal(got.action, want.action);
	assert_string_equal(got.listen_address, want.listen_address);
	assert_string_equal(got.listen_host, want.listen_host);
	assert_int_equal(got.listen_port, want.listen_port);
	assert_string_equal(got.telemetry_path, want.telemetry_path);
	if (want.web_config_file == NULL)
		assert_null(got.web_config_file);
	else
		assert_string_equal(got.web_config_file, want.web_config_file);
	assert_string_equal(got.coll.libvirt_uri, want.coll.libvirt_uri);
	assert_string_equal(got.coll.sysfs, want.coll.sysfs);
	assert_string_equal(got.coll.procfs, want.coll.procfs);
	assert_string_equal(got.coll.libvirt_run, want.coll.libvirt_run);
	assert_memory_equal(got.coll.collectors, want.coll.collectors, sizeof(got.coll.collectors));
	assert_int_equal(got.scrape_timeout_ms, want.scrape_timeout_ms);
	assert_int_equal(got.log_level, want.log_level);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: %s\n", i, cases[i].argv[0] != NULL ? cases[i].argv[0] : "(no flags)");
		check_case(&cases[i]);
	}
}

static void test_defaults(void **state)
{
	(void)state;
	struct cli_opts o;
	cli_defaults(&o);
	assert_int_equal(o.action, CLI_SERVE);
	assert_string_equal(o.listen_address, ":19177");
	assert_string_equal(o.listen_host, "");
	assert_int_equal(o.listen_port, 19177);
	assert_string_equal(o.telemetry_path, "/metrics");
	assert_null(o.web_config_file);
	assert_string_equal(o.coll.libvirt_uri, "qemu:///system");
	assert_string_equal(o.coll.sysfs, "/sys");
	assert_string_equal(o.coll.procfs, "/proc");
	assert_string_equal(o.coll.libvirt_run, "/run/libvirt/qemu");
	/* Every collector but qmp, which talks to QEMU's one-client monitors. */
	for (int i = 0; i < COLL_COUNT; i++)
		assert_int_equal(o.coll.collectors[i], i != COLL_QMP);
	assert_int_equal(o.coll.qmp_timeout_ms, 300);
	assert_int_equal(o.scrape_timeout_ms, 8000);
	assert_int_equal(o.log_level, LOG_LVL_INFO);
}

/* Durations by themselves, including the ones Go accepts that we do not. */
static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		uint64_t ms;
	} t[] = {
	    {"1ms", 0, 1},
	    {"8s", 0, 8000},
	    {"1m", 0, 60000},
	    {"2h", 0, 7200000},
	    {"1h1m1s1ms", 0, 3661001},
	    {"1s500ms", 0, 1500},
	    {"", -EINVAL, 0},
	    {"s", -EINVAL, 0},
	    {"1.5s", -EINVAL, 0},
	    {"1us", -EINVAL, 0},
	    {"1S", -EINVAL, 0},
	    {" 1s", -EINVAL, 0},
	    {"1s ", -EINVAL, 0},
	    {"86400001ms", -EINVAL, 0},
	    {"18446744073709551615h", -EINVAL, 0},
	    {"99999999999999999999s", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t ms = 7;
		print_message("duration '%s'\n", t[i].s);
		assert_int_equal(cli_parse_duration(t[i].s, &ms), t[i].rc);
		assert_int_equal(ms, t[i].rc == 0 ? t[i].ms : 7);
	}
}

/* The help text names every flag and every default. */
static void test_usage(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(cli_usage(&b, "kvmmem_exporter"), 0);
	static const char expected[] =
	    "usage: kvmmem_exporter [flags]\n"
	    "\n"
	    "Prometheus exporter for KVM hosts: virtio-balloon (via libvirt) and KSM memory metrics.\n"
	    "\n"
	    "Flags:\n"
	    "  -h, --help\n"
	    "      Show this help and exit.\n"
	    "  --version\n"
	    "      Show the version, revision and library versions and exit.\n"
	    "  --dump\n"
	    "      Collect once, print the exposition to stdout and exit (non-zero only when nothing could be "
	    "collected).\n"
	    "  --web.listen-address=ADDR\n"
	    "      Address to listen on: :PORT for every address, HOST:PORT, [IPV6]:PORT. (default: \":19177\")\n"
	    "  --web.telemetry-path=PATH\n"
	    "      Path under which the metrics are served. (default: \"/metrics\")\n"
	    "  --web.config.file=FILE\n"
	    "      Exporter-toolkit web configuration file: TLS, client certificates, basic auth, headers. "
	    "(default: \"\")\n"
	    "  --libvirt.uri=URI\n"
	    "      libvirt connection URI, opened read-only. (default: \"qemu:///system\")\n"
	    "  --path.sysfs=DIR\n"
	    "      sysfs mount point. (default: \"/sys\")\n"
	    "  --path.procfs=DIR\n"
	    "      procfs mount point. (default: \"/proc\")\n"
	    "  --path.libvirt-run=DIR\n"
	    "      libvirt QEMU run directory holding <domain>.pid files. (default: \"/run/libvirt/qemu\")\n"
	    "  --path.qemu-server-run=DIR\n"
	    "      Proxmox VE qemu-server run directory holding <vmid>.pid files. (default: "
	    "\"/var/run/qemu-server\")\n"
	    "  --path.cgroupfs=DIR\n"
	    "      cgroup file system mount point (v1: the memory controller under memory/). (default: "
	    "\"/sys/fs/cgroup\")\n"
	    "  --qmp.timeout=DURATION\n"
	    "      Deadline of each VM's QMP monitor in a collection, 1ms to 10s; the platform's own client (pvestatd, "
	    "qm) waits at most as long. (default: \"300ms\")\n"
	    "  --scrape.timeout=DURATION\n"
	    "      Deadline of one collection (h, m, s, ms units, e.g. 500ms, 8s, 1m). (default: \"8s\")\n"
	    "  --log.level=LEVEL\n"
	    "      Least severe log level shown: error, warn, info, debug. (default: \"info\")\n"
	    "  --[no-]collector.ksm\n"
	    "      Collect host KSM from sysfs, ksmd CPU time and vmstat KSM counters (default: enabled).\n"
	    "  --[no-]collector.meminfo\n"
	    "      Collect page size, MemTotal and MemAvailable (default: enabled).\n"
	    "  --[no-]collector.libvirt\n"
	    "      Collect domains, balloon statistics and memory configuration from libvirt (default: enabled).\n"
	    "  --[no-]collector.qemu\n"
	    "      Collect QEMU processes found in /proc (Proxmox VE, KubeVirt, QEMU without libvirt) (default: "
	    "enabled).\n"
	    "  --[no-]collector.domain_ksm\n"
	    "      Collect per-domain KSM from each QEMU process's ksm_stat (default: enabled).\n"
	    "  --[no-]collector.cgroup\n"
	    "      Collect per-domain host cost from each QEMU process's memory cgroup and VmSwap (default: "
	    "enabled).\n"
	    "  --[no-]collector.qmp\n"
	    "      Collect balloon and guest memory statistics from the QMP monitors of QEMU processes without libvirt "
	    "(Proxmox VE, plain QEMU); needs root or the sockets' group (default: disabled).\n";
	assert_string_equal(b.data, expected);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
