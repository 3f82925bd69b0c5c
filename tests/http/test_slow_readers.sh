#!/bin/sh
# test_slow_readers.sh - slow readers share one body instead of holding one each (issue 13, item 2).
#
# A synthetic host of 2000 domains (bench/gen.py: 2.8 MB of plain text).  200 clients from 127.0.0.1-4 ask
# for the plain text, one every 10 ms, and never read it.  Wanted: the exporter's VmRSS grows by less than
# three bodies plus the 32 kB connection memory of each client (the bodies are shared, with at most two
# collections' bodies being sent); a scrape from 127.0.0.9 meanwhile gets 200 within 5 s; RSS falls back
# once the readers are gone.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

require_tools curl python3 od awk
require_exporter
tmpdir_with_cleanup

curl -s -o /dev/null --interface 127.0.0.9 --max-time 2 http://127.0.0.9:1/ 2>/dev/null
[ $? -eq 45 ] && { echo "SKIP: cannot bind 127.0.0.9 on this machine"; exit 77; }
if grep -q __asan_init "$BIN"; then
	# ASan keeps freed memory in quarantine, so RSS says nothing about sharing there.
	echo "SKIP: AddressSanitizer build: RSS is not the bodies' size"
	exit 77
fi

python3 "$TOP/bench/gen.py" 2000 "$T/host" >/dev/null || { echo "FAIL: bench/gen.py"; exit 1; }
start_exporter "$T/host" --libvirt.uri="test://$T/host/node.xml"
U=http://127.0.0.1:$PORT
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"
}

body=$(curl -s "$U/metrics" | wc -c)
curl -s -o /dev/null "$U/metrics"
before=$(rss)
python3 "$TOP/tests/http/slowread.py" "$PORT" 200 5 "$T/readers" &
READERS=$!
track_pid "$READERS"
peak=$before
i=0
while [ $i -lt 6 ]; do
	sleep 1
	r=$(rss)
	[ "$r" -gt "$peak" ] && peak=$r
	i=$((i + 1))
done
scrape=$(curl -s -o /dev/null --interface 127.0.0.9 --max-time 5 -w '%{http_code}' "$U/metrics")
wait "$READERS"
untrack_pid "$READERS"
sleep 1
after=$(rss)

grown=$((peak - before))
allowed=$((3 * body / 1024 + 200 * 32))
echo "info body $body bytes; VmRSS $before kB before, $peak kB at most with 200 slow readers ($grown kB more), $after kB after"
expect "the slow readers were all still connected" "open 200" "$(cat "$T/readers")"
[ $grown -le $allowed ] && ok "RSS grew by at most three bodies and the connections' memory ($allowed kB)" ||
	fail "RSS grew by $grown kB, more than $allowed kB"
expect "a scrape from another address meanwhile" 200 "$scrape"

stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
finish
