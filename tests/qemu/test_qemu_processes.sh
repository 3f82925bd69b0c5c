#!/bin/sh
# test_qemu_processes.sh - real QEMU processes, no libvirt: the qemu collector finds them in /proc.
#
# Two Proxmox-shaped guests (a qemu-server run directory with <vmid>.pid and <vmid>.qmp named on the command
# line, /usr/bin/kvm's name through a symlink, Proxmox's -name, -smbios, -m size=..,maxmem=.., mem-merge=off,
# balloon options; Debian's QEMU has no -id, so the VMID comes from the pidfile's name), one plain QEMU with
# -name and -uuid, and one without a name, all paused (-S, TCG, no CPU used).  Checked exactly: identity,
# source and VMID, state, maximum and configuration; then SIGSTOP (paused, 3) and SIGCONT (running, 1); the
# collectd plugin in a real collectd (csv) with the same guests under their names and UUIDs; a
# process killed between two scrapes is gone from the second; with KSM running (tunables saved and
# restored), the plain guest's preallocated RAM merges and shows in its per-domain KSM.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
require_tools qemu-system-x86_64 curl python3
tmpdir_with_cleanup

QEMU=$(command -v qemu-system-x86_64)
P=qt$$ # a name prefix no other test's guest has: /proc is the machine's
QS=$T/run/qemu-server
mkdir -p "$QS" "$T/bin" "$T/host"
ln -s "$QEMU" "$T/bin/kvm"
UUID_WEB=7b10d7af-b932-4c66-b2c3-000000000100
UUID_PLAIN=00000000-0000-4000-8000-0000000000aa

common="-S -nodefaults -display none"
# shellcheck disable=SC2086
start_qemu "$QS/100.pid" "$T/bin/kvm" -name "$P-web,debug-threads=on" \
	-chardev "socket,id=qmp,path=$QS/100.qmp,server=on,wait=off" -mon chardev=qmp,mode=control \
	-smbios "type=1,uuid=$UUID_WEB" -m size=256,slots=4,maxmem=1G -machine q35,mem-merge=off $common \
	-device virtio-balloon-pci,id=balloon0,free-page-reporting=on,deflate-on-oom=on
# shellcheck disable=SC2086
start_qemu "$QS/101.pid" "$T/bin/kvm" -name "$P-db" -chardev "socket,id=qmp,path=$QS/101.qmp,server=on,wait=off" \
	-mon chardev=qmp,mode=control -m 128 -machine q35 $common
# The plain guest preallocates its RAM (zero pages, identical, mergeable) so KSM has something to merge.
# QEMU asks for transparent huge pages on guest RAM, and ksmd leaves PMD-mapped huge pages of a guest that
# never runs alone: PR_SET_THP_DISABLE (41), which execve keeps, holds the RAM in small pages.
thp_off() {
	python3 -c 'import ctypes, os, sys; ctypes.CDLL(None).prctl(41, 1, 0, 0, 0); os.execv(sys.argv[1], sys.argv[1:])' "$@"
}
# shellcheck disable=SC2086
start_qemu "$T/plain.pid" thp_off "$QEMU" -machine q35 -m 64 -mem-prealloc $common \
	-device virtio-balloon-pci,id=balloon0 -qmp "unix:$T/plain.qmp,server=on,wait=off" \
	-name "$P-plain" -uuid "$UUID_PLAIN"
# shellcheck disable=SC2086
start_qemu "$T/anon.pid" "$QEMU" -machine q35 -m 32 $common
WEB=$(cat "$QS/100.pid")
PLAIN=$(cat "$T/plain.pid")
ANON=$(cat "$T/anon.pid")

dump() {
	"$BIN" --dump --log.level=error --no-collector.libvirt --path.qemu-server-run="$QS" >"$T/out" 2>"$T/err"
}
# mine FAMILY: that family's lines of our guests, in exposition order.
mine() {
	grep "^$1{domain=\"\($P-\|qemu-pid-$ANON\"\)" "$T/out"
}

