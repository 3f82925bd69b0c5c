#!/bin/sh
# README.md's metric table is exactly the catalogue.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
[ -x "$BUILD/tests/bin/test_catalogue" ] || { echo "FAIL: $BUILD/tests/bin/test_catalogue not built (make unit)"; exit 1; }
exec "$TOP/tests/hygiene/readme-catalogue.sh" "$BUILD" check
