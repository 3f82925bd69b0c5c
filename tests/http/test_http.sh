#!/bin/sh
# test_http.sh - the real exporter over real HTTP (curl) against the k6.18 fixture host:
# status codes, exact headers, HEAD, gzip, refusals, parallel scrapes, promtool, SIGTERM.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl promtool gzip od
require_exporter
tmpdir_with_cleanup

start_exporter "$HOST"
U=http://127.0.0.1:$PORT

# --- /metrics, GET ---
code=$(curl -s -D "$T/get.h" -o "$T/get.body" -w '%{http_code}' "$U/metrics")
expect "GET /metrics status" 200 "$code"
expect "GET /metrics headers" "HTTP/1.1 200 OK
Content-Type: text/plain; version=0.0.4; charset=utf-8
Vary: Accept-Encoding
Content-Length: $(wc -c <"$T/get.body" | tr -d ' ')" "$(headers "$T/get.h")"
expect "body ends with a newline" "" "$(tail -c1 "$T/get.body" | tr -d '\n')"
grep -q '^kvmmem_domain_info{domain="quote\\"back\\\\slash"' "$T/get.body" || fail "escaped domain name missing"

# --- HEAD: the same headers, no body ---
out=$(curl -s -I -D "$T/head.h" -o /dev/null -w '%{http_code} %{size_download}' "$U/metrics")
expect "HEAD /metrics status and body bytes" "200 0" "$out"
# Content-Length can differ by a digit of a duration between two collections.
expect "HEAD /metrics headers" "$(headers "$T/get.h" | grep -v '^Content-Length')" \
	"$(headers "$T/head.h" | grep -v '^Content-Length')"
headers "$T/head.h" | grep -q '^Content-Length: [0-9][0-9]*$' || fail "HEAD without Content-Length"

# --- gzip ---
# Two collections differ only in their duration samples, so those are left out of the comparison;
# everything else must be byte for byte the same.
nodur() { grep -v '^kvmmem_scrape_collector_duration_seconds{' "$1"; }
code=$(curl -s --compressed -D "$T/gz.h" -o "$T/gz.body" -w '%{http_code}' "$U/metrics")
expect "gzip status" 200 "$code"
headers "$T/gz.h" | grep -v '^Content-Length' >"$T/gz.hh"
expect "gzip headers" "HTTP/1.1 200 OK
Content-Type: text/plain; version=0.0.4; charset=utf-8
Vary: Accept-Encoding
Content-Encoding: gzip" "$(cat "$T/gz.hh")"
nodur "$T/get.body" >"$T/a"
nodur "$T/gz.body" >"$T/b"
cmp -s "$T/a" "$T/b" && echo "ok   gzip body equals plain body" || { fail "gzip body differs"; diff "$T/a" "$T/b" | head; }
# The raw bytes are a gzip stream of exactly Content-Length bytes.
curl -s -H 'Accept-Encoding: gzip' -D "$T/raw.h" -o "$T/raw.gz" "$U/metrics"
expect "raw gzip Content-Length" "Content-Length: $(wc -c <"$T/raw.gz" | tr -d ' ')" \
	"$(headers "$T/raw.h" | grep '^Content-Length')"
gzip -dc <"$T/raw.gz" >"$T/raw.body" || fail "raw body is not gzip"
nodur "$T/raw.body" >"$T/c"
cmp -s "$T/a" "$T/c" && echo "ok   gunzip body equals plain body" || fail "gunzip body differs"
# q=0 refuses gzip.
curl -s -H 'Accept-Encoding: gzip;q=0, identity' -D "$T/q0.h" -o "$T/q0.body" "$U/metrics"
expect "gzip;q=0 gets identity" "" "$(headers "$T/q0.h" | grep '^Content-Encoding')"

