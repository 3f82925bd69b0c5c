#!/bin/sh
# test_tls.sh - --web.config.file with real curl and openssl: basic auth (401 without, with a wrong and with
# an unknown user, 200 with the right password), the bcrypt cache, extra headers, plain HTTP to the TLS port,
# mutual TLS (accepted with a client certificate, refused without or with one from another CA), TLS 1.2
# refused under min_version TLS13, and start-up failures on a key that does not match its certificate.
# Certificates and keys are made at test time in a temporary directory and never committed.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl openssl htpasswd od
require_exporter
tmpdir_with_cleanup

# --- throwaway PKI: a CA, a server certificate for 127.0.0.1, a client certificate; a second CA whose
# client certificate the server must not trust. ---
ossl() {
	openssl "$@" >>"$T/openssl.log" 2>&1 || { echo "FAIL: openssl $*"; cat "$T/openssl.log"; exit 1; }
}
mkca() { # name
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=kvmmem test $1" \
		-keyout "$T/$1.key" -out "$T/$1.crt"
}
mkcert() { # name ca extensions
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -keyout "$T/$1.key" \
		-out "$T/$1.csr"
	printf '%s\n' "$3" >"$T/$1.ext"
	ossl x509 -req -in "$T/$1.csr" -CA "$T/$2.crt" -CAkey "$T/$2.key" -CAcreateserial -days 2 \
		-extfile "$T/$1.ext" -out "$T/$1.crt"
}
mkca ca
mkca otherca
mkcert server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
mkcert client ca "extendedKeyUsage=clientAuth"
mkcert stranger otherca "extendedKeyUsage=clientAuth"

PASSWORD=correct-horse
HASH=$(htpasswd -nbBC 10 alice "$PASSWORD" | sed -n 's/^alice://p')
[ -n "$HASH" ] || { echo "FAIL: htpasswd gave no hash"; exit 1; }

# start WEBCONFIG CURL_ARGS...: the exporter on a free port with that web config; ready once a request
# made with CURL_ARGS gets any HTTP answer (401 included: with basic auth it is serving).
# (CURL_ARGS are word-split, as the $C and $M they come from.)
start() {
	web=$1
	shift
	PROBE=$*
	start_exporter "$HOST" --web.config.file="$web"
}
exporter_ready() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' $PROBE "https://127.0.0.1:$PORT/-/healthy")" != 000 ]
}
stop() {
	stop_pid "$PID" 10
	expect "exit status after SIGTERM" 0 "$STATUS"
}
# CPU time of the exporter in clock ticks (utime + stime, fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
	sed 's/^.*) //' "/proc/$PID/stat" | awk '{ print $12 + $13 }'
}

# --- TLS and basic auth, no client certificates ---
cat >"$T/auth.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  alice: $HASH
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
EOF
C="--cacert $T/ca.crt"
start "$T/auth.yml" $C
U=https://127.0.0.1:$PORT
sed 's/^ts=[^ ]* //' "$T/log" | grep -q "^level=info msg=\"kvmmem_exporter .* listening on 127.0.0.1:$PORT, port $PORT, TLS, basic auth, " ||
	{ fail "start-up line does not say TLS and basic auth"; cat "$T/log"; }

code=$(curl -s $C -D "$T/none.h" -o "$T/none.body" -w '%{http_code}' "$U/metrics")
expect "no credentials: status" 401 "$code"
expect "no credentials: headers" "HTTP/1.1 401 Unauthorized
Content-Type: text/plain; charset=utf-8
X-Frame-Options: deny
X-Content-Type-Options: nosniff
WWW-Authenticate: Basic realm=\"kvmmem\"
Content-Length: 13" "$(headers "$T/none.h")"
expect "no credentials: body" "Unauthorized" "$(cat "$T/none.body")"
code=$(curl -s $C -u alice:wrong -o /dev/null -w '%{http_code}' "$U/metrics")
expect "wrong password: status" 401 "$code"
code=$(curl -s $C -u mallory:"$PASSWORD" -o /dev/null -w '%{http_code}' "$U/metrics")
expect "unknown user: status" 401 "$code"
code=$(curl -s $C -u alice: -o /dev/null -w '%{http_code}' "$U/metrics")
expect "empty password: status" 401 "$code"
code=$(curl -s $C -u alice:"$PASSWORD" -o /dev/null -w '%{http_code}' "$U/-/healthy")
expect "right password, /-/healthy: status" 200 "$code"
code=$(curl -s $C -u alice:"$PASSWORD" -o /dev/null -w '%{http_code}' "$U/-/healthy")
code=$(curl -s $C -u alice:"$PASSWORD" -D "$T/ok.h" -o "$T/ok.body" -w '%{http_code}' "$U/metrics")
expect "right password, /metrics: status" 200 "$code"
expect "right password, /metrics: headers" "HTTP/1.1 200 OK
Content-Type: text/plain; version=0.0.4; charset=utf-8
Vary: Accept-Encoding
X-Frame-Options: deny
X-Content-Type-Options: nosniff
Content-Length: $(wc -c <"$T/ok.body" | tr -d ' ')" "$(headers "$T/ok.h")"
expect "right password, /metrics: libvirt up" "kvmmem_libvirt_up 1" "$(grep '^kvmmem_libvirt_up ' "$T/ok.body")"
code=$(curl -s $C -u alice:"$PASSWORD" -o /dev/null -w '%{http_code}' "$U/nope")
expect "right password, unknown path: status" 404 "$code"
code=$(curl -s $C -X POST -u alice:"$PASSWORD" -o /dev/null -w '%{http_code}' "$U/metrics")
expect "POST: status" 405 "$code"

