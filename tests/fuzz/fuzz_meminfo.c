/*
 * fuzz_meminfo.c - /proc/meminfo text (meminfo_parse).
 *
 * Values are kB converted to bytes: an accepted one is a whole number of
 * KiB, so a conversion that overflowed would show up here.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "sources/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mval total = {0}, avail = {0};
	int r = meminfo_parse((const char *)data, size, &total, &avail);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	const struct mval *ms[] = {&total, &avail};
	for (size_t i = 0; i < 2; i++) {
		if (!ms[i]->present)
			continue;
		FUZZ_CHECK(ms[i]->kind == MV_U64);
		FUZZ_CHECK(ms[i]->v.u % 1024 == 0);
	}
	return 0;
}
