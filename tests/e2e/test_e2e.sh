#!/bin/sh
# The end-to-end proof (tests/e2e/run.sh) as part of `make check`: real
# session libvirtd, QEMU/TCG guests, KSM.  It skips only when it cannot run
# at all (not root, KSM sysfs not writable, no QEMU for this architecture)
# and then prints the SKIP line itself.
set -u
command -v bash >/dev/null || { echo "FAIL: bash is needed by tests/e2e/run.sh"; exit 1; }
exec bash "$KVMMEM_TOP/tests/e2e/run.sh" "$KVMMEM_BUILD"