dump
expect "--dump exits 0" "" "$(cat "$T/err")"
# Domains come in byte order of their names: qemu-pid-<pid> before qt<pid>-*.
expect "identity, source and VMID" "kvmmem_domain_info{domain=\"qemu-pid-$ANON\",uuid=\"\",source=\"qemu\",vmid=\"\"} 1
kvmmem_domain_info{domain=\"$P-db\",uuid=\"\",source=\"proxmox\",vmid=\"101\"} 1
kvmmem_domain_info{domain=\"$P-plain\",uuid=\"$UUID_PLAIN\",source=\"qemu\",vmid=\"\"} 1
kvmmem_domain_info{domain=\"$P-web\",uuid=\"$UUID_WEB\",source=\"proxmox\",vmid=\"100\"} 1" "$(mine kvmmem_domain_info)"
expect "state: running" "kvmmem_domain_state_code{domain=\"qemu-pid-$ANON\"} 1
kvmmem_domain_state_code{domain=\"$P-db\"} 1
kvmmem_domain_state_code{domain=\"$P-plain\"} 1
kvmmem_domain_state_code{domain=\"$P-web\"} 1" "$(mine kvmmem_domain_state_code)"
expect "maximum from -m" "kvmmem_domain_memory_maximum_bytes{domain=\"qemu-pid-$ANON\"} 33554432
kvmmem_domain_memory_maximum_bytes{domain=\"$P-db\"} 134217728
kvmmem_domain_memory_maximum_bytes{domain=\"$P-plain\"} 67108864
kvmmem_domain_memory_maximum_bytes{domain=\"$P-web\"} 268435456" "$(mine kvmmem_domain_memory_maximum_bytes)"
f=',locked="false"'
expect "configuration from the command line" "kvmmem_domain_memory_config_info{domain=\"qemu-pid-$ANON\",balloon=\"none\",\
hugepages=\"false\",ksm=\"true\"$f,free_page_reporting=\"false\",deflate_on_oom=\"false\"} 1
kvmmem_domain_memory_config_info{domain=\"$P-db\",balloon=\"none\",\
hugepages=\"false\",ksm=\"true\"$f,free_page_reporting=\"false\",deflate_on_oom=\"false\"} 1
kvmmem_domain_memory_config_info{domain=\"$P-plain\",balloon=\"virtio\",hugepages=\"false\",ksm=\"true\"$f,\
free_page_reporting=\"false\",deflate_on_oom=\"false\"} 1
kvmmem_domain_memory_config_info{domain=\"$P-web\",balloon=\"virtio\",hugepages=\"false\",ksm=\"false\"$f,\
free_page_reporting=\"true\",deflate_on_oom=\"true\"} 1" "$(mine kvmmem_domain_memory_config_info)"
# RSS is the process's own: the plain guest's 64 MiB are preallocated, so it is above that.
rss=$(mine kvmmem_domain_rss_bytes | sed -n "s/^kvmmem_domain_rss_bytes{domain=\"$P-plain\"} //p")
[ -n "$rss" ] && [ "$rss" -gt 67108864 ] && ok "RSS of the plain guest: $rss bytes" ||
	fail "RSS of the plain guest: '$rss', want more than 64 MiB"
expect "per-domain KSM of the mem-merge=off guest" "kvmmem_domain_ksm_mergeable{domain=\"$P-web\"} 0" \
	"$(mine kvmmem_domain_ksm_mergeable | grep "\"$P-web\"")"

# Stopped by a signal: paused; running again after SIGCONT.
kill -STOP "$WEB"
dump
expect "SIGSTOP: paused" "kvmmem_domain_state_code{domain=\"$P-web\"} 3" \
	"$(mine kvmmem_domain_state_code | grep "\"$P-web\"")"
kill -CONT "$WEB"
dump
expect "SIGCONT: running" "kvmmem_domain_state_code{domain=\"$P-web\"} 1" \
	"$(mine kvmmem_domain_state_code | grep "\"$P-web\"")"

# The collectd plugin on the same processes: one read (collectd -T) through the csv plugin; the plugin
# instance is the domain's name and UUID, the values the exporter's.
cd_why=""
if [ ! -f "$SO" ]; then
	cd_why="$SO not built (collectd-dev missing)"
elif ! command -v collectd >/dev/null; then
	cd_why="collectd not installed"
elif nm -D "$SO" 2>/dev/null | grep -q '__asan_init'; then
	cd_why="$SO is a sanitizer build; collectd itself is not"
fi
if [ -z "$cd_why" ]; then
	collectd_conf "$T/cd.conf" qtest 1 "  Connection \"qemu+unix:///system?socket=$T/no-libvirt\"
  QemuServerRunPath \"$QS\"
  PluginInstanceFormat name uuid
  ReportHost false" "LoadPlugin csv
<Plugin csv>
  DataDir \"$T/csv\"
</Plugin>"
	start_collectd "$T/cd.conf" "$T/cd.out"
	# cdval INSTANCE TYPE-INSTANCE: the last value collectd wrote there.
	cdval() {
		for f in "$T/csv/qtest/kvmmem-$1/$2-"*; do
			[ -f "$f" ] && tail -n 1 "$f" | cut -d, -f2 && return 0
		done
		echo absent
	}
	cd_written() { [ "$(cdval "qemu-pid-$ANON:" memory-memory_maximum)" != absent ] &&
		[ "$(cdval "$P-web:$UUID_WEB" gauge-state_code)" != absent ]; }
	wait_until -p "$CPID" 15 cd_written || fail "collectd wrote no values of the guests within 15 s: $(tail -3 "$T/cd.out")"
	stop_pid "$CPID" 10 || fail "collectd did not stop on SIGTERM"
	expect "collectd: the Proxmox guest by name and UUID, maximum and state" "268435456.000000 1.000000" \
		"$(cdval "$P-web:$UUID_WEB" memory-memory_maximum) $(cdval "$P-web:$UUID_WEB" gauge-state_code)"
	expect "collectd: the guest without UUID, maximum" "134217728.000000" "$(cdval "$P-db:" memory-memory_maximum)"
	expect "collectd: the plain guest by name and UUID, maximum" "67108864.000000" \
		"$(cdval "$P-plain:$UUID_PLAIN" memory-memory_maximum)"
	expect "collectd: the nameless guest, maximum" "33554432.000000" "$(cdval "qemu-pid-$ANON:" memory-memory_maximum)"
else
	skip_part "collectd plugin" "$cd_why"
fi

# A process killed between two scrapes of one running exporter: gone from the second, the rest stays.
start_exporter "$T/host" --no-collector.libvirt --path.sysfs=/sys --path.procfs=/proc --path.cgroupfs=/sys/fs/cgroup \
	--path.qemu-server-run="$QS"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/out" || fail "first scrape"
expect "before the kill" "4" "$(mine kvmmem_domain_info | wc -l | tr -d ' ')"
stop_pid "$ANON" 5
wait_until 5 sh -c "! kill -0 $ANON 2>/dev/null" || fail "QEMU $ANON did not exit"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/out" || fail "second scrape"
expect "after the kill: the killed process is gone" "kvmmem_domain_info{domain=\"$P-db\",uuid=\"\",source=\"proxmox\",vmid=\"101\"} 1
kvmmem_domain_info{domain=\"$P-plain\",uuid=\"$UUID_PLAIN\",source=\"qemu\",vmid=\"\"} 1
kvmmem_domain_info{domain=\"$P-web\",uuid=\"$UUID_WEB\",source=\"proxmox\",vmid=\"100\"} 1" \
	"$(mine kvmmem_domain_info)"
expect "the collector still succeeds" 'kvmmem_scrape_collector_success{collector="qemu"} 1' \
	"$(grep '^kvmmem_scrape_collector_success{collector="qemu"}' "$T/out")"

# Per-domain KSM with KSM running: needs root (the tunables are global).  use_zero_pages=0 lets the
# preallocated zero pages merge as ordinary identical pages, counted in ksm_merging_pages.
KSM=/sys/kernel/mm/ksm
if [ "$(id -u)" = 0 ] && [ -w "$KSM/run" ] && [ -r "/proc/$PLAIN/ksm_stat" ]; then
	for k in run pages_to_scan sleep_millisecs use_zero_pages; do
		[ -f "$KSM/$k" ] && cat "$KSM/$k" >"$T/ksm.$k"
	done
	ksm_restore() {
		for k in use_zero_pages sleep_millisecs pages_to_scan run; do
			[ -f "$T/ksm.$k" ] && cat "$T/ksm.$k" >"$KSM/$k"
		done
	}
	trap 'ksm_restore; _cleanup' EXIT
	[ -f "$KSM/use_zero_pages" ] && echo 0 >"$KSM/use_zero_pages"
	echo 4000 >"$KSM/pages_to_scan"
	echo 10 >"$KSM/sleep_millisecs"
	echo 1 >"$KSM/run"
	merged() {
		curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/out" || return 1
		n=$(sed -n "s/^kvmmem_domain_ksm_merging_pages{domain=\"$P-plain\"} //p" "$T/out")
		[ -n "$n" ] && [ "$n" -gt 8192 ]
	}
	if wait_until 30 merged; then
		ok "per-domain KSM with KSM running: $n pages of the plain guest merged after $((WAITED / 10)).$((WAITED % 10)) s"
	else
		fail "per-domain KSM: merging pages of $P-plain '${n:-}' after 30 s"
	fi
	expect "its RAM is mergeable" "kvmmem_domain_ksm_mergeable{domain=\"$P-plain\"} 1" \
		"$(grep "^kvmmem_domain_ksm_mergeable{domain=\"$P-plain\"}" "$T/out")"
	ksm_restore
else
	skip_part "per-domain KSM with KSM running" "needs root, a writable $KSM and /proc/<pid>/ksm_stat"
fi
finish
