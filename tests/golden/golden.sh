#!/bin/sh
# golden.sh BUILD_DIR check|update - the exact /metrics of every fixture host.
#
# `--dump` runs on each host of tests/fixtures/hosts (with libvirt's test
# driver where the host has a libvirt.xml) and is compared with
# tests/golden/<host>.prom after masking what legitimately varies between
# runs and machines: collector durations and the build labels.
set -eu

O=${1:?build dir}
MODE=${2:-check}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
case $O in /*) ;; *) O="$TOP/$O" ;; esac
EXPORTER="$O/kvmmem_exporter"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Masks run-dependent values so the rest can be compared byte for byte.
normalise() {
	sed -E \
		-e 's/^(kvmmem_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
		-e 's/^kvmmem_exporter_build_info\{.*\} 1$/kvmmem_exporter_build_info{<build>} 1/'
}

dump_host() {
	h="$TOP/tests/fixtures/hosts/$1"
	set -- --dump --log.level=error --path.sysfs="$h/sys" --path.procfs="$h/proc" --path.libvirt-run="$h/run" \
		--path.cgroupfs="$h/sys/fs/cgroup" --path.qemu-server-run="$h/qemu-server"
	if [ -f "$h/libvirt.xml" ]; then
		set -- "$@" --libvirt.uri="test://$h/libvirt.xml"
	elif [ -f "$h/libvirt-down" ]; then
		# A libvirt host whose libvirtd is down: its socket is not there.
		set -- "$@" --libvirt.uri="qemu+unix:///system?socket=$h/run/libvirt-sock-ro"
	else
		set -- "$@" --no-collector.libvirt
	fi
	"$EXPORTER" "$@"
}

rc=0
for dir in "$TOP"/tests/fixtures/hosts/*/; do
	host=$(basename "$dir")
	golden="$TOP/tests/golden/$host.prom"
	if ! dump_host "$host" >"$TMP/$host.raw"; then
		echo "FAIL $host: --dump exited non-zero"
		rc=1
		continue
	fi
	normalise <"$TMP/$host.raw" >"$TMP/$host.prom"
	if [ "$MODE" = update ]; then
		cp "$TMP/$host.prom" "$golden"
		echo "updated tests/golden/$host.prom"
		continue
	fi
	if [ ! -f "$golden" ]; then
		echo "FAIL $host: no golden file (run make update-golden)"
		rc=1
	elif ! diff -u "$golden" "$TMP/$host.prom"; then
		echo "FAIL $host: output differs from tests/golden/$host.prom"
		rc=1
	fi
	# The raw output must be valid exposition, lint-clean and free of
	# duplicate series (promtool does not catch duplicates).
	if ! promtool check metrics <"$TMP/$host.raw" >"$TMP/lint" 2>&1; then
		echo "FAIL $host: promtool check metrics:"
		cat "$TMP/lint"
		rc=1
	fi
	dups=$(grep -v '^#' "$TMP/$host.raw" | sed 's/ [^ ]*$//' | sort | uniq -d)
	if [ -n "$dups" ]; then
		echo "FAIL $host: duplicate series:"
		echo "$dups"
		rc=1
	fi
	[ $rc -eq 0 ] && echo "ok $host"
done
exit $rc
