#!/bin/sh
# test_cgroup_v1.sh - the cgroup collector against the kernel's own cgroup v1 memory controller.
#
# As root, a private scope <own memory group>/kvmmem-test-<pid>.scope is made with libvirt's layout
# below it (libvirt/ for a real, paused QEMU started into it, emulator/ for a program that touches a
# known 64 MiB); the scope gets a memory limit and a third program in the scope itself allocates past
# it, so the kernel's OOM killer kills it there.  (cgroup v1 counts an OOM kill only in the group of
# the task killed and does not pass it up: libvirt keeps QEMU in the scope itself for the v1 memory
# controller, and the hog stands in for it here.)  The libvirt test driver lists a running domain
# whose pidfile is the QEMU's, so the libvirt backend finds the real process in the real /proc, and
# the qemu backend finds it there by its command line.  With either backend the exporter's cgroup
# values must equal the scope's own files (memory.usage_in_bytes, memory.stat total_*,
# memory.failcnt, memory.oom_control) read just before and after it, hold the 64 MiB, count the one
# OOM kill, and VmSwap must be the QEMU's.  Everything made is removed; only processes this
# test started are stopped.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
require_tools qemu-system-x86_64 python3
tmpdir_with_cleanup

[ "$(id -u)" = 0 ] || skip "needs root to make a memory cgroup"
MEM=/sys/fs/cgroup/memory
[ -f "$MEM/memory.usage_in_bytes" ] || skip "no cgroup v1 memory controller at $MEM"
# Our own memory group: the private scope goes below it, so what runs in it stays within whatever
# limit this test itself runs under.
OWN=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' /proc/self/cgroup)
[ -n "$OWN" ] || skip "this process is in no v1 memory group"
[ "$OWN" = / ] && OWN=
SCOPE_REL="$OWN/kvmmem-test-$$.scope"
SCOPE="$MEM$SCOPE_REL"

cleanup_cgroup() {
	for _p in $_TRACKED; do
		stop_pid "$_p" 5
	done
	for _d in "$SCOPE/libvirt" "$SCOPE/emulator" "$SCOPE"; do
		[ -d "$_d" ] && ! rmdir "$_d" && echo "FAIL: cannot remove $_d"
	done
	_cleanup
}
trap cleanup_cgroup EXIT

mkdir "$SCOPE" "$SCOPE/libvirt" "$SCOPE/emulator" || skip "cannot make a memory cgroup under $MEM$OWN"
ok "made $SCOPE_REL with libvirt/ and emulator/"

# in_group GROUP CMD...: runs CMD with its pid written into GROUP first, so all it allocates is
# charged there (v1 does not move charges with a process that migrates later).
in_group() {
	_g=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$_g" "$@" &
	track_pid $!
}

# A real QEMU, paused: a real monitor-less VM process at some 20 MiB of anonymous memory.
mkdir -p "$T/run"
in_group "$SCOPE/libvirt" qemu-system-x86_64 -machine q35 -S -m 256 -nodefaults -display none \
	-name guest=cgtest,debug-threads=on -uuid 4d2c6a10-8e3b-4f5a-9c1d-00000000c9c9 -pidfile "$T/run/cgtest.pid" \
	2>"$T/qemu.log"
QEMU=$!
# A program touching exactly 64 MiB, then waiting.
in_group "$SCOPE/emulator" python3 -c '
import mmap, sys, time
m = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, len(m), 4096):
    m[i] = 1
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$T/touched"
qemu_up() { [ -s "$T/run/cgtest.pid" ] && [ -s "$T/touched" ]; }
wait_until 20 qemu_up || { fail "QEMU or the toucher did not start"; finish; }
expect "QEMU's pidfile is the process started" "$QEMU" "$(cat "$T/run/cgtest.pid")"
expect "QEMU's memory group" "$SCOPE_REL/libvirt" \
	"$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' "/proc/$QEMU/cgroup")"

