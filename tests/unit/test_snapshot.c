/* test_snapshot.c - domain storage, ordering and collector names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/snapshot.h"

static void test_add_sort_take(void **state)
{
	(void)state;
	struct snapshot a, b;
	snapshot_init(&a);
	snapshot_init(&b);
	/* More than the initial allocation, in reverse order. */
	char name[16];
	for (int i = 39; i >= 0; i--) {
		name[0] = (char)('a' + i / 10);
		name[1] = (char)('0' + i % 10);
		name[2] = '\0';
		struct dom_snap *d = snapshot_add_domain(&a, name, "0123456789abcdef0123456789abcdef01234567");
		assert_non_null(d);
		mval_set_u64(&d->f[DF_STATE], (uint64_t)i);
		assert_false(d->f[DF_RSS_BYTES].present);
	}
	assert_non_null(snapshot_add_domain(&b, "zz", NULL));
	assert_int_equal(snapshot_take_domains(&b, &a), 0);
	assert_int_equal(a.ndoms, 0);
	assert_int_equal(b.ndoms, 41);
	snapshot_finish(&b);
	assert_string_equal(b.doms[0].name, "a0");
	assert_int_equal(b.doms[0].f[DF_STATE].v.u, 0);
	assert_string_equal(b.doms[39].name, "d9");
	assert_string_equal(b.doms[40].name, "zz");
	/* UUIDs are cut to 36 characters, absent ones empty. */
	assert_int_equal(strlen(b.doms[0].uuid), 36);
	assert_string_equal(b.doms[40].uuid, "");
	snapshot_clear(&a);
	snapshot_clear(&b);
	assert_int_equal(b.ndoms, 0);
	assert_null(b.doms);

	/* Reserved exactly; into an empty snapshot the array itself moves. */
	assert_int_equal(snapshot_reserve_domains(&a, 5000), 0);
	assert_int_equal(a.doms_alloc, 5000);
	for (int i = 0; i < 5000; i++)
		assert_non_null(snapshot_add_domain(&a, "x", NULL));
	assert_int_equal(a.doms_alloc, 5000);
	struct dom_snap *arr = a.doms;
	assert_int_equal(snapshot_take_domains(&b, &a), 0);
	assert_ptr_equal(b.doms, arr);
	assert_int_equal(b.ndoms, 5000);
	assert_int_equal(b.doms_alloc, 5000);
	assert_int_equal(a.ndoms, 0);
	/* Into a non-empty one they are copied, with exactly the room needed. */
	assert_non_null(snapshot_add_domain(&a, "y", NULL));
	assert_non_null(snapshot_add_domain(&a, "z", NULL));
	assert_int_equal(snapshot_take_domains(&b, &a), 0);
	assert_int_equal(b.ndoms, 5002);
	assert_int_equal(b.doms_alloc, 5002);
	assert_string_equal(b.doms[5001].name, "z");
	assert_int_equal(a.ndoms, 0);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_mval_as_double(void **state)
{
	(void)state;
	struct mval m;
	mval_set_u64(&m, 5);
	assert_true(mval_as_double(&m) == 5.0);
	mval_set_i64(&m, -7);
	assert_true(mval_as_double(&m) == -7.0);
	mval_set_f64(&m, 0.25);
	assert_true(mval_as_double(&m) == 0.25);
}

static void test_collector_names(void **state)
{
	(void)state;
	static const char *const names[] = {"ksm", "meminfo", "libvirt", "qemu", "domain_ksm", "cgroup", "qmp"};
	for (int i = 0; i < COLL_COUNT; i++) {
		enum collector_id id;
		assert_string_equal(collector_name((enum collector_id)i), names[i]);
		assert_int_equal(collector_lookup(names[i], &id), 0);
		assert_int_equal(id, i);
	}
	enum collector_id id = COLL_KSM;
	assert_int_equal(collector_lookup("ksmd", &id), -ENOENT);
	assert_int_equal(id, COLL_KSM);
	assert_string_equal(collector_name(COLL_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_sort_take),
	    cmocka_unit_test(test_mval_as_double),
	    cmocka_unit_test(test_collector_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
