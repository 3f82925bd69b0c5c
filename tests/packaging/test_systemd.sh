#!/bin/sh
# test_systemd.sh - the Debian packages as an operator installs them, under a
# real systemd as PID 1: a Debian 12 tree (systemd-tree.sh: mmdebstrap from
# the package mirror, cached under /var/cache/kvmmem-systemd) booted with
# `systemd-nspawn --boot` in a private network namespace, its port 19177
# forwarded to a free port on the host's 127.0.0.1.  nspawn boots the tree
# in about a second on this cgroup-v1-hybrid machine without a systemd of
# its own (--keep-unit --register=no); QEMU TCG would take minutes.
# Inside, from the .deb files dpkg-buildpackage makes of a clean clone of
# HEAD (and of the tag v0.1.0, for the upgrade):
#   1. no libvirt group, no libvirtd (a Proxmox VE node, plain QEMU): dpkg -i
#      of both packages; the user, the unit enabled and running, /metrics
#      from the host, the default flags' one warning (libvirt is absent);
#      with --no-collector.libvirt the qemu collector finds a QEMU-like
#      process of another user started as libvirt does and one started as
#      Proxmox VE does, and the per-domain KSM of each is read under the
#      unit's hardening, with nothing in the journal; new flags in
#      /etc/default/kvmmem_exporter (the libvirt test driver) and a restart:
#      every family root gets and every host family of the kernel (but
#      ksmd's CPU time: the PID namespace hides the kernel thread), no
#      warning or error in the journal; systemctl reload refused (the
#      exporter has no reload); systemctl stop clean and fast; a killed
#      exporter restarted; systemd-analyze security of the running unit;
#      collectd with LoadPlugin kvmmem dispatches values;
#   2. libvirtd installed afterwards: the new group libvirt is given to the
#      user by the package's trigger, the exporter restarted into it, and it
#      reaches libvirtd (kvmmem_libvirt_up 1);
#   3. apt-get purge: user, files and unit gone, nothing left running;
#   4. a libvirt group without libvirtd: v0.1.0 installed and configured,
#      then HEAD's packages over it: configuration kept, service restarted
#      into the new binary, no metric family lost (unless CHANGELOG's
#      Unreleased entry names it); purged again;
#   5. no libvirt group again: v0.1.0's unit fails (216/GROUP, the bug of
#      SupplementaryGroups=libvirt), an upgrade to HEAD's packages starts it.
# About 40-80 s here (cold cache: the tree and v0.1.0's packages are built
# first).  Slow for a unit test: KVMMEM_SKIP_SLOW=1 skips it.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

[ "${KVMMEM_SKIP_SLOW:-0}" != 1 ] || skip "KVMMEM_SKIP_SLOW=1 (this test builds the packages twice and boots a systemd)"
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn, an overlay mount, a network namespace)"
require_tools mmdebstrap systemd-nspawn systemd-socket-activate dpkg-buildpackage dh git curl ip nsenter cc flock
PROXYD=/lib/systemd/systemd-socket-proxyd
[ -x "$PROXYD" ] || skip "$PROXYD not installed (systemd)"
CACHE=${KVMMEM_SYSTEMD_CACHE:-/var/cache/kvmmem-systemd}
KSM=/sys/kernel/mm/ksm
MACHINE=kvmmem-sd-$$
NETNS=kvmmem-sd-$$
ARCH=$(dpkg --print-architecture)
UUID=6b1f0c1e-18aa-4c0e-9a5e-000000000018
UUID2=6b1f0c1e-18aa-4c0e-9a5e-000000000101
tmpdir_with_cleanup

# --- cleanup: the container, its mounts and namespace, the worktree, KSM -----------------------------

