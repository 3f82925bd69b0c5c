#!/bin/sh
# test_qmp_window.sh - how many QEMU monitors the qmp collector holds at once, and when it stops starting.
#
# 66 fake monitors (tests/qmp/fake_qmp.py "lag": 150 ms over each query-balloon): kvmmem, its connect() and
# close() calls traced with strace (one thread's calls, in their order), holds exactly 64 of them at once, never more, reaches all 66 and takes two waves
# of about 150 ms.  With --scrape.timeout=4s (the collection gets 3.6 s of it, the collector half of that,
# 1.8 s, to which the one --qmp.timeout of 2 s is cut) only the first window is connected: 64 answer, the
# other 2 are not asked and are marked skipped.  --qmp.timeout=2s throughout: 64 Python fakes answering at
# once on a small, busy machine can take longer than the default 300 ms, and the window, not the deadline,
# is what is tested here.  The fakes are the only QEMU processes kvmmem sees and kvmmem the only client they
# see: the test runs in PID and mount namespaces of its own (unshare), so its /proc holds no other test's
# QEMU (which would take places in the window), and the sockets live on a tmpfs mounted only there (another
# test's exporter with the qmp collector finds the fakes in the machine's /proc, but not their sockets).
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
require_exporter
require_tools python3 unshare strace

if [ -z "${KVMMEM_QMP_WINDOW_NS:-}" ]; then
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip "no private PID namespace (unshare --pid --mount-proc, needs root)"
	KVMMEM_QMP_WINDOW_NS=1 exec unshare --pid --fork --mount-proc sh "$0"
fi
tmpdir_with_cleanup
mkdir "$T/s"
mount -t tmpfs -o size=1m,mode=700 kvmmem-test "$T/s" || skip "cannot mount a tmpfs in the namespace"
# common.sh's cleanup, with the mount let go before the directory goes.
trap 'for p in $_TRACKED; do stop_pid "$p" 5; done; umount "$T/s"; rm -rf "$T"' EXIT

SYSPY=$(readlink -f /usr/bin/python3 2>/dev/null) || skip "no /usr/bin/python3"
mkdir -p "$T/bin"
ln -s "$SYSPY" "$T/bin/qemu-system-x86_64"

# start_fakes MODE COUNT: COUNT fake monitors $T/s/MODE-<i>.qmp, guests MODE-<i>, logs $T/MODE-<i>.*.
start_fakes() {
	_i=0
	while [ $_i -lt "$2" ]; do
		: >"$T/$1-$_i.log"
		"$T/bin/qemu-system-x86_64" "$TOP/tests/qmp/fake_qmp.py" "$1" "$T/$1-$_i.log" -name "$1-$_i" -m 128 \
			-qmp "unix:$T/s/$1-$_i.qmp,server=on,wait=off" -device virtio-balloon-pci,id=balloon0 &
		track_pid $!
		_i=$((_i + 1))
	done
	_i=0
	while [ $_i -lt "$2" ]; do
		wait_until 10 test -S "$T/s/$1-$_i.qmp" || { echo "FAIL: fake $1-$_i did not listen"; exit 1; }
		_i=$((_i + 1))
	done
}

# dump ARGS...: one collection of the qmp collector alone into $T/out, its connects and closes into $T/trace.
dump() {
	strace -f --seccomp-bpf -e trace=connect,close -o "$T/trace" "$BIN" --dump --log.level=error --no-collector.libvirt --no-collector.ksm --no-collector.meminfo \
		--no-collector.domain_ksm --no-collector.cgroup --path.procfs=/proc --collector.qmp --qmp.timeout=2s \
		"$@" >"$T/out" 2>"$T/err"
}
qmp_ms() {
	grep '^kvmmem_scrape_collector_duration_seconds{collector="qmp"} ' "$T/out" | cut -d' ' -f2 |
		awk '{ printf "%d", $1 * 1000 }'
}
# count FAMILY MODE VALUE: the guests MODE-* whose FAMILY sample is VALUE.
count() {
	grep -c "^$1{domain=\"$2-[0-9]*\"} $3\$" "$T/out"
}
within() { # NAME LOW HIGH GOT: LOW <= GOT <= HIGH
	if [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then ok "$1 ($2 <= $4 <= $3)"; else fail "$1: $4 not in $2..$3"; fi
}

# --- 66 monitors, each 150 ms: a window of 64 -----------------------------------------------------------
start_fakes lag 66
dump
expect "every monitor reached, its balloon as the fake says" "66 66" \
	"$(count kvmmem_domain_balloon_current_bytes lag 1073741824) $(count kvmmem_domain_balloon_stats_skipped lag 0)"
# The most monitors open at once: +1 at each connect() to one, -1 at the close() of its descriptor.
held_at_once() {
	awk '/ connect\(/ && /\.qmp"/ { s = $0; sub(/.*connect\(/, "", s); open[s + 0] = 1; n++; if (n > m) m = n; next }
		/ close\(/ { s = $0; sub(/.*close\(/, "", s); if ((s + 0) in open) { delete open[s + 0]; n-- } }
		END { print m + 0 }' "$T/trace"
}
expect "at most 64 monitors held at once" 64 "$(held_at_once)"
expect "each monitor asked once" 66 "$(cat "$T"/lag-*.connects | wc -l | tr -d ' ')"
within "two waves of 150 ms, in ms" 290 4000 "$(qmp_ms)"

# --- a 4 s scrape deadline: no connection starts after the first window ---------------------------------
dump --scrape.timeout=4s
expect "the first window only was connected" 130 "$(cat "$T"/lag-*.connects | wc -l | tr -d ' ')"
expect "64 answered, the other 2 not asked and marked skipped" "64 64 2" \
	"$(count kvmmem_domain_balloon_current_bytes lag 1073741824) $(count kvmmem_domain_balloon_stats_skipped lag 0) $(count kvmmem_domain_balloon_stats_skipped lag 1)"
within "one wave, in ms" 140 2100 "$(qmp_ms)"
finish
