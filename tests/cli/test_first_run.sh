#!/bin/sh
# test_first_run.sh - a newcomer's first run on a machine without VMs: on a host with k6.18's kernel files but
# no QEMU process and no libvirtd (its socket absent), the exporter's first log lines are exactly the start-up
# line, libvirt's connection failure and three lines that say what was looked for, where, and that `make demo`
# shows a sample host; the page at / says so too.  With libvirt and qemu switched off, the first line names
# the flags instead.
# The expected lines are single-quoted text: their backquotes (`make demo`) are no command substitution.
# shellcheck disable=SC2016
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
FIXTURE=$TOP/tests/fixtures/hosts/k6.18
require_exporter
require_tools curl
tmpdir_with_cleanup

# The host: KSM, meminfo, vmstat and ksmd, no /proc/<pid> of any QEMU, no libvirt socket.
H=$T/host
mkdir -p "$H/proc" "$H/run"
cp -R "$FIXTURE/sys" "$H/"
cp "$FIXTURE/proc/meminfo" "$FIXTURE/proc/vmstat" "$H/proc/"
cp -R "$FIXTURE/proc/2" "$H/proc/"
URI="qemu+unix:///system?socket=$H/run/libvirt-sock-ro"

told() { grep -q 'make demo' "$T/log"; }

# first_lines: the log without timestamps, $T as T, the version and port as V and PORT.
first_lines() {
	sed -E -e 's/^ts=[^ ]+ //' -e "s|$T|T|g" -e 's/kvmmem_exporter [^ ]+ \(revision [^)]*\)/kvmmem_exporter V (revision R)/' \
		-e "s/$PORT/PORT/g" "$T/log"
}

start_exporter "$H" --libvirt.uri="$URI" --path.qemu-server-run="$H/qemu-server"
wait_until 5 told || fail "no first-run message within 5 s"
expect "the first log lines" \
	'level=info msg="kvmmem_exporter V (revision R) listening on 127.0.0.1:PORT, port PORT, metrics at /metrics, libvirt qemu+unix:///system?socket=T/host/run/libvirt-sock-ro"
level=warn msg="libvirt qemu+unix:///system?socket=T/host/run/libvirt-sock-ro: cannot connect: Failed to connect socket to '"'T/host/run/libvirt-sock-ro'"': No such file or directory"
level=info msg="found no virtual machine on this host: libvirt at qemu+unix:///system?socket=T/host/run/libvirt-sock-ro is not up and no QEMU process runs in T/host/proc"
level=info msg="the host metrics (KSM, memory) are served as usual; on a machine without VMs the per-domain families are empty and that is right"
level=info msg="to see every family with sample data, run `make demo` in the source tree: it serves a bundled sample host on the same port"' \
	"$(first_lines)"

curl -s -o "$T/page" "http://127.0.0.1:$PORT/"
expect "the page at / says so" \
	'<p>No virtual machine was found on this host: no domain from any backend and libvirt not up. On a machine without VMs that is right. To see every family with sample data, run <code>make demo</code> in the source tree.</p>' \
	"$(grep '^<p>No virtual machine' "$T/page")"
expect "the page at /: the libvirt row" \
	"<tr><td>libvirt</td><td>backend</td><td>down</td><td>cannot list the domains at qemu+unix:///system?socket=T/host/run/libvirt-sock-ro: libvirtd not running, no access to its socket, or too slow; the log says which</td></tr>" \
	"$(grep '^<tr><td>libvirt</td><td>backend' "$T/page" | sed "s|$T|T|g")"

# A second scrape says nothing more: the message is logged once.
curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"
expect "logged once" 1 "$(grep -c 'found no virtual machine' "$T/log")"
stop_pid "$PID" 5

start_exporter "$H" --no-collector.libvirt --no-collector.qemu
wait_until 5 told || fail "no first-run message within 5 s (libvirt and qemu off)"
expect "libvirt and qemu off: the first log lines" \
	'level=info msg="kvmmem_exporter V (revision R) listening on 127.0.0.1:PORT, port PORT, metrics at /metrics, libvirt test://T/host/libvirt.xml"
level=info msg="found no virtual machine on this host: libvirt is not asked (--no-collector.libvirt) and QEMU processes are not looked for (--no-collector.qemu)"
level=info msg="the host metrics (KSM, memory) are served as usual; on a machine without VMs the per-domain families are empty and that is right"
level=info msg="to see every family with sample data, run `make demo` in the source tree: it serves a bundled sample host on the same port"' \
	"$(first_lines)"
finish
