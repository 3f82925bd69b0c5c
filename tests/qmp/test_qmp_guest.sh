#!/bin/sh
# test_qmp_guest.sh - the qmp collector against booted guests without libvirt: real guest values in both
# front-ends, equal to what QEMU answers and to what the guest itself reports.
#
# Three TCG guests (256 MiB, 1 vCPU, like the e2e's) boot the e2e's kernel and initramfs
# (tests/e2e/lib/guest-image.sh, cached in /var/cache/kvmmem-e2e) with QEMU started directly: two in the
# Proxmox layout (/usr/bin/kvm's name through a symlink, <run>/<vmid>.pid and <vmid>.qmp through
# -chardev/-mon, -name ...,debug-threads=on, -smbios type=1,uuid=, balloon0; VM 100 with
# -m size=..,maxmem=.. and its stats period set by qom-set as pvestatd does, VM 101 with the period as a
# -device property) and one plain (-qmp unix:..., a balloon without id, found under peripheral-anon).  A
# small cpio appended to the initramfs (guest-meminfo-init) prints the guest's own /proc/meminfo on its
# console every second and then runs the image's /init unchanged.
#
# Checked, in the exporter (--collector.qmp) and in the plugin inside a real collectd -f (QMP true):
#   - every balloon value (current, period, last update, unused, total, available, disk caches, swap in
#     and out, faults, hugetlb) equals what QEMU answers (qmp_client.py stats) for the same report: QEMU is
#     asked just before and just after the front-end, and the two answers must agree;
#   - the guest's own MemTotal is the balloon's total memory, and its MemFree, MemAvailable and page cache
#     are the balloon's unused, usable and disk caches;
#   - the test (never kvmmem) balloons VM 101 to 128 MiB: the guest's MemTotal drops by exactly 128 MiB,
#     and the balloon's current and total memory follow in both front-ends;
#   - a stats period changed by qom-set shows in the next scrape and read; a guest's last update advances;
#   - identity (source proxmox, vmid, the SMBIOS UUID) and the command line's maximum;
#   - collectd's Domain option leaves a VM out: that VM's monitor (a fake, fake_qmp.py, since a real
#     QEMU's cannot tell who connected) is never connected to, while the exporter does ask it.
# Then every process is stopped by pid, none is left, and the temporary directory is removed.  The
# front-ends see a procfs of links to these processes only (other tests' QEMUs share the real /proc) and
# wait up to 2 s per monitor instead of 300 ms (the machine's load; the deadline is test_qmp.sh's subject).
#
# Skips only where the e2e would: not root, not x86_64, no /usr/bin/qemu-system-x86_64.  A guest image
# that cannot be built (it needs Debian's mirror once) is a failure.  Without the collectd plugin its
# checks are one skipped part.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
[ "$(id -u)" = 0 ] || skip "booted guests need root, as the e2e does (its guest image is built and cached as root)"
[ "$(uname -m)" = x86_64 ] || skip "the guest kernel is linux-image-cloud-amd64; this host is $(uname -m)"
QEMU=/usr/bin/qemu-system-x86_64
[ -x "$QEMU" ] || skip "no $QEMU (apt-get install qemu-system-x86)"
for tool in curl /usr/bin/python3 busybox flock gzip apt-get; do
	command -v $tool >/dev/null || { echo "FAIL: $tool missing: run scripts/deps.sh test"; exit 1; }
done
tmpdir_with_cleanup
T0=$(date +%s)

# --- the e2e's guest image, and the meminfo reporter appended to it ------------------------------------
. "$TOP/tests/e2e/lib/guest-image.sh"
CACHE=${KVMMEM_E2E_CACHE:-/var/cache/kvmmem-e2e}
mkdir -p "$CACHE" || { echo "FAIL: cannot make $CACHE"; exit 1; }
# The e2e holds this lock for its whole run (KSM is global) and brings the image up to date right after
# taking it: while it runs, its image is used as it is; otherwise the image is built or checked here.
exec 9>"$CACHE/lock"
if flock -n 9 || ! [ -s "$CACHE/vmlinuz" ] || ! [ -s "$CACHE/initrd.img" ]; then
	flock -w 600 9 || { echo "FAIL: $CACHE/lock still held after 10 min"; exit 1; }
	guest_image_build "$CACHE" || { echo "FAIL: cannot build the guest image in $CACHE"; exit 1; }
