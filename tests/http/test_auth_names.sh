#!/bin/sh
# test_auth_names.sh - basic auth tells nothing by its timing and takes no password prefix (issue 13, weak
# corners: user enumeration, NUL in a password).
#
# Users of two costs are refused at start (an unknown user is checked against the first user's hash, so a
# user of another cost stood out: 207 ms against 52 ms).  With one cost, 3 wrong passwords for a real user
# and 3 for an unknown one take about as long (within a factor of 2), each from its own address so the
# failure back-off does not enter.  "secret\0zzz" is refused where "secret" passes.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl python3 htpasswd od awk
require_exporter
tmpdir_with_cleanup

curl -s -o /dev/null --interface 127.0.0.42 --max-time 2 http://127.0.0.42:1/ 2>/dev/null
[ $? -eq 45 ] && { echo "SKIP: cannot bind 127.0.0.42 on this machine"; exit 77; }

A10=$(htpasswd -nbBC 10 alice secret | sed -n 's/^alice://p')
B12=$(htpasswd -nbBC 12 bob other | sed -n 's/^bob://p')
B10=$(htpasswd -nbBC 10 bob other | sed -n 's/^bob://p')
printf 'basic_auth_users:\n  alice: %s\n  bob: %s\n' "$A10" "$B12" >"$T/two-costs.yml"
printf 'basic_auth_users:\n  alice: %s\n  bob: %s\n' "$A10" "$B10" >"$T/web.yml"

"$BIN" --web.listen-address=127.0.0.1:0 --web.config.file="$T/two-costs.yml" >"$T/two-costs.out" 2>&1 &
p=$!
track_pid "$p"
wait_until 5 eval '! kill -0 $p 2>/dev/null'
stop_pid "$p" 1
expect "two costs: exit status" 1 "$STATUS"
expect "two costs: the reason" \
	"--web.config.file=$T/two-costs.yml: line 3: basic_auth_users.bob: bcrypt cost 12 differs from alice's 10: every user needs the same cost, or the time a check takes tells which names exist" \
	"$(sed -n 's/.* msg="\(.*\)"$/\1/p' "$T/two-costs.out" | head -n 1)"

exporter_ready() {
	curl -s -o /dev/null -u alice:secret -f "http://127.0.0.1:$PORT/-/healthy"
}
start_exporter "$HOST" --web.config.file="$T/web.yml"
U=http://127.0.0.1:$PORT

# ms ADDRESS USER: milliseconds of 3 wrong-password requests for USER from ADDRESS, one after the other.
ms() {
	_t0=$(date +%s%N)
	for _i in 1 2 3; do
		curl -s -o /dev/null --interface "$1" -u "$2:wrong" "$U/-/healthy"
	done
	echo $((($(date +%s%N) - _t0) / 1000000))
}
known=$(ms 127.0.0.41 bob)
unknown=$(ms 127.0.0.42 mallory)
echo "info 3 wrong passwords: $known ms for a real user, $unknown ms for an unknown one"
awk -v a="$known" -v b="$unknown" 'BEGIN { exit !(a < 2 * b && b < 2 * a) }' &&
	ok "a real and an unknown user take about as long" || fail "$known ms against $unknown ms"

# NUL inside the password: base64 of "alice:secret\0zzz" and of "alice:secret".
nul=$(printf 'alice:secret\000zzz' | base64)
plain=$(printf 'alice:secret' | base64)
expect "secret followed by NUL and more: refused" 401 \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $nul" "$U/-/healthy")"
expect "secret itself: accepted" 200 \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $plain" "$U/-/healthy")"
expect "a NUL in the user name: refused" 401 \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $(printf 'alice\000x:secret' | base64)" "$U/-/healthy")"

stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
finish
