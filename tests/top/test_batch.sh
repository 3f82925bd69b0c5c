#!/bin/sh
# test_batch.sh - kvmmem-top without a terminal: --once -n 2 prints two tables, the second with its rates;
# --json streams until its reader leaves (| head ends it quietly, status 0); nothing collectable at all is
# exit status 1; bad flags are status 2 with the message; --version and --help.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
HOST=$TOP/tests/fixtures/hosts/k6.18
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
tmpdir_with_cleanup
export KVMMEM_TOP_NOW=627319932
FLAGS="--path.sysfs=$HOST/sys --path.procfs=$HOST/proc --path.libvirt-run=$HOST/run --libvirt.uri=test://$HOST/libvirt.xml"

# shellcheck disable=SC2086
"$KTOP" --once -n 2 -d 0.1 $FLAGS >"$T/two" 2>/dev/null
expect "--once -n 2: exit status" 0 "$?"
expect "--once -n 2: two tables" 2 "$(grep -c '^NAME ' "$T/two")"
expect "--once -n 2: the rates note only in the first" 1 "$(grep -c 'need two collections' "$T/two")"
expect "--once -n 2: ksmd CPU measured in the second" "ksmd CPU 0.0%" "$(grep -o 'ksmd CPU [0-9.]*%' "$T/two")"

# shellcheck disable=SC2086
("$KTOP" --json -d 0.1 $FLAGS 2>"$T/err"; echo $? >"$T/rc") | head -n 3 >"$T/json"
expect "--json | head -n 3: three documents" 3 "$(wc -l <"$T/json")"
expect "--json | head: exit status 0 when the reader leaves" 0 "$(cat "$T/rc")"
expect "--json | head: nothing on stderr" "" "$(grep -v ': warn: ' "$T/err")"

# Every collector that can run fails (per-domain ones succeed on no domains, so they are off).
"$KTOP" --once --path.sysfs=/nonexistent --path.procfs=/nonexistent --no-collector.libvirt \
	--no-collector.domain_ksm --no-collector.cgroup >/dev/null 2>&1
expect "nothing collectable: exit status 1" 1 "$?"

"$KTOP" --once --json >/dev/null 2>"$T/err"
expect "--once --json: exit status" 2 "$?"
expect "--once --json: message" "kvmmem-top: error: --once and --json exclude each other" "$(cat "$T/err")"
"$KTOP" -d 0 >/dev/null 2>"$T/err"
expect "-d 0: message" "kvmmem-top: error: invalid value '0' for flag '-d': expected seconds from 0.1 to 3600" \
	"$(cat "$T/err")"

expect "--version" "kvmmem-top $(cat "$TOP/VERSION") (libvirt " "$("$KTOP" --version | sed 's/(libvirt .*/(libvirt /')"
"$KTOP" --help >"$T/help"
expect "--help: exit status" 0 "$?"
expect "--help: first line" "usage: kvmmem-top [flags]" "$(head -n 1 "$T/help")"
finish
