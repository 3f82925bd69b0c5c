#!/bin/sh
# golden.sh BUILD_DIR check|update - kvmmem-top --once (80 and 160 columns) and --json (two collections) of
# every fixture host, compared with tests/golden/top/<host>.{80,160}.txt and <host>.json.
#
# The fixture guests reported at a fixed time, so KVMMEM_TOP_NOW fixes the clock their ages are measured
# against; the second JSON document has rates, all 0 on a fixture that does not change.
set -eu

O=${1:?build dir}
MODE=${2:-check}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
case $O in /*) ;; *) O="$TOP/$O" ;; esac
KTOP="$O/kvmmem-top"
GOLDEN="$TOP/tests/golden/top"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export KVMMEM_TOP_NOW=627319932

# The collection flags of tests/golden/golden.sh's dump_host, so both front-ends read the same hosts; a root
# this build has no flag for is left out.
"$KTOP" --help >"$TMP/help"
host_top() {
	h="$TOP/tests/fixtures/hosts/$1"
	shift
	set -- "$@" --path.sysfs="$h/sys" --path.procfs="$h/proc" --path.libvirt-run="$h/run"
	grep -q -- '--path.cgroupfs=' "$TMP/help" && set -- "$@" --path.cgroupfs="$h/sys/fs/cgroup"
	grep -q -- '--path.qemu-server-run=' "$TMP/help" && set -- "$@" --path.qemu-server-run="$h/qemu-server"
	if [ -f "$h/libvirt.xml" ]; then
		set -- "$@" --libvirt.uri="test://$h/libvirt.xml"
	elif [ -f "$h/libvirt-down" ]; then
		set -- "$@" --libvirt.uri="qemu+unix:///system?socket=$h/run/libvirt-sock-ro"
	else
		set -- "$@" --no-collector.libvirt
	fi
	"$KTOP" "$@" 2>"$TMP/stderr"
}

rc=0
compare() { # NAME: $TMP/NAME against $GOLDEN/NAME
	if [ "$MODE" = update ]; then
		cp "$TMP/$1" "$GOLDEN/$1"
		echo "updated tests/golden/top/$1"
	elif [ ! -f "$GOLDEN/$1" ]; then
		echo "FAIL $1: no golden file (run make update-golden)"
		rc=1
	elif ! diff -u "$GOLDEN/$1" "$TMP/$1"; then
		echo "FAIL $1: output differs from tests/golden/top/$1"
		rc=1
	else
		echo "ok $1"
	fi
}

for dir in "$TOP"/tests/fixtures/hosts/*/; do
	host=$(basename "$dir")
	for w in 80 160; do
		if ! host_top "$host" --once --width="$w" >"$TMP/$host.$w.txt"; then
			echo "FAIL $host: --once --width=$w exited non-zero:"
			cat "$TMP/stderr"
			rc=1
			continue
		fi
		compare "$host.$w.txt"
	done
	if ! host_top "$host" --json -n 2 -d 0.1 >"$TMP/$host.json"; then
		echo "FAIL $host: --json exited non-zero:"
		cat "$TMP/stderr"
		rc=1
		continue
	fi
	compare "$host.json"
	# Each line is one JSON document a parser accepts.
	if ! python3 -c 'import json,sys
for line in sys.stdin: json.loads(line)' <"$TMP/$host.json"; then
		echo "FAIL $host: --json is not one JSON document per line"
		rc=1
	fi
done
exit $rc
