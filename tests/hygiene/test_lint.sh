#!/bin/sh
# House-style lint: no unbounded string calls, core free of front-end
# headers, no read-write libvirt connection, and every C file formatted by
# the committed .clang-format (make format-check).
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

if command -v clang-format >/dev/null; then
	exec "$TOP/tests/hygiene/lint.sh" format
fi
skip_part "clang-format" "clang-format not installed (scripts/deps.sh test), formatting not checked"
exec "$TOP/tests/hygiene/lint.sh"
