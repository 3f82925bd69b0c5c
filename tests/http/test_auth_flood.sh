#!/bin/sh
# test_auth_flood.sh - wrong passwords never delay a scrape whose credentials are known good, and repeated
# failures from one address are slowed down (issue 13, item 3).
#
# Basic auth at bcrypt cost 10 (about 50 ms of CPU a check).  400 requests with a wrong password are kept
# in flight for 8 s from 127.0.0.1-8 (50 each); meanwhile 10 scrapes from 127.0.0.20 with the right
# password, which a first scrape has put into the cache.  Wanted: each of them 200 in less than 1 s.  Then
# 7 wrong passwords in a row from 127.0.0.30, one after the other: after the first 3, each waits longer
# (100 ms, doubling), so the 7 take more than 1.5 s instead of 7 checks' time (0.35 s).  Requests refused
# because too many checks wait get their 429 after 1 s, not at once: the flood is not served faster.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl python3 htpasswd od awk
require_exporter
tmpdir_with_cleanup

curl -s -o /dev/null --interface 127.0.0.20 --max-time 2 http://127.0.0.20:1/ 2>/dev/null
[ $? -eq 45 ] && { echo "SKIP: cannot bind 127.0.0.20 on this machine"; exit 77; }

HASH=$(htpasswd -nbBC 10 alice right | sed -n 's/^alice://p')
[ -n "$HASH" ] || { echo "FAIL: htpasswd gave no hash"; exit 1; }
printf 'basic_auth_users:\n  alice: %s\n' "$HASH" >"$T/web.yml"
exporter_ready() {
	curl -s -o /dev/null -u alice:right -f "http://127.0.0.1:$PORT/-/healthy"
}
start_exporter "$HOST" --web.config.file="$T/web.yml"
U=http://127.0.0.1:$PORT

good() {
	curl -s -o /dev/null --interface 127.0.0.20 --max-time 15 -u alice:right -w '%{http_code} %{time_total}' \
		"$U/metrics"
}
expect "first scrape with the right password" 200 "$(good | cut -d' ' -f1)"

python3 "$TOP/tests/http/authflood.py" "$PORT" 400 8 "$T/flood" &
FLOOD=$!
track_pid "$FLOOD"
sleep 1
ok_scrapes=0
slowest=0
i=0
while [ $i -lt 10 ]; do
	r=$(good)
	[ "${r% *}" = 200 ] && ok_scrapes=$((ok_scrapes + 1))
	slowest=$(awk -v a="$slowest" -v b="${r#* }" 'BEGIN { print (b > a ? b : a) }')
	sleep 0.3
	i=$((i + 1))
done
wait "$FLOOD"
untrack_pid "$FLOOD"
echo "info 400 wrong passwords in flight for 8 s: $(tr '\n' ' ' <"$T/flood")"
echo "info scrapes with cached credentials meanwhile: $ok_scrapes of 10 got 200, the slowest took $slowest s"
expect "scrapes with cached credentials during the flood" 10 "$ok_scrapes"
answers=$(awk '$1 == "answers" { print $2 }' "$T/flood")
[ "$answers" -le 8000 ] && ok "the flood got at most 8000 answers in 8 s (1 s each for 400 connections, some checked)" ||
	fail "the flood got $answers answers in 8 s: refusals are served faster than checks"
awk -v s="$slowest" 'BEGIN { exit !(s < 1) }' && ok "each took less than 1 s" || fail "the slowest took $slowest s"

t0=$(date +%s%N)
codes=
i=0
while [ $i -lt 7 ]; do
	codes="$codes$(curl -s -o /dev/null --interface 127.0.0.30 --max-time 15 -u alice:wrong -w '%{http_code}' "$U/metrics") "
	i=$((i + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "info 7 wrong passwords in a row from one address took $ms ms"
expect "each of them refused" "401 401 401 401 401 401 401 " "$codes"
[ $ms -gt 1500 ] && ok "repeated failures are slowed down" || fail "7 failures took only $ms ms"

stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
finish
