/* test_nametab.c - str_hash is 64-bit FNV-1a, byte for byte; the name table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "util/nametab.h"

static void test_fnv1a_vectors(void **state)
{
	(void)state;
	/* The published FNV-1a 64 test vectors (the offset basis for ""). */
	static const struct {
		const char *s;
		uint64_t h;
	} t[] = {
	    {"", 0xcbf29ce484222325ULL},
	    {"a", 0xaf63dc4c8601ec8cULL},
	    {"foobar", 0x85944171f73967e8ULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(str_hash(t[i].s), (size_t)t[i].h);
	/* Bytes above 0x7f count as unsigned, whatever char's sign (a
	 * sign-extended 0xff would flip all 64 bits). */
	assert_int_equal(str_hash("\xff"
	                          "caf\xc3\xa9"),
	                 (size_t)0xafc0f7fcc9fa339cULL);
}

struct item {
	struct nametab_node node;
	int value;
	char name[16];
};

static bool drop_odd(struct nametab_node *n, void *arg)
{
	(*(int *)arg)++;
	return nametab_entry(n, struct item, node)->value % 2 != 0;
}

/* The table finds every name after growing, and a sweep unlinks exactly
 * what it is told to. */
static void test_table(void **state)
{
	(void)state;
	static struct item items[3000];
	struct nametab t;
	assert_int_equal(nametab_init(&t), 0);
	assert_null(nametab_find(&t, "guest-00000"));
	for (int i = 0; i < 3000; i++) {
		items[i].value = i;
		snprintf(items[i].name, sizeof(items[i].name), "guest-%05d", i);
		nametab_add(&t, &items[i].node, items[i].name);
	}
	assert_int_equal(t.count, 3000);
	assert_true(t.nbuckets >= 3000);
	for (int i = 0; i < 3000; i++) {
		struct nametab_node *n = nametab_find(&t, items[i].name);
		assert_non_null(n);
		assert_int_equal(nametab_entry(n, struct item, node)->value, i);
	}
	int visited = 0;
	nametab_sweep(&t, drop_odd, &visited);
	assert_int_equal(visited, 3000);
	assert_int_equal(t.count, 1500);
	assert_null(nametab_find(&t, "guest-00001"));
	assert_non_null(nametab_find(&t, "guest-00002"));
	nametab_fini(&t);
	nametab_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fnv1a_vectors),
	    cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
