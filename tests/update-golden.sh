#!/bin/sh
# update-golden.sh BUILD_DIR - regenerate every golden file from the build.
set -eu
O=${1:?build dir}
TOP=$(cd "$(dirname "$0")/.." && pwd)
"$TOP/tests/golden/golden.sh" "$O" update
"$TOP/tests/hygiene/readme-catalogue.sh" "$O" update
"$TOP/tests/top/golden.sh" "$O" update
