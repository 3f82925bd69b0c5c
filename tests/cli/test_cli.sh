#!/bin/sh
# test_cli.sh - the real binary's command line: help, version, errors (exit 2, exact messages),
# --dump against the fixture host, --dump with nothing to collect, bad --web.config.file files refused at start-up.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18
require_exporter
require_tools promtool
tmpdir_with_cleanup

# run ARGS...: runs the binary, leaving stdout in $T/out, stderr in $T/err, status in $RC.
run() {
	"$BIN" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# --help: exit 0, every flag and its default on stdout, nothing on stderr.
run --help
expect "--help status" 0 "$RC"
expect "--help stderr" "" "$(cat "$T/err")"
for f in web.listen-address web.telemetry-path web.config.file libvirt.uri path.sysfs path.procfs \
	path.libvirt-run path.cgroupfs scrape.timeout log.level dump version "[no-]collector.ksm" "[no-]collector.meminfo" \
	"[no-]collector.libvirt" "[no-]collector.domain_ksm" "[no-]collector.cgroup"; do
	grep -qF -- "--$f" "$T/out" || fail "--help does not list --$f"
done
for d in '(default: ":19177")' '(default: "/metrics")' '(default: "qemu:///system")' '(default: "/sys")' \
	'(default: "/proc")' '(default: "/run/libvirt/qemu")' '(default: "/sys/fs/cgroup")' '(default: "8s")' '(default: "info")'; do
	grep -qF -- "$d" "$T/out" || fail "--help does not show $d"
done
run -h
expect "-h status" 0 "$RC"

# --version: three lines, exact shape.
run --version
expect "--version status" 0 "$RC"
VERSION=$(cat "$TOP/VERSION")
expect "--version line count" 3 "$(wc -l <"$T/out" | tr -d ' ')"
sed -n 1p "$T/out" | grep -qE "^kvmmem_exporter, version $VERSION \(revision: ([0-9a-f]{12}|unknown)\)$" ||
	fail "--version first line: $(sed -n 1p "$T/out")"
sed -n 2p "$T/out" | grep -qE '^  libvirt: [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version libvirt line: $(sed -n 2p "$T/out")"
sed -n 3p "$T/out" | grep -qE '^  libmicrohttpd: [0-9]+\.[0-9]+\.[0-9]+$' ||
	fail "--version libmicrohttpd line: $(sed -n 3p "$T/out")"

# Errors: exit 2, one exact line on stderr, nothing on stdout.
check_error() {
	want=$1
	shift
	run "$@"
	expect "$* status" 2 "$RC"
	expect "$* message" "kvmmem_exporter: error: $want" "$(cat "$T/err")"
	expect "$* stdout" "" "$(cat "$T/out")"
}
check_error "unknown flag '--frobnicate', try --help" --frobnicate
check_error "unknown flag '--collector.nope', try --help" --collector.nope
check_error "invalid value '8x' for flag '--scrape.timeout': expected a positive duration of at most 24h such as \
500ms, 8s or 1m" --scrape.timeout=8x
check_error "invalid value '10' for flag '--scrape.timeout': expected a positive duration of at most 24h such as \
500ms, 8s or 1m" --scrape.timeout 10
check_error "flag '--libvirt.uri' needs a value" --dump --libvirt.uri
check_error "invalid value 'loud' for flag '--log.level': expected error, warn, info or debug" --log.level=loud

# --dump against the fixture host: exit 0, a valid exposition with every collector's success 1.
run --dump --libvirt.uri="test://$HOST/libvirt.xml" --path.sysfs="$HOST/sys" --path.procfs="$HOST/proc" \
	--path.libvirt-run="$HOST/run" --path.cgroupfs="$HOST/sys/fs/cgroup" --log.level=error
expect "--dump status" 0 "$RC"
promtool check metrics <"$T/out" >"$T/promtool" 2>&1 && echo "ok   --dump passes promtool" ||
	{ fail "--dump promtool"; cat "$T/promtool"; }
expect "--dump collector success" 'kvmmem_scrape_collector_success{collector="ksm"} 1
kvmmem_scrape_collector_success{collector="meminfo"} 1
kvmmem_scrape_collector_success{collector="libvirt"} 1
kvmmem_scrape_collector_success{collector="qemu"} 1
kvmmem_scrape_collector_success{collector="domain_ksm"} 1
kvmmem_scrape_collector_success{collector="cgroup"} 1' "$(grep '^kvmmem_scrape_collector_success' "$T/out")"
expect "--dump libvirt_up" "kvmmem_libvirt_up 1" "$(grep '^kvmmem_libvirt_up' "$T/out")"
expect "--dump with --log.level=error logs nothing" "" "$(grep -v '^libvirt: ' "$T/err")"

# --dump with every path pointing nowhere and both backends off: nothing collected, non-zero exit,
# and still no partial garbage: what was printed is a valid exposition.
NOWHERE=$T/nowhere
run --dump --no-collector.libvirt --no-collector.qemu --path.sysfs="$NOWHERE/sys" --path.procfs="$NOWHERE/proc" \
	--path.libvirt-run="$NOWHERE/run"
[ "$RC" -ne 0 ] && echo "ok   --dump with nothing to collect fails ($RC)" || fail "--dump with nothing to collect exited 0"
grep -q 'level=error msg="nothing could be collected"' "$T/err" || { fail "no 'nothing could be collected' log"; cat "$T/err"; }
expect "--dump nowhere: libvirt collector absent" "" "$(grep 'collector="libvirt"' "$T/out")"

# A web config that cannot be honoured stops the exporter before it listens: exit 1, one exact error line.
check_webconfig() {
	name=$1
	want=$2
	run --web.config.file="$T/web.yml" --web.listen-address=127.0.0.1:1
	expect "--web.config.file $name status" 1 "$RC"
	expect "--web.config.file $name message" "level=error msg=\"--web.config.file=$T/web.yml: $want\"" \
		"$(sed 's/^ts=[^ ]* //' "$T/err")"
}
check_webconfig "missing" "cannot read $T/web.yml: No such file or directory"
printf 'tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  client_auth: x\n' >"$T/web.yml"
check_webconfig "unknown key" "line 4: unknown key 'client_auth' in tls_server_config"
printf 'basic_auth_users:\n  alice: $2y$05$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n' >"$T/web.yml"
check_webconfig "weak hash" "line 2: basic_auth_users.alice: weak bcrypt cost 5, at least 10 needed"
printf 'tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n' >"$T/web.yml"
check_webconfig "unreadable certificate" "tls_server_config.cert_file: cannot read $T/s.crt: No such file or directory"

finish