fi
if ! cp "$CACHE/vmlinuz" "$T/vmlinuz" || ! cp "$CACHE/initrd.img" "$T/image.img"; then
	echo "FAIL: cannot copy the guest image"
	exit 1
fi
exec 9>&-
mkdir -p "$T/overlay/dev"
if ! cp "$TOP/tests/qmp/guest-meminfo-init" "$T/overlay/kvmmem-meminfo-init" ||
	! chmod 0755 "$T/overlay/kvmmem-meminfo-init" || ! mknod "$T/overlay/dev/null" c 1 3 ||
	! (cd "$T/overlay" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$T/overlay.img" ||
	! cat "$T/image.img" "$T/overlay.img" >"$T/initrd.img"; then
	echo "FAIL: cannot pack the meminfo reporter onto the initramfs"
	exit 1
fi
echo "guest image from $CACHE ($(cut -d' ' -f1 "$CACHE/stamp" 2>/dev/null)) after $(($(date +%s) - T0)) s"

# --- three booted guests, QEMU started directly -----------------------------------------------------
P=qg$$ # a name prefix no other test's guest has: /proc is the machine's
QS=$T/run/qemu-server
mkdir -p "$QS" "$T/bin"
ln -s "$QEMU" "$T/bin/kvm"
# Debian's python3 itself: a pyenv shim in PATH costs a shell script per call, which widens the windows
# below in which QEMU is asked.
CLIENT="/usr/bin/python3 $TOP/tests/qmp/qmp_client.py"
MiB=1048576
U100=5a1f0c2e-7b3d-4e59-9c1a-100000000100
U101=5a1f0c2e-7b3d-4e59-9c1a-100000000101
APPEND="console=ttyS0 panic=-1 quiet fill=8 rdinit=/kvmmem-meminfo-init"
boot="-machine pc,accel=tcg -smp 1 -nodefaults -no-user-config -display none -kernel $T/vmlinuz -initrd $T/initrd.img"
QPIDS=

# start_guest VM PIDFILE ARGS...: start_qemu with the guest's kernel, its console in $T/VM.console.
start_guest() {
	_vm=$1
	shift
	_pf=$1
	shift
	# shellcheck disable=SC2086 # $boot is split on purpose
	start_qemu "$_pf" "$@" $boot -append "$APPEND" -serial "file:$T/$_vm.console"
	QPIDS="$QPIDS $QEMU_PID"
}
start_guest 100 "$QS/100.pid" "$T/bin/kvm" -name "$P-100,debug-threads=on" -smbios "type=1,uuid=$U100" \
	-m size=256M,slots=1,maxmem=512M -chardev "socket,id=qmp,path=$QS/100.qmp,server=on,wait=off" \
	-mon chardev=qmp,mode=control -device virtio-balloon-pci,id=balloon0
start_guest 101 "$QS/101.pid" "$T/bin/kvm" -name "$P-101,debug-threads=on" -smbios "type=1,uuid=$U101" -m 256 \
	-chardev "socket,id=qmp,path=$QS/101.qmp,server=on,wait=off" -mon chardev=qmp,mode=control \
	-device virtio-balloon-pci,id=balloon0,guest-stats-polling-interval=2
start_guest plain "$T/plain.pid" "$QEMU" -name "$P-plain" -m 256 -qmp "unix:$T/plain.qmp,server=on,wait=off" \
	-device virtio-balloon-pci,guest-stats-polling-interval=2
# pvestatd sets the period of a Proxmox VM when it starts.
$CLIENT set-interval "$QS/100.qmp" /machine/peripheral/balloon0 2 || fail "qom-set on VM 100"
VMS="100 101 plain"
# And a VM collectd's Domain option does not select, whose monitor logs every connection: a fake
# (tests/qmp/fake_qmp.py under Debian's python3 through a link named like QEMU), since whether a real
# QEMU's monitor was connected to cannot be seen from outside.
ln -s "$(readlink -f /usr/bin/python3)" "$T/bin/qemu-system-x86_64"
"$T/bin/qemu-system-x86_64" "$TOP/tests/qmp/fake_qmp.py" v92 "$T/fake-other.log" -name "other-$P" -m 128 \
	-qmp "unix:$T/fake-other.qmp,server=on,wait=off" -device virtio-balloon-pci,id=balloon0 &
track_pid $!
QPIDS="$QPIDS $!"
wait_until 5 test -S "$T/fake-other.qmp" || { echo "FAIL: the fake monitor did not listen"; exit 1; }
# The front-ends see a procfs of links to these processes' own /proc/<pid>: on this shared machine the
# real /proc also lists other tests' QEMUs and fake monitors, which they would otherwise connect to,
# holding those monitors against their tests' own clients.  Discovery in the real /proc is tests/qemu/'s
# subject.
mkdir -p "$T/proc"
for p in $QPIDS; do
	ln -s "/proc/$p" "$T/proc/$p"
done
sock() { case $1 in plain) echo "$T/plain.qmp" ;; *) echo "$QS/$1.qmp" ;; esac; }

