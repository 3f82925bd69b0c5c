#!/bin/sh
# test_golden.sh - kvmmem-top --once at 80 and 160 columns and --json of every fixture host equal their
# golden files (tests/top/golden.sh; make update-golden regenerates them), and README shows the k6.18 one.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_tools python3
tmpdir_with_cleanup
[ -x "$BUILD/kvmmem-top" ] || { echo "FAIL: $BUILD/kvmmem-top is not built"; exit 1; }
if "$TOP/tests/top/golden.sh" "$BUILD" check; then
	ok "every fixture host matches its golden --once and --json"
else
	fail "golden output differs"
fi
# README's Terminal view shows the k6.18 table: the same text as its golden file.
sed -n '/^## Terminal view/,/^## /p' "$TOP/README.md" | sed -n '/^```$/,/^```$/p' | sed '1d;$d' >"$T/readme"
if cmp -s "$TOP/tests/golden/top/k6.18.80.txt" "$T/readme"; then
	ok "README's Terminal view example is tests/golden/top/k6.18.80.txt"
else
	fail "README's Terminal view example differs from tests/golden/top/k6.18.80.txt (copy it over)"
	diff -u "$TOP/tests/golden/top/k6.18.80.txt" "$T/readme"
fi
finish