# The OOM killer inside the scope: a limit of what is there plus 128 MiB, and a program in the scope
# that allocates 512 MiB.  The kernel kills the largest task below the scope, the hog (the toucher
# has 64 MiB); memory.failcnt counts the charges the limit refused.  With swap on, the memsw limit
# keeps the hog from being swapped out instead (its refusals then count in memory.memsw.failcnt).
limit=$(($(cat "$SCOPE/memory.usage_in_bytes") + (128 << 20)))
echo "$limit" >"$SCOPE/memory.limit_in_bytes" || fail "cannot set memory.limit_in_bytes"
swap_on=$(($(wc -l </proc/swaps) - 1))
[ "$swap_on" -gt 0 ] && echo "$limit" >"$SCOPE/memory.memsw.limit_in_bytes"
in_group "$SCOPE" python3 -c '
import mmap
m = mmap.mmap(-1, 512 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, len(m), 4096):
    m[i] = 1'
HOG=$!
wait "$HOG"
hog_rc=$?
untrack_pid "$HOG"
expect "the hog was killed by SIGKILL (the OOM killer)" 137 "$hog_rc"
# Without the limit again, nothing else in the scope can be killed while it is read.
[ "$swap_on" -gt 0 ] && echo -1 >"$SCOPE/memory.memsw.limit_in_bytes"
echo -1 >"$SCOPE/memory.limit_in_bytes"

cat >"$T/libvirt.xml" <<'EOF'
<node>
  <cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>33554432</memory>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>cgtest</name>
    <uuid>4d2c6a10-8e3b-4f5a-9c1d-00000000c9c9</uuid>
    <memory unit='KiB'>262144</memory>
    <currentMemory unit='KiB'>262144</currentMemory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices><memballoon model='virtio'/></devices>
  </domain>
</node>
EOF

# stat_of KEY: the scope's memory.stat value of KEY.
stat_of() { sed -n "s/^$1 //p" "$SCOPE/memory.stat"; }
# kernel: every value the exporter should show, from the scope's own files, in its family order.
kernel() {
	echo "kvmmem_domain_host_memory_bytes $(cat "$SCOPE/memory.usage_in_bytes")"
	echo "kvmmem_domain_host_anon_bytes $(stat_of total_rss)"
	echo "kvmmem_domain_host_file_bytes $(stat_of total_cache)"
	echo "kvmmem_domain_host_shmem_bytes $(stat_of total_shmem)"
	[ -n "$(stat_of total_swap)" ] && echo "kvmmem_domain_host_swap_bytes $(stat_of total_swap)"
	[ -n "$(stat_of total_swapcached)" ] && echo "kvmmem_domain_host_swap_cached_bytes $(stat_of total_swapcached)"
	echo "kvmmem_domain_host_memory_limit_hits_total $(cat "$SCOPE/memory.failcnt")"
	echo "kvmmem_domain_host_oom_kills_total $(sed -n 's/^oom_kill //p' "$SCOPE/memory.oom_control")"
	echo "kvmmem_domain_process_swap_bytes $(($(sed -n 's/^VmSwap:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$QEMU/status") * 1024))"
}
# compare NAME FLAGS...: the exporter's cgroup values of domain cgtest, found by the backend FLAGS
# leave on, against the scope's files.  Memory moves by a page now and then even in a paused QEMU: a
# few tries until the kernel's files read the same before and after the exporter's collection.  The
# exposition is left in $T/out.
compare() {
	_name=$1
	shift
	_tries=0
	while :; do
		_tries=$((_tries + 1))
		kernel >"$T/before"
		"$BIN" --dump --log.level=warn --no-collector.ksm --no-collector.meminfo --no-collector.domain_ksm \
			"$@" >"$T/out" 2>"$T/err"
		_rc=$?
		kernel >"$T/after"
		cmp -s "$T/before" "$T/after" && break
		[ $_tries -lt 10 ] || break
		sleep 0.2
	done
	expect "$_name: --dump status" 0 "$_rc"
	expect "$_name: --dump logs nothing at warn" "" "$(cat "$T/err")"
	sed -n 's/^\(kvmmem_domain_\(host\|process_swap\)[a-z_]*\){domain="cgtest"} \(.*\)$/\1 \3/p' "$T/out" |
		grep -v 'pressure\|high_hits\|kernel_bytes' >"$T/got"
	if ! cmp -s "$T/before" "$T/after"; then
		fail "$_name: the scope's files kept changing over $_tries tries"
	elif diff -u "$T/before" "$T/got"; then
		ok "$_name: the exporter's cgroup values equal the scope's files ($(wc -l <"$T/got") values, try $_tries)"
	else
		fail "$_name: the exporter's cgroup values differ from the scope's files (- kernel, + exporter)"
	fi
	expect "$_name: v2-only families are absent on v1" "" \
		"$(grep -E '^kvmmem_domain_host_(memory_pressure|memory_high|kernel)[a-z_]*\{domain="cgtest"\}' "$T/out")"
}

