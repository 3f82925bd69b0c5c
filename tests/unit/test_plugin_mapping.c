/*
 * test_plugin_mapping.c - the catalogue to collectd mapping: every family
 * is mapped or says why not, every type is a stock types.db type of the
 * right kind, type instances follow the naming rule, and the tables in
 * man/collectd-kvmmem.5 and docs/collectd.md are exactly the code's.
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
#include "model/catalogue.h"
#include "mapping.h"
#include "util/parse.h"

#define TYPES_DB "/usr/share/collectd/types.db"

static char types_db[64 * 1024];

/* The data source spec of a type ("value:GAUGE:U:U"), or NULL. */
static const char *ds_of(const char *type, char *out, size_t outsz)
{
	size_t tl = strlen(type);
	for (const char *p = types_db; *p != '\0';) {
		const char *eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (strncmp(p, type, tl) == 0 && (p[tl] == ' ' || p[tl] == '\t')) {
			const char *v = p + tl + strspn(p + tl, " \t");
			snprintf(out, outsz, "%.*s", (int)(eol - v), v);
			return out;
		}
		p = *eol != '\0' ? eol + 1 : eol;
	}
	return NULL;
}

static int load_types_db(void **state)
{
	size_t len;
	(void)state;
	return read_file(TYPES_DB, types_db, sizeof(types_db), &len);
}

static void test_every_family_decided(void **state)
{
	(void)state;
	for (int i = 0; i < FAM_COUNT; i++) {
		const struct cd_map *m = &cd_mapping[i];
		const char *name = catalogue[i].name;
		if (m->type == NULL) {
			if (m->note == NULL || m->type_instance != NULL)
				fail_msg("%s: neither mapped nor marked as not meaningful in collectd", name);
			assert_null(cd_map_get((enum family_id)i));
		} else {
			if (m->type_instance == NULL || m->type_instance[0] == '\0')
				fail_msg("%s: mapped without a type instance", name);
			assert_ptr_equal(cd_map_get((enum family_id)i), m);
		}
	}
}

/* Stock type, one data source, GAUGE for gauges and DERIVE for counters,
 * a range that admits negatives for the signed families. */
static void test_types_are_stock(void **state)
{
	(void)state;
	for (int i = 0; i < FAM_COUNT; i++) {
		const struct cd_map *m = cd_map_get((enum family_id)i);
		const struct family *f = &catalogue[i];
		char ds[256];
		if (m == NULL)
			continue;
		if (ds_of(m->type, ds, sizeof(ds)) == NULL)
			fail_msg("%s: type %s is not in %s", f->name, m->type, TYPES_DB);
		if (strchr(ds, ',') != NULL)
			fail_msg("%s: type %s has several data sources: %s", f->name, m->type, ds);
		const char *want = f->type == MT_COUNTER ? ":DERIVE:" : ":GAUGE:";
		if (strstr(ds, want) == NULL)
			fail_msg("%s: %s is %s, want %s", f->name, m->type, ds, want);
		if ((m->ds == CD_DERIVE) != (f->type == MT_COUNTER))
			fail_msg("%s: mapping ds disagrees with the family type", f->name);
		if (f->id == FAM_KSM_GENERAL_PROFIT || f->id == FAM_DOMAIN_KSM_PROFIT) {
			const char *min = strstr(ds, want) + strlen(want);
			if (strncmp(min, "U:", 2) != 0)
				fail_msg("%s: signed value in %s (%s), whose minimum is not U", f->name, m->type, ds);
		}
		if (m->scale != 1 && m->note == NULL)
			fail_msg("%s: converted by %g without a note saying so", f->name, m->scale);
	}
}

/* type_instance = name without "kvmmem_", "domain_" (per-domain families),
 * "_total", then "_bytes" or "_seconds", then "_timestamp". */
static void test_type_instance_rule(void **state)
{
	static const char *const suffixes[] = {"_total", "_bytes", "_seconds", "_timestamp"};
	(void)state;
	for (int i = 0; i < FAM_COUNT; i++) {
		const struct cd_map *m = cd_map_get((enum family_id)i);
		const struct family *f = &catalogue[i];
		char want[128];
		if (m == NULL)
			continue;
		const char *n = f->name + strlen("kvmmem_");
		if (f->source == SRC_DOMAIN && strncmp(n, "domain_", 7) == 0)
			n += 7;
		snprintf(want, sizeof(want), "%s", n);
		for (size_t s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++) {
			size_t wl = strlen(want), sl = strlen(suffixes[s]);
			if (wl > sl && strcmp(want + wl - sl, suffixes[s]) == 0)
				want[wl - sl] = '\0';
		}
		assert_string_equal(m->type_instance, want);
	}
}

