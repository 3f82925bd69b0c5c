/*
 * test_emit.c - emit walks a snapshot in catalogue order through a sink:
 * exact call sequence for a hand-built snapshot, recorded as text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"
#include "model/emit.h"

/* Records every sink call as one line of text. */
static int rec_begin(void *ctx, const struct family *f)
{
	return buf_printf(ctx, "begin %s\n", f->name);
}

static int rec_sample(void *ctx, const struct family *f, const struct dom_snap *dom, const struct label *l, size_t n,
                      const struct mval *v)
{
	struct buf *b = ctx;
	buf_printf(b, "  %s dom=%s", f->name, dom != NULL ? dom->name : "-");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, " %s=%s", l[i].name, l[i].value);
	buf_puts(b, " = ");
	switch (v->kind) {
	case MV_U64:
		buf_put_u64(b, v->v.u);
		break;
	case MV_I64:
		buf_put_i64(b, v->v.i);
		break;
	default:
		buf_put_double(b, v->v.f);
	}
	return buf_putc(b, '\n');
}

static int rec_end(void *ctx, const struct family *f)
{
	return buf_printf(ctx, "end %s\n", f->name);
}

static void enable_all(struct snapshot *s)
{
	for (int i = 0; i < COLL_COUNT; i++)
		s->coll[i].enabled = true;
}

static void test_sequence(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf b;
	snapshot_init(&s);
	buf_init(&b, 1 << 20);
	enable_all(&s);
	mval_set_u64(&s.host[HF_KSM_RUN], 1);
	mval_set_i64(&s.host[HF_KSM_GENERAL_PROFIT], -768000);
	mval_set_f64(&s.host[HF_KSM_SLEEP_SECONDS], 0.02);
	memcpy(s.advisor_mode, "none", 5);
	struct dom_snap *d = snapshot_add_domain(&s, "zeta", "00000000-0000-0000-0000-00000000000b");
	mval_set_u64(&d->f[DF_STATE], 5);
	d = snapshot_add_domain(&s, "alpha", "00000000-0000-0000-0000-00000000000a");
	mval_set_u64(&d->f[DF_STATE], 1);
	mval_set_u64(&d->f[DF_BALLOON_CURRENT_BYTES], 1073741824);
	mval_set_i64(&d->f[DF_KSM_PROFIT_BYTES], -4096);
	d->config = (struct domain_config){.present = true, .balloon = "virtio", .nosharepages = true};
	snapshot_finish(&s);
	s.coll[COLL_KSM].ran = true;
	s.coll[COLL_KSM].success = true;
	s.coll[COLL_KSM].duration_seconds = 0.5;
	/* kvmmem_libvirt_up is the libvirt collector's success. */
	s.coll[COLL_LIBVIRT].ran = true;
	s.coll[COLL_LIBVIRT].success = true;
	struct build_labels bl = {.version = "1.2.3", .revision = "abc", .libvirt_version = NULL};
	struct sink sk = {.ctx = &b, .begin_family = rec_begin, .sample = rec_sample, .end_family = rec_end};

	assert_int_equal(emit_snapshot(&s, &bl, &sk), 0);
	assert_false(buf_failed(&b));
	assert_string_equal(
	    b.data,
	    "begin kvmmem_ksm_run\n"
	    "  kvmmem_ksm_run dom=- = 1\n"
	    "end kvmmem_ksm_run\n"
	    "begin kvmmem_ksm_general_profit_bytes\n"
	    "  kvmmem_ksm_general_profit_bytes dom=- = -768000\n"
	    "end kvmmem_ksm_general_profit_bytes\n"
	    "begin kvmmem_ksm_sleep_seconds\n"
	    "  kvmmem_ksm_sleep_seconds dom=- = 0.02\n"
	    "end kvmmem_ksm_sleep_seconds\n"
	    "begin kvmmem_ksm_advisor_info\n"
	    "  kvmmem_ksm_advisor_info dom=- mode=none = 1\n"
	    "end kvmmem_ksm_advisor_info\n"
	    "begin kvmmem_libvirt_up\n"
	    "  kvmmem_libvirt_up dom=- = 1\n"
	    "end kvmmem_libvirt_up\n"
	    "begin kvmmem_domain_info\n"
	    "  kvmmem_domain_info dom=alpha domain=alpha uuid=00000000-0000-0000-0000-00000000000a source=libvirt "
	    "vmid= = 1\n"
	    "  kvmmem_domain_info dom=zeta domain=zeta uuid=00000000-0000-0000-0000-00000000000b source=libvirt "
	    "vmid= = 1\n"
	    "end kvmmem_domain_info\n"
	    "begin kvmmem_domain_state_code\n"
	    "  kvmmem_domain_state_code dom=alpha domain=alpha = 1\n"
	    "  kvmmem_domain_state_code dom=zeta domain=zeta = 5\n"
	    "end kvmmem_domain_state_code\n"
	    "begin kvmmem_domain_balloon_current_bytes\n"
	    "  kvmmem_domain_balloon_current_bytes dom=alpha domain=alpha = 1073741824\n"
	    "end kvmmem_domain_balloon_current_bytes\n"
	    "begin kvmmem_domain_memory_config_info\n"
	    "  kvmmem_domain_memory_config_info dom=alpha domain=alpha balloon=virtio "
	    "hugepages=false ksm=false locked=false free_page_reporting=false deflate_on_oom=false = 1\n"
	    "end kvmmem_domain_memory_config_info\n"
	    "begin kvmmem_domain_ksm_profit_bytes\n"
	    "  kvmmem_domain_ksm_profit_bytes dom=alpha domain=alpha = -4096\n"
	    "end kvmmem_domain_ksm_profit_bytes\n"
	    "begin kvmmem_scrape_collector_success\n"
	    "  kvmmem_scrape_collector_success dom=- collector=ksm = 1\n"
	    "  kvmmem_scrape_collector_success dom=- collector=libvirt = 1\n"
	    "end kvmmem_scrape_collector_success\n"
	    "begin kvmmem_scrape_collector_duration_seconds\n"
	    "  kvmmem_scrape_collector_duration_seconds dom=- collector=ksm = 0.5\n"
	    "  kvmmem_scrape_collector_duration_seconds dom=- collector=libvirt = 0\n"
	    "end kvmmem_scrape_collector_duration_seconds\n"
	    "begin kvmmem_exporter_build_info\n"
	    "  kvmmem_exporter_build_info dom=- version=1.2.3 revision=abc libvirt_version= = 1\n"
	    "end kvmmem_exporter_build_info\n");
	buf_free(&b);
	snapshot_clear(&s);
}