# --- the front-ends ------------------------------------------------------------------------------------
# A per-VM deadline of 2 s, not 300 ms: other tests load this machine's two cores with their own TCG guests
# at the same time, and a late monitor is skipped and then backed off.  The deadline itself is
# test_qmp.sh's subject, the values are this test's.
start_exporter / --path.sysfs=/sys --path.procfs="$T/proc" --path.cgroupfs=/sys/fs/cgroup --path.qemu-server-run="$QS" \
	--no-collector.libvirt --no-collector.ksm --no-collector.meminfo --no-collector.domain_ksm --no-collector.cgroup \
	--collector.qmp --qmp.timeout=2s
COLLECTD=0
if [ ! -f "$SO" ]; then
	skip_part "collectd front-end" "$SO not built (collectd-dev headers missing)"
elif ! command -v collectd >/dev/null 2>&1; then
	skip_part "collectd front-end" "collectd not installed (collectd-core)"
elif nm -D "$SO" 2>/dev/null | grep -q '__asan_init'; then
	skip_part "collectd front-end" "$SO is a sanitizer build; collectd itself is not"
else
	COLLECTD=1
	# One read a second, twice per guest report: with both at 2 s the reads can lock in just before each
	# report, and the newest read would always show the report before QEMU's.  So the read's own deadline
	# (Timeout, 80% of the interval) bounds QMPTimeout at 0.8 s.
	collectd_conf "$T/collectd.conf" qmpguest 1 "  Connection \"test:///default\"
  ProcfsPath \"$T/proc\"
  QemuServerRunPath \"$QS\"
  QMP true
  QMPTimeout 0.8
  Domain \"/^$P-/\"
  ReportHost false
  ReportDomainKSM false
  ReportDomainCgroup false" "LoadPlugin csv
<Plugin csv>
  DataDir \"$T/csv\"
  StoreRates false
</Plugin>"
	start_collectd "$T/collectd.conf" "$T/collectd.log"
fi

# --- booted ---------------------------------------------------------------------------------------------
booted() {
	for _b in $VMS; do
		grep -q 'KVMMEM-E2E-READY balloon=1' "$T/$_b.console" 2>/dev/null || return 1
		grep -q 'KVMMEM-MEMINFO' "$T/$_b.console" || return 1
	done
}
if ! wait_until 90 booted; then
	for _b in $VMS; do
		echo "console of $_b:"
		tail -n 20 "$T/$_b.console"
	done
	echo "FAIL: the guests did not boot within 90 s"
	exit 1
fi
echo "three guests booted after $(($(date +%s) - T0)) s: $(for v in $VMS; do
	grep -a -m1 KVMMEM-E2E-READY "$T/$v.console" | tr -d '\r'
done | tr '\n' ';')"
# The first report, at driver load, is there once QEMU answers one.
reported() { [ "$($CLIENT stats "$(sock "$1")" | sed -n 's/^guest_stats_updated_timestamp_seconds //p')" != absent ]; }
for v in $VMS; do
	wait_until 30 reported "$v" || fail "VM $v: no guest report in QEMU within 30 s"
done

# --- what the front-ends say --------------------------------------------------------------------------
# The families qmp_client.py stats prints, in its order, and each one's collectd identifier.
CD_IDS="balloon_current_bytes memory-balloon_current
balloon_stats_period_seconds duration-balloon_stats_period
guest_stats_updated_timestamp_seconds timestamp-guest_stats_updated
guest_unused_bytes memory-guest_unused
guest_available_bytes memory-guest_available
guest_usable_bytes memory-guest_usable
guest_disk_caches_bytes memory-guest_disk_caches
guest_swap_in_bytes_total swap_io-guest_swap_in
guest_swap_out_bytes_total swap_io-guest_swap_out
guest_major_faults_total derive-guest_major_faults
guest_minor_faults_total derive-guest_minor_faults
guest_hugetlb_allocations_total derive-guest_hugetlb_allocations
guest_hugetlb_failures_total derive-guest_hugetlb_failures
balloon_stats_skipped gauge-balloon_stats_skipped"

