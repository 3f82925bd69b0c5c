/* test_domxml.c - domain XML snippets to exact memory configuration. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backends/domxml.h"

#define ABSENT UINT64_MAX /* marks an absent value in the table below */

struct xcase {
	const char *xml;
	const char *balloon;
	bool nosharepages, hugepages, locked;
	uint64_t max_bytes;
	uint64_t period;
};

static const struct xcase cases[] = {
    /* The live XML of a plain QEMU domain. */
    {"<domain type='kvm'><memory unit='KiB'>1048576</memory><devices>"
     "<memballoon model='virtio'><stats period='5'/></memballoon></devices></domain>",
     "virtio", false, false, false, 1073741824ULL, 5},
    /* No unit: KiB. */
    {"<domain><memory>2048</memory></domain>", "none", false, false, false, 2097152, ABSENT},
    {"<domain><memory unit='b'>4096</memory></domain>", "none", false, false, false, 4096, ABSENT},
    {"<domain><memory unit='bytes'>4096</memory></domain>", "none", false, false, false, 4096, ABSENT},
    /* libvirt rounds bytes up to whole KiB. */
    {"<domain><memory unit='b'>1000</memory></domain>", "none", false, false, false, 1024, ABSENT},
    {"<domain><memory unit='KB'>1024</memory></domain>", "none", false, false, false, 1024000, ABSENT},
    {"<domain><memory unit='k'>3</memory></domain>", "none", false, false, false, 3072, ABSENT},
    {"<domain><memory unit='MB'>1</memory></domain>", "none", false, false, false, 1000448, ABSENT},
    {"<domain><memory unit='M'>3</memory></domain>", "none", false, false, false, 3145728, ABSENT},
    {"<domain><memory unit='MiB'>2560</memory></domain>", "none", false, false, false, 2684354560ULL, ABSENT},
    {"<domain><memory unit='GB'>2</memory></domain>", "none", false, false, false, 2000000000ULL, ABSENT},
    {"<domain><memory unit='G'>4</memory></domain>", "none", false, false, false, 4294967296ULL, ABSENT},
    {"<domain><memory unit='GiB'>4</memory></domain>", "none", false, false, false, 4294967296ULL, ABSENT},
    {"<domain><memory unit='TB'>1</memory></domain>", "none", false, false, false, 1000000000000ULL, ABSENT},
    {"<domain><memory unit='T'>2</memory></domain>", "none", false, false, false, 2199023255552ULL, ABSENT},
    {"<domain><memory unit='TiB'>1</memory></domain>", "none", false, false, false, 1099511627776ULL, ABSENT},
    /* Whitespace around the number as an editor may leave it. */
    {"<domain><memory unit='KiB'>\n  8\n</memory></domain>", "none", false, false, false, 8192, ABSENT},
    /* Unknown unit, garbage, negative, empty, overflow: that value is absent, the rest stays. */
    {"<domain><memory unit='parsec'>1</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory unit='KiB'>12abc</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory>-1</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory></memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory unit='TiB'>16777216</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory unit='KiB'>18014398509481984</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory unit='b'>18446744073709551615</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    {"<domain><memory>99999999999999999999999</memory></domain>", "none", false, false, false, ABSENT, ABSENT},
    /* Largest KiB count that still fits in bytes. */
    {"<domain><memory>18014398509481983</memory></domain>", "none", false, false, false, 18446744073709550592ULL,
     ABSENT},
    /* memoryBacking flags. */
    {"<domain><memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages><locked/></memoryBacking>"
     "</domain>",
     "none", false, true, true, ABSENT, ABSENT},
    {"<domain><memoryBacking><nosharepages/></memoryBacking></domain>", "none", true, false, false, ABSENT, ABSENT},
    /* Elements elsewhere do not count: only direct children of memoryBacking. */
    {"<domain><metadata><memoryBacking><nosharepages/></memoryBacking></metadata></domain>", "none", false, false,
     false, ABSENT, ABSENT},
    /* Balloon models and stats periods. */
    {"<domain><devices><memballoon model='virtio'/></devices></domain>", "virtio", false, false, false, ABSENT, 0},
    {"<domain><devices><memballoon model='virtio'><stats/></memballoon></devices></domain>", "virtio", false, false,
     false, ABSENT, 0},
    {"<domain><devices><memballoon model='virtio'><stats period='0'/></memballoon></devices></domain>", "virtio", false,
     false, false, ABSENT, 0},
    {"<domain><devices><memballoon model='virtio'><stats period='x'/></memballoon></devices></domain>", "virtio", false,
     false, false, ABSENT, ABSENT},
    {"<domain><devices><memballoon model='virtio'><stats period='-2'/></memballoon></devices></domain>", "virtio",
     false, false, false, ABSENT, ABSENT},
    {"<domain><devices><memballoon model='virtio-transitional'><stats period='30'/></memballoon></devices>"
     "</domain>",
     "virtio-transitional", false, false, false, ABSENT, 30},
    {"<domain><devices><memballoon model='virtio-non-transitional'/></devices></domain>", "virtio-non-transitional",
     false, false, false, ABSENT, 0},
    {"<domain><devices><memballoon model='xen'/></devices></domain>", "xen", false, false, false, ABSENT, 0},
    {"<domain><devices><memballoon model='none'><stats period='5'/></memballoon></devices></domain>", "none", false,
     false, false, ABSENT, ABSENT},
    {"<domain><devices><memballoon model='&quot;evil&quot;'/></devices></domain>", "other", false, false, false, ABSENT,
     0},
    {"<domain><devices><memballoon/></devices></domain>", "other", false, false, false, ABSENT, 0},
    {"<domain><devices><disk/></devices></domain>", "none", false, false, false, ABSENT, ABSENT},
    /* A real dumpxml from the test driver (k6.18 "pinned"). */
    {"<domain type='test' id='9'>\n  <name>pinned</name>\n  <memory unit='KiB'>4194304</memory>\n"
     "  <currentMemory unit='KiB'>4194304</currentMemory>\n  <memoryBacking>\n    <hugepages/>\n    <locked/>\n"
     "  </memoryBacking>\n  <devices>\n    <memballoon model='virtio'>\n      <stats period='5'/>\n"
     "    </memballoon>\n  </devices>\n</domain>\n",
     "virtio", false, true, true, 4294967296ULL, 5},
};

static void check_mval(const struct mval *m, uint64_t want, size_t i, const char *what)
{
	if (want == ABSENT) {
		if (m->present)
			fail_msg("case %zu %s: want absent, got %ju", i, what, (uintmax_t)m->v.u);
		return;
	}
	if (!m->present)
		fail_msg("case %zu %s: want %ju, got absent", i, what, (uintmax_t)want);
	assert_int_equal(m->kind, MV_U64);
	if (m->v.u != want)
		fail_msg("case %zu %s: want %ju, got %ju", i, what, (uintmax_t)want, (uintmax_t)m->v.u);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct xcase *c = &cases[i];
		struct domxml_info info;
		memset(&info, 0xa5, sizeof(info));
		int rc = domxml_parse(c->xml, strlen(c->xml), &info);
		if (rc != 0)
			fail_msg("case %zu: rc %d", i, rc);
		assert_true(info.config.present);
		if (strcmp(info.config.balloon, c->balloon) != 0)
			fail_msg("case %zu: balloon %s, want %s", i, info.config.balloon, c->balloon);
		assert_int_equal(info.config.nosharepages, c->nosharepages);
		assert_int_equal(info.config.hugepages, c->hugepages);
		assert_int_equal(info.config.locked, c->locked);
		check_mval(&info.max_memory_bytes, c->max_bytes, i, "max");
		check_mval(&info.stats_period_seconds, c->period, i, "period");
	}
}

