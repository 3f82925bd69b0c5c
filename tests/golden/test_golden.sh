#!/bin/sh
# Every fixture host's --dump equals its golden file, passes promtool and
# has no duplicate series.
set -eu
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (apt-get install prometheus)"; exit 77; }
exec "$KVMMEM_TOP/tests/golden/golden.sh" "$KVMMEM_BUILD" check