LAST_SCRAPE=0
# scrape: one /metrics into $T/out.  A collection less than a second old is shared, so a scrape comes at
# least 1.1 s after the one before (scrape_due waits for that; the sandwich below waits before asking QEMU).
scrape_due() {
	while [ $(($(date +%s%N) - LAST_SCRAPE)) -lt 1100000000 ]; do
		sleep 0.1
	done
}
scrape() {
	scrape_due
	LAST_SCRAPE=$(date +%s%N)
	curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/out" || fail "scrape failed"
}
# val FAMILY VM: the exporter's value of kvmmem_domain_FAMILY for VM, "" when absent.
val() {
	grep "^kvmmem_domain_$1{domain=\"$P-$2\"} " "$T/out" | cut -d' ' -f2
}
# exporter_stats VM / collectd_stats VM: the front-end's values in qmp_client.py stats' format, then
# balloon_stats_skipped.  collectd's are the newest rows of its csv files (gauges with six decimals).
exporter_stats() {
	echo "$CD_IDS" | while read -r _f _id; do
		_v=$(val "$_f" "$1")
		echo "$_f ${_v:-absent}"
	done
}
cd_last() {
	_d="$T/csv/qmpguest/kvmmem-$P-$1"
	cat "$_d/$2"-[0-9]* 2>/dev/null | awk -F, '$1 ~ /^[0-9]/ { v = $2; f = 1 } END { if (f) printf "%.0f\n", v; exit !f }'
}
collectd_stats() {
	echo "$CD_IDS" | while read -r _f _id; do
		echo "$_f $(cd_last "$1" "$_id" || echo absent)"
	done
}

# same_as_qemu FRONT VM: FRONT's (exporter's or collectd's) values of VM equal what QEMU answers just
# before and just after them.  When the two answers differ, a guest report came in between, and when the
# front-end met a monitor another client held (skipped 1: the other front-end, or another test's exporter,
# which sees these QEMUs in the real /proc), it is asked again; collectd is also asked again while its
# newest read predates QEMU's report (it reads once a second).  At most 10 tries.
same_as_qemu() {
	_try=0
	while [ $_try -lt 10 ]; do
		_try=$((_try + 1))
		[ "$1" = exporter ] && scrape_due
		_a1=$($CLIENT stats "$(sock "$2")")
		if [ "$1" = exporter ]; then
			scrape
			_got=$(exporter_stats "$2")
		else
			_got=$(collectd_stats "$2")
		fi
		_a2=$($CLIENT stats "$(sock "$2")")
		WANT="$_a1
balloon_stats_skipped 0"
		[ "$_a1" = "$_a2" ] || continue
		[ "$WANT" = "$_got" ] && break
		case $_got in *"balloon_stats_skipped 1"*) continue ;; esac
		[ "$1" = exporter ] && break
		sleep 0.5
	done
	expect "$1: VM $2: every balloon value as QEMU answers it for the same report (try $_try)" "$WANT" "$_got"
}
# qemu_val VM FAMILY: the family's value in QEMU's answer WANT of the last same_as_qemu.
qemu_val() { echo "$WANT" | sed -n "s/^$1 //p"; }
# guest_mem VM KEY: KEY's value (kB) in the guest's own newest meminfo line.
guest_mem() {
	grep -a 'KVMMEM-MEMINFO' "$T/$1.console" | tail -n 1 | tr -d '\r' | tr ' ' '\n' | sed -n "s/^$2=//p"
}
# guest_view VM: the guest's own free, available and page cache (Cached + Buffers + SwapCached: the
# balloon driver reports all file pages) in bytes, as the balloon's unused, usable and disk caches.
guest_view() {
	echo "guest_unused_bytes $(($(guest_mem "$1" MemFree) * 1024))"
	echo "guest_usable_bytes $(($(guest_mem "$1" MemAvailable) * 1024))"
	echo "guest_disk_caches_bytes $((($(guest_mem "$1" Cached) + $(guest_mem "$1" Buffers) + $(guest_mem "$1" SwapCached)) * 1024))"
}
exporter_view() {
	for _f in guest_unused_bytes guest_usable_bytes guest_disk_caches_bytes; do
		echo "$_f $(val $_f "$1")"
	done
}

