/*
 * fuzz_domxml.c - libvirt domain XML (domxml_parse over libxml2).
 *
 * A refused document leaves the output untouched; an accepted one says
 * so in config.present.
 */
#include <errno.h>
#include <string.h>

#include "backends/domxml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domxml_info info, before;

	memset(&info, 0xa5, sizeof(info));
	before = info;
	int r = domxml_parse((const char *)data, size, &info);
	if (r != 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FUZZ_CHECK(memcmp(&info, &before, sizeof(info)) == 0);
		return 0;
	}
	FUZZ_CHECK(info.config.present);
	FUZZ_CHECK(!info.max_memory_bytes.present || info.max_memory_bytes.kind == MV_U64);
	return 0;
}
