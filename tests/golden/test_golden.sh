#!/bin/sh
# Every fixture host's --dump equals its golden file, passes promtool and
# has no duplicate series.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
require_tools promtool
exec "$TOP/tests/golden/golden.sh" "$BUILD" check
