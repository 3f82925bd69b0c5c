/* test_top_cli.c - kvmmem-top's argv -> struct top_opts, the exact error messages, intervals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

#define MAXARGS 6

static int parse(const char *const args[MAXARGS], struct top_opts *o, char *err, size_t errsz)
{
	char *argv[MAXARGS + 2];
	int argc = 1;

	argv[0] = "kvmmem-top";
	for (int i = 0; i < MAXARGS && args[i] != NULL; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	err[0] = '\0';
	return top_cli_parse(argc, argv, o, err, errsz);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *argv[MAXARGS];
		const char *err;
	} cases[] = {
	    {{"--bogus"}, "unknown flag '--bogus', try --help"},
	    {{"-x"}, "unknown flag '-x', try --help"},
	    {{"top"}, "unexpected argument 'top', try --help"},
	    {{"-"}, "unexpected argument '-', try --help"},
	    {{"-d"}, "flag '-d' needs a value"},
	    {{"-d", "0"}, "invalid value '0' for flag '-d': expected seconds from 0.1 to 3600"},
	    {{"--delay=abc"}, "invalid value 'abc' for flag '--delay': expected seconds from 0.1 to 3600"},
	    {{"-n", "0"}, "invalid value '0' for flag '-n': expected a positive count"},
	    {{"--width=10"}, "invalid value '10' for flag '--width': expected 20 to 1023 columns"},
	    {{"--sort=memory"},
	     "invalid value 'memory' for flag '--sort': expected a column heading such as NAME, "
	     "MAX or KSM"},
	    {{"--once=yes"}, "flag '--once' takes no value"},
	    {{"--once", "--json"}, "--once and --json exclude each other"},
	    {{"--collector.nope"}, "unknown flag '--collector.nope', try --help"},
	    {{"--collector.ksm=1"}, "flag '--collector.ksm' takes no value"},
	    {{"--path.sysfs="}, "invalid value '' for flag '--path.sysfs': empty"},
	    {{"--libvirt.uri"}, "flag '--libvirt.uri' needs a value"},
	    /* The exporter's own flags mean nothing here. */
	    {{"--web.listen-address=:1"}, "unknown flag '--web.listen-address', try --help"},
	};
	struct top_opts o;
	char err[TOP_ERR_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: %s\n", i, cases[i].argv[0]);
		assert_int_equal(parse(cases[i].argv, &o, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
}

static void test_values(void **state)
{
	(void)state;
	struct top_opts o;
	char err[TOP_ERR_MAX];

	const char *none[MAXARGS] = {NULL};
	assert_int_equal(parse(none, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, TOP_SCREEN);
	assert_int_equal(o.delay_ms, 2000);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.sort, COL_NAME);
	assert_false(o.reverse);
	assert_null(o.filter);
	assert_string_equal(o.coll.sysfs, "/sys");
	assert_string_equal(o.coll.libvirt_uri, "qemu:///system");

	const char *a[MAXARGS] = {"-d0.5", "--once", "--sort=swap/s", "-r", "--filter", "web"};
	assert_int_equal(parse(a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, TOP_ONCE);
	assert_int_equal(o.delay_ms, 500);
	assert_int_equal(o.sort, COL_SWAP);
	assert_true(o.reverse);
	assert_string_equal(o.filter, "web");

	const char *b[MAXARGS] = {"--json", "-n", "3", "--no-collector.ksm", "--path.procfs", "/p"};
	assert_int_equal(parse(b, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, TOP_JSON);
	assert_int_equal(o.count, 3);
	assert_false(o.coll.collectors[COLL_KSM]);
	assert_string_equal(o.coll.procfs, "/p");

	/* --help wins over everything, --version over the modes. */
	const char *c[MAXARGS] = {"--json", "--version", "-h"};
	assert_int_equal(parse(c, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, TOP_HELP);
	const char *d[MAXARGS] = {"--version", "--once", "--width=132"};
	assert_int_equal(parse(d, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, TOP_VERSION);
	assert_int_equal(o.width, 132);
}

static void test_delays(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc, ms;
	} cases[] = {
	    {"2", 0, 2000},       {"0.1", 0, 100},
	    {"0.25", 0, 250},     {"1.5", 0, 1500},
	    {"3600", 0, 3600000}, {"1.0005", -EINVAL, 0},
	    {"0.05", -EINVAL, 0}, {"3601", -EINVAL, 0},
	    {"1.", -EINVAL, 0},   {".5", -EINVAL, 0},
	    {"-1", -EINVAL, 0},   {"1s", -EINVAL, 0},
	    {"", -EINVAL, 0},     {"99999999999999999999", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ms = -1;
		print_message("case %zu: %s\n", i, cases[i].s);
		assert_int_equal(top_parse_delay(cases[i].s, &ms), cases[i].rc);
		assert_int_equal(ms, cases[i].rc == 0 ? cases[i].ms : -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_delays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