/* A disabled collector hides its families even when fields are set. */
static void test_disabled_collector(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf b;
	snapshot_init(&s);
	buf_init(&b, 4096);
	enable_all(&s);
	s.coll[COLL_KSM].enabled = false;
	mval_set_u64(&s.host[HF_KSM_RUN], 1);
	mval_set_u64(&s.host[HF_PAGE_SIZE_BYTES], 4096);
	struct sink sk = {.ctx = &b, .begin_family = rec_begin, .sample = rec_sample, .end_family = NULL};
	assert_int_equal(emit_snapshot(&s, NULL, &sk), 0);
	assert_string_equal(b.data, "begin kvmmem_host_page_size_bytes\n"
	                            "  kvmmem_host_page_size_bytes dom=- = 4096\n");
	buf_free(&b);
	snapshot_clear(&s);
}

static int fail_sample(void *ctx, const struct family *f, const struct dom_snap *dom, const struct label *l, size_t n,
                       const struct mval *v)
{
	(void)ctx, (void)f, (void)dom, (void)l, (void)n, (void)v;
	return -E2BIG;
}

/* The first sink error stops the walk and is returned. */
static void test_sink_error(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf b;
	snapshot_init(&s);
	buf_init(&b, 4096);
	enable_all(&s);
	mval_set_u64(&s.host[HF_KSM_RUN], 1);
	mval_set_u64(&s.host[HF_PAGE_SIZE_BYTES], 4096);
	struct sink sk = {.ctx = &b, .begin_family = rec_begin, .sample = fail_sample, .end_family = rec_end};
	assert_int_equal(emit_snapshot(&s, NULL, &sk), -E2BIG);
	assert_string_equal(b.data, "begin kvmmem_ksm_run\n");
	buf_free(&b);
	snapshot_clear(&s);
}

/* Counts families and checks every sample's label names against the
 * family's row, in order. */
struct label_check {
	int families;
	int samples;
};

static int check_begin(void *ctx, const struct family *f)
{
	(void)f;
	((struct label_check *)ctx)->families++;
	return 0;
}

static int check_sample(void *ctx, const struct family *f, const struct dom_snap *dom, const struct label *l, size_t n,
                        const struct mval *v)
{
	(void)dom;
	(void)v;
	((struct label_check *)ctx)->samples++;
	assert_int_equal(n, family_nlabels(f));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l[i].name, f->labels[i]);
	return 0;
}

/* A snapshot with every field present: every family of the catalogue is
 * emitted, and the label names of each sample are its row's. */
static void test_labels_follow_catalogue(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	for (int i = 0; i < COLL_COUNT; i++)
		s.coll[i] = (struct coll_status){.enabled = true, .ran = true, .success = true};
	for (int f = 0; f < HF_COUNT; f++)
		mval_set_u64(&s.host[f], 1);
	memcpy(s.advisor_mode, "scan-time", 10);
	struct dom_snap *d = snapshot_add_domain(&s, "vm", "00000000-0000-0000-0000-000000000001");
	for (int f = 0; f < DF_COUNT; f++)
		mval_set_u64(&d->f[f], 1);
	d->config = (struct domain_config){.present = true, .balloon = "virtio"};
	struct build_labels bl = {"1", "r", "9.0.0"};
	struct label_check chk = {0, 0};
	struct sink sk = {.ctx = &chk, .begin_family = check_begin, .sample = check_sample};

	assert_int_equal(emit_snapshot(&s, &bl, &sk), 0);
	assert_int_equal(chk.families, FAM_COUNT);
	/* One sample per family, but one per collector for the two self
	 * families of collectors. */
	assert_int_equal(chk.samples, FAM_COUNT + 2 * (COLL_COUNT - 1));
	snapshot_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequence),
	    cmocka_unit_test(test_disabled_collector),
	    cmocka_unit_test(test_sink_error),
	    cmocka_unit_test(test_labels_follow_catalogue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
