#!/bin/sh
# test_damaged.sh - the exporter serving the damaged fixture host
# (tests/fixtures/hosts/broken, see tests/fixtures/README.md): three scrapes
# must each export exactly the golden tests/golden/broken.prom (every
# undamaged value), and the log must name each damaged file exactly once
# over all of them, with nothing else at warn or error.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/broken

require_tools curl od
require_exporter
tmpdir_with_cleanup

# As tests/golden/golden.sh: mask what varies between runs.
normalise() {
	sed -E \
		-e 's/^(kvmmem_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
		-e 's/^kvmmem_exporter_build_info\{.*\} 1$/kvmmem_exporter_build_info{<build>} 1/'
}

start_exporter "$HOST"
for n in 1 2 3; do
	code=$(curl -s -o "$T/scrape$n" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
	if [ "$code" != 200 ]; then
		fail "scrape $n: HTTP $code"
		continue
	fi
	if normalise <"$T/scrape$n" | diff -u "$TOP/tests/golden/broken.prom" - >"$T/diff$n"; then
		echo "ok   scrape $n exports everything undamaged (= tests/golden/broken.prom)"
	else
		fail "scrape $n differs from tests/golden/broken.prom:"
		cat "$T/diff$n"
	fi
done
stop_pid "$PID" 10

# Every warn and error message, the host directory replaced by <host>, in
# the order logged.  Each damaged file once; the missing KSM file
# (stable_node_chains), the unknown keys and the cut vmstat line not at all.
sed -n -E 's/^ts=[^ ]* level=(warn|error) msg="(.*)"$/\1: \2/p' "$T/log" | sed "s|$HOST|<host>|g" >"$T/got"
cat >"$T/want" <<'WANT'
warn: <host>/sys/kernel/mm/ksm/pages_shared: not a valid value; field skipped
warn: <host>/sys/kernel/mm/ksm/pages_sharing: not a valid value; field skipped
warn: <host>/sys/kernel/mm/ksm/pages_unshared: value out of range; field skipped
warn: <host>/sys/kernel/mm/ksm/pages_volatile: not a valid value; field skipped
warn: <host>/sys/kernel/mm/ksm/pages_scanned: file too large; field skipped
warn: <host>/sys/kernel/mm/ksm/full_scans: is a directory; field skipped
warn: <host>/sys/kernel/mm/ksm/stable_node_dups: not a valid value; field skipped
warn: <host>/sys/kernel/mm/ksm/advisor_mode: not a valid value; field skipped
warn: <host>/proc/meminfo: MemTotal or MemAvailable missing
warn: <host>/proc/4102/ksm_merging_pages: not a valid value; field skipped
warn: <host>/proc/4101/ksm_stat: malformed line; those fields skipped
warn: <host>/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope/memory.current: not a valid value; field skipped
warn: <host>/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope/memory.stat: malformed line; those fields skipped
warn: <host>/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope/memory.swap.current: not a valid value; field skipped
warn: <host>/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope/memory.events: malformed line; those fields skipped
warn: <host>/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope/memory.pressure: malformed line; those fields skipped
warn: <host>/proc/4101/status: malformed line; those fields skipped
warn: <host>/proc/4102/cgroup: path not absolute or escaping the mount point; cgroup fields skipped
WANT
# The two domains are read in parallel or in either order: compare sorted.
sort "$T/want" >"$T/want.s"
sort "$T/got" >"$T/got.s"
if diff -u "$T/want.s" "$T/got.s"; then
	echo "ok   each damaged file named exactly once in three scrapes, nothing else warned"
else
	fail "warn/error log differs (sorted; - want, + got); whole log:"
	cat "$T/log"
fi
finish
