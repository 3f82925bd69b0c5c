#!/bin/sh
# test_demo.sh - `make demo` serves the bundled sample host: started in the background (on a free port through
# ARGS), its /metrics is exactly tests/golden/k6.18.prom (every family of the fixture host), its page at /
# counts k6.18's 13 libvirt domains by state, it logs no first-run message, and stopping the exporter by its
# pid ends make with status 0.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
require_tools curl make
tmpdir_with_cleanup

PORT=$(free_port)
make -C "$TOP" --no-print-directory O="$BUILD" demo ARGS="--web.listen-address=127.0.0.1:$PORT" \
	>"$T/make.out" 2>"$T/log" &
MPID=$!
track_pid "$MPID"
if ! wait_http "http://127.0.0.1:$PORT/-/healthy" 60 "$MPID"; then
	echo "FAIL: make demo did not serve on port $PORT within 60 s"
	cat "$T/make.out" "$T/log"
	exit 1
fi

# The recipe execs the exporter, so it is make's only child.
EPID=$(cat "/proc/$MPID/task/$MPID/children")
EPID=${EPID% }
expect "make's child is the exporter" "$BIN" "$(readlink "/proc/$EPID/exe")"

# As golden.sh masks what varies between runs: durations and build labels.
curl -s "http://127.0.0.1:$PORT/metrics" | sed -E \
	-e 's/^(kvmmem_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
	-e 's/^kvmmem_exporter_build_info\{.*\} 1$/kvmmem_exporter_build_info{<build>} 1/' >"$T/metrics"
if diff -u "$TOP/tests/golden/k6.18.prom" "$T/metrics" >"$T/diff"; then
	ok "/metrics is tests/golden/k6.18.prom"
else
	fail "/metrics differs from tests/golden/k6.18.prom"
	head -n 40 "$T/diff"
fi

curl -s -o "$T/page" "http://127.0.0.1:$PORT/"
expect "the page at /: domains by source and state" \
	'<h3>Domains</h3>
<table>
<tr><th>source</th><th>state</th><th>domains</th></tr>
<tr><td>libvirt</td><td>running</td><td>11</td></tr>
<tr><td>libvirt</td><td>paused</td><td>1</td></tr>
<tr><td>libvirt</td><td>shut off</td><td>1</td></tr>
<tr><td>all</td><td></td><td>13</td></tr>
</table>' "$(sed -n '/^<h3>Domains/,/^<\/table>/p' "$T/page")"
expect "the page at /: the libvirt row" \
	"<tr><td>libvirt</td><td>backend</td><td>up</td><td>13 domains at test://TOP/tests/fixtures/hosts/k6.18/libvirt.xml</td></tr>" \
	"$(grep '^<tr><td>libvirt</td><td>backend' "$T/page" | sed "s|$TOP|TOP|g")"
expect "no first-run message on the sample host" 0 "$(grep -c 'found no virtual machine' "$T/log")"

# Stopped by the exporter's pid: make then ends on its own.
kill -TERM "$EPID"
gone() { [ ! -d "/proc/$EPID" ]; }
wait_until 5 gone || fail "the exporter $EPID did not exit within 5 s of SIGTERM"
wait_until 5 sh -c "! grep -q '^State:.*[RS]' /proc/$MPID/status 2>/dev/null" || fail "make did not end"
wait "$MPID"
expect "make demo's status after SIGTERM to the exporter" 0 "$?"
untrack_pid "$MPID"
finish
