/*
 * test_catalogue.c - the rules every metric family must follow, and the
 * README's metric table (printed with --readme-table, compared by
 * tests/readme-catalogue.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model/catalogue.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_ids_match_positions(void **state)
{
	(void)state;
	for (size_t i = 0; i < FAM_COUNT; i++) {
		assert_int_equal(catalogue[i].id, i);
		assert_non_null(catalogue[i].name);
		assert_true(strlen(catalogue[i].help) > 10);
	}
}

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < FAM_COUNT; i++) {
		const struct family *f = &catalogue[i];
		assert_true(strncmp(f->name, "kvmmem_", 7) == 0);
		for (const char *p = f->name; *p != '\0'; p++)
			assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
		/* Counters and only counters end in _total. */
		assert_int_equal(ends_with(f->name, "_total"), f->type == MT_COUNTER);
		/* The unit is part of the name. */
		char base[128];
		snprintf(base, sizeof(base), "%s", f->name);
		if (ends_with(base, "_total"))
			base[strlen(base) - 6] = '\0';
		if (strcmp(f->unit, "bytes") == 0)
			assert_true(ends_with(base, "_bytes"));
		if (strcmp(f->unit, "seconds") == 0)
			assert_true(ends_with(base, "_seconds"));
		if (strcmp(f->unit, "ratio") == 0)
			assert_true(ends_with(base, "_ratio"));
		if (ends_with(base, "_bytes"))
			assert_string_equal(f->unit, "bytes");
		for (size_t j = i + 1; j < FAM_COUNT; j++)
			assert_string_not_equal(f->name, catalogue[j].name);
		assert_ptr_equal(catalogue_find(f->name), f);
	}
	assert_null(catalogue_find("kvmmem_nonexistent"));
}

/* Every snapshot field feeds exactly one family: nothing collected is
 * silently dropped, nothing is exported twice. */
static void test_fields_used_once(void **state)
{
	(void)state;
	int host_uses[HF_COUNT] = {0}, dom_uses[DF_COUNT] = {0};
	for (size_t i = 0; i < FAM_COUNT; i++) {
		const struct family *f = &catalogue[i];
		if (f->source == SRC_HOST) {
			assert_in_range(f->field, 0, HF_COUNT - 1);
			host_uses[f->field]++;
			assert_int_equal(family_nlabels(f), 0);
		} else if (f->source == SRC_DOMAIN) {
			assert_in_range(f->field, 0, DF_COUNT - 1);
			dom_uses[f->field]++;
			assert_int_equal(family_nlabels(f), 1);
			assert_string_equal(f->labels[0], "domain");
		} else {
			assert_int_equal(f->field, -1);
		}
	}
	for (int i = 0; i < HF_COUNT; i++)
		assert_int_equal(host_uses[i], 1);
	for (int i = 0; i < DF_COUNT; i++)
		assert_int_equal(dom_uses[i], 1);
}

static const char *type_name(enum metric_type t)
{
	return t == MT_COUNTER ? "counter" : "gauge";
}

/* The label names of a row, comma separated, into buf. */
static const char *joined_labels(const struct family *f, char *buf, size_t bufsz)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < family_nlabels(f); i++)
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%s", i ? "," : "", f->labels[i]);
	return buf;
}

/* The README table: one row per family, in catalogue order. */
static void print_readme_table(void)
{
	char labels[256];
	printf("| metric | type | unit | labels | collector | meaning |\n");
	printf("|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < FAM_COUNT; i++) {
		const struct family *f = &catalogue[i];
		const char *coll = f->self ? "(self)" : collector_name(f->collector);
		printf("| `%s` | %s | %s | %s | %s | %s |\n", f->name, type_name(f->type), f->unit,
		       joined_labels(f, labels, sizeof(labels)), coll, f->help);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--readme-table") == 0) {
		print_readme_table();
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_match_positions),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_fields_used_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
