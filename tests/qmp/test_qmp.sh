#!/bin/sh
# test_qmp.sh - the qmp collector against real QEMU monitors, and fakes for what QEMU 7.2 cannot do here.
#
# Real QEMU (Debian's 7.2), paused, no libvirt: a plain guest with -qmp unix:...,server=on and balloon0, a
# plain guest with -chardev/-mon and a balloon without id (found under peripheral-anon), and a Proxmox-shaped
# guest (/usr/bin/kvm's name through a symlink, <qemu-server run>/100.pid and 100.qmp).  Checked: "actual"
# equals what QEMU itself answers, the polling interval follows a qom-set, unbooted guests have no guest
# values.  Fakes (tests/qmp/fake_qmp.py): QEMU 9.2's counters, Proxmox's patched query-balloon, a 9.1.90
# greeting (guest-stats never asked), bytes one at a time, garbage, a 10 MB reply, a greeting that never
# ends and a monitor that never speaks; only read-only commands reach them.  Contention: a client holds a
# guest's monitor as pvestatd does: the scrape returns within the per-VM deadline, the other guests' values
# are intact, the held one is marked skipped and has its values again once the holder leaves.  Two late
# answers in a row back a monitor off; a client that connects while kvmmem waits on a busy monitor gets its
# greeting within the per-VM deadline.  A SIGSTOPped QEMU costs only its own values and is back after SIGCONT.
# The test runs in PID and mount namespaces of its own (unshare, when it can): its /proc holds only its own
# QEMUs, so the collector's timings are not those of every other QEMU on the machine, and its sockets live on
# a tmpfs mounted only there, so no other test's exporter talks to its monitors in the middle of a check.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
require_tools qemu-system-x86_64 curl python3
if [ -z "${KVMMEM_QMP_TEST_NS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	KVMMEM_QMP_TEST_NS=1 exec unshare --pid --fork --mount-proc sh "$0"
fi
tmpdir_with_cleanup
if [ -n "${KVMMEM_QMP_TEST_NS:-}" ] && mount -t tmpfs -o size=16m,mode=700 kvmmem-test "$T"; then
	# common.sh's cleanup, with the mount let go (lazily: QEMU may still be exiting) before the directory goes.
	trap 'for p in $_TRACKED; do stop_pid "$p" 5; done; umount -l "$T"; rm -rf "$T"' EXIT
else
	skip_part "private namespaces" "unshare or a tmpfs mount failed: the machine's /proc, with every other QEMU on it"
fi

QEMU=$(command -v qemu-system-x86_64)
# The fakes run under Debian's own python3 through a symlink named like QEMU, so the qemu backend lists them;
# a wrapper that dispatches on its name (pyenv's shims) would not do.
SYSPY=$(readlink -f /usr/bin/python3 2>/dev/null) || skip "no /usr/bin/python3"
P=qm$$ # a name prefix no other test's guest has: /proc is the machine's
QS=$T/run/qemu-server
# The exporter sees a procfs of links to this test's own processes' /proc/<pid> (see_pid): on a machine
# where other tests run at the same time, the real /proc also lists their late and silent fake monitors,
# which would cost this test's collections their deadline, and their monitors this test's connections.
mkdir -p "$QS" "$T/bin" "$T/proc"
see_pid() { ln -s "/proc/$1" "$T/proc/$1"; }
ln -s "$QEMU" "$T/bin/kvm"
ln -s "$SYSPY" "$T/bin/qemu-system-x86_64"
# The client too: a pyenv shim starts in over 100 ms, and the greeting check below must connect while
# kvmmem still waits on a busy monitor (300 ms).
CLIENT="$SYSPY $TOP/tests/qmp/qmp_client.py"
MiB=1048576

# start_seen PIDFILE ARGS...: start_qemu, and the QEMU is in the test's procfs.
start_seen() {
	start_qemu "$@"
	see_pid "$QEMU_PID"
}

# start_fake MODE: a fake monitor on $T/fake-MODE.qmp, guest $P-fake-MODE, commands logged to $T/fake-MODE.log.
start_fake() {
	: >"$T/fake-$1.log"
	"$T/bin/qemu-system-x86_64" "$TOP/tests/qmp/fake_qmp.py" "$1" "$T/fake-$1.log" -name "$P-fake-$1" -m 128 \
		-qmp "unix:$T/fake-$1.qmp,server=on,wait=off" -device virtio-balloon-pci,id=balloon0 &
	track_pid $!
	see_pid $!
	eval "FAKE_$1=$!"
	wait_until 5 test -S "$T/fake-$1.qmp" || { echo "FAIL: fake $1 did not listen"; exit 1; }
}

common="-machine q35 -S -nodefaults -display none"
# shellcheck disable=SC2086
start_seen "$T/a.pid" "$QEMU" -name "$P-a" -m 1024 $common -device virtio-balloon-pci,id=balloon0 \
	-qmp "unix:$T/a.qmp,server=on,wait=off"
# shellcheck disable=SC2086
start_seen "$T/b.pid" "$QEMU" -name "$P-b" -m 512 $common -device virtio-balloon-pci \
	-chardev "socket,id=mon0,path=$T/b.qmp,server=on,wait=off" -mon chardev=mon0,mode=control
# shellcheck disable=SC2086
start_seen "$QS/100.pid" "$T/bin/kvm" -name "$P-pve" -m 768 $common \
	-chardev "socket,id=qmp,path=$QS/100.qmp,server=on,wait=off" -mon chardev=qmp,mode=control \
	-device virtio-balloon-pci,id=balloon0
B=$(cat "$T/b.pid")
for m in v92 pve rc bytewise garbage huge endless silent; do
	start_fake $m
done

start_exporter / --path.sysfs=/sys --path.procfs="$T/proc" --path.cgroupfs=/sys/fs/cgroup --path.qemu-server-run="$QS" \
	--no-collector.ksm --no-collector.meminfo --no-collector.libvirt --no-collector.domain_ksm --no-collector.cgroup --collector.qmp --qmp.timeout=300ms

# scrape: one /metrics into $T/out, its wall time in MS.  A collection less than a second old is shared, so
# each scrape waits that long first.
scrape() {
	sleep 1.1
	_t0=$(date +%s%N)
	curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/out" || fail "scrape failed"
	MS=$((($(date +%s%N) - _t0) / 1000000))
}
# val FAMILY GUEST: the value of FAMILY for guest $P-GUEST, "" when absent.
val() {
	grep "^$1{domain=\"$P-$2\"} " "$T/out" | cut -d' ' -f2
}
# qmp_ms: the qmp collector's duration in this scrape, in whole milliseconds.
qmp_ms() {
	grep '^kvmmem_scrape_collector_duration_seconds{collector="qmp"} ' "$T/out" | cut -d' ' -f2 |
		awk '{ printf "%d", $1 * 1000 }'
}
within() { # NAME LIMIT GOT: GOT <= LIMIT
	if [ "$3" -le "$2" ]; then ok "$1 ($3 <= $2)"; else fail "$1: $3 > $2"; fi
}
atleast() { # NAME LIMIT GOT: GOT >= LIMIT
	if [ "$3" -ge "$2" ]; then ok "$1 ($3 >= $2)"; else fail "$1: $3 < $2"; fi
}

# --- real QEMU and every fake, fresh: the silent and endless monitors run into the deadline --------------
scrape
expect "collector success" 1 "$(grep '^kvmmem_scrape_collector_success{collector="qmp"} ' "$T/out" | cut -d' ' -f2)"
expect "plain: actual as QEMU says" "$($CLIENT actual "$T/a.qmp")" "$(val kvmmem_domain_balloon_current_bytes a)"
expect "chardev, anonymous balloon: actual as QEMU says" "$($CLIENT actual "$T/b.qmp")" \
	"$(val kvmmem_domain_balloon_current_bytes b)"
expect "proxmox: actual as QEMU says" "$($CLIENT actual "$QS/100.qmp")" "$(val kvmmem_domain_balloon_current_bytes pve)"
expect "the values QEMU says" "$((1024 * MiB)) $((512 * MiB)) $((768 * MiB))" \
	"$(val kvmmem_domain_balloon_current_bytes a) $(val kvmmem_domain_balloon_current_bytes b) $(val kvmmem_domain_balloon_current_bytes pve)"
expect "proxmox identity" "kvmmem_domain_info{domain=\"$P-pve\",uuid=\"\",source=\"proxmox\",vmid=\"100\"} 1" \
	"$(grep "^kvmmem_domain_info{domain=\"$P-pve\"" "$T/out")"
expect "polling interval, by id and under peripheral-anon" "0 0 0" \
	"$(val kvmmem_domain_balloon_stats_period_seconds a) $(val kvmmem_domain_balloon_stats_period_seconds b) $(val kvmmem_domain_balloon_stats_period_seconds pve)"
expect "unbooted guests: no guest values" "" "$(grep "^kvmmem_domain_guest_[a-z_]*{domain=\"$P-[abp]" "$T/out")"
expect "answered: not skipped; late, garbage, huge, 9.1.90: skipped" "a=0 b=0 pve=0 fake-v92=0 fake-pve=0 fake-bytewise=0 fake-rc=1 fake-garbage=1 fake-huge=1 fake-endless=1 fake-silent=1" \
	"$(for g in a b pve fake-v92 fake-pve fake-bytewise fake-rc fake-garbage fake-huge fake-endless fake-silent; do
		printf '%s=%s ' $g "$(val kvmmem_domain_balloon_stats_skipped $g)"
	done | sed 's/ $//')"