for v in $VMS; do
	same_as_qemu exporter "$v"
	expect "exporter: VM $v: the guest's own MemTotal is the balloon's total memory" \
		"$(($(guest_mem "$v" MemTotal) * 1024))" "$(val guest_available_bytes "$v")"
	# The period: qom-set on VM 100, a -device property on the others.
	expect "exporter: VM $v: balloon current is query-balloon's actual, 256 MiB; maximum 256 MiB (-m); period 2 s" \
		"$((256 * MiB)) $((256 * MiB)) $((256 * MiB)) 2" \
		"$(qemu_val balloon_current_bytes) $(val balloon_current_bytes "$v") $(val memory_maximum_bytes "$v") $(val balloon_stats_period_seconds "$v")"
done
expect "exporter: identity" "kvmmem_domain_info{domain=\"$P-100\",uuid=\"$U100\",source=\"proxmox\",vmid=\"100\"} 1
kvmmem_domain_info{domain=\"$P-101\",uuid=\"$U101\",source=\"proxmox\",vmid=\"101\"} 1
kvmmem_domain_info{domain=\"$P-plain\",uuid=\"\",source=\"qemu\",vmid=\"\"} 1" \
	"$(grep "^kvmmem_domain_info{domain=\"$P-" "$T/out" | sort)"
# So the fake is found and answers: collectd's silence towards it below is its selection's doing.
expect "exporter (no selection): the fake VM's monitor is asked (QEMU 9.2's OOM kills, the exporter's pid)" \
	"3 connect $PID" "$(grep "^kvmmem_domain_guest_oom_kills_total{domain=\"other-$P\"} " "$T/out" | cut -d' ' -f2) $(
		grep -m1 -x "connect $PID" "$T/fake-other.connects")"
expect "exporter: qmp collector succeeded" 1 "$(grep '^kvmmem_scrape_collector_success{collector="qmp"} ' "$T/out" | cut -d' ' -f2)"

# The guest's own view and the balloon's agree whenever neither moved between the guest's line (once a
# second) and its report (every 2 s): an idle guest is quiet for seconds, so a few scrapes find that.
views() {
	scrape
	for _v in $VMS; do
		[ "$(guest_view "$_v")" = "$(exporter_view "$_v")" ] || return 1
	done
}
wait_until 15 views
for v in $VMS; do
	expect "exporter: VM $v: the guest's own MemFree, MemAvailable and page cache are unused, usable, disk caches" \
		"$(guest_view "$v")" "$(exporter_view "$v")"
done

# The last update advances with the guest's reports (period 2 s).
L1=$(val guest_stats_updated_timestamp_seconds 100)
sleep 2.5
scrape
L2=$(val guest_stats_updated_timestamp_seconds 100)
if [ -n "$L1" ] && [ -n "$L2" ] && [ "$L2" -gt "$L1" ]; then
	ok "exporter: VM 100: last update advances between scrapes ($L1 -> $L2)"
else
	fail "exporter: VM 100: last update does not advance between scrapes ($L1 -> $L2)"
fi

if [ $COLLECTD = 1 ]; then
	# Only collectd asks monitors from here to the exporter's next scrape (but other tests' exporters
	# may connect to the fake, which they see in the real /proc: the pid says whose connection it was).
	: >"$T/fake-other.connects"
	for v in $VMS; do
		same_as_qemu collectd "$v"
		expect "collectd: VM $v: the guest's own MemTotal is the balloon's total memory" \
			"$(($(guest_mem "$v" MemTotal) * 1024))" "$(cd_last "$v" memory-guest_available)"
	done
else
	skip_part "collectd: booted guests' values" "no collectd front-end here (above)"
fi

if [ $COLLECTD = 1 ]; then
	sleep 2.5 # two more reads
	expect "collectd: a VM its Domain option does not select: its monitor is never connected to" "" \
		"$(grep -x "connect $CPID" "$T/fake-other.connects")"
fi

# --- a stats period changed by qom-set --------------------------------------------------------------------
$CLIENT set-interval "$T/plain.qmp" find 1 || fail "qom-set on the plain guest"
scrape
expect "exporter: stats period after qom-set shows in the next scrape" 1 "$(val balloon_stats_period_seconds plain)"
if [ $COLLECTD = 1 ]; then
	cd_period() { [ "$(cd_last plain duration-balloon_stats_period)" = 1 ]; }
	wait_until 5 cd_period
	expect "collectd: stats period after qom-set shows in the next read" 1 "$(cd_last plain duration-balloon_stats_period)"
fi
L1=$(val guest_stats_updated_timestamp_seconds plain)
same_as_qemu exporter plain
L2=$(val guest_stats_updated_timestamp_seconds plain)
if [ -n "$L1" ] && [ -n "$L2" ] && [ "$L2" -gt "$L1" ]; then
	ok "exporter: VM plain: at 1 s, the last update advances from one scrape to the next ($L1 -> $L2)"
else
	fail "exporter: VM plain: at 1 s, the last update does not advance ($L1 -> $L2)"
fi

# --- the test balloons VM 101 to 128 MiB ----------------------------------------------------------------
TOTAL0=$(guest_mem 101 MemTotal)
UNUSED0=$(val guest_unused_bytes 101)
$CLIENT balloon "$QS/101.qmp" $((128 * MiB)) || fail "balloon command"
ballooned() { [ "$($CLIENT actual "$QS/101.qmp")" = $((128 * MiB)) ]; }
wait_until 30 ballooned || fail "QEMU's actual did not reach 128 MiB within 30 s"
guest_shrunk() { [ "$(guest_mem 101 MemTotal)" -lt "$TOTAL0" ]; }
wait_until 30 guest_shrunk || fail "the guest's MemTotal did not drop within 30 s"
sleep 1.1 # the guest's line after the last page went
expect "VM 101: the guest's own MemTotal dropped by exactly the 128 MiB ballooned (kB)" 131072 \
	"$((TOTAL0 - $(guest_mem 101 MemTotal)))"
total_reported() {
	[ "$($CLIENT stats "$QS/101.qmp" | sed -n 's/^guest_available_bytes //p')" = $(($(guest_mem 101 MemTotal) * 1024)) ]
}
wait_until 10 total_reported || fail "QEMU's total memory of VM 101 did not follow within 10 s"
same_as_qemu exporter 101
expect "exporter: VM 101 ballooned: current 128 MiB, total memory the guest's own MemTotal" \
	"$((128 * MiB)) $(($(guest_mem 101 MemTotal) * 1024))" "$(val balloon_current_bytes 101) $(val guest_available_bytes 101)"
drop=$(((UNUSED0 - $(val guest_unused_bytes 101)) / MiB))
if [ "$drop" -ge 120 ] && [ "$drop" -le 136 ]; then
	ok "exporter: VM 101 ballooned: guest unused memory dropped by about 128 MiB ($drop MiB)"
else
	fail "exporter: VM 101 ballooned: guest unused memory dropped by $drop MiB, not about 128"
fi
if [ $COLLECTD = 1 ]; then
	same_as_qemu collectd 101
	expect "collectd: VM 101 ballooned: current 128 MiB, total memory the guest's own MemTotal" \
		"$((128 * MiB)) $(($(guest_mem 101 MemTotal) * 1024))" \
		"$(cd_last 101 memory-balloon_current) $(cd_last 101 memory-guest_available)"
fi

# --- tear-down: every process by pid, nothing left, the directory gone ------------------------------------
if [ $COLLECTD = 1 ]; then
	stop_pid "$CPID" 10 || fail "collectd -f did not exit within 10 s of SIGTERM"
	if grep '^\[error\]' "$T/collectd.log"; then
		fail "collectd logged errors"
	fi
fi
stop_pid "$PID" 5 || fail "the exporter did not exit within 5 s of SIGTERM"
for p in $QPIDS; do
	stop_pid "$p" 5 || fail "QEMU $p did not exit within 5 s of SIGTERM"
done
expect "no QEMU left" "" "$(for p in $QPIDS; do kill -0 "$p" 2>/dev/null && echo "$p"; done)"
expect "no process names the temporary directory" "" "$(for d in /proc/[0-9]*; do
	case $(tr '\0' ' ' 2>/dev/null <"$d/cmdline") in *"$T"*) echo "${d#/proc/}" ;; esac
done)"
if [ "$FAILS" -gt 0 ]; then
	echo "--- exporter log"
	tail -n 20 "$T/log"
	[ $COLLECTD = 0 ] || { echo "--- collectd log"; tail -n 20 "$T/collectd.log"; }
fi
rm -rf "$T"
expect "temporary directory removed" "" "$(ls -d "$T" 2>/dev/null)"
echo "whole test $(($(date +%s) - T0)) s"
finish
