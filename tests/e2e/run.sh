#!/bin/bash
# run.sh [BUILD_DIR] - end-to-end proof on a real hypervisor: a private
# session libvirtd, four TCG guests with virtio balloons, real KSM, and the
# products (build/kvmmem_exporter, build/kvmmem.so in collectd) checked
# against what libvirt and the kernel say.  Exit 0 pass, 77 skip (after a
# SKIP line), 1 fail.  See README.md for what it needs and how long it takes.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${1:-${KVMMEM_BUILD:-$TOP/build}}
case $O in /*) ;; *) O="$TOP/$O" ;; esac
HERE="$TOP/tests/e2e"

. "$HERE/lib/sandbox.sh"
. "$HERE/lib/guest-image.sh"
. "$HERE/lib/guests.sh"
. "$HERE/lib/metrics.sh"
. "$HERE/lib/frontends.sh"
. "$HERE/lib/checks-exporter.sh"
. "$HERE/lib/checks-collectd.sh"

E2E_CACHE=${KVMMEM_E2E_CACHE:-/var/cache/kvmmem-e2e}
E2E_QEMU=/usr/bin/qemu-system-x86_64
EXPORTER="$O/kvmmem_exporter"
PLUGIN="$O/kvmmem.so"
# Guests: two ordinary ones KSM can merge with each other, one that opts
# out of KSM, one whose guest never reports (stats period 0).
STATS_GUESTS="e2e-a e2e-b e2e-nsp"
MERGE_GUESTS="e2e-a e2e-b e2e-p0"
ALL_GUESTS="e2e-a e2e-b e2e-nsp e2e-p0"

skip() { echo "SKIP: $*"; exit 77; }
die() { say "ERROR: $*"; exit 1; }

# --- only three reasons to skip ------------------------------------------------
[ "$(id -u)" = 0 ] || skip "e2e needs root (KSM tunables, a dedicated user for the session libvirtd)"
[ -e "$E2E_KSM/run" ] && [ -w "$E2E_KSM/run" ] && [ -w "$E2E_KSM/pages_to_scan" ] ||
	skip "KSM sysfs $E2E_KSM is missing or not writable"
[ "$(uname -m)" = x86_64 ] || skip "the guest kernel is linux-image-cloud-amd64; this host is $(uname -m)"
[ -x "$E2E_QEMU" ] || skip "no $E2E_QEMU (apt-get install qemu-system-x86)"

for tool in libvirtd virsh busybox setpriv curl ss apt-get; do
	command -v $tool >/dev/null || die "$tool missing: run scripts/deps.sh test"
done
[ -x "$EXPORTER" ] || die "$EXPORTER not built: run make"

# --- set-up ------------------------------------------------------------------------
E2E_TMP=""
finish() {
	local rc=$?
	sandbox_cleanup
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		mkdir -p "$O/tests/logs/e2e"
		cp -r "$E2E_TMP/logs/." "$E2E_TMP/console" "$O/tests/logs/e2e/" 2>/dev/null
		if [ "${KVMMEM_E2E_KEEP:-0}" = 1 ]; then
			say "kept $E2E_TMP"
		else
			rm -rf "$E2E_TMP"
		fi
	fi
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

say "guest image cache $E2E_CACHE"
guest_image_build "$E2E_CACHE" || die "cannot build the guest image"
sandbox_user || die "cannot create user $E2E_USER"
sandbox_tree || die "cannot make the temporary tree"
say "sandbox $E2E_TMP, user $E2E_USER ($E2E_UID)"
rm -rf "$O/tests/logs/e2e"

spy_build || die "cannot build the virDomainMemoryStats spy"

ksm_save
echo 0 >"$E2E_KSM/run"

libvirtd_start || die "session libvirtd did not start (see $E2E_TMP/logs)"
say "libvirtd pid $(pid_of libvirtd); probing QEMU capabilities"
virsh_u version >/dev/null || die "virsh version failed"

boot_start=$(date +%s%N)
guest_create e2e-a 2 share || die "e2e-a"
guest_create e2e-b 2 share || die "e2e-b"
guest_create e2e-nsp 2 nosharepages || die "e2e-nsp"
guest_create e2e-p0 0 share || die "e2e-p0"
say "guests created: $E2E_PIDS"

exporter_start "$EXPORTER" || die "exporter did not start"
COLLECTD=0
if [ -f "$PLUGIN" ] && command -v collectd >/dev/null; then
	collectd_start "$O" && COLLECTD=1
fi

guest_wait_ready 90 $ALL_GUESTS || die "guests did not boot"
BOOT_SECS=$(awk -v n=$(($(date +%s%N) - boot_start)) 'BEGIN { printf "%.1f", n / 1e9 }')
say "all four guests booted in ${BOOT_SECS}s"

# Fast KSM, so merging reaches its plateau in seconds instead of half a minute.
echo 2000 >"$E2E_KSM/pages_to_scan"
echo 10 >"$E2E_KSM/sleep_millisecs"
echo 1 >"$E2E_KSM/run"

# --- assertions ----------------------------------------------------------------------
exporter_checks
if [ $COLLECTD = 1 ]; then
	collectd_checks
elif [ ! -f "$PLUGIN" ]; then
	result SKIP "collectd front-end" "$PLUGIN not built (collectd-dev missing, or the plugin is not there yet)"
else
	result FAIL "collectd front-end" "collectd did not start with $PLUGIN (see $O/tests/logs/e2e/collectd.log)"
fi

# --- tear-down, then prove it left nothing behind -------------------------------------
saved=$E2E_KSM_SAVED
sandbox_cleanup
check "teardown: no process of $E2E_USER left" teardown_no_processes
check "teardown: KSM tunables restored" teardown_ksm_restored "$saved"

TOTAL_SECS=$(elapsed)
say "boot ${BOOT_SECS}s, whole run ${TOTAL_SECS}s"
printf '%s' "$E2E_RESULTS" | grep '^SKIP' | sed 's/^/e2e: /'
say "== e2e: $E2E_PASS passed, $E2E_FAIL failed, $E2E_SKIP skipped"
[ $E2E_FAIL -eq 0 ]
