#!/bin/sh
# test_web_config_refusals.sh - a web config that would serve weaker than it says fails at start (issue 13,
# weak corners: web config).  Each case: the exporter exits 1 by itself within 5 s, and its error line names
# the cause.  A FIFO (read as empty, it would mean no TLS and no auth), basic_auth_users in a second YAML
# document, an unknown tls_server_config key with a blank value, a 512-bit RSA key (loaded, and then every
# handshake fails), 100000 levels of nesting, 80000 blank headers (1 MB).  A 2048-bit key starts.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl openssl python3 od
require_exporter
tmpdir_with_cleanup

H10='$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze'
mkfifo "$T/fifo.yml"
printf -- '---\n{}\n---\nbasic_auth_users:\n  alice: %s\n' "$H10" >"$T/two-documents.yml"
printf 'tls_server_config: {bogus_key: }\n' >"$T/bogus-key.yml"
for bits in 512 2048; do
	openssl req -x509 -newkey "rsa:$bits" -nodes -keyout "$T/k$bits.pem" -out "$T/c$bits.pem" -days 2 \
		-subj /CN=localhost >/dev/null 2>&1 || { echo "FAIL: openssl req rsa:$bits"; exit 1; }
	printf 'tls_server_config:\n  cert_file: c%s.pem\n  key_file: k%s.pem\n' "$bits" "$bits" >"$T/rsa$bits.yml"
done
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
open(t + "/deep.yml", "w").write("a: " + "[" * 100000 + "]" * 100000 + "\n")
open(t + "/many-keys.yml", "w").write("http_server_config:\n  headers:\n" + "".join("    X-%d:\n" % i for i in range(80000)))
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
refused fifo "cannot read $T/fifo.yml: not a regular file"
refused two-documents "line 3: a second YAML document: the web config must be one document"
refused bogus-key "line 1: unknown key 'bogus_key' in tls_server_config"
refused rsa512 "tls_server_config.key_file $T/k512.pem: a 512-bit RSA key is too weak to serve, at least 2048 bits needed"
refused deep "line 1: nested deeper than 16 levels"
refused many-keys "line 5000: more than 10000 YAML nodes"

exporter_ready() {
	curl -sfk -o /dev/null "https://127.0.0.1:$PORT/-/healthy"
}
start_exporter "$HOST" --web.config.file="$T/rsa2048.yml"
expect "a 2048-bit key serves" 200 "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/-/healthy")"
stop_pid "$PID" 10
expect "exit status after SIGTERM" 0 "$STATUS"
finish