expect "QEMU 9.2's counters" "3 42 4096000 40960 2048000 20480" \
	"$(for f in oom_kills_total allocation_stalls_total async_scan_bytes_total direct_scan_bytes_total async_reclaim_bytes_total direct_reclaim_bytes_total; do
		printf '%s ' "$(val kvmmem_domain_guest_$f fake-v92)"
	done | sed 's/ $//')"
expect "QEMU 9.2's guest view, 2^64-1 absent" "$((100 * MiB)) $((1000 * MiB)) $((700 * MiB)) $((300 * MiB)) 1764600100 " \
	"$(val kvmmem_domain_guest_unused_bytes fake-v92) $(val kvmmem_domain_guest_available_bytes fake-v92) $(val kvmmem_domain_guest_usable_bytes fake-v92) $(val kvmmem_domain_guest_disk_caches_bytes fake-v92) $(val kvmmem_domain_guest_stats_updated_timestamp_seconds fake-v92) $(val kvmmem_domain_guest_hugetlb_failures_total fake-v92)"
expect "Proxmox's patched query-balloon (maximum stays the command line's)" \
	"$((1536 * MiB)) $((128 * MiB)) $((1500 * MiB)) $((600 * MiB)) 4096 8192 11 2222 1764600000" \
	"$(val kvmmem_domain_balloon_current_bytes fake-pve) $(val kvmmem_domain_memory_maximum_bytes fake-pve) $(val kvmmem_domain_guest_available_bytes fake-pve) $(val kvmmem_domain_guest_unused_bytes fake-pve) $(val kvmmem_domain_guest_swap_in_bytes_total fake-pve) $(val kvmmem_domain_guest_swap_out_bytes_total fake-pve) $(val kvmmem_domain_guest_major_faults_total fake-pve) $(val kvmmem_domain_guest_minor_faults_total fake-pve) $(val kvmmem_domain_guest_stats_updated_timestamp_seconds fake-pve)"
