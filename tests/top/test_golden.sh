#!/bin/sh
# test_golden.sh - kvmmem-top --once at 80 and 160 columns and --json of every fixture host equal their
# golden files (tests/top/golden.sh; make update-golden regenerates them).
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_tools python3
[ -x "$BUILD/kvmmem-top" ] || { echo "FAIL: $BUILD/kvmmem-top is not built"; exit 1; }
if "$TOP/tests/top/golden.sh" "$BUILD" check; then
	ok "every fixture host matches its golden --once and --json"
else
	fail "golden output differs"
fi
finish