# --- /, /-/healthy, 404 ---
code=$(curl -s -D "$T/root.h" -o "$T/root.body" -w '%{http_code}' "$U/")
expect "GET / status" 200 "$code"
expect "GET / content type" "Content-Type: text/html; charset=utf-8" "$(headers "$T/root.h" | grep '^Content-Type')"
grep -q '<a href="/metrics">/metrics</a>' "$T/root.body" || fail "landing page does not link /metrics"
code=$(curl -s -D "$T/h.h" -o "$T/h.body" -w '%{http_code}' "$U/-/healthy")
expect "healthy status" 200 "$code"
expect "healthy body" "OK" "$(cat "$T/h.body")"
expect "healthy headers" "HTTP/1.1 200 OK
Content-Type: text/plain; charset=utf-8
Content-Length: 2" "$(headers "$T/h.h")"
for p in /nope /metrics/ /metricsx /-/ready; do
	code=$(curl -s -o "$T/nf.body" -w '%{http_code}' "$U$p")
	expect "GET $p status" 404 "$code"
done

# --- methods and bodies ---
for m in POST PUT DELETE PATCH OPTIONS; do
	code=$(curl -s -X $m -D "$T/m.h" -o "$T/m.body" -w '%{http_code}' "$U/metrics")
	expect "$m /metrics status" 405 "$code"
	expect "$m /metrics Allow" "Allow: GET, HEAD" "$(headers "$T/m.h" | grep '^Allow')"
done
code=$(curl -s -X POST --data-binary 'x=1' -o /dev/null -w '%{http_code}' "$U/metrics")
expect "POST with body status" 405 "$code"
code=$(curl -s -X GET --data-binary 'x=1' -o "$T/body.body" -w '%{http_code}' "$U/metrics")
expect "GET with body status" 413 "$code"
code=$(curl -s -X GET -H 'Transfer-Encoding: chunked' --data-binary 'x=1' -o /dev/null -w '%{http_code}' "$U/metrics")
# Transfer-Encoding is a smuggling shape (tests/http/test_request_shapes.sh): 400, whatever the body.
expect "GET with chunked body status" 400 "$code"

# --- 20 parallel scrapes ---
i=0
pids=
while [ $i -lt 20 ]; do
	curl -s -o "$T/par.$i" -w '%{http_code}\n' "$U/metrics" >"$T/code.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
for j in $pids; do
	wait "$j"
done
i=0
bad=0
nodur "$T/par.0" >"$T/par.ref"
while [ $i -lt 20 ]; do
	[ "$(cat "$T/code.$i")" = 200 ] || bad=$((bad + 1))
	nodur "$T/par.$i" | cmp -s - "$T/par.ref" || bad=$((bad + 1))
	i=$((i + 1))
done
expect "20 parallel scrapes: 200 and identical bodies" 0 "$bad"
# Bodies of one shared collection are identical including their durations.
echo "info $(for f in "$T"/par.[0-9]*; do cksum <"$f"; done | sort -u | wc -l | tr -d ' ') distinct collections served 20 parallel scrapes"

# --- exposition lint and duplicates ---
promtool check metrics <"$T/get.body" >"$T/promtool.out" 2>&1 && echo "ok   promtool check metrics" ||
	{ fail "promtool check metrics"; cat "$T/promtool.out"; }
expect "no duplicate series" "" "$(grep -v '^#' "$T/get.body" | sed 's/ [^ ]*$//' | sort | uniq -d)"

# --- SIGTERM: exit 0 within 2 s ---
if stop_pid "$PID" 2; then
	expect "exit status after SIGTERM" 0 "$STATUS"
else
	fail "still running 2 s after SIGTERM"
fi
grep -q 'level=info msg="received SIGTERM, shutting down"' "$T/log" || fail "no shutdown log line"

# --- a taken port: exit 1 and a clear message ---
start_exporter "$HOST"
"$BIN" --web.listen-address=127.0.0.1:$PORT --no-collector.libvirt 2>"$T/busy.log"
rc=$?
expect "taken port exit status" 1 "$rc"
sed 's/^ts=[^ ]* //' "$T/busy.log" | grep -q "^level=error msg=\"cannot listen on 127.0.0.1:$PORT: Address already in use\"$" ||
	{ fail "taken port message"; cat "$T/busy.log"; }

finish