expect "replies one byte at a time" "$((1024 * MiB)) 5" \
	"$(val kvmmem_domain_balloon_current_bytes fake-bytewise) $(val kvmmem_domain_balloon_stats_period_seconds fake-bytewise)"
expect "9.1.90: actual, guest-stats never asked, the VM alive" "$((1024 * MiB)) none alive" \
	"$(val kvmmem_domain_balloon_current_bytes fake-rc) $(grep -c guest-stats "$T/fake-rc.log" | sed 's/^0$/none/') $(kill -0 "$FAKE_rc" && echo alive)"
expect "garbage, 10 MB, endless, silent: no values" "" \
	"$(for g in garbage huge endless silent; do val kvmmem_domain_balloon_current_bytes fake-$g; done)"
expect "only read-only commands were sent" "" \
	"$(cat "$T"/fake-*.log | grep -v -x -e 'qmp_capabilities ' -e 'query-balloon ' -e 'qom-get guest-stats' \
		-e 'qom-get guest-stats-polling-interval' -e 'qom-list ')"
within "scrape within the per-VM deadline, in ms" 1000 "$MS"
atleast "the late monitors were waited for, in ms" 290 "$(qmp_ms)"
within "and no longer, in ms" 500 "$(qmp_ms)"

# --- the polling interval follows qom-set; the late monitors' second timeout backs them off -------------
$CLIENT set-interval "$T/a.qmp" /machine/peripheral/balloon0 7 || fail "qom-set"
scrape
expect "polling interval after qom-set" 7 "$(val kvmmem_domain_balloon_stats_period_seconds a)"
# Two timeouts in a row: the silent and endless monitors are left alone for 5 s.
silent_connects=$(wc -l <"$T/fake-silent.connects")
scrape
within "backed off: the late monitors are not waited for, in ms" 200 "$(qmp_ms)"
expect "backed off: not connected, still marked" "$silent_connects 1 1" \
	"$(wc -l <"$T/fake-silent.connects") $(val kvmmem_domain_balloon_stats_skipped fake-endless) $(val kvmmem_domain_balloon_stats_skipped fake-silent)"