# The QEMU found by the qemu backend in /proc (a plain QEMU); other QEMU processes of the machine may
# be listed too and are not looked at.
compare "qemu backend" --no-collector.libvirt
# The same QEMU as a libvirt domain (its pidfile); the qemu backend is off, so nothing else is listed.
compare "libvirt backend" --libvirt.uri="test://$T/libvirt.xml" --path.libvirt-run="$T/run" --no-collector.qemu
expect "cgroup collector succeeded" 'kvmmem_scrape_collector_success{collector="cgroup"} 1' \
	"$(grep '^kvmmem_scrape_collector_success{collector="cgroup"}' "$T/out")"

# The touched 64 MiB are in the scope's anonymous memory (hierarchical: emulator/ is a child).
anon=$(sed -n 's/^kvmmem_domain_host_anon_bytes{domain="cgtest"} //p' "$T/out")
[ "${anon:-0}" -ge $((64 << 20)) ] && ok "anonymous memory holds the touched 64 MiB ($anon bytes)" ||
	fail "anonymous memory $anon is below the touched 64 MiB"
expect "the OOM kill in the scope is counted" "1" \
	"$(sed -n 's/^kvmmem_domain_host_oom_kills_total{domain="cgtest"} //p' "$T/out")"
hits=$(sed -n 's/^kvmmem_domain_host_memory_limit_hits_total{domain="cgtest"} //p' "$T/out")
if [ "$swap_on" -gt 0 ]; then
	skip_part "limit hits" "swap is on: the refused charges count in memory.memsw.failcnt"
else
	[ "${hits:-0}" -gt 0 ] && ok "the scope's limit hits are counted ($hits)" || fail "limit hits $hits, want > 0"
fi

# The QEMU's own file beside the group's: RSS-like process figures stay per process.
expect "VmSwap of the QEMU" "kvmmem_domain_process_swap_bytes{domain=\"cgtest\"} 0" \
	"$(grep '^kvmmem_domain_process_swap_bytes{domain="cgtest"}' "$T/out")"

# The domain stops: its group empties and goes; the exporter says nothing of it, quietly.
stop_pid "$QEMU" 5
rmdir "$SCOPE/libvirt" || fail "cannot remove $SCOPE/libvirt"
"$BIN" --dump --log.level=warn --libvirt.uri="test://$T/libvirt.xml" --path.libvirt-run="$T/run" \
	--no-collector.qemu --no-collector.ksm --no-collector.meminfo --no-collector.domain_ksm >"$T/out2" 2>"$T/err2"
expect "after QEMU exits: no cgroup values" "" "$(grep '^kvmmem_domain_host' "$T/out2")"
expect "after QEMU exits: nothing logged at warn" "" "$(cat "$T/err2")"
finish