/* The balloon string is one of the module's static literals, never text
 * owned by the (freed) document. */
static void test_balloon_is_static(void **state)
{
	(void)state;
	struct domxml_info a, b;
	const char *x1 = "<domain><devices><memballoon model='virtio'/></devices></domain>";
	const char *x2 =
	    "<domain><devices><memballoon model='virtio'><stats period='1'/></memballoon></devices></domain>";
	assert_int_equal(domxml_parse(x1, strlen(x1), &a), 0);
	assert_int_equal(domxml_parse(x2, strlen(x2), &b), 0);
	assert_ptr_equal(a.config.balloon, b.config.balloon);
}

/* <memballoon freePageReporting='on' autodeflate='on'>: only 'on' counts,
 * and a balloon of model none has neither. */
static void test_balloon_switches(void **state)
{
	(void)state;
	static const struct {
		const char *xml;
		bool fpr, dod;
	} sw[] = {
	    {"<domain><devices><memballoon model='virtio' autodeflate='on' freePageReporting='on'/></devices></domain>",
	     true, true},
	    {"<domain><devices><memballoon model='virtio' freePageReporting='on'/></devices></domain>", true, false},
	    {"<domain><devices><memballoon model='virtio' autodeflate='on'/></devices></domain>", false, true},
	    {"<domain><devices><memballoon model='virtio' autodeflate='off' "
	     "freePageReporting='off'/></devices></domain>",
	     false, false},
	    {"<domain><devices><memballoon model='virtio' autodeflate='yes' "
	     "freePageReporting='ON'/></devices></domain>",
	     false, false},
	    {"<domain><devices><memballoon model='none' autodeflate='on' freePageReporting='on'/></devices></domain>",
	     false, false},
	    {"<domain><devices/></domain>", false, false},
	};
	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		struct domxml_info info;
		assert_int_equal(domxml_parse(sw[i].xml, strlen(sw[i].xml), &info), 0);
		if (info.config.free_page_reporting != sw[i].fpr || info.config.deflate_on_oom != sw[i].dod)
			fail_msg("case %zu: free_page_reporting %d deflate_on_oom %d", i,
			         info.config.free_page_reporting, info.config.deflate_on_oom);
	}
}