# --- contention: a client holds the plain guest's monitor ---------------------------------------------
$CLIENT hold "$T/a.qmp" "$T/held" &
HOLDER=$!
track_pid "$HOLDER"
wait_until 5 test -s "$T/held" || fail "the holder did not connect"
scrape
within "held monitor: scrape within the per-VM deadline, in ms" 1000 "$MS"
within "held monitor: the collector within it, in ms" 500 "$(qmp_ms)"
expect "held: skipped, no balloon value" "1 " \
	"$(val kvmmem_domain_balloon_stats_skipped a) $(val kvmmem_domain_balloon_current_bytes a)"
expect "the others intact" "0 $((512 * MiB)) 0 $((768 * MiB))" \
	"$(val kvmmem_domain_balloon_stats_skipped b) $(val kvmmem_domain_balloon_current_bytes b) $(val kvmmem_domain_balloon_stats_skipped pve) $(val kvmmem_domain_balloon_current_bytes pve)"
stop_pid "$HOLDER" 5
scrape
expect "holder gone: the next scrape has the values" "0 $((1024 * MiB)) 7" \
	"$(val kvmmem_domain_balloon_stats_skipped a) $(val kvmmem_domain_balloon_current_bytes a) $(val kvmmem_domain_balloon_stats_period_seconds a)"

# --- a SIGSTOPped QEMU --------------------------------------------------------------------------------
kill -STOP "$B"
scrape
kill -CONT "$B"
within "stopped QEMU: scrape within its deadline, in ms" 1000 "$MS"
expect "stopped: skipped, the others intact" "1  0 $((1024 * MiB))" \
	"$(val kvmmem_domain_balloon_stats_skipped b) $(val kvmmem_domain_balloon_current_bytes b) $(val kvmmem_domain_balloon_stats_skipped a) $(val kvmmem_domain_balloon_current_bytes a)"
scrape
expect "after SIGCONT: back" "0 $((512 * MiB))" \
	"$(val kvmmem_domain_balloon_stats_skipped b) $(val kvmmem_domain_balloon_current_bytes b)"

# --- a client behind kvmmem: a monitor busy for 2 s is left at the deadline, so the next client --------
# (pvestatd) gets its greeting within it
start_fake slow
sleep 1.1
curl -sf -o "$T/out" "http://127.0.0.1:$PORT/metrics" &
SCRAPE=$!
track_pid "$SCRAPE"
# Once kvmmem's commands have arrived it holds the monitor: the client connects then.
WAIT_MS=$($CLIENT greet "$T/fake-slow.qmp" "$T/fake-slow.log" query-balloon | awk '{ printf "%d", $1 * 1000 }')
[ -n "$WAIT_MS" ] || fail "kvmmem did not reach the busy monitor"
# The scrape ends by itself once the deadline frees it; its output is read below.
wait "$SCRAPE" || fail "the scrape behind the busy monitor failed"
untrack_pid "$SCRAPE"
atleast "the next client waited behind kvmmem, in ms" 50 "$WAIT_MS"
within "and got its greeting within the per-VM deadline, in ms" 350 "$WAIT_MS"
expect "the busy monitor: skipped" 1 "$(val kvmmem_domain_balloon_stats_skipped fake-slow)"

# --- off by default: no qmp families, no connection ----------------------------------------------------
: >"$T/fake-v92.log"
"$BIN" --dump --log.level=error --no-collector.libvirt --path.qemu-server-run="$QS" >"$T/out" 2>"$T/err"
expect "off by default: no connection" "" "$(cat "$T/fake-v92.log")"
expect "off by default: no qmp family" "" "$(grep -c '^kvmmem_domain_guest_oom_kills_total' "$T/out" | sed 's/^0$//')"
finish
