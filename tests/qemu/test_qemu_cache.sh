#!/bin/sh
# test_qemu_cache.sh - the qemu collector's per-process cache against real processes in the machine's /proc.
#
# A QEMU started with -name NAME,process=PNAME (its command name is PNAME, nothing like QEMU's) is found in
# the first scrape and the next; the exporter then holds that process's /proc/<pid>/stat open and opens
# neither its stat nor its cmdline again in later scrapes (strace); killed, it is gone from the next scrape
# and so is the descriptor.  A process whose command line names QEMU execs another program with another
# QEMU command line (a real execve: same pid, same start time, another command name): the next scrape
# shows the new name, not the cached one.  Only this test's processes are checked (prefix qc<pid>).
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18
require_exporter
require_tools qemu-system-x86_64 curl python3
tmpdir_with_cleanup

QEMU=$(command -v qemu-system-x86_64)
# The interpreter itself, not a wrapper script (pyenv's shims exec it under another name).
PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
P=qc$$
mkdir -p "$T/bin" "$T/qs"
# Two names for python, so an execve from one to the other changes the command name as any exec does.
ln -s "$PY" "$T/bin/pyone"
ln -s "$PY" "$T/bin/pytwo"

"$QEMU" -name "$P-vm,process=$P-pn" -machine q35 -m 32 -S -nodefaults -display none \
	-pidfile "$T/vm.pid" -daemonize >"$T/qemu.log" 2>&1 || {
	cat "$T/qemu.log"
	fail "QEMU did not start"
	finish
}
VM=$(cat "$T/vm.pid")
track_pid "$VM"
expect "QEMU's command name is its -name process=" "$(printf '%.15s' "$P-pn")" "$(cat "/proc/$VM/comm")"

# The process that execs: argv[0] names QEMU, so the collector takes it for one; it waits for $T/go, then
# execs pytwo with the command line of a QEMU named $P-second.
second="import time; time.sleep(300)"
first="import os, time
while not os.path.exists('$T/go'): time.sleep(0.05)
os.execv('$T/bin/pytwo', ['$QEMU', '-c', '$second', '-name', '$P-second'])"
"$PY" -c 'import os, sys; os.execv(sys.argv[1], sys.argv[2:])' "$T/bin/pyone" "$QEMU" -c "$first" \
	-name "$P-first" &
EX=$!
track_pid "$EX"
wait_until 5 sh -c "[ \"\$(cat /proc/$EX/comm 2>/dev/null)\" = pyone ]" || fail "the exec test's process did not start"

start_exporter "$HOST" --path.procfs=/proc --no-collector.libvirt --no-collector.cgroup \
	--path.qemu-server-run="$T/qs" --log.level=error
scrape() {
	curl -sf "http://127.0.0.1:$PORT/metrics" | grep "^kvmmem_domain_info{domain=\"$P-"
}
# kept: how many of the exporter's descriptors are /proc/<$1>/stat.
kept() {
	for fd in /proc/"$PID"/fd/*; do readlink "$fd"; done 2>/dev/null | grep -c "^/proc/$1/stat\$"
}
info() {
	echo "kvmmem_domain_info{domain=\"$P-$1\",uuid=\"\",source=\"qemu\",vmid=\"\"} 1"
}

expect "first scrape: both found" "$(info first)
$(info vm)" "$(scrape)"
expect "second scrape: from the cache" "$(info first)
$(info vm)" "$(scrape)"
expect "the QEMU's stat is kept open" 1 "$(kept "$VM")"

# Later scrapes read the kept descriptor only: no open of the QEMU's stat or cmdline.
if command -v strace >/dev/null; then
	strace -f -qq -e trace=openat -o "$T/strace" -p "$PID" 2>"$T/strace.err" &
	ST=$!
	track_pid "$ST"
	wait_until 5 sh -c "grep -q TracerPid:.*[1-9] /proc/$PID/status" || fail "strace did not attach"
	scrape >/dev/null
	scrape >/dev/null
	stop_pid "$ST" 5
	expect "no open of the cached QEMU's files" "" "$(grep -E "\"/proc/$VM/(stat|cmdline)\"|\"$VM/(stat|cmdline)\"" "$T/strace")"
	n=$(grep -c 'openat(' "$T/strace")
	[ "$n" -gt 0 ] && ok "strace saw the scrapes' other opens ($n)" || fail "strace saw no open at all"
else
	skip_part "no re-open of cached files" "strace not installed"
fi

# A real execve: same pid and start time, another command name and command line.
: >"$T/go"
wait_until 5 sh -c "[ \"\$(cat /proc/$EX/comm 2>/dev/null)\" = pytwo ]" || fail "the process did not exec"
expect "after the execve: the new command line" "$(info second)
$(info vm)" "$(scrape)"

# Killed between two scrapes: gone, and its descriptor closed.
stop_pid "$VM" 5
expect "a killed QEMU is gone" "$(info second)" "$(scrape)"
expect "its descriptor is closed" 0 "$(kept "$VM")"
finish
