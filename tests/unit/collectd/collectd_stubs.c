/* collectd_stubs.c - recording stand-ins for collectd's plugin API. */
#include "collectd_stubs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/parse.h"

#define TYPES_DB "/usr/share/collectd/types.db"

struct stub_state stub;

void stub_reset(void)
{
	buf_free(&stub.dispatched);
	buf_free(&stub.logged);
	memset(&stub, 0, sizeof(stub));
	buf_init(&stub.dispatched, 1 << 20);
	buf_init(&stub.logged, 1 << 20);
	stub.interval = DOUBLE_TO_CDTIME_T(10);
}

int plugin_register_complex_config(const char *type, int (*callback)(oconfig_item_t *))
{
	(void)type;
	stub.config = callback;
	return 0;
}

int plugin_register_init(const char *name, plugin_init_cb callback)
{
	(void)name;
	stub.init = callback;
	return 0;
}

int plugin_register_read(const char *name, int (*callback)(void))
{
	(void)name;
	stub.read = callback;
	return 0;
}

int plugin_register_shutdown(const char *name, plugin_shutdown_cb callback)
{
	(void)name;
	stub.shutdown = callback;
	return 0;
}

cdtime_t plugin_get_interval(void)
{
	return stub.interval;
}

/*
 * The data source line of a type in types.db, e.g. "value:DERIVE:0:U",
 * copied into ds.  Returns 0 or -ENOENT.
 */
static int types_db_lookup(const char *type, char *ds, size_t dssz)
{
	static char db[64 * 1024];
	static size_t dblen;
	size_t tl = strlen(type);

	if (dblen == 0 && read_file(TYPES_DB, db, sizeof(db), &dblen) != 0)
		return -ENOENT;
	for (const char *p = db; p < db + dblen;) {
		const char *eol = memchr(p, '\n', (size_t)(db + dblen - p));
		if (eol == NULL)
			eol = db + dblen;
		if ((size_t)(eol - p) > tl && memcmp(p, type, tl) == 0 && (p[tl] == ' ' || p[tl] == '\t')) {
			const char *v = p + tl;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			snprintf(ds, dssz, "%.*s", (int)(eol - v), v);
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int plugin_dispatch_values(value_list_t const *vl)
{
	char ds[256];
	struct buf *b = &stub.dispatched;

	buf_printf(b, "%s|%s|%s|%s|", vl->plugin, vl->plugin_instance, vl->type, vl->type_instance);
	if (types_db_lookup(vl->type, ds, sizeof(ds)) != 0) {
		buf_puts(b, "UNKNOWN-TYPE\n");
		return stub.dispatch_result;
	}
	/* Every type kvmmem uses has one data source. */
	if (vl->values_len != 1 || strchr(ds, ',') != NULL) {
		buf_printf(b, "BAD-VALUES-LEN %zu for %s\n", vl->values_len, ds);
		return stub.dispatch_result;
	}
	if (strstr(ds, ":GAUGE:") != NULL)
		buf_put_double(b, vl->values[0].gauge);
	else if (strstr(ds, ":DERIVE:") != NULL)
		buf_put_i64(b, vl->values[0].derive);
	else
		buf_printf(b, "UNEXPECTED-DS %s", ds);
	if (vl->time != 0 || vl->interval != 0 || vl->host[0] != '\0' || vl->meta != NULL)
		buf_puts(b, " (time/interval/host/meta set)");
	buf_putc(b, '\n');
	return stub.dispatch_result;
}

void plugin_log(int level, const char *format, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);
	buf_printf(&stub.logged, "%d: %s\n", level, msg);
}
