#!/bin/sh
# test_request_shapes.sh - requests shaped to be read two ways are refused with 400 and a closed connection
# (issue 13, weak corners: request smuggling shapes).
#
# Each case is sent raw on its own connection; the client prints the status lines it got and whether the
# server then closed the connection.  Bad shapes: two Content-Length headers (the "body" a second request),
# Transfer-Encoding with a blank before the colon, Transfer-Encoding itself, an obs-fold, no Host or two,
# a NUL in a header value and in the request line.  Good ones beside them keep the check honest: plain,
# LF-only line ends, trailing blanks, HTTP/1.0 without Host, Content-Length: 0.  Then requests with 463,
# 2000 and 5000 query parameters get an answer at once: 200, and 414 once the line is too long (38 kB).
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl python3 od
require_exporter
tmpdir_with_cleanup
start_exporter "$HOST"

python3 - "$PORT" >"$T/got" <<'PY'
import socket, sys
port = int(sys.argv[1])
H = b"GET /-/healthy HTTP/1.1\r\n"
cases = [
    ("two-content-length", H + b"Host: x\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\n"
     b"GET /nope HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaa\r\n\r\n"),
    ("te-blank-before-colon", H + b"Host: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    ("transfer-encoding", H + b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("obs-fold", H + b"Host: x\r\nX-A: a\r\n b\r\n\r\n"),
    ("no-host", H + b"\r\n"),
    ("two-hosts", H + b"Host: x\r\nHost: y\r\n\r\n"),
    ("nul-in-header", H + b"Host: x\r\nX-A: a\x00b\r\n\r\n"),
    ("nul-in-first-header", H + b"X-A: a\x00b\r\nHost: x\r\n\r\n"),
    ("nul-in-request-line", b"GET /-/healthy\x00zz HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("plain", H + b"Host: x\r\n\r\n"),
    ("lf-only", b"GET /-/healthy HTTP/1.1\nHost: x\n\n"),
    ("trailing-blanks", H + b"Host: x  \r\nX-A: b \t\r\n\r\n"),
    ("http10-no-host", b"GET /-/healthy HTTP/1.0\r\n\r\n"),
    ("content-length-0", H + b"Host: x\r\nContent-Length: 0\r\n\r\n"),
]
for name, req in cases:
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(2)
    s.sendall(req)
    data = b""
    end = "open"
    try:
        while True:
            b = s.recv(65536)
            if not b:
                end = "closed"
                break
            data += b
    except socket.timeout:
        pass
    except OSError:
        end = "closed"
    s.close()
    codes = [l.split(b" ")[1].decode() for l in data.split(b"\r\n") if l.startswith(b"HTTP/1.")]
    print(name, " ".join(codes) or "-", end)
PY
cat >"$T/want" <<'EOF2'
two-content-length 400 closed
te-blank-before-colon 400 closed
transfer-encoding 400 closed
obs-fold 400 closed
no-host 400 closed
two-hosts 400 closed
nul-in-header 400 closed
nul-in-first-header 400 closed
nul-in-request-line 400 closed
plain 200 open
lf-only 200 open
trailing-blanks 200 open
http10-no-host 200 closed
content-length-0 200 open
EOF2
if diff -u "$T/want" "$T/got"; then ok "every shape answered as wanted"; else fail "shapes (- wanted, + got)"; fi
# Query parameters, which the exporter never reads: 463 of them (3.2 kB) used to get no answer for 10 s.
for n in 463 2000 5000; do
	q=$(python3 -c "import sys; print('&'.join('a%d=1' % i for i in range(int(sys.argv[1]))))" $n)
	r=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/metrics?$q")
	case $n in 5000) want=414 ;; *) want=200 ;; esac
	expect "$n query parameters (${#q} bytes): status" "$want" "${r% *}"
	awk -v s="${r#* }" 'BEGIN { exit !(s < 1) }' && ok "$n query parameters: answered at once" ||
		fail "$n query parameters: answered after ${r#* } s"
done
expect "a body is still 413, and the connection closed" "413 closed" \
	"$(curl -s -o /dev/null -w '%{http_code} ' --data-binary x=1 -X GET "http://127.0.0.1:$PORT/metrics")closed"
stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
finish
