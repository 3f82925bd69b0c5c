#!/bin/sh
# test_libvirt_events.sh - lifecycle events and hang-ups from a real libvirtd
# reach the exporter through the event loop its libvirt worker runs.
#
# A private session libvirtd (unprivileged user, temporary XDG directories,
# its own socket) serves libvirt's test driver as test:///default, which
# every client of that daemon shares; virsh changes it behind the
# exporter's back:
#  - a domain stopped, given another maximum with --config and started
#    again between two scrapes: no scrape sees it shut off, so only the
#    lifecycle events say its cached XML is out of date;
#  - libvirtd killed and started again between two scrapes: the very next
#    scrape reconnects (the hang-up is read before the connection is
#    trusted) instead of failing once first.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

require_tools libvirtd virsh setpriv curl
require_exporter
tmpdir_with_cleanup

# libvirtd as root would be the system daemon (and touch /run/libvirt):
# run it as an unprivileged user, created for the tests when missing.
if [ "$(id -u)" = 0 ]; then
	DUSER=kvmmem-test
	id "$DUSER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$DUSER" ||
		{ echo "FAIL: useradd $DUSER"; exit 1; }
	# A prefix, not a function: a function run in the background would
	# leave $! the subshell's pid instead of libvirtd's.
	AS="setpriv --reuid=$DUSER --regid=$(id -g "$DUSER") --clear-groups --"
else
	DUSER=$(id -un)
	AS=
fi
D=$T/daemon
mkdir -p "$D/home" "$D/run"
chmod 700 "$D/run"
chmod 755 "$T"
[ "$(id -u)" = 0 ] && chown -R "$DUSER" "$D"
SOCK=$D/run/libvirt/libvirt-sock
URI="test+unix:///default?socket=$SOCK"
export LIBVIRT_AUTOSTART=0

# daemon_start: libvirtd in the foreground, a child of this shell (setpriv
# execs it), answering on $SOCK.
daemon_start() {
	rm -f "$SOCK"
	# shellcheck disable=SC2086 # AS is words on purpose
	$AS env -i PATH="$PATH" HOME="$D/home" XDG_RUNTIME_DIR="$D/run" XDG_CONFIG_HOME="$D/home/.config" \
		XDG_CACHE_HOME="$D/home/.cache" libvirtd >>"$T/libvirtd.log" 2>&1 &
	DPID=$!
	track_pid "$DPID"
	wait_until -p "$DPID" 20 virsh -q -c "$URI" uri >/dev/null 2>&1 ||
		{ echo "FAIL: libvirtd did not answer on $SOCK"; tail -5 "$T/libvirtd.log"; exit 1; }
}
daemon_start

# The host side of the exporter: any fixture host; only libvirt matters here, so not the qemu collector,
# which would list the fixture's QEMU processes this libvirt does not know.
HOST=$TOP/tests/fixtures/hosts/k6.18
start_exporter "$HOST" --libvirt.uri="$URI" --no-collector.qemu
scrape() { curl -s -f "http://127.0.0.1:$PORT/metrics"; }
series() { scrape | grep -E "^($1)[{ ]" | sort; }
vsh() { virsh -q -c "$URI" "$@" >>"$T/virsh.log" 2>&1; }

WANT='kvmmem_domain_memory_maximum_bytes{domain="test"} 8589934592
kvmmem_libvirt_up 1'
expect "test:///default's one domain, as shipped" "$WANT" \
	"$(series 'kvmmem_domain_memory_maximum_bytes|kvmmem_libvirt_up')"

vsh destroy test && vsh setmaxmem test 3000000 --config && vsh start test ||
	fail "virsh destroy, setmaxmem, start: $(tail -3 "$T/virsh.log")"
WANT='kvmmem_domain_memory_maximum_bytes{domain="test"} 3072000000
kvmmem_domain_state_code{domain="test"} 1'
expect "stopped, redefined and started between two scrapes: the next one has the new maximum" "$WANT" \
	"$(series 'kvmmem_domain_memory_maximum_bytes|kvmmem_domain_state_code')"

# A change that sends no event stays cached (the age limit is 10 minutes):
# proof that the refetch above came from the events, not from every scrape.
vsh setmaxmem test 2000000 --config || fail "virsh setmaxmem without restart: $(tail -3 "$T/virsh.log")"
WANT='kvmmem_domain_memory_maximum_bytes{domain="test"} 3072000000'
expect "a --config change without a restart (no lifecycle event): the cached maximum stays" "$WANT" \
	"$(series 'kvmmem_domain_memory_maximum_bytes')"

# libvirtd goes away and comes back (test:///default starts afresh: 8 GiB).
stop_pid "$DPID" 5 || fail "libvirtd needed SIGKILL"
daemon_start
WANT='kvmmem_domain_memory_maximum_bytes{domain="test"} 8589934592
kvmmem_libvirt_up 1'
expect "libvirtd restarted between two scrapes: the next one reconnects and refetches" "$WANT" \
	"$(series 'kvmmem_domain_memory_maximum_bytes|kvmmem_libvirt_up')"
expect "the exporter logged the lost connection once and the reconnect once" \
	"1 1" "$(grep -c 'connection lost, reconnecting' "$T/log") $(grep -c 'connected"$' "$T/log")"

finish
