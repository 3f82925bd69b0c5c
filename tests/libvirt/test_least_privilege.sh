#!/bin/sh
# Least privilege: the exporter as an unprivileged user (nobody).
#
# With only CAP_DAC_READ_SEARCH it exports every family; without it, the
# per-domain KSM families are absent, domain_ksm reports failure, and one
# log line says why, once over several scrapes.  The "QEMU process" is a
# real root-owned process whose command line names the domain the way
# QEMU's does, so its /proc/<pid>/ksm_stat is mode 0400 root: exactly the
# permission problem of a real host.  libvirt is its test driver, opened
# read-only like every connection kvmmem makes.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to switch to user nobody"; exit 77; }
require_tools setpriv curl od
require_exporter
[ -r /proc/self/ksm_stat ] || { echo "SKIP: kernel without /proc/<pid>/ksm_stat"; exit 77; }
tmpdir_with_cleanup
chmod 755 "$T"

UUID=6b1d0e6a-0000-4000-8000-00000000c0de
cat >"$T/node.xml" <<XML
<node>
  <cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'>
    <name>lp-vm</name>
    <uuid>$UUID</uuid>
    <memory unit='KiB'>1048576</memory>
    <currentMemory unit='KiB'>1048576</currentMemory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices><memballoon model='virtio'><stats period='5'/></memballoon></devices>
  </domain>
</node>
XML
mkdir "$T/run"
# sh keeps its extra arguments in its command line, like QEMU's -name and -uuid.
sh -c 'while :; do sleep 1; done' -name guest=lp-vm,debug-threads=on -uuid "$UUID" &
QPID=$!
track_pid "$QPID"
printf %s "$QPID" >"$T/run/lp-vm.pid"
chmod 644 "$T/node.xml" "$T/run/lp-vm.pid"
chmod 755 "$T/run"

# serve_as LOG [command prefix...]: serve, scrape three times, keep the
# last body in $T/body.
serve_as() {
	log=$1
	shift
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port)
		# The real /proc holds whatever QEMU other tests run: the qemu collector, which would
		# list (and log) those, is not what this test is about.
		"$@" "$BIN" --web.listen-address=127.0.0.1:$PORT --no-collector.qemu \
			--libvirt.uri="test://$T/node.xml" --path.libvirt-run="$T/run" --log.level=info 2>"$log" &
		EPID=$!
		track_pid "$EPID"
		wait_http "http://127.0.0.1:$PORT/-/healthy" 5 "$EPID" && break
		stop_pid "$EPID" 5
		grep -q 'cannot listen' "$log" || { cat "$log"; return 1; }
	done
	for n in 1 2 3; do
		curl -sf -o "$T/body" "http://127.0.0.1:$PORT/metrics" || return 1
	done
	stop_pid "$EPID" 5
}
families() { sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$1" | sort; }

NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"

# --- root: the reference for what this kernel can give ---
serve_as "$T/root.log" env || fail "exporter as root"
families "$T/body" >"$T/root.fam"
grep -q '^kvmmem_domain_ksm_merging_pages$' "$T/root.fam" || fail "root run lacks per-domain KSM"

# --- with CAP_DAC_READ_SEARCH only ---
serve_as "$T/cap.log" $NOBODY --inh-caps=+dac_read_search --ambient-caps=+dac_read_search ||
	fail "exporter with the capability"
cp "$T/body" "$T/cap.prom"
families "$T/cap.prom" >"$T/cap.fam"
if cmp -s "$T/root.fam" "$T/cap.fam"; then
	ok "with CAP_DAC_READ_SEARCH as nobody: every family root gets ($(wc -l <"$T/cap.fam"))"
else
	fail "with CAP_DAC_READ_SEARCH as nobody, families differ from root's:"
	diff "$T/root.fam" "$T/cap.fam"
fi
grep -q '^kvmmem_scrape_collector_success{collector="domain_ksm"} 1$' "$T/cap.prom" ||
	fail "domain_ksm collector not successful with the capability"
if grep -q 'level=warn\|level=error' "$T/cap.log"; then
	fail "warnings with the capability:"
	cat "$T/cap.log"
else
	ok "no warnings with the capability"
fi

# --- without any capability ---
serve_as "$T/nocap.log" $NOBODY || fail "exporter without the capability"
cp "$T/body" "$T/nocap.prom"
families "$T/nocap.prom" >"$T/nocap.fam"
lost=$(comm -23 "$T/cap.fam" "$T/nocap.fam" | tr '\n' ' ')
want="kvmmem_domain_ksm_merge_any kvmmem_domain_ksm_mergeable kvmmem_domain_ksm_merging_pages kvmmem_domain_ksm_profit_bytes kvmmem_domain_ksm_rmap_items kvmmem_domain_ksm_zero_pages "
[ "$lost" = "$want" ] && ok "without it: exactly the per-domain KSM families are absent" ||
	fail "without the capability, lost families: '$lost', want '$want'"
grep -q '^kvmmem_scrape_collector_success{collector="domain_ksm"} 0$' "$T/nocap.prom" &&
	ok "without it: domain_ksm collector reports failure" || fail "domain_ksm success is not 0 without the capability"
warns=$(grep -c 'level=warn' "$T/nocap.log")
line="/proc/$QPID/ksm_stat: permission denied; /proc/<pid>/ksm_stat and ksm_merging_pages are mode 0400 and need the process's user, root or CAP_DAC_READ_SEARCH"
if [ "$warns" = 1 ] && grep -qF "msg=\"$line\"" "$T/nocap.log"; then
	ok "without it: one log line over three scrapes says why"
else
	fail "without the capability, want exactly one warning naming the reason, got $warns:"
	cat "$T/nocap.log"
fi

finish
