/*
 * fuzz_ksm_stat.c - /proc/<pid>/ksm_stat text (ksm_stat_parse).
 *
 * The parser may fill only the six KSM fields, each with the kind the
 * exposition expects; everything else of the domain stays as it was.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "sources/domain_ksm.h"

static int is_ksm_field(int f)
{
	return f == DF_KSM_MERGING_PAGES || f == DF_KSM_RMAP_ITEMS || f == DF_KSM_ZERO_PAGES ||
	       f == DF_KSM_PROFIT_BYTES || f == DF_KSM_MERGEABLE || f == DF_KSM_MERGE_ANY;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dom_snap d, before;

	memset(&d, 0, sizeof(d));
	before = d;
	int r = ksm_stat_parse((const char *)data, size, &d);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	for (int f = 0; f < DF_COUNT; f++) {
		if (!is_ksm_field(f)) {
			FUZZ_CHECK(memcmp(&d.f[f], &before.f[f], sizeof(d.f[f])) == 0);
			continue;
		}
		if (!d.f[f].present)
			continue;
		FUZZ_CHECK(d.f[f].kind == (f == DF_KSM_PROFIT_BYTES ? MV_I64 : MV_U64));
		if (f == DF_KSM_MERGEABLE || f == DF_KSM_MERGE_ANY)
			FUZZ_CHECK(d.f[f].v.u <= 1);
	}
	return 0;
}
