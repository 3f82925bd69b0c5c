#!/bin/sh
# The end-to-end proof (tests/e2e/run.sh) as part of `make check`: real
# session libvirtd, QEMU/TCG guests, KSM.  It skips only when it cannot run
# at all (not root, KSM sysfs not writable, no QEMU for this architecture)
# and then prints the SKIP line itself; a front-end it cannot run (collectd
# with a sanitizer build) is a skipped part, counted through KVMMEM_SKIPS.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
command -v bash >/dev/null || { echo "FAIL: bash is needed by tests/e2e/run.sh"; exit 1; }
KVMMEM_TEST=$TEST_NAME exec bash "$TOP/tests/e2e/run.sh" "$BUILD"
