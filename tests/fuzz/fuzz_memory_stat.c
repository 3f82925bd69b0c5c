/*
 * fuzz_memory_stat.c - the cgroup's key-value files: memory.stat (v1 and
 * v2), memory.events, memory.oom_control, memory.pressure, and VmSwap of
 * /proc/<pid>/status.  The first byte picks the parser.
 *
 * A parser may fill only its own fields, each with the kind the exposition
 * expects (unsigned bytes and counts; seconds as finite, non-negative
 * doubles); everything else of the domain stays as it was.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "sources/cgroup.h"

static const enum dom_field stat_fields[] = {DF_HOST_ANON_BYTES,   DF_HOST_FILE_BYTES, DF_HOST_SHMEM_BYTES,
                                             DF_HOST_KERNEL_BYTES, DF_HOST_SWAP_BYTES, DF_HOST_SWAP_CACHED_BYTES};
static const enum dom_field event_fields[] = {DF_HOST_LIMIT_HITS, DF_HOST_HIGH_HITS, DF_HOST_OOM_KILLS};
static const enum dom_field pressure_fields[] = {DF_HOST_PRESSURE_WAITING_SECONDS, DF_HOST_PRESSURE_STALLED_SECONDS};
static const enum dom_field status_fields[] = {DF_PROCESS_SWAP_BYTES};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int in(const enum dom_field *set, size_t n, int f)
{
	for (size_t i = 0; i < n; i++)
		if ((int)set[i] == f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dom_snap d, before;
	const enum dom_field *mine;
	size_t nmine;
	int r;

	if (size == 0)
		return 0;
	memset(&d, 0, sizeof(d));
	before = d;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 6) {
	case 0:
	case 1:
		r = cgroup_memory_stat_parse(data[0] % 6 == 0 ? CGROUP_V2 : CGROUP_V1, text, len, &d);
		mine = stat_fields, nmine = N(stat_fields);
		break;
	case 2:
	case 3:
		r = cgroup_events_parse(data[0] % 6 == 2 ? CGROUP_V2 : CGROUP_V1, text, len, &d);
		mine = event_fields, nmine = N(event_fields);
		break;
	case 4:
		r = cgroup_pressure_parse(text, len, &d);
		mine = pressure_fields, nmine = N(pressure_fields);
		break;
	default:
		r = proc_status_swap_parse(text, len, &d);
		mine = status_fields, nmine = N(status_fields);
		break;
	}
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	for (int f = 0; f < DF_COUNT; f++) {
		if (!in(mine, nmine, f)) {
			FUZZ_CHECK(memcmp(&d.f[f], &before.f[f], sizeof(d.f[f])) == 0);
			continue;
		}
		if (!d.f[f].present)
			continue;
		if (mine == pressure_fields) {
			FUZZ_CHECK(d.f[f].kind == MV_F64 && isfinite(d.f[f].v.f) && d.f[f].v.f >= 0);
		} else {
			FUZZ_CHECK(d.f[f].kind == MV_U64);
			if (mine == status_fields)
				FUZZ_CHECK(d.f[f].v.u % 1024 == 0);
		}
	}
	return 0;
}
