/*
 * test_plugin_read.c - the collectd plugin through collectd's plugin API:
 * registration, strict configuration (exact error messages), and the
 * exact value lists one read dispatches for the fixture host k6.18
 * (its sysfs/procfs tree and libvirt's test driver), plus the options
 * that filter and name them, on hand-built snapshots.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collectd_stubs.h"

#include "util/buf.h"
#include "conf.h"
#include "dispatch.h"
#include "model/emit.h"

void module_register(void);

#define HOST FIXTURES "/hosts/k6.18"

/*
 * A <Plugin kvmmem> block from text, one option per line, values as
 * collectd's parser types them: "quoted" strings, true/false booleans,
 * numbers, and bare words as strings.  Enough for option lists; blocks
 * inside the block are not needed.
 */
struct block {
	oconfig_item_t root;
	oconfig_item_t items[16];
	oconfig_value_t values[16][4];
	char text[2048];
};

static oconfig_item_t *block_parse(struct block *b, const char *src)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->text, sizeof(b->text), "%s", src);
	b->root.key = "Plugin";
	b->root.children = b->items;
	for (char *line = b->text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		oconfig_item_t *it = &b->items[b->root.children_num++];
		it->values = b->values[b->root.children_num - 1];
		it->parent = &b->root;
		char *p = line;
		it->key = p;
		p += strcspn(p, " ");
		while (*p == ' ')
			*p++ = '\0';
		while (*p != '\0') {
			oconfig_value_t *v = &it->values[it->values_num++];
			char *end;
			if (*p == '"') {
				v->type = OCONFIG_TYPE_STRING;
				v->value.string = ++p;
				p = strchr(p, '"');
				*p++ = '\0';
			} else {
				char *tok = p;
				p += strcspn(p, " ");
				if (*p != '\0')
					*p++ = '\0';
				double d = strtod(tok, &end);
				if (strcmp(tok, "true") == 0 || strcmp(tok, "false") == 0) {
					v->type = OCONFIG_TYPE_BOOLEAN;
					v->value.boolean = tok[0] == 't';
				} else if (*end == '\0') {
					v->type = OCONFIG_TYPE_NUMBER;
					v->value.number = d;
				} else {
					v->type = OCONFIG_TYPE_STRING;
					v->value.string = tok;
				}
			}
			while (*p == ' ')
				p++;
		}
		line = next;
	}
	return &b->root;
}

static int setup(void **state)
{
	(void)state;
	stub_reset();
	module_register();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (stub.shutdown != NULL)
		stub.shutdown();
	stub_reset();
	return 0;
}

static void test_registers_everything(void **state)
{
	(void)state;
	assert_non_null(stub.config);
	assert_non_null(stub.init);
	assert_non_null(stub.read);
	assert_non_null(stub.shutdown);
}

struct conf_case {
	const char *block;
	int rc;
	const char *log; /* exact log text */
};

