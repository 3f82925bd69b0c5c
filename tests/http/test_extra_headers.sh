#!/bin/sh
# test_extra_headers.sh - extra headers that cannot fit a response are refused at start, and a response
# that cannot be made is logged as an error (issue 13, item 5).
#
# http_server_config.headers with one 40 kB value, or 400 headers of 100 B: the exporter exits 1 at once,
# naming the key.  The most it accepts (8 kB) works with an 8 kB request header on every path.  A request
# whose own headers (28 kB) leave no room for the response gets no answer, and the log says so at error
# level, once.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl python3 od awk
require_exporter
tmpdir_with_cleanup

python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
head = "http_server_config:\n  headers:\n"
open(t + "/big.yml", "w").write(head + "    X-Big: " + "a" * 40000 + "\n")
open(t + "/many.yml", "w").write(head + "".join("    X-H%d: %s\n" % (i, "b" * 95) for i in range(400)))
open(t + "/most.yml", "w").write(head + "".join("    X-H%d: %s\n" % (i, "c" * 118) for i in range(64)))
PY

# refused NAME REASON: the exporter with $T/NAME.yml exits 1 by itself, its error line saying REASON.
refused() {
	"$BIN" --web.listen-address=127.0.0.1:0 --web.config.file="$T/$1.yml" >"$T/$1.out" 2>&1 &
	_p=$!
	track_pid "$_p"
	wait_until 5 eval '! kill -0 $_p 2>/dev/null'
	stop_pid "$_p" 1
	expect "$1: exit status" 1 "$STATUS"
	expect "$1: the reason" "--web.config.file=$T/$1.yml: $2" "$(sed -n 's/.* msg="\(.*\)"$/\1/p' "$T/$1.out" | head -n 1)"
}
refused big "line 3: http_server_config.headers.X-Big: the headers would take 40009 bytes, more than the 8192 a response has room for"
refused many "line 67: http_server_config.headers.X-H64: more than 64 headers"

start_exporter "$HOST" --web.config.file="$T/most.yml"
U=http://127.0.0.1:$PORT
small=$(head -c 8000 /dev/zero | tr '\0' a)
codes=
for path in / /metrics /-/healthy /nope; do
	codes="$codes$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $small" "$U$path") "
done
expect "64 extra headers of 8 kB in all, 8 kB request header: statuses" "200 200 200 404 " "$codes"
expect "the extra headers are sent" 64 "$(curl -s -D - -o /dev/null "$U/" | grep -c '^X-H')"

huge=$(head -c 28000 /dev/zero | tr '\0' a)
curl -s -o /dev/null -H "X-Big: $huge" "$U/-/healthy"
curl -s -o /dev/null -H "X-Big: $huge" "$U/-/healthy"
expect "a response that cannot be made: logged as an error, once" 1 \
	"$(grep -c 'level=error.*a response could not be made' "$T/log")"
expect "serving on afterwards" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$U/-/healthy")"

stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
finish