# Plain HTTP to the TLS port gets no HTTP answer at all.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
expect "plain HTTP to the TLS port refused" 000 "$code"
# A server certificate from an untrusted CA is what curl sees without --cacert: the server is TLS for real.
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/-/healthy")
expect "curl without the CA refuses the server" 000 "$code"

# bcrypt cache: 100 requests with the right (cached) password against 5 with a wrong one (each a bcrypt).
: >"$T/urls.ok"
i=0
while [ $i -lt 100 ]; do
	printf 'url = "%s/-/healthy"\noutput = /dev/null\n' "$U" >>"$T/urls.ok"
	i=$((i + 1))
done
head -n 10 "$T/urls.ok" >"$T/urls.bad"
t0=$(cpu_ticks)
curl -s $C -u alice:"$PASSWORD" -K "$T/urls.ok" -w '%{http_code}\n' >"$T/codes.ok"
t1=$(cpu_ticks)
curl -s $C -u alice:nope -K "$T/urls.bad" -w '%{http_code}\n' >"$T/codes.bad"
t2=$(cpu_ticks)
expect "100 cached requests all 200" 100 "$(grep -c '^200$' "$T/codes.ok")"
expect "5 wrong-password requests all 401" 5 "$(grep -c '^401$' "$T/codes.bad")"
TK=$(getconf CLK_TCK)
cached_ms=$(((t1 - t0) * 1000 / TK))
wrong_ms=$(((t2 - t1) * 1000 / TK))
echo "info exporter CPU: 100 requests with cached credentials ${cached_ms} ms, 5 with a wrong password ${wrong_ms} ms"
# Without the cache the 100 would cost 20 times the 5; with it, less than the 5.
[ $((t1 - t0)) -lt $((t2 - t1)) ] && echo "ok   cached credentials cost less than 5 bcrypt checks" ||
	fail "100 cached requests cost ${cached_ms} ms CPU, 5 bcrypt checks ${wrong_ms} ms: no cache?"
stop

# --- mutual TLS, TLS 1.3 only ---
cat >"$T/mtls.yml" <<EOF
tls_server_config:
  cert_file: $T/server.crt
  key_file: $T/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
EOF
M="--cacert $T/ca.crt --cert $T/client.crt --key $T/client.key"
start "$T/mtls.yml" $M
U=https://127.0.0.1:$PORT
code=$(curl -s $M -o "$T/m.body" -w '%{http_code}' "$U/metrics")
expect "client certificate: status" 200 "$code"
expect "client certificate: libvirt up" "kvmmem_libvirt_up 1" "$(grep '^kvmmem_libvirt_up ' "$T/m.body")"
code=$(curl -s $C -o /dev/null -w '%{http_code}' "$U/metrics")
expect "no client certificate refused" 000 "$code"
code=$(curl -s $C --cert "$T/stranger.crt" --key "$T/stranger.key" -o /dev/null -w '%{http_code}' "$U/metrics")
expect "client certificate of another CA refused" 000 "$code"
code=$(curl -s $M --tls-max 1.2 -o /dev/null -w '%{http_code}' "$U/metrics")
expect "TLS 1.2 refused under min_version TLS13" 000 "$code"
code=$(curl -s $M --tlsv1.3 -w '%{http_code} %{ssl_verify_result}' -o /dev/null "$U/-/healthy")
expect "TLS 1.3 accepted" "200 0" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
expect "plain HTTP to the mTLS port refused" 000 "$code"
stop

# --- VerifyClientCertIfGiven: none is fine, a good one is fine, a bad one is refused ---
cat >"$T/ifgiven.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: ca.crt
EOF
start "$T/ifgiven.yml" $C
U=https://127.0.0.1:$PORT
expect "if given: none" 200 "$(curl -s $C -o /dev/null -w '%{http_code}' "$U/-/healthy")"
expect "if given: trusted" 200 "$(curl -s $M -o /dev/null -w '%{http_code}' "$U/-/healthy")"
expect "if given: untrusted refused" 000 "$(curl -s $C --cert "$T/stranger.crt" --key "$T/stranger.key" -o /dev/null \
	-w '%{http_code}' "$U/-/healthy")"
stop

# --- start-up failures: exit 1 and one exact line, nothing listens ---
cat >"$T/mismatch.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: client.key
EOF
"$BIN" --web.listen-address=127.0.0.1:1 --web.config.file="$T/mismatch.yml" 2>"$T/err"
expect "key of another certificate: status" 1 "$?"
expect "key of another certificate: message" "level=error msg=\"--web.config.file=$T/mismatch.yml: tls_server_config: \
cannot use cert_file $T/server.crt with key_file $T/client.key: The certificate and the given key do not \
match.\"" "$(sed 's/^ts=[^ ]* //' "$T/err")"
cp "$T/server.key" "$T/unreadable.key"
chmod 000 "$T/unreadable.key"
cat >"$T/unreadable.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: unreadable.key
EOF
# As root the key would be readable anyway: run as nobody then (the directory is opened up for it).
AS=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null 2>&1 && AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	chmod 755 "$T"
fi
if [ "$(id -u)" = 0 ] && [ -z "$AS" ]; then
	skip_part "unreadable key" "running as root without setpriv (util-linux), the key is readable anyway"
else
	$AS "$BIN" --web.listen-address=127.0.0.1:1 --web.config.file="$T/unreadable.yml" 2>"$T/err"
	expect "unreadable key: status" 1 "$?"
	expect "unreadable key: message" "level=error msg=\"--web.config.file=$T/unreadable.yml: tls_server_config.key_file: \
cannot read $T/unreadable.key: Permission denied\"" "$(sed 's/^ts=[^ ]* //' "$T/err")"
fi

finish
