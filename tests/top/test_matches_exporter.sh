#!/bin/sh
# test_matches_exporter.sh - on every fixture host, kvmmem-top --json reports what kvmmem_exporter --dump
# does: the same domains, and for each its maximum, balloon current, the guest's report, RSS, KSM merged
# and profit and host cost, and the host's memory and KSM totals; absent in one is absent in the other
# (tests/lib/top_vs_exporter.py, which the e2e uses on real guests too).
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
require_exporter
require_tools python3
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
tmpdir_with_cleanup

"$KTOP" --help >"$T/help"
for dir in "$TOP"/tests/fixtures/hosts/*/; do
	host=$(basename "$dir")
	h=$dir
	set -- --path.sysfs="$h/sys" --path.procfs="$h/proc" --path.libvirt-run="$h/run"
	grep -q -- '--path.cgroupfs=' "$T/help" && set -- "$@" --path.cgroupfs="$h/sys/fs/cgroup"
	grep -q -- '--path.qemu-server-run=' "$T/help" && set -- "$@" --path.qemu-server-run="$h/qemu-server"
	if [ -f "$h/libvirt.xml" ]; then
		set -- "$@" --libvirt.uri="test://$h/libvirt.xml"
	elif [ -f "$h/libvirt-down" ]; then
		set -- "$@" --libvirt.uri="qemu+unix:///system?socket=$h/run/libvirt-sock-ro"
	else
		set -- "$@" --no-collector.libvirt
	fi
	"$BIN" --dump "$@" >"$T/$host.prom" 2>/dev/null
	"$KTOP" --json -n 1 "$@" >"$T/$host.json" 2>/dev/null
	expect "$host: kvmmem-top --json = kvmmem_exporter --dump" same \
		"$(python3 "$TOP/tests/lib/top_vs_exporter.py" "$T/$host.prom" "$T/$host.json")"
done
finish
