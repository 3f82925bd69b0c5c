#!/bin/sh
# test_auth_shutdown.sh - a bcrypt cost above 12 is refused at start, and SIGTERM ends the exporter within
# 2 s however many password checks wait (issue 13, item 4).
#
# Cost 31 and 13 hashes: the exporter exits 1 at once, naming the user and the ceiling.  Cost 12 (about
# 0.2 s a check), 400 wrong passwords in flight from 127.0.0.1-8 (tests/http/authflood.py): SIGTERM after
# 2 s of it, and the exporter must have exited, status 0, within 2 s.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl python3 htpasswd od awk
require_exporter
tmpdir_with_cleanup

for cost in 31 13; do
	printf 'basic_auth_users:\n  alice: $2y$%s$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n' "$cost" \
		>"$T/web$cost.yml"
	"$BIN" --web.listen-address=127.0.0.1:0 --web.config.file="$T/web$cost.yml" >"$T/out$cost" 2>&1 &
	p=$!
	track_pid "$p"
	# It must exit by itself, at once: a server that started is stopped (and fails) after 5 s.
	wait_until 5 eval '! kill -0 $p 2>/dev/null'
	stop_pid "$p" 1
	expect "cost $cost: exit status" 1 "$STATUS"
	expect "cost $cost: the reason" \
		"--web.config.file=$T/web$cost.yml: line 2: basic_auth_users.alice: bcrypt cost $cost is above 12, the most a password check may cost" \
		"$(sed -n 's/.* msg="\(.*\)"$/\1/p' "$T/out$cost" | head -n 1)"
done

curl -s -o /dev/null --interface 127.0.0.8 --max-time 2 http://127.0.0.8:1/ 2>/dev/null
[ $? -eq 45 ] && { echo "SKIP: cannot bind 127.0.0.8 on this machine"; exit 77; }
HASH=$(htpasswd -nbBC 12 alice right | sed -n 's/^alice://p')
[ -n "$HASH" ] || { echo "FAIL: htpasswd gave no hash"; exit 1; }
printf 'basic_auth_users:\n  alice: %s\n' "$HASH" >"$T/web.yml"
exporter_ready() {
	curl -s -o /dev/null -u alice:right -f "http://127.0.0.1:$PORT/-/healthy"
}
start_exporter "$HOST" --web.config.file="$T/web.yml"

python3 "$TOP/tests/http/authflood.py" "$PORT" 400 5 "$T/flood" &
FLOOD=$!
track_pid "$FLOOD"
sleep 2
t0=$(date +%s%N)
kill -TERM "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "info SIGTERM with 400 wrong passwords in flight at cost 12: gone after $ms ms"
stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
[ $ms -le 2000 ] && ok "SIGTERM ended it within 2 s" || fail "SIGTERM took $ms ms"
wait "$FLOOD"
untrack_pid "$FLOOD"
finish