/* No two families of the same plugin instance share type and instance. */
static void test_identifiers_unique(void **state)
{
	(void)state;
	for (int i = 0; i < FAM_COUNT; i++) {
		const struct cd_map *a = cd_map_get((enum family_id)i);
		if (a == NULL)
			continue;
		for (int j = i + 1; j < FAM_COUNT; j++) {
			const struct cd_map *b = cd_map_get((enum family_id)j);
			if (b == NULL || (catalogue[i].source == SRC_DOMAIN) != (catalogue[j].source == SRC_DOMAIN))
				continue;
			if (strcmp(a->type, b->type) == 0 && strcmp(a->type_instance, b->type_instance) == 0)
				fail_msg("%s and %s both map to %s-%s", catalogue[i].name, catalogue[j].name, a->type,
				         a->type_instance);
		}
	}
}

static const char *ds_name(const struct cd_map *m)
{
	return m->ds == CD_DERIVE ? "DERIVE" : "GAUGE";
}

/* The table as docs/collectd.md must hold it between its markers. */
static void markdown_table(struct buf *b)
{
	buf_puts(b, "| family | collectd identifier | data source |\n|---|---|---|\n");
	for (int i = 0; i < FAM_COUNT; i++) {
		const struct cd_map *m = &cd_mapping[i];
		const struct family *f = &catalogue[i];
		if (m->type == NULL) {
			buf_printf(b, "| `%s` | not sent | %s |\n", f->name, m->note);
			continue;
		}
		buf_printf(b, "| `%s` | `kvmmem%s/%s-%s` | %s%s%s |\n", f->name,
		           f->source == SRC_DOMAIN ? "-DOMAIN" : "", m->type, m->type_instance, ds_name(m),
		           m->note != NULL ? ", " : "", m->note != NULL ? m->note : "");
	}
}

/* The same as roff for man/collectd-kvmmem.5. */
static void roff_table(struct buf *b)
{
	for (int i = 0; i < FAM_COUNT; i++) {
		const struct cd_map *m = &cd_mapping[i];
		const struct family *f = &catalogue[i];
		buf_printf(b, ".TP\n.B %s\n", f->name);
		if (m->type == NULL) {
			buf_printf(b, "not sent: %s\n", m->note);
			continue;
		}
		buf_printf(b, "kvmmem%s/%s\\-%s, %s%s%s\n", f->source == SRC_DOMAIN ? "\\-\\fIDOMAIN\\fR" : "", m->type,
		           m->type_instance, ds_name(m), m->note != NULL ? ", " : "", m->note != NULL ? m->note : "");
	}
}

/* The text between the line `begin` and the line `end` of a file. */
static void section_of(const char *path, const char *begin, const char *end, struct buf *out)
{
	static char text[256 * 1024];
	size_t len;
	if (read_file(path, text, sizeof(text), &len) != 0)
		fail_msg("cannot read %s", path);
	const char *b = strstr(text, begin);
	if (b == NULL)
		fail_msg("%s: no line %s", path, begin);
	b += strlen(begin);
	const char *e = strstr(b, end);
	if (e == NULL)
		fail_msg("%s: no line %s", path, end);
	buf_append(out, b, (size_t)(e - b));
}

static void compare(const char *path, struct buf *want, struct buf *got)
{
	assert_false(buf_failed(want));
	assert_false(buf_failed(got));
	if (strcmp(want->data, got->data) != 0) {
		/* Line by line: cmocka's message buffer is short. */
		print_message("%s: the mapping table differs from the code; it should read:\n", path);
		for (const char *l = want->data; *l != '\0';) {
			const char *nl = strchr(l, '\n');
			int n = nl != NULL ? (int)(nl - l) : (int)strlen(l);
			print_message("%.*s\n", n, l);
			l += n + (nl != NULL);
		}
		fail_msg("%s is out of date", path);
	}
}

static void test_markdown_table(void **state)
{
	struct buf want, got;
	(void)state;
	buf_init(&want, 1 << 16);
	buf_init(&got, 1 << 16);
	markdown_table(&want);
	section_of(TOPDIR "/docs/collectd.md", "<!-- mapping:begin -->\n", "<!-- mapping:end -->\n", &got);
	compare("docs/collectd.md", &want, &got);
	buf_free(&want);
	buf_free(&got);
}

static void test_man_table(void **state)
{
	struct buf want, got;
	(void)state;
	buf_init(&want, 1 << 16);
	buf_init(&got, 1 << 16);
	roff_table(&want);
	section_of(TOPDIR "/man/collectd-kvmmem.5", ".\\\" mapping:begin\n", ".\\\" mapping:end\n", &got);
	compare("man/collectd-kvmmem.5", &want, &got);
	buf_free(&want);
	buf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_family_decided), cmocka_unit_test(test_types_are_stock),
	    cmocka_unit_test(test_type_instance_rule),   cmocka_unit_test(test_identifiers_unique),
	    cmocka_unit_test(test_markdown_table),       cmocka_unit_test(test_man_table),
	};
	return cmocka_run_group_tests(tests, load_types_db, NULL);
}