/* virtio-mem devices: size, requested and current summed over the
 * devices that have them, each in its own unit; other memory devices and
 * unreadable sizes are left out; none at all is absent. */
static void test_virtio_mem(void **state)
{
	(void)state;
	const char *xml = "<domain><devices>"
	                  "<memory model='virtio-mem'><target><size unit='KiB'>1048576</size><node>0</node>"
	                  "<block unit='KiB'>2048</block><requested unit='KiB'>524288</requested>"
	                  "<current unit='KiB'>262144</current></target></memory>"
	                  "<memory model='virtio-mem'><target><size unit='GiB'>2</size>"
	                  "<requested unit='MiB'>512</requested></target></memory>"
	                  "<memory model='dimm'><target><size unit='KiB'>523264</size></target></memory>"
	                  "<memory model='virtio-mem'><target><size unit='parsec'>1</size></target></memory>"
	                  "</devices></domain>";
	struct domxml_info info;
	assert_int_equal(domxml_parse(xml, strlen(xml), &info), 0);
	assert_true(info.virtio_mem_size.present);
	assert_int_equal(info.virtio_mem_size.v.u, 3ULL << 30);
	assert_true(info.virtio_mem_requested.present);
	assert_int_equal(info.virtio_mem_requested.v.u, 1ULL << 30);
	assert_true(info.virtio_mem_current.present);
	assert_int_equal(info.virtio_mem_current.v.u, 256ULL << 20);
	const char *none = "<domain><devices><memory model='dimm'><target><size>1</size></target></memory>"
	                   "</devices></domain>";
	assert_int_equal(domxml_parse(none, strlen(none), &info), 0);
	assert_false(info.virtio_mem_size.present);
	assert_false(info.virtio_mem_requested.present);
	assert_false(info.virtio_mem_current.present);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "<domain>",
	    "<domain><memory>1</memory>",
	    "not xml at all",
	    "<network><name>x</name></network>",
	    "<domain><devices></domain>",
	    "<?xml version='1.0'?>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct domxml_info info;
		memset(&info, 0x5a, sizeof(info));
		struct domxml_info before = info;
		if (domxml_parse(bad[i], strlen(bad[i]), &info) != -EINVAL)
			fail_msg("bad case %zu accepted", i);
		assert_memory_equal(&info, &before, sizeof(info));
	}
	assert_int_equal(domxml_parse(NULL, 0, &(struct domxml_info){0}), -EINVAL);
}

/* No network and no external entities: the SYSTEM entity stays an
 * unresolved reference (so <memory> is absent, not fetched from
 * 192.0.2.1), while an entity defined inside the document itself is
 * resolved where libxml2 reads attribute values. */
static void test_entities_not_expanded(void **state)
{
	(void)state;
	const char *xml = "<?xml version='1.0'?>\n"
	                  "<!DOCTYPE domain [<!ENTITY m 'virtio'><!ENTITY ext SYSTEM 'http://192.0.2.1/x'>]>\n"
	                  "<domain><memory>&ext;</memory><devices><memballoon model='&m;'/></devices></domain>";
	struct domxml_info info;
	assert_int_equal(domxml_parse(xml, strlen(xml), &info), 0);
	assert_false(info.max_memory_bytes.present);
	assert_string_equal(info.config.balloon, "virtio");
}

/* A large generated document (many devices) parses and finds the balloon. */
static void test_huge_document(void **state)
{
	(void)state;
	size_t n = 20000, cap = n * 40 + 256, len = 0;
	char *xml = malloc(cap);
	assert_non_null(xml);
	len += (size_t)snprintf(xml + len, cap - len, "<domain><memory unit='GiB'>1024</memory><devices>");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(xml + len, cap - len, "<disk type='file' n='%zu'/>", i);
	len += (size_t)snprintf(xml + len, cap - len,
	                        "<memballoon model='virtio'><stats period='2'/></memballoon>"
	                        "</devices></domain>");
	assert_true(len < cap);
	struct domxml_info info;
	assert_int_equal(domxml_parse(xml, len, &info), 0);
	assert_int_equal(info.max_memory_bytes.v.u, 1099511627776ULL);
	assert_int_equal(info.stats_period_seconds.v.u, 2);
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),         cmocka_unit_test(test_balloon_is_static),
	    cmocka_unit_test(test_malformed),     cmocka_unit_test(test_entities_not_expanded),
	    cmocka_unit_test(test_huge_document), cmocka_unit_test(test_balloon_switches),
	    cmocka_unit_test(test_virtio_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
