/*
 * test_xml_cache.c - the name-keyed cache of domain XML: what is kept,
 * what marks an entry out of date (xml_cache_usable as a case table),
 * events during a fetch, pruning of domains no longer listed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "backends/xml_cache.h"

static void test_usable(void **state)
{
	(void)state;
	/* An entry fetched at 1000 s, active, events 3 of 3, max age 600. */
	const struct xml_cached base = {
	    .active = true, .events = 3, .fetched_events = 3, .fetched = 1000, .max_age = 600, .valid = true};
	static const struct {
		const char *what;
		bool stale;
		unsigned events;
		bool active, busy;
		time_t now;
		bool want;
	} t[] = {
	    {"unchanged and young", false, 3, true, false, 1100, true},
	    {"one age short of the limit", false, 3, true, false, 1599, true},
	    {"at the age limit", false, 3, true, false, 1600, false},
	    {"a lifecycle event since", false, 4, true, false, 1100, false},
	    {"fetched over an older connection", true, 3, true, false, 1100, false},
	    {"stopped since (bulk state)", false, 3, false, false, 1100, false},
	    {"busy and old: kept", false, 3, true, true, 9999, true},
	    {"busy with an event: kept", false, 4, true, true, 1100, true},
	    {"busy but stopped: refetched", false, 3, false, true, 1100, false},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct xml_cached e = base;
		e.stale = t[i].stale;
		e.events = t[i].events;
		if (xml_cache_usable(&e, t[i].active, t[i].busy, t[i].now) != t[i].want)
			fail_msg("case %zu (%s): want %d", i, t[i].what, t[i].want);
	}
}

static struct xml_cached fetched(const char *uuid, unsigned fetched_events, time_t now, bool valid)
{
	struct xml_cached e;
	memset(&e, 0, sizeof(e));
	memcpy(e.uuid, uuid, strlen(uuid) + 1);
	e.active = true;
	e.fetched_events = fetched_events;
	e.fetched = now;
	e.valid = valid;
	mval_set_u64(&e.info.max_memory_bytes, 1024);
	return e;
}

static void test_put_get_events_prune(void **state)
{
	(void)state;
	struct xml_cache *c = xml_cache_new();
	struct xml_cached got;
	assert_non_null(c);
	assert_false(xml_cache_get(c, "a", 1, &got));
	/* An event for a domain not cached yet is nothing to remember. */
	xml_cache_event(c, "a");

	struct xml_cached in = fetched("00000000-0000-0000-0000-00000000000a", 0, 100, true);
	xml_cache_put(c, "a", 1, &in);
	assert_true(xml_cache_get(c, "a", 1, &got));
	assert_string_equal(got.uuid, in.uuid);
	assert_int_equal(got.events, 0);
	assert_false(got.stale);
	/* The age limit is 600 s plus a spread of under 300 s, by name. */
	assert_in_range(got.max_age, 600, 899);
	assert_true(xml_cache_usable(&got, true, false, 150));

	/* An event arrives: out of date until fetched again. */
	xml_cache_event(c, "a");
	assert_true(xml_cache_get(c, "a", 2, &got));
	assert_int_equal(got.events, 1);
	assert_false(xml_cache_usable(&got, true, false, 150));
	/* The refetch started when 1 event was seen; another came during it:
	 * still out of date afterwards. */
	in = fetched("00000000-0000-0000-0000-00000000000a", got.events, 160, true);
	xml_cache_event(c, "a");
	xml_cache_put(c, "a", 2, &in);
	assert_true(xml_cache_get(c, "a", 2, &got));
	assert_false(xml_cache_usable(&got, true, false, 170));

	/* A fetch whose XML did not parse keeps the older answer. */
	in = fetched("00000000-0000-0000-0000-00000000000a", got.events, 180, false);
	memset(&in.info, 0, sizeof(in.info));
	xml_cache_put(c, "a", 2, &in);
	assert_true(xml_cache_get(c, "a", 2, &got));
	assert_false(got.valid);
	assert_true(got.info.max_memory_bytes.present);

	/* A reconnect: everything is stale. */
	in = fetched("00000000-0000-0000-0000-00000000000b", 0, 100, true);
	xml_cache_put(c, "b", 2, &in);
	xml_cache_mark_stale(c);
	assert_true(xml_cache_get(c, "b", 3, &got));
	assert_true(got.stale);

	/* Collection 3 listed only b: a is dropped, b stays. */
	xml_cache_prune(c, 3);
	assert_false(xml_cache_get(c, "a", 4, &got));
	assert_true(xml_cache_get(c, "b", 4, &got));
	xml_cache_free(c);
	xml_cache_free(NULL);
}

/* Thousands of names: all found again after the table grew. */
static void test_many(void **state)
{
	(void)state;
	struct xml_cache *c = xml_cache_new();
	char name[32];
	for (int i = 0; i < 5000; i++) {
		struct xml_cached in = fetched("", 0, 1, true);
		snprintf(name, sizeof(name), "guest-%05d", i);
		xml_cache_put(c, name, 1, &in);
	}
	struct xml_cached got;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "guest-%05d", i);
		assert_true(xml_cache_get(c, name, i % 2 ? 2 : 1, &got));
	}
	xml_cache_prune(c, 2);
	int left = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "guest-%05d", i);
		left += xml_cache_get(c, name, 3, &got);
	}
	assert_int_equal(left, 2500);
	xml_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usable),
	    cmocka_unit_test(test_put_get_events_prune),
	    cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
