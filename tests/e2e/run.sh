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
. "$HERE/lib/checks-cgroup.sh"
. "$HERE/lib/checks-top.sh"

E2E_CACHE=${KVMMEM_E2E_CACHE:-/var/cache/kvmmem-e2e}
E2E_QEMU=/usr/bin/qemu-system-x86_64
EXPORTER="$O/kvmmem_exporter"
PLUGIN="$O/kvmmem.so"
KTOP="$O/kvmmem-top"
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

for tool in libvirtd virsh busybox setpriv flock curl ss apt-get cc pkg-config tmux python3; do
	command -v $tool >/dev/null || die "$tool missing: run scripts/deps.sh test"
done
[ -x "$EXPORTER" ] || die "$EXPORTER not built: run make"
[ -x "$KTOP" ] || die "$KTOP not built: run make"

# --- set-up ------------------------------------------------------------------------
E2E_TMP=""
finish() {
	local rc=$?
	cgroup_cleanup
	sandbox_cleanup
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		mkdir -p "$O/tests/e2e-logs"
		cp -r "$E2E_TMP/logs/." "$E2E_TMP/console" "$O/tests/e2e-logs/" 2>/dev/null
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

# One run at a time on a host: KSM is global, and two runs saving and
# restoring its tunables in turn would leave the other's values behind.
mkdir -p "$E2E_CACHE"
exec 9>"$E2E_CACHE/lock"
if ! flock -n 9; then
	say "another e2e run holds $E2E_CACHE/lock; waiting (at most 10 min)"
	flock -w 600 9 || die "still locked after 10 min"
fi
say "guest image cache $E2E_CACHE"
guest_image_build "$E2E_CACHE" || die "cannot build the guest image"
sandbox_user || die "cannot create user $E2E_USER"
sandbox_tree || die "cannot make the temporary tree"
say "sandbox $E2E_TMP, user $E2E_USER ($E2E_UID)"
rm -rf "$O/tests/e2e-logs"

spy_build || die "cannot build the virDomainMemoryStats spy"

ksm_save
echo 0 >"$E2E_KSM/run"

libvirtd_start || die "session libvirtd did not start (see $E2E_TMP/logs)"
say "libvirtd pid $(pid_of libvirtd); probing QEMU capabilities"
virsh_u version >/dev/null || die "virsh version failed"

# The session libvirtd makes no cgroups: the mergeable guests are born in libvirt-shaped v1 scopes the
# test makes (lib/checks-cgroup.sh), the others outside any scope.
CGROUP_WHY=""
cgroup_setup $MERGE_GUESTS || CGROUP_WHY=$WHY
boot_start=$(date +%s%N)
for spec in "e2e-a 2 share" "e2e-b 2 share" "e2e-nsp 2 nosharepages" "e2e-p0 0 share"; do
	set -- $spec
	cgroup_enter "$1" || die "cannot move libvirtd into the scope of $1"
	guest_create "$@" || die "$1"
done
cgroup_enter || die "cannot move libvirtd back"
say "guests created: $E2E_PIDS"

exporter_start "$EXPORTER" || die "exporter did not start"
COLLECTD=0
# A plugin built with SANITIZE= cannot load into the distribution's
# unsanitized collectd (the sanitizer runtime must come first).
PLUGIN_SANITIZED=0
if [ -f "$PLUGIN" ] && nm -D "$PLUGIN" 2>/dev/null | grep -q '__asan_init\|__ubsan_'; then
	PLUGIN_SANITIZED=1
fi
if [ -f "$PLUGIN" ] && [ $PLUGIN_SANITIZED = 0 ] && command -v collectd >/dev/null; then
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
# Each event is checked on the exporter, then on collectd, before the next.
S="$E2E_TMP/scrape.prom"
# both EXPORTER_CHECK COLLECTD_CHECK TEXT [ARG]
both() {
	check "exporter: $3" "$1" ${4:+"$4"}
	if [ $COLLECTD = 1 ]; then
		check "collectd: $3" "$2" ${4:+"$4"}
	fi
}
if [ $COLLECTD = 0 ]; then
	if [ ! -f "$PLUGIN" ]; then
		result SKIP "collectd front-end" "$PLUGIN not built (collectd-dev missing?)"
	elif [ $PLUGIN_SANITIZED = 1 ]; then
		result SKIP "collectd front-end" "$PLUGIN is a sanitizer build; collectd itself is not"
	else
		result FAIL "collectd front-end" "collectd did not start with $PLUGIN (see $O/tests/e2e-logs/collectd.log)"
	fi
fi
both c_up cd_up "libvirt up, host KSM served"
for g in $STATS_GUESTS; do
	both c_fields cd_fields "$g: every guest-reported balloon field equals libvirt's bulk record" "$g"
done
check "spy control: the virDomainMemoryStats recorder sees the test:/// fallback" spy_control "$EXPORTER"
both c_bulk_path cd_bulk_path "bulk path only, no per-domain virDomainMemoryStats for QEMU guests"
both c_period cd_period "stats-period-0 guest flagged (period 0), balloon current still reported"
check "exporter: stats-period-0 guest's report stays stale while period-2 guests refresh" c_period_stale
check "exporter: KSM merging pages > 0 for every mergeable guest" c_ksm_merging
check "exporter: per-domain KSM merging pages equal /proc/<qemu pid>/ksm_merging_pages" c_ksm_per_pid
check "exporter: sum of merging pages consistent with host pages_shared + pages_sharing" c_ksm_sum
check "exporter: nosharepages guest mergeable 0, merged 0" c_ksm_nosharepages
[ $COLLECTD = 1 ] && check "collectd: KSM merging > 0 per mergeable guest, nosharepages 0/0, sum ~ host shared + sharing" cd_ksm
# kvmmem-top on the same guests, while KSM has merged and before setmem.
check "kvmmem-top: --json = an exporter scrape of the same moment, for every guest" c_top_json
check "kvmmem-top: --once shows every guest's row with the balloon numbers of --json" c_top_once
check "kvmmem-top in tmux: header (memory, KSM, sources) and every guest with its balloon numbers" c_top_tmux_screen
check "kvmmem-top in tmux: < sorts by FLAGS, then by KSM merged" c_top_tmux_sort
check "kvmmem-top in tmux: / filters by name" c_top_tmux_filter
check "kvmmem-top in tmux: d 0.5 changes the interval, the rates appear" c_top_tmux_interval
check "kvmmem-top in tmux: q quits, the terminal is restored, the shell prompt is back" c_top_tmux_quit
top_tmux_stop
if [ -z "$CGROUP_WHY" ]; then
	check "exporter: guests in private v1 scopes: host memory, anon (below RSS under KSM), OOM kills, VmSwap are the kernel's" c_cgroup
	if in_scope e2e-nsp; then
		result SKIP "exporter: guest outside any scope has no cgroup values" "e2e-nsp runs in a scope here"
	else
		check "exporter: guest outside any scope has no cgroup values, VmSwap only" c_cgroup_no_scope e2e-nsp
	fi
else
	result SKIP "cgroup on real guests" "$CGROUP_WHY"
fi
cgroup_cleanup
both c_setmem cd_setmem "virsh setmem 128M: balloon current follows, guest available follows"
both c_destroyed_gone cd_destroyed_gone "destroyed guest gone"
both c_started_appears cd_started_appears "guest started later appears"
# Whichever front-end asks first after SIGSTOP is the one whose call meets
# the stuck monitor (the other is then skipped by NOWAIT): test each alone.
[ $COLLECTD = 1 ] && kill -STOP "$(pid_of collectd)"
check "exporter: QEMU SIGSTOPped: scrapes within the deadline with the other guests' values" c_sigstop
check "exporter: SIGCONT: the stopped guest's stats return" c_sigcont
if [ $COLLECTD = 1 ]; then
	kill -CONT "$(pid_of collectd)"
	sleep 2
	check "collectd: QEMU SIGSTOPped: reads go on with the other guests' values" cd_sigstop
	check "collectd: SIGCONT: the stopped guest's stats return" cd_sigcont
fi
both c_libvirtd_down cd_libvirtd_down "libvirtd killed: libvirt down, host KSM still served"
both c_libvirtd_down_labels cd_libvirtd_down_labels "libvirtd down: running guests found in /proc keep their domain label, UUID and per-domain KSM"
both c_libvirtd_back cd_libvirtd_back "libvirtd restarted: everything back without restarting the front-end"
check "exporter: libvirtd back: every domain listed once, as before the kill" c_libvirtd_back_once_listed
check "exporter: late guest reports full stats and KSM" c_late_complete

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