static void test_config_cases(void **state)
{
	static const struct conf_case cases[] = {
	    {"Connection \"test:///default\"\nSysfsPath \"/x/sys\"\nProcfsPath \"/x/proc\"\nLibvirtRunPath \"/x/run\"\n"
	     "PluginInstanceFormat name uuid\nDomain \"a\"\nDomain \"/^b/\"\nIgnoreSelected true\nReportHost false\n"
	     "ReportDomains \"yes\"\nReportDomainKSM false\nTimeout 2.5",
	     0, ""},
	    {"reporthost true\nPLUGININSTANCEFORMAT uuid", 0, ""},
	    {"Bogus 1", -1, "3: kvmmem plugin: unknown option Bogus\n"},
	    {"Connection", -1, "3: kvmmem plugin: option Connection needs exactly one string argument\n"},
	    {"Connection 1", -1, "3: kvmmem plugin: option Connection needs exactly one string argument\n"},
	    {"SysfsPath \"a\" \"b\"", -1, "3: kvmmem plugin: option SysfsPath needs exactly one string argument\n"},
	    {"ProcfsPath \"\"", -1, "3: kvmmem plugin: option ProcfsPath must not be empty\n"},
	    {"ReportHost 1", -1,
	     "3: kvmmem plugin: option ReportHost needs exactly one boolean argument (true or false)\n"},
	    {"ReportDomainKSM \"maybe\"", -1,
	     "3: kvmmem plugin: option ReportDomainKSM needs exactly one boolean argument (true or false)\n"},
	    {"ReportDomainCgroup off\nCgroupfsPath \"/x/cgroup\"", 0, ""},
	    {"ReportDomainCgroup 0", -1,
	     "3: kvmmem plugin: option ReportDomainCgroup needs exactly one boolean argument (true or false)\n"},
	    {"CgroupfsPath \"\"", -1, "3: kvmmem plugin: option CgroupfsPath must not be empty\n"},
	    {"PluginInstanceFormat \"name uuid\"", -1,
	     "3: kvmmem plugin: option PluginInstanceFormat: unknown field \"name uuid\" (known: name uuid)\n"},
	    {"PluginInstanceFormat hostname", -1,
	     "3: kvmmem plugin: option PluginInstanceFormat: unknown field \"hostname\" (known: name uuid)\n"},
	    {"PluginInstanceFormat name name", -1,
	     "3: kvmmem plugin: option PluginInstanceFormat lists a field twice\n"},
	    {"PluginInstanceFormat name uuid name", -1,
	     "3: kvmmem plugin: option PluginInstanceFormat needs one or two of: name uuid\n"},
	    {"Domain \"/a(/\"", -1,
	     "3: kvmmem plugin: option Domain: bad regular expression /a(/: Unmatched ( or \\(\n"},
	    {"Timeout 0", -1, "3: kvmmem plugin: option Timeout must be between 0.001 and 3600 seconds\n"},
	    {"Timeout \"5\"", -1, "3: kvmmem plugin: option Timeout needs exactly one number (seconds)\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct block b;
		stub_reset();
		module_register();
		int rc = stub.config(block_parse(&b, cases[i].block));
		if (rc != cases[i].rc || strcmp(stub.logged.data != NULL ? stub.logged.data : "", cases[i].log) != 0)
			fail_msg("case %zu (%s): rc %d, log \"%s\"; want rc %d, log \"%s\"", i, cases[i].block, rc,
			         stub.logged.data != NULL ? stub.logged.data : "", cases[i].rc, cases[i].log);
		stub.shutdown();
	}
}

/* Timeout must stay below the read interval: init refuses otherwise. */
static void test_timeout_below_interval(void **state)
{
	struct block b;
	(void)state;
	stub.interval = DOUBLE_TO_CDTIME_T(2);
	assert_int_equal(stub.config(block_parse(&b, "Timeout 2\nConnection \"test:///default\"")), 0);
	assert_int_equal(stub.init(), -1);
	assert_string_equal(stub.logged.data,
	                    "3: kvmmem plugin: option Timeout (2 s) must be below the read interval (2 s)\n");
}

/* What one read of k6.18 dispatches: host KSM and memory, every domain's
 * libvirt values (all states), and domain KSM and cgroup values where the
 * QEMU process is known.  Read against tests/golden/k6.18.prom: same numbers, counters
 * as integers, ksmd CPU in milliseconds. */
#include "test_plugin_k618.h"

static void test_fixture_host(void **state)
{
	struct block b;
	(void)state;
	assert_int_equal(
	    stub.config(block_parse(&b, "Connection \"test://" HOST "/libvirt.xml\"\n"
	                                "SysfsPath \"" HOST "/sys\"\nProcfsPath \"" HOST "/proc\"\n"
	                                "LibvirtRunPath \"" HOST "/run\"\nCgroupfsPath \"" HOST "/sys/fs/cgroup\"")),
	    0);
	assert_int_equal(stub.init(), 0);
	assert_int_equal(stub.read(), 0);
	assert_false(buf_failed(&stub.dispatched));
	if (strcmp(stub.dispatched.data, k618_expected) != 0) {
		print_message("dispatched:\n");
		for (const char *l = stub.dispatched.data; *l != '\0';) {
			const char *nl = strchr(l, '\n');
			int n = nl != NULL ? (int)(nl - l) : (int)strlen(l);
			print_message("%.*s\n", n, l);
			l += n + (nl != NULL);
		}
		fail_msg("k6.18 dispatches differ from test_plugin_k618.h");
	}
	/* A second read gives the same (the fixture does not change). */
	buf_reset(&stub.dispatched);
	assert_int_equal(stub.read(), 0);
	assert_string_equal(stub.dispatched.data, k618_expected);
}

/* The Proxmox VE fixture node without libvirt: the qemu backend's
 * domains reach collectd like libvirt's (state, maximum, RSS, KSM, the
 * cgroup of VMID 100), named as in tests/golden/proxmox.prom; with
 * QemuDiscovery false there are none.  Only domain values are compared
 * (ReportHost false). */
#include "test_plugin_proxmox.h"

#define PVE FIXTURES "/hosts/proxmox"

static void test_proxmox_host(void **state)
{
	struct block b;
	(void)state;
	assert_int_equal(stub.config(block_parse(&b, "Connection \"qemu+unix:///system?socket=" PVE "/none\"\n"
	                                             "SysfsPath \"" PVE "/sys\"\nProcfsPath \"" PVE "/proc\"\n"
	                                             "CgroupfsPath \"" PVE "/sys/fs/cgroup\"\n"
	                                             "QemuServerRunPath \"" PVE "/qemu-server\"\nReportHost false")),
	                 0);
	assert_int_equal(stub.init(), 0);
	assert_int_equal(stub.read(), 0);
	assert_false(buf_failed(&stub.dispatched));
	if (getenv("PLUGIN_PROXMOX_PRINT") != NULL)
		fputs(stub.dispatched.data, stdout);
	if (strcmp(stub.dispatched.data, proxmox_expected) != 0) {
		fail_msg("proxmox dispatches differ from test_plugin_proxmox.h");
	}
}

static void test_qemu_discovery_off(void **state)
{
	struct block b;
	(void)state;
	assert_int_equal(stub.config(block_parse(&b, "Connection \"qemu+unix:///system?socket=" PVE "/none\"\n"
	                                             "ProcfsPath \"" PVE "/proc\"\nQemuServerRunPath \"" PVE
	                                             "/qemu-server\"\nReportHost false\nQemuDiscovery false")),
	                 0);
	assert_int_equal(stub.init(), 0);
	assert_int_equal(stub.read(), 0);
	/* libvirt_up is the one value without a domain that is not the host's. */
	assert_string_equal(stub.dispatched.data, "kvmmem||gauge|libvirt_up|0\n");
}

/* A small snapshot: host values, two domains with odd names. */
static void fill(struct snapshot *s)
{
	snapshot_init(s);
	for (int i = 0; i < COLL_COUNT; i++)
		s->coll[i].enabled = s->coll[i].ran = s->coll[i].success = true;
	mval_set_u64(&s->host[HF_KSM_PAGES_SHARING], 31607);
	mval_set_i64(&s->host[HF_KSM_GENERAL_PROFIT], -4096);
	mval_set_f64(&s->host[HF_KSMD_CPU_SECONDS], 12.345);
	struct dom_snap *d = snapshot_add_domain(s, "quote\"back\\slash, café", "4d2c6a10-8e3b-4f5a-9c1d-000000004102");
	mval_set_u64(&d->f[DF_BALLOON_CURRENT_BYTES], 1610612736);
	mval_set_i64(&d->f[DF_KSM_PROFIT_BYTES], -8192);
	mval_set_u64(&d->f[DF_GUEST_SWAP_IN_BYTES], 4096);
	d = snapshot_add_domain(s, "web-01", "4d2c6a10-8e3b-4f5a-9c1d-000000004101");
	mval_set_u64(&d->f[DF_BALLOON_CURRENT_BYTES], 805306368);
	mval_set_u64(&d->f[DF_KSM_MERGING_PAGES], 1200);
	/* A counter going negative cannot be DERIVE: dropped and logged. */
	mval_set_i64(&d->f[DF_GUEST_MAJOR_FAULTS], -1);
	snapshot_finish(s);
}

struct sink_case {
	const char *block;
	const char *want;
};

static void test_sink_options(void **state)
{
	static const struct sink_case cases[] = {
	    {"", "kvmmem||vmpage_number|ksm_pages_sharing|31607\n"
	         "kvmmem||gauge|ksm_general_profit|-4096\n"
	         "kvmmem||total_time_in_ms|ksmd_cpu|12345\n"
	         "kvmmem||gauge|libvirt_up|1\n"
	         "kvmmem|quote\"back\\slash, café|memory|balloon_current|1610612736\n"
	         "kvmmem|web-01|memory|balloon_current|805306368\n"
	         "kvmmem|quote\"back\\slash, café|swap_io|guest_swap_in|4096\n"
	         "kvmmem|web-01|vmpage_number|ksm_merging_pages|1200\n"
	         "kvmmem|quote\"back\\slash, café|gauge|ksm_profit|-8192\n"},
	    {"PluginInstanceFormat uuid name\nReportHost false\nReportDomainKSM false",
	     "kvmmem||gauge|libvirt_up|1\n"
	     "kvmmem|4d2c6a10-8e3b-4f5a-9c1d-000000004102:quote\"back\\slash, café|memory|balloon_current|1610612736\n"
	     "kvmmem|4d2c6a10-8e3b-4f5a-9c1d-000000004101:web-01|memory|balloon_current|805306368\n"
	     "kvmmem|4d2c6a10-8e3b-4f5a-9c1d-000000004102:quote\"back\\slash, café|swap_io|guest_swap_in|4096\n"},
	    {"ReportDomains false\nReportHost false\nDomain \"web-01\"",
	     "kvmmem||gauge|libvirt_up|1\n"
	     "kvmmem|web-01|vmpage_number|ksm_merging_pages|1200\n"},
	    {"Domain \"/^WEB|caf/\"\nReportHost false",
	     "kvmmem||gauge|libvirt_up|1\n"
	     "kvmmem|quote\"back\\slash, café|memory|balloon_current|1610612736\n"
	     "kvmmem|quote\"back\\slash, café|swap_io|guest_swap_in|4096\n"
	     "kvmmem|quote\"back\\slash, café|gauge|ksm_profit|-8192\n"},
	    {"Domain \"/^web/\"\nIgnoreSelected true\nReportHost false\nPluginInstanceFormat uuid",
	     "kvmmem||gauge|libvirt_up|1\n"
	     "kvmmem|4d2c6a10-8e3b-4f5a-9c1d-000000004102|memory|balloon_current|1610612736\n"
	     "kvmmem|4d2c6a10-8e3b-4f5a-9c1d-000000004102|swap_io|guest_swap_in|4096\n"
	     "kvmmem|4d2c6a10-8e3b-4f5a-9c1d-000000004102|gauge|ksm_profit|-8192\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct block b;
		struct cd_conf c;
		struct snapshot s;
		struct sink sink;
		char err[256];
		cd_conf_init(&c);
		assert_int_equal(cd_conf_apply(&c, block_parse(&b, cases[i].block), err, sizeof(err)), 0);
		struct cd_dispatch d = {.conf = &c};
		cd_dispatch_sink(&d, &sink);
		fill(&s);
		stub_reset();
		assert_int_equal(emit_snapshot(&s, NULL, &sink), 0);
		if (strcmp(stub.dispatched.data != NULL ? stub.dispatched.data : "", cases[i].want) != 0)
			fail_msg("case %zu (%s):\n%s\nwant:\n%s", i, cases[i].block,
			         stub.dispatched.data != NULL ? stub.dispatched.data : "", cases[i].want);
		snapshot_clear(&s);
		cd_conf_free(&c);
	}
}

/* The cgroup values of a domain: sent by default, pressure seconds as
 * whole milliseconds of DERIVE; none with ReportDomainCgroup false, which
 * leaves the other domain values alone. */
static void test_sink_cgroup(void **state)
{
	static const struct sink_case cases[] = {
	    {"ReportHost false", "kvmmem||gauge|libvirt_up|1\n"
	                         "kvmmem|vm|memory|balloon_current|805306368\n"
	                         "kvmmem|vm|memory|host_memory|281018368\n"
	                         "kvmmem|vm|memory|host_swap|10485760\n"
	                         "kvmmem|vm|derive|host_oom_kills|2\n"
	                         "kvmmem|vm|total_time_in_ms|host_memory_pressure_waiting|1523\n"
	                         "kvmmem|vm|memory|process_swap|4096\n"},
	    {"ReportHost false\nReportDomainCgroup false", "kvmmem||gauge|libvirt_up|1\n"
	                                                   "kvmmem|vm|memory|balloon_current|805306368\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct block b;
		struct cd_conf c;
		struct snapshot s;
		struct sink sink;
		char err[256];
		cd_conf_init(&c);
		assert_int_equal(cd_conf_apply(&c, block_parse(&b, cases[i].block), err, sizeof(err)), 0);
		struct cd_dispatch d = {.conf = &c};
		cd_dispatch_sink(&d, &sink);
		snapshot_init(&s);
		for (int k = 0; k < COLL_COUNT; k++)
			s.coll[k].enabled = s.coll[k].ran = s.coll[k].success = true;
		struct dom_snap *dom = snapshot_add_domain(&s, "vm", NULL);
		mval_set_u64(&dom->f[DF_BALLOON_CURRENT_BYTES], 805306368);
		mval_set_u64(&dom->f[DF_HOST_MEMORY_BYTES], 281018368);
		mval_set_u64(&dom->f[DF_HOST_SWAP_BYTES], 10485760);
		mval_set_u64(&dom->f[DF_HOST_OOM_KILLS], 2);
		mval_set_f64(&dom->f[DF_HOST_PRESSURE_WAITING_SECONDS], 1.523441);
		mval_set_u64(&dom->f[DF_PROCESS_SWAP_BYTES], 4096);
		stub_reset();
		assert_int_equal(emit_snapshot(&s, NULL, &sink), 0);
		if (strcmp(stub.dispatched.data != NULL ? stub.dispatched.data : "", cases[i].want) != 0)
			fail_msg("case %zu (%s):\n%s\nwant:\n%s", i, cases[i].block,
			         stub.dispatched.data != NULL ? stub.dispatched.data : "", cases[i].want);
		snapshot_clear(&s);
		cd_conf_free(&c);
	}
}

/* A refused dispatch and an out-of-range counter are counted, not fatal. */
static void test_sink_failures(void **state)
{
	struct cd_conf c;
	struct snapshot s;
	struct sink sink;
	(void)state;
	cd_conf_init(&c);
	struct cd_dispatch d = {.conf = &c};
	cd_dispatch_sink(&d, &sink);
	fill(&s);
	stub.dispatch_result = -1;
	assert_int_equal(emit_snapshot(&s, NULL, &sink), 0);
	assert_int_equal(d.sent, 0);
	assert_int_equal(d.failed, 10); /* 9 refused, 1 out of range */
	snapshot_clear(&s);
	cd_conf_free(&c);
}

/* Plugin instances longer than collectd's 127 bytes are cut at a
 * character boundary, never inside a UTF-8 sequence. */
static void test_long_instance(void **state)
{
	struct cd_conf c;
	struct dom_snap d = {0};
	char name[200], out[DATA_MAX_NAME_LEN];
	(void)state;
	cd_conf_init(&c);
	memset(name, 'a', 126);
	memcpy(name + 126, "é", 2); /* bytes 126..127: does not fit */
	name[128] = '\0';
	d.name = name;
	assert_int_equal(cd_plugin_instance(&c, &d, out, sizeof(out)), -E2BIG);
	assert_int_equal(strlen(out), 126);
	name[127] = '\0';
	name[126] = 'b';
	assert_int_equal(cd_plugin_instance(&c, &d, out, sizeof(out)), 0);
	assert_string_equal(out, name);
	cd_conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_registers_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_below_interval, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fixture_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_proxmox_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qemu_discovery_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sink_options, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sink_cgroup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sink_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_instance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
