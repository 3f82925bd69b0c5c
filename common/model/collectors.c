/* collectors.c - the collector table, from COLLECTOR_TABLE. */
#include "model/collectors.h"

#include <errno.h>
#include <string.h>

#define COLLECTOR_EXTERN(id, name) extern const struct collector_def collector_##name;
COLLECTOR_TABLE(COLLECTOR_EXTERN)
#undef COLLECTOR_EXTERN

static const struct collector_def *const table[COLL_COUNT] = {
#define COLLECTOR_ROW(id, name) [COLL_##id] = &collector_##name,
    COLLECTOR_TABLE(COLLECTOR_ROW)
#undef COLLECTOR_ROW
};

const struct collector_def *collector_def(enum collector_id id)
{
	return (unsigned)id < COLL_COUNT ? table[id] : NULL;
}

const char *collector_name(enum collector_id id)
{
	return (unsigned)id < COLL_COUNT ? table[id]->name : "unknown";
}

int collector_lookup(const char *name, enum collector_id *out)
{
	for (int i = 0; i < COLL_COUNT; i++) {
		if (strcmp(table[i]->name, name) == 0) {
			*out = (enum collector_id)i;
			return 0;
		}
	}
	return -ENOENT;
}
