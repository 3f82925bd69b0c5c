#!/bin/sh
# test_damaged.sh - the exporter serving the damaged fixture host
# (tests/fixtures/hosts/broken, see tests/fixtures/README.md): three scrapes
# must each export exactly the golden tests/golden/broken.prom (every
# undamaged value), and the log must name each damaged file exactly once
# over all of them, with nothing else at warn or error.
set -u

TOP=${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KVMMEM_BUILD:-$TOP/build}
BIN=$BUILD/kvmmem_exporter
HOST=$TOP/tests/fixtures/hosts/broken

for tool in curl od; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP $tool not installed (scripts/deps.sh test)"; exit 77; }
done
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }

T=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Start on a random high port, retrying when the port is taken.
start() {
	for attempt in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		: >"$T/log"
		"$BIN" --web.listen-address=127.0.0.1:$PORT --libvirt.uri="test://$HOST/libvirt.xml" \
			--path.sysfs="$HOST/sys" --path.procfs="$HOST/proc" --path.libvirt-run="$HOST/run" \
			--scrape.timeout=5s 2>>"$T/log" &
		PID=$!
		i=0
		while [ $i -lt 50 ]; do
			if curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/healthy"; then
				return 0
			fi
			if ! kill -0 "$PID" 2>/dev/null; then
				wait "$PID"
				PID=
				grep -q 'cannot listen' "$T/log" && continue 2
				echo "FAIL: exporter exited at start"; cat "$T/log"; exit 1
			fi
			sleep 0.1
			i=$((i + 1))
		done
		echo "FAIL: /-/healthy did not answer within 5 s"; cat "$T/log"; exit 1
	done
	echo "FAIL: no free port after 8 attempts"; exit 1
}

# As tests/golden.sh: mask what varies between runs.
normalise() {
	sed -E \
		-e 's/^(kvmmem_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
		-e 's/^kvmmem_exporter_build_info\{.*\} 1$/kvmmem_exporter_build_info{<build>} 1/'
}

rc=0
start
for n in 1 2 3; do
	code=$(curl -s -o "$T/scrape$n" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
	if [ "$code" != 200 ]; then
		echo "FAIL: scrape $n: HTTP $code"
		rc=1
		continue
	fi
	if normalise <"$T/scrape$n" | diff -u "$TOP/tests/golden/broken.prom" - >"$T/diff$n"; then
		echo "ok   scrape $n exports everything undamaged (= tests/golden/broken.prom)"
	else
		echo "FAIL: scrape $n differs from tests/golden/broken.prom:"
		cat "$T/diff$n"
		rc=1
	fi
done
kill "$PID"
wait "$PID"
PID=

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
WANT
# The two domains are read in parallel or in either order: compare sorted.
sort "$T/want" >"$T/want.s"
sort "$T/got" >"$T/got.s"
if diff -u "$T/want.s" "$T/got.s"; then
	echo "ok   each damaged file named exactly once in three scrapes, nothing else warned"
else
	echo "FAIL: warn/error log differs (sorted; - want, + got); whole log:"
	cat "$T/log"
	rc=1
fi
exit $rc
