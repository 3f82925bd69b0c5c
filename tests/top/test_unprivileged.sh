#!/bin/sh
# test_unprivileged.sh - run as nobody on a copy of the k6.18 fixture host whose per-process KSM files are
# 0400 root (as QEMU's are to anyone but its user), kvmmem-top says why per-VM KSM is missing, in the
# header and in --json; as root (CAP_DAC_READ_SEARCH) on the same copy it says nothing of the sort.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root to run kvmmem-top as nobody"
require_tools setpriv python3
tmpdir_with_cleanup
export KVMMEM_TOP_NOW=627319932

H=$T/h
cp -r "$TOP/tests/fixtures/hosts/k6.18" "$H"
cp "$KTOP" "$T/kvmmem-top"
chmod -R a+rX "$T"
chmod 0400 "$H"/proc/*/ksm_stat "$H"/proc/*/ksm_merging_pages
FLAGS="--path.sysfs=$H/sys --path.procfs=$H/proc --path.libvirt-run=$H/run --libvirt.uri=test://$H/libvirt.xml"
"$KTOP" --help | grep -q -- '--path.cgroupfs=' && FLAGS="$FLAGS --path.cgroupfs=$H/sys/fs/cgroup"
WANT="per-VM KSM unreadable: not root and no CAP_DAC_READ_SEARCH"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$T/kvmmem-top" "$@" 2>/dev/null; }
# shellcheck disable=SC2086
as_nobody --once --width=160 $FLAGS >"$T/once"
expect "nobody: the header says why" "$WANT" "$(grep -F 'per-VM KSM' "$T/once")"
expect "nobody: no KSM column" "" "$(grep '^NAME' "$T/once" | grep -o ' KSM ')"
# shellcheck disable=SC2086
as_nobody --json $FLAGS | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["why"])' >"$T/why"
expect "nobody: --json says why" "$WANT" "$(cat "$T/why")"
# shellcheck disable=SC2086
"$T/kvmmem-top" --once --width=160 $FLAGS 2>/dev/null >"$T/root"
expect "root: no such line" "" "$(grep -F 'unreadable' "$T/root")"
finish