NSPAWN_PID=
MOUNTED=
WORKTREE=
KSM_SAVED=
sd_cleanup() {
	if [ -n "$NSPAWN_PID" ]; then
		# SIGTERM makes nspawn power the container off; a hung one is killed.
		if ! stop_pid "$NSPAWN_PID" 30; then
			# nspawn was killed; its PID 1 would live on without it, and with that PID 1 every
			# process of the container's PID namespace ends.
			echo "the container did not power off within 30 s: killed"
			[ -z "${LEADER:-}" ] || kill -KILL "$LEADER" 2>/dev/null
		fi
	fi
	[ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED"
	ip netns del "$NETNS" 2>/dev/null
	rm -rf "/run/systemd/nspawn/propagate/$MACHINE"
	if [ -n "$WORKTREE" ]; then
		git -C "$TOP" worktree remove --force "$WORKTREE" 2>/dev/null
		git -C "$TOP" worktree prune
	fi
	# The tunables go back unless another test changed them meanwhile (theirs are left alone then).
	if [ -n "$KSM_SAVED" ] && [ "$(cat $KSM/run) $(cat $KSM/pages_to_scan) $(cat $KSM/sleep_millisecs)" = "1 4000 10" ]; then
		# shellcheck disable=SC2086 # three words
		set -- $KSM_SAVED
		echo "$2" >"$KSM/pages_to_scan"
		echo "$3" >"$KSM/sleep_millisecs"
		echo "$1" >"$KSM/run"
	fi
}
trap 'sd_cleanup; _cleanup' EXIT

START=$(date +%s)
phase() { echo "== $* (at $(($(date +%s) - START)) s)"; }

# --- the packages ------------------------------------------------------------------------------------

# build_debs SRC: dpkg-buildpackage -b in SRC; the .deb files land in SRC's parent.  The unit tests are
# not run again here (nocheck): test_packaging.sh runs them inside its build.
build_debs() {
	if ! (cd "$1" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -us -uc -j2) >"$1.build.log" 2>&1; then
		tail -n 40 "$1.build.log"
		echo "FAIL: dpkg-buildpackage in $1 failed"
		exit 1
	fi
}

phase "building HEAD's packages from a clean clone"
mkdir -p "$T/new"
git clone -q "$TOP" "$T/new/src"
NEW_REV=$(git -C "$T/new/src" rev-parse --short=12 HEAD)
NEW_VERSION=$(cd "$T/new/src" && dpkg-parsechangelog -S Version)
OLD_COMMIT=$(git -C "$TOP" rev-parse -q --verify 'v0.1.0^{commit}' || true)
if [ -n "$OLD_COMMIT" ] && [ "$NEW_VERSION" = 0.1.0 ]; then
	# VERSION is not bumped until the release: give this build a version above 0.1.0 so that
	# dpkg does an upgrade, not a reinstall of the same version.
	NEW_VERSION="0.1.0+git$NEW_REV"
	{
		printf 'kvmmem (%s) unstable; urgency=medium\n\n  * Test build of %s.\n\n' "$NEW_VERSION" "$NEW_REV"
		printf ' -- The kvmmem developers <kvmmem@example.org>  %s\n\n' "$(date -R)"
		cat "$T/new/src/debian/changelog"
	} >"$T/changelog" && mv "$T/changelog" "$T/new/src/debian/changelog"
fi
build_debs "$T/new/src"
NEW_EXP=$T/new/kvmmem-exporter_${NEW_VERSION}_$ARCH.deb
NEW_PLUG=$T/new/collectd-kvmmem_${NEW_VERSION}_$ARCH.deb
[ -f "$NEW_EXP" ] && [ -f "$NEW_PLUG" ] || { ls "$T/new"; echo "FAIL: the build made no $NEW_EXP"; exit 1; }
# The packaged binary, run on the host too: its --dump there is what every host family means.
dpkg-deb -x "$NEW_EXP" "$T/new/root"

# The release's packages never change: they are built once per commit and kept in the cache.
OLD_EXP=
if [ -z "$OLD_COMMIT" ]; then
	skip_part "4. upgrade from v0.1.0" "no tag v0.1.0 in this clone (git fetch --tags)"
else
	OLDC=$CACHE/release-v0.1.0-$OLD_COMMIT
	if [ ! -f "$OLDC/ok" ]; then
		phase "building v0.1.0's packages ($OLD_COMMIT) in a git worktree"
		mkdir -p "$T/old"
		WORKTREE=$T/old/src
		git -C "$TOP" worktree add -q --detach "$WORKTREE" "$OLD_COMMIT"
		build_debs "$WORKTREE"
		rm -rf "$OLDC.tmp"
		mkdir -p "$OLDC.tmp"
		cp "$T/old"/*.deb "$OLDC.tmp/"
		touch "$OLDC.tmp/ok"
		rm -rf "$OLDC"
		mv "$OLDC.tmp" "$OLDC"
		git -C "$TOP" worktree remove --force "$WORKTREE"
		WORKTREE=
	fi
	OLD_EXP=$OLDC/kvmmem-exporter_0.1.0_$ARCH.deb
	OLD_PLUG=$OLDC/collectd-kvmmem_0.1.0_$ARCH.deb
fi

# What the packages depend on is installed into the tree, so dpkg -i needs no network inside.
deps_of() {
	for _d; do dpkg-deb -f "$_d" Depends; done | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g; s/:any$//' |
		grep -v '^$' | LC_ALL=C sort -u
}
# shellcheck disable=SC2046 # package names, split on purpose
PKGS=$(deps_of "$NEW_EXP" "$NEW_PLUG" ${OLD_EXP:+"$OLD_EXP" "$OLD_PLUG"} | grep -vx 'kvmmem-exporter\|collectd-kvmmem')

phase "the Debian 12 tree"
# shellcheck disable=SC2086 # package names
TREE=$(sh "$TOP/tests/packaging/systemd-tree.sh" "$CACHE" $PKGS) || { echo "FAIL: no Debian tree"; exit 1; }

# --- the container -----------------------------------------------------------------------------------

phase "booting the tree with systemd-nspawn"
mkdir -p "$T/upper" "$T/work" "$T/root"
mount -t overlay overlay -o "lowerdir=$TREE,upperdir=$T/upper,workdir=$T/work" "$T/root" ||
	{ echo "FAIL: overlay mount of $TREE"; exit 1; }
MOUNTED=$T/root
ip netns add "$NETNS" && ip -n "$NETNS" link set lo up || { echo "FAIL: ip netns add $NETNS"; exit 1; }

# The files the test uses inside: the packages, the QEMU-like program, a libvirt test-driver node.
S=$T/root/srv/kvmmem-test
mkdir -p "$S/new" "$S/old" "$T/root/etc/kvmmem-test"
cp "$NEW_EXP" "$NEW_PLUG" "$S/new/"
[ -z "$OLD_EXP" ] || cp "$OLD_EXP" "$OLD_PLUG" "$S/old/"
cc -O2 -Wall -o "$S/qemu-like" "$TOP/tests/packaging/qemu-like.c" || { echo "FAIL: cc qemu-like.c"; exit 1; }
cat >"$T/root/etc/kvmmem-test/node.xml" <<EOF
<node>
  <cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>4194304</memory>
  <domain type='test'>
    <name>ksmvm</name>
    <uuid>$UUID</uuid>
    <memory unit='KiB'>262144</memory>
    <currentMemory unit='KiB'>262144</currentMemory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices><memballoon model='virtio'><stats period='5'/></memballoon></devices>
  </domain>
</node>
EOF
chmod 0644 "$T/root/etc/kvmmem-test/node.xml"
# The flags that point the exporter at that node and the QEMU-like process's pidfile.
TEST_ARGS='--libvirt.uri=test:///etc/kvmmem-test/node.xml --path.libvirt-run=/run/kvmmem-test'

# --keep-unit and --register=no: nspawn asks no systemd of the host for a scope (the host may have no
# systemd at all, as here); --link-journal=no: nothing is written into the host's journal directory.
systemd-nspawn --quiet --boot --keep-unit --register=no --link-journal=no --console=passive \
	--machine="$MACHINE" --directory="$T/root" --network-namespace-path="/run/netns/$NETNS" \
	>"$T/nspawn.log" 2>&1 &
NSPAWN_PID=$!
# The container's PID 1 is nspawn's child once it runs systemd.
leader() {
	LEADER=$(ps -o pid= --ppid "$NSPAWN_PID" 2>/dev/null | tr -d ' ' | head -n1)
	[ -n "$LEADER" ] && [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" = systemd ]
}
BOOT0=$(date +%s)
wait_until -p "$NSPAWN_PID" 30 leader || { cat "$T/nspawn.log"; echo "FAIL: the container's systemd did not start"; exit 1; }

# c SCRIPT: runs SCRIPT with sh inside the container (every namespace of its PID 1), as root, with a
# clean environment, in a session of its own (a signal to its process group stays inside).
c() {
	setsid -w nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		SYSTEMD_PAGER= SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive sh -c "$1" </dev/null
}
# is-system-running answers once PID 1's private socket is there, until then it cannot connect.
booted() {
	state=$(c 'systemctl is-system-running' 2>&1)
	case $state in running | degraded | maintenance | stopping) return 0 ;; esac
	return 1
}
wait_until -p "$NSPAWN_PID" 90 booted
case $state in
running)
	ok "the container boots to running in $(($(date +%s) - BOOT0)) s: systemd $(c 'systemctl --version' | head -n1 | cut -d' ' -f2), cgroup $(c 'stat -fc %T /sys/fs/cgroup; stat -fc %T /sys/fs/cgroup/unified 2>/dev/null' | tr '\n' ' ' | sed 's/ $//')"
	;;
*)
	fail "the container's systemd is $state"
	c 'systemctl --failed --no-pager; journalctl -b -p warning --no-pager | tail -n 30'
	;;
esac

# The host's 127.0.0.1:HPORT is forwarded to 127.0.0.1:19177 inside the container's network namespace:
# the listening socket is made here, the proxy connects from inside the namespace.
fwd_started() { grep -q 'Listening on' "$T/fwd.log" 2>/dev/null; }
for _try in 1 2 3 4 5 6 7 8; do
	HPORT=$(free_port)
	: >"$T/fwd.log"
	systemd-socket-activate -l "127.0.0.1:$HPORT" ip netns exec "$NETNS" "$PROXYD" 127.0.0.1:19177 \
		>"$T/fwd.log" 2>&1 &
	FWD=$!
	track_pid "$FWD"
	if wait_until -p "$FWD" 5 fwd_started; then break; fi
	stop_pid "$FWD" 1
	FWD=
done
[ -n "$FWD" ] || { cat "$T/fwd.log"; echo "FAIL: no port forwarded"; exit 1; }
URL=http://127.0.0.1:$HPORT/metrics

# --- helpers on the exporter inside ------------------------------------------------------------------

prop() { c "systemctl show -p $1 --value kvmmem_exporter.service"; }
# families FILE: the metric family names of an exposition, sorted.
families() { awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$1" | LC_ALL=C sort; }
scrape() { curl -sf --max-time 10 -o "$1" "$URL"; }
# value FILE SAMPLE: the value of the sample whose name and labels are SAMPLE.
value() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
# journal_mark: a cursor for `journal_since` (the exporter's journal from here on).
journal_mark() {
	MARK=$(c 'journalctl -q -n 0 --show-cursor' | sed -n 's/^-- cursor: //p')
	[ -n "$MARK" ] || fail "no journal cursor inside the container"
}
journal_since() { c "journalctl -q --no-pager -o cat -u kvmmem_exporter.service --after-cursor='$MARK' $*"; }
# journal_clean WHAT: no line the exporter logged at warn or error, and no message of priority warning
# or worse about the unit (systemd's own), since journal_mark.
journal_clean() {
	journal_since >"$T/journal"
	journal_since -p warning >"$T/journal.warn"
	grep -E 'level=(warn|error)' "$T/journal" >>"$T/journal.warn"
	if [ -s "$T/journal.warn" ]; then
		fail "$1: warnings or errors in the journal"
		cat "$T/journal.warn"
	else
		ok "$1: no warning or error in the journal ($(wc -l <"$T/journal") lines)"
	fi
}
# active_with_new_pid OLDPID: the unit is active with a MainPID other than OLDPID.
active_with_new_pid() {
	[ "$(prop ActiveState)" = active ] && PID_NOW=$(prop MainPID) && [ "$PID_NOW" != 0 ] && [ "$PID_NOW" != "$1" ]
}
answers() { scrape "$1"; }
set_args() {
	printf '# Set by tests/packaging/test_systemd.sh.\nARGS="%s"\n' "$1" >"$T/root/etc/default/kvmmem_exporter"
}

# KSM on: the QEMU-like process's pages merge within a second or two (the tunables are global: saved
# here and restored on exit).
KSM_SAVED="$(cat $KSM/run) $(cat $KSM/pages_to_scan) $(cat $KSM/sleep_millisecs)"
echo 4000 >"$KSM/pages_to_scan"
echo 10 >"$KSM/sleep_millisecs"
echo 1 >"$KSM/run"

# =====================================================================================================
phase "1. no libvirt group, no libvirtd: dpkg -i"
c 'getent group libvirt' && fail "the tree has a libvirt group"
journal_mark
if c "dpkg -i /srv/kvmmem-test/new/kvmmem-exporter_${NEW_VERSION}_$ARCH.deb /srv/kvmmem-test/new/collectd-kvmmem_${NEW_VERSION}_$ARCH.deb" \
	>"$T/dpkg1.log" 2>&1; then
	ok "1. dpkg -i of kvmmem-exporter and collectd-kvmmem $NEW_VERSION"
else
	cat "$T/dpkg1.log"
	fail "1. dpkg -i failed"
fi
expect "1. the system user" "kvmmem:/nonexistent:/usr/sbin/nologin" "$(c 'getent passwd kvmmem' | cut -d: -f1,6,7)"
expect "1. its groups, with no libvirt group on the host" "kvmmem" "$(c 'id -nG kvmmem')"
expect "1. the unit is enabled" enabled "$(c 'systemctl is-enabled kvmmem_exporter.service')"
wait_until 10 answers "$T/m1" || fail "1. /metrics does not answer on the forwarded port"
expect "1. the unit is active" "active running" "$(prop ActiveState) $(prop SubState)"
expect "1. the exporter runs as" "kvmmem kvmmem" "$(c "stat -c '%U %G' /proc/$(prop MainPID)")"
expect "1. default flags: libvirt is down" 0 "$(value "$T/m1" kvmmem_libvirt_up)"
# With the default flags the only complaint is libvirt's absence, naming the URI; systemd has
# nothing to say about the unit.
journal_since >"$T/journal"
journal_since -p warning >"$T/journal.warn"
grep -E 'level=(warn|error)' "$T/journal" | grep -v 'libvirt qemu:///system: cannot connect' >>"$T/journal.warn"
if [ -s "$T/journal.warn" ]; then
	fail "1. default flags: warnings other than libvirt's absence"
	cat "$T/journal.warn"
else
	ok "1. default flags on a host without libvirt: $(grep -c 'level=warn' "$T/journal") warning, about libvirt only:"
	grep 'level=warn' "$T/journal" | sed 's/^/       /'
fi

phase "1. QEMU-like processes: one of another user as libvirt starts it, one as Proxmox VE starts it"
c 'adduser --quiet --system --no-create-home qemuvm && install -d -o qemuvm -m 0755 /run/kvmmem-test &&
	install -m 0755 /srv/kvmmem-test/qemu-like /usr/local/bin/qemu-system-x86_64' || fail "1. the QEMU-like user"
c "systemd-run --quiet --unit=qemu-ksmvm -p User=qemuvm /usr/local/bin/qemu-system-x86_64 -name guest=ksmvm,debug-threads=on \
	-uuid $UUID -m 64 -pidfile /run/kvmmem-test/ksmvm.pid" || fail "1. systemd-run qemu-like"
# Proxmox VE runs /usr/bin/kvm as root with its VMID, -name without guest= and a pidfile in
# /var/run/qemu-server (the qemu collector's Proxmox convention).
c 'install -m 0755 /srv/kvmmem-test/qemu-like /usr/bin/kvm && mkdir -p /run/qemu-server' || fail "1. /usr/bin/kvm"
c "systemd-run --quiet --unit=qemu-101 /usr/bin/kvm -id 101 -name vm101,debug-threads=on \
	-smbios type=1,uuid=$UUID2 -m 32 -pidfile /var/run/qemu-server/101.pid" || fail "1. systemd-run kvm"
qpid() { QPID=$(c 'cat /run/kvmmem-test/ksmvm.pid 2>/dev/null') && [ -n "$QPID" ]; }
wait_until 10 qpid || fail "1. the QEMU-like process wrote no pidfile"
expect "1. the QEMU-like process's ksm_stat: mode and owner" "400 qemuvm" "$(c "stat -c '%a %U' /proc/$QPID/ksm_stat")"
merged() { [ "$(c "cat /proc/$QPID/ksm_merging_pages")" -gt 0 ] 2>/dev/null; }
# KSM is global: another test on this machine may switch ksmd off meanwhile.  Then the pages are not
# merged, but ksm_stat still tells the exporter can read it (mergeable), which is the capability.
KSM_MERGED=no
if wait_until 30 merged; then
	KSM_MERGED=yes
elif [ "$(cat "$KSM/run")" != 1 ]; then
	skip_part "1. merged pages of the QEMU-like process" "another process set $KSM/run to $(cat "$KSM/run") during the test"
else
	fail "1. KSM merged none of the QEMU-like process's pages within 30 s"
fi

# What docs/deploying.md tells a host without libvirt (Proxmox VE, plain QEMU) to set: the warning goes,
# host KSM stays.
set_args "--no-collector.libvirt"
PID0=$(prop MainPID)
journal_mark
c 'systemctl restart kvmmem_exporter.service' || fail "1. systemctl restart"
wait_until 10 active_with_new_pid "$PID0" && wait_until 10 answers "$T/m0" || fail "1. --no-collector.libvirt: no /metrics"
expect "1. --no-collector.libvirt: host KSM collected, libvirt not asked" "1 absent" \
	"$(value "$T/m0" 'kvmmem_scrape_collector_success{collector="ksm"}') $(grep -q '^kvmmem_libvirt_up ' "$T/m0" && echo present || echo absent)"
# dom_value FILE FAMILY DOMAIN: the value of FAMILY's sample whose labels hold domain="DOMAIN".
dom_value() { awk -v f="$2{" -v d="domain=\"$3\"" 'index($0, f) == 1 && index($0, d) { print $NF; exit }' "$1"; }
if "$T/new/root/usr/bin/kvmmem_exporter" --help 2>&1 | grep -q -- '--\[no-\]collector.qemu'; then
	qemu_seen() {
		scrape "$T/m0" && [ "$(dom_value "$T/m0" kvmmem_domain_ksm_mergeable vm101)" = 1 ] &&
			[ "$(dom_value "$T/m0" kvmmem_domain_ksm_mergeable ksmvm)" = 1 ]
	}
	if wait_until 10 qemu_seen; then
		ok "1. --no-collector.libvirt: the qemu collector finds both QEMU processes, per-domain KSM of each read"
		grep -E '^kvmmem_domain_info\{' "$T/m0" | sed 's/^/       /'
	else
		fail "1. --no-collector.libvirt: the qemu collector lacks a QEMU-like process"
		grep -E '^kvmmem_domain_' "$T/m0" | head -n 20
	fi
else
	skip_part "1. the qemu collector" "this build has no --collector.qemu"
fi
journal_clean "1. --no-collector.libvirt on a host without libvirt"

phase "1. new flags in /etc/default/kvmmem_exporter: the libvirt test driver"
set_args "$TEST_ARGS"
PID1=$(prop MainPID)
journal_mark
c 'systemctl restart kvmmem_exporter.service' || fail "1. systemctl restart"
wait_until 10 active_with_new_pid "$PID1" || fail "1. not active again after the restart"
wait_until 10 answers "$T/m2" || fail "1. /metrics does not answer after the restart"
expect "1. the new flags are on the command line" "/usr/bin/kvmmem_exporter $TEST_ARGS" \
	"$(c "tr '\\0' ' ' </proc/$(prop MainPID)/cmdline" | sed 's/ $//')"
expect "1. the test-driver node is up" 1 "$(value "$T/m2" kvmmem_libvirt_up)"
# ksm_seen FILE: the exporter read the QEMU-like process's 0400 ksm_stat (it is mergeable), and when
# KSM merged its pages the exporter says so too.
ksm_seen() {
	scrape "$1" && [ "$(value "$1" 'kvmmem_domain_ksm_mergeable{domain="ksmvm"}')" = 1 ] &&
		{ [ $KSM_MERGED = no ] || [ "$(value "$1" 'kvmmem_domain_ksm_merging_pages{domain="ksmvm"}')" -gt 0 ] 2>/dev/null; }
}
if wait_until 20 ksm_seen "$T/m2"; then
	ok "1. per-domain KSM of another user's process under the unit's hardening: ksmvm mergeable, merging pages $(value "$T/m2" 'kvmmem_domain_ksm_merging_pages{domain="ksmvm"}')"
else
	fail "1. no per-domain KSM for ksmvm"
	grep ksmvm "$T/m2"
fi

# Every family root gets in the container, the unit gets too; and every host family of this kernel
# (the host's own root --dump), but for ksmd's CPU time: nspawn's PID namespace hides the kernel thread
# ksmd from every process inside, root included.
c ". /etc/default/kvmmem_exporter && /usr/bin/kvmmem_exporter --dump \$ARGS" >"$T/rootdump" 2>"$T/rootdump.log" ||
	{ cat "$T/rootdump.log"; fail "1. root --dump inside"; }
families "$T/rootdump" >"$T/want"
families "$T/m2" >"$T/got"
if diff -u "$T/want" "$T/got"; then
	ok "1. the unit serves every family root does ($(wc -l <"$T/got") families)"
else
	fail "1. the unit's families differ from root's (+ the unit only, - root only)"
fi
"$T/new/root/usr/bin/kvmmem_exporter" --dump --no-collector.libvirt 2>"$T/hostdump.log" | awk '$1 == "#" && $2 == "TYPE" { print $3 }' |
	grep -E '^kvmmem_(ksm|ksmd|host)_' | grep -vx kvmmem_ksmd_cpu_seconds_total | LC_ALL=C sort >"$T/want"
grep -E '^kvmmem_(ksm|ksmd|host)_' "$T/got" >"$T/got.host"
if diff -u "$T/want" "$T/got.host"; then
	ok "1. every host family of this kernel ($(wc -l <"$T/want"); ksmd's CPU time is hidden by the PID namespace)"
else
	fail "1. host families differ from the host's own --dump (+ container only, - host only)"
	cat "$T/hostdump.log"
fi
journal_clean "1. the exporter with the test flags"

# The exporter has no reload: systemctl reload is refused and leaves it running; new flags take a
# restart (above).
PIDR=$(prop MainPID)
if c 'systemctl reload kvmmem_exporter.service' >"$T/reload.log" 2>&1; then
	fail "1. systemctl reload succeeded, but the exporter cannot reload"
else
	expect "1. systemctl reload is refused and the exporter keeps running" "active $PIDR" "$(prop ActiveState) $(prop MainPID)"
fi

phase "1. systemctl stop, a killed exporter, systemd-analyze security"
journal_mark
t0=$(date +%s%N)
c 'systemctl stop kvmmem_exporter.service' || fail "1. systemctl stop"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 2000 ] && ok "1. systemctl stop took $ms ms" || fail "1. systemctl stop took $ms ms (more than 2 s)"
expect "1. stopped cleanly: result, exit code, status" "success exited 0" \
	"$(prop Result) $(c 'systemctl show -p ExecMainCode --value kvmmem_exporter.service' | sed 's/^1$/exited/') $(prop ExecMainStatus)"
journal_since | grep -E 'level=info msg="received SIGTERM, shutting down"' >/dev/null ||
	{ journal_since; fail "1. the exporter did not log its SIGTERM shutdown"; }
if journal_since | grep -E 'timed out|Killing|SIGKILL'; then fail "1. stop needed SIGKILL"; fi
c 'systemctl start kvmmem_exporter.service' || fail "1. systemctl start"
wait_until 10 answers "$T/m3" || fail "1. /metrics after start"
PIDK=$(prop MainPID)
NR0=$(prop NRestarts)
# Only a real pid: kill -KILL 0 would be the whole process group.
if [ "${PIDK:-0}" -gt 1 ] 2>/dev/null && c "kill -KILL $PIDK"; then
	if wait_until 15 active_with_new_pid "$PIDK"; then
		ok "1. SIGKILLed exporter restarted by systemd after $((WAITED / 10)) s (RestartSec=5s)"
	else
		fail "1. the killed exporter was not restarted within 15 s"
	fi
else
	fail "1. no exporter process to kill (MainPID $PIDK)"
fi
expect "1. NRestarts counts the restart" $((NR0 + 1)) "$(prop NRestarts)"
wait_until 10 answers "$T/m3" || fail "1. /metrics after the restart"

c 'systemd-analyze security --no-pager kvmmem_exporter.service' >"$T/security.log" 2>&1 ||
	{ cat "$T/security.log"; fail "1. systemd-analyze security of the running unit"; }
# The exposures the unit keeps, each with its reason in the unit's comments (see also
# test_packaging_unit.sh, which checks the same list offline).
cat >"$T/want" <<'LINES'
AmbientCapabilities=
CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)
DeviceAllow=
IPAddressDeny=
PrivateNetwork=
PrivateUsers=
ProcSubset=
ProtectProc=
RestrictAddressFamilies=~AF_(INET|INET6)
RestrictAddressFamilies=~AF_UNIX
RootDirectory=/RootImage=
LINES
awk '$1 == "✗" { print $2 }' "$T/security.log" | LC_ALL=C sort >"$T/got"
if diff -u "$T/want" "$T/got"; then
	ok "1. systemd-analyze security of the running unit: $(grep -o 'exposure level.*' "$T/security.log")"
else
	cat "$T/security.log"
	fail "1. systemd-analyze security: exposures changed (+ new, - gone)"
fi

phase "1. collectd with LoadPlugin kvmmem"
cat >"$T/root/etc/collectd/collectd.conf" <<'EOF'
Hostname "kvmmem-systemd"
FQDNLookup false
Interval 1
LoadPlugin syslog
LoadPlugin csv
<Plugin csv>
  DataDir "/var/lib/collectd/csv"
  StoreRates false
</Plugin>
LoadPlugin kvmmem
<Plugin kvmmem>
  Connection "test:///etc/kvmmem-test/node.xml"
  LibvirtRunPath "/run/kvmmem-test"
</Plugin>
EOF
c 'systemctl restart collectd.service' || { c 'journalctl -u collectd --no-pager | tail -n 20'; fail "1. collectd does not start"; }
CSV=$T/root/var/lib/collectd/csv/kvmmem-systemd
# last CSVFILE: the value of the newest line of a csv plugin file (epoch,value).
last() { tail -n 1 "$1" 2>/dev/null | cut -d, -f2; }
csv_has() {
	_f=$(ls "$CSV/$1"-* 2>/dev/null | tail -n 1)
	[ -n "$_f" ] && _v=$(last "$_f") && [ -n "$_v" ] && [ "$_v" != value ]
}
if wait_until 20 csv_has kvmmem/vmpage_number-ksm_pages_sharing; then
	ok "1. collectd dispatches host values: ksm_pages_sharing $_v"
else
	fail "1. collectd wrote no kvmmem host value"
fi
if wait_until 10 csv_has kvmmem-ksmvm/vmpage_number-ksm_merging_pages &&
	{ [ $KSM_MERGED = no ] || [ "${_v%.*}" -gt 0 ] 2>/dev/null; }; then
	ok "1. collectd dispatches per-domain KSM: ksmvm ksm_merging_pages $_v"
else
	fail "1. collectd wrote no per-domain KSM for ksmvm"
	ls -R "$CSV" 2>/dev/null | head -n 20
fi
c "journalctl -q --no-pager -o cat -u collectd.service" | grep -i 'kvmmem' | grep -iE 'error|warn|fail' &&
	fail "1. collectd logged kvmmem errors"
c 'systemctl stop collectd.service; rm -f /etc/collectd/collectd.conf'

# =====================================================================================================
phase "2. libvirtd installed after the exporter"
PID2=$(prop MainPID)
journal_mark
if c 'dpkg -i /var/cache/kvmmem-libvirt/*.deb' >"$T/dpkg2.log" 2>&1; then
	ok "2. dpkg -i of libvirt-daemon-system ($(ls "$T/root/var/cache/kvmmem-libvirt" | wc -l) packages)"
else
	tail -n 30 "$T/dpkg2.log"
	fail "2. dpkg -i of libvirt failed"
fi
expect "2. the package's trigger gave kvmmem the new group" "kvmmem libvirt" "$(c 'id -nG kvmmem' | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
wait_until 10 active_with_new_pid "$PID2" || fail "2. the exporter was not restarted into its new group"
LVGID=$(c 'getent group libvirt' | cut -d: -f3)
c "grep '^Groups:' /proc/$(prop MainPID)/status" | tr -s ' \t' '\n' | grep -qx "$LVGID" &&
	ok "2. the running exporter has the group libvirt ($LVGID)" || fail "2. the running exporter lacks the group libvirt"
set_args ""
journal_mark
c 'systemctl restart kvmmem_exporter.service' || fail "2. restart"
libvirt_up() { scrape "$T/m4" && [ "$(value "$T/m4" kvmmem_libvirt_up)" = 1 ]; }
if wait_until 30 libvirt_up; then
	ok "2. default flags reach libvirtd: kvmmem_libvirt_up 1 ($(c 'systemctl is-active libvirtd.service'))"
else
	fail "2. kvmmem_libvirt_up is not 1 with libvirtd present"
	c 'systemctl status libvirtd.service libvirtd-ro.socket --no-pager' | tail -n 20
fi
journal_clean "2. the exporter with libvirtd"

# =====================================================================================================
# purged WHAT: apt-get purge of both packages leaves no user, file, unit or process.
purged() {
	_uid=$(c 'id -u kvmmem')
	c 'dpkg -L kvmmem-exporter collectd-kvmmem' | LC_ALL=C sort -u >"$T/files"
	if c 'apt-get purge -y -q kvmmem-exporter collectd-kvmmem' >"$T/purge.log" 2>&1; then
		ok "$1: apt-get purge"
	else
		cat "$T/purge.log"
		fail "$1: apt-get purge failed"
	fi
	expect "$1: the user and its group are gone" "" "$(c 'getent passwd kvmmem; getent group kvmmem; grep -w kvmmem /etc/group')"
	_left=
	while read -r _f; do
		[ -e "$T/root$_f" ] && [ ! -d "$T/root$_f" ] && _left="$_left $_f"
	done <"$T/files"
	[ -e "$T/root/etc/default/kvmmem_exporter" ] && _left="$_left /etc/default/kvmmem_exporter"
	expect "$1: no file of the packages is left ($(wc -l <"$T/files") paths)" "" "$_left"
	expect "$1: the unit is gone" "0" \
		"$(c 'systemctl daemon-reload && systemctl list-unit-files --no-legend kvmmem_exporter.service | wc -l')"
	expect "$1: no enablement link is left" "" "$(c 'find /etc/systemd /var/lib/systemd -name "kvmmem_exporter*"')"
	expect "$1: no process of uid $_uid is left" "" "$(c "find /proc -maxdepth 1 -name '[0-9]*' -uid $_uid")"
}
phase "3. apt-get purge"
purged "3"

# =====================================================================================================
if [ -n "$OLD_EXP" ]; then
	phase "4. a libvirt group without libvirtd: v0.1.0, then HEAD's packages over it"
	# libvirt's packages go (the daemon absent); the group they made stays, as it does on a real host.
	libvirt_pkgs=$(for f in "$T/root/var/cache/kvmmem-libvirt"/*.deb; do dpkg-deb -f "$f" Package; done | tr '\n' ' ')
	c "dpkg --purge $libvirt_pkgs" >"$T/dpkg4.log" 2>&1 || { tail -n 20 "$T/dpkg4.log"; fail "4. dpkg --purge libvirt"; }
	c 'getent group libvirt >/dev/null || addgroup --quiet --system libvirt'
	expect "4. libvirtd absent, the group present" "absent libvirt" \
		"$(c 'test -e /usr/sbin/libvirtd && echo present || echo absent') $(c 'getent group libvirt | cut -d: -f1')"
	if c "dpkg -i /srv/kvmmem-test/old/*.deb" >"$T/dpkg5.log" 2>&1; then
		ok "4. dpkg -i of the v0.1.0 packages"
	else
		cat "$T/dpkg5.log"
		fail "4. dpkg -i of v0.1.0"
	fi
	set_args "$TEST_ARGS"
	cp "$T/root/etc/default/kvmmem_exporter" "$T/defaults.operator"
	c 'systemctl restart kvmmem_exporter.service' || fail "4. restart of v0.1.0"
	wait_until 10 answers "$T/m5" || fail "4. v0.1.0's /metrics"
	old_seen() { scrape "$T/m5" && grep -q '^kvmmem_domain_ksm_merging_pages{domain="ksmvm"}' "$T/m5"; }
	wait_until 10 old_seen || fail "4. v0.1.0 serves no per-domain KSM"
	families "$T/m5" >"$T/families.old"
	PID5=$(prop MainPID)
	journal_mark
	if c "dpkg -i /srv/kvmmem-test/new/*.deb" >"$T/dpkg6.log" 2>&1; then
		ok "4. dpkg -i of $NEW_VERSION over 0.1.0: $(grep -c '^Unpacking .* over (0.1.0)' "$T/dpkg6.log") packages upgraded"
	else
		cat "$T/dpkg6.log"
		fail "4. the upgrade failed"
	fi
	expect "4. installed version" "$NEW_VERSION $NEW_VERSION" \
		"$(c "dpkg-query -W -f='\${Version} ' kvmmem-exporter collectd-kvmmem" | sed 's/ $//')"
	cmp "$T/defaults.operator" "$T/root/etc/default/kvmmem_exporter" &&
		ok "4. the operator's /etc/default/kvmmem_exporter is kept" || fail "4. /etc/default/kvmmem_exporter changed"
	if wait_until 10 active_with_new_pid "$PID5"; then
		ok "4. the service was restarted by the upgrade"
	else
		fail "4. the service was not restarted by the upgrade"
	fi
	new_seen() { scrape "$T/m6" && grep -q "^kvmmem_exporter_build_info{.*revision=\"$NEW_REV\"" "$T/m6"; }
	wait_until 10 new_seen && ok "4. the new binary serves (revision $NEW_REV)" || fail "4. the new binary does not serve"
	wait_until 10 ksm_seen "$T/m6" || fail "4. no per-domain KSM after the upgrade"
	families "$T/m6" >"$T/families.new"
	lost=$(LC_ALL=C comm -23 "$T/families.old" "$T/families.new")
	unreleased=$(sed -n '/^Unreleased/,/^[0-9]/p' "$TOP/CHANGELOG")
	unexplained=
	for f in $lost; do
		printf '%s\n' "$unreleased" | grep -q "$f" || unexplained="$unexplained $f"
	done
	expect "4. no metric family lost that CHANGELOG does not name ($(wc -l <"$T/families.old") before, $(wc -l <"$T/families.new") after)" "" "$unexplained"
	c "grep '^Groups:' /proc/$(prop MainPID)/status" | tr -s ' \t' '\n' | grep -qx "$(c 'getent group libvirt' | cut -d: -f3)" &&
		ok "4. the upgraded exporter has the group libvirt" || fail "4. the upgraded exporter lacks the group libvirt"
	journal_clean "4. after the upgrade"
	purged "4"

	# =================================================================================================
	phase "5. no libvirt group again: v0.1.0's unit fails there, HEAD's packages over it start"
	c 'delgroup --quiet --system libvirt'
	c "dpkg -i /srv/kvmmem-test/old/*.deb" >"$T/dpkg7.log" 2>&1 || { cat "$T/dpkg7.log"; fail "5. dpkg -i of v0.1.0"; }
	# It fails at every start (Restart= tries again every 5 s): the group cannot be set.
	old_failed() { [ "$(prop ExecMainStatus)" = 216 ]; }
	wait_until 10 old_failed
	expect "5. v0.1.0's unit without the group: result, status (216/GROUP), no process" "exit-code 216 0" \
		"$(prop Result) $(prop ExecMainStatus) $(prop MainPID)"
	PID7=$(prop MainPID)
	c "dpkg -i /srv/kvmmem-test/new/*.deb" >"$T/dpkg8.log" 2>&1 || { cat "$T/dpkg8.log"; fail "5. the upgrade"; }
	if wait_until 10 active_with_new_pid "$PID7" && wait_until 10 answers "$T/m7"; then
		ok "5. the upgrade starts the unit that v0.1.0 could not"
	else
		fail "5. the unit is $(prop ActiveState) after the upgrade"
	fi
fi

phase "done"
finish
