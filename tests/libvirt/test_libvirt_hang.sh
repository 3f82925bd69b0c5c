#!/bin/bash
# test_libvirt_hang.sh - the real exporter against a libvirtd that accepts
# connections and never answers, then one that answers only by hanging up
# after 3 s, then none at all.
#
# The daemon is tests/fakes/hung_libvirtd.c, a fake: a real libvirtd cannot be
# made to accept a client and then stay silent on demand (SIGSTOP stops its
# accept() too).  Asserted with --scrape.timeout=2s on the k6.18 fixture host:
# start-up is not delayed; every scrape is 200 within 2.5 s with host KSM and
# kvmmem_libvirt_up 0; one connection attempt at a time; threads and RSS stay
# flat over 20 scrapes; with the socket gone it answers at once.  Recovery when
# a real libvirtd answers again is the e2e test's "libvirtd restarted" case.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
FAKE=$BUILD/tests/fakes/hung_libvirtd
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl od awk
require_exporter
# `make check` builds the fake; a direct run of this script builds it here.
[ -x "$FAKE" ] || make -s -C "$TOP" O="$BUILD" "$FAKE" || { echo "FAIL: cannot build $FAKE"; exit 1; }
tmpdir_with_cleanup

SOCK=$T/libvirt-sock
URI="qemu+unix:///system?socket=$SOCK"
export LIBVIRT_AUTOSTART=0

# fake MODE [SECONDS]: (re)starts the fake daemon on $SOCK.
fake() {
	stop_fake
	"$FAKE" "$1" "$SOCK" ${2:+"$2"} >"$T/fake.out" 2>&1 &
	FPID=$!
	track_pid "$FPID"
	for _ in $(seq 50); do
		grep -q '^listening$' "$T/fake.out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: the fake did not listen"; cat "$T/fake.out"; exit 1
}
FPID=
stop_fake() {
	[ -n "$FPID" ] || return 0
	stop_pid "$FPID" 5
	FPID=
}
accepted() { grep -c '^accepted ' "$T/fake.out" 2>/dev/null || true; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
threads() { awk '$1 == "Threads:" { print $2 }' /proc/"$PID"/status; }
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' /proc/"$PID"/status; }
value() { awk -v s="$2" '$1 == s { print $2; f = 1; exit } END { exit !f }' "$1"; }

# scrape_check N: one scrape that must be 200 within 2.5 s with host KSM and
# libvirt down.  SECS holds its duration.
scrape_check() {
	local t code up sharing
	t=$(curl -s -m 10 -o "$T/m" -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/metrics")
	code=${t%% *}
	SECS=${t#* }
	up=$(value "$T/m" kvmmem_libvirt_up)
	sharing=$(value "$T/m" kvmmem_ksm_pages_sharing)
	if [ "$code" = 200 ] && awk -v s="$SECS" 'BEGIN { exit !(s < 2.5) }' && [ "$up" = 0 ] &&
		[ "$sharing" = 31607 ]; then
		return 0
	fi
	fail "scrape $1: status $code in ${SECS}s, libvirt_up ${up:-absent}, ksm_pages_sharing ${sharing:-absent} (want 200, < 2.5 s, 0, 31607)"
	return 1
}

# --- a libvirtd that accepts and never answers -----------------------------------------
fake hang
t0=$(now_ms)
start_exporter "$HOST" --libvirt.uri="$URI" --scrape.timeout=2s
start_ms=$(($(now_ms) - t0))
if [ $start_ms -lt 1000 ]; then ok "serving ${start_ms} ms after start"; else fail "serving only after ${start_ms} ms"; fi

for i in 1 2 3; do scrape_check "$i" && ok "hang: scrape $i ${SECS}s, libvirt_up 0, host KSM served"; done
threads0=$(threads)
rss0=$(rss_kib)
max_secs=0
for i in $(seq 4 23); do
	scrape_check "$i"
	max_secs=$(awk -v a="$max_secs" -v b="$SECS" 'BEGIN { print (b > a ? b : a) }')
done
threads1=$(threads)
rss1=$(rss_kib)
ok "hang: 20 more scrapes, slowest ${max_secs}s; threads $threads0 -> $threads1, RSS $rss0 -> $rss1 KiB"
[ "$threads1" -le "$threads0" ] || fail "threads grew from $threads0 to $threads1 over 20 scrapes"
if grep -q __asan_init "$BIN"; then
	# ASan keeps freed memory in quarantine, so RSS grows by design; leaks
	# are caught by LeakSanitizer at exit instead.
	skip_part "hang: RSS bound" "sanitizer build (ASan's quarantine grows RSS by design)"
else
	[ $((rss1 - rss0)) -le 2048 ] || fail "RSS grew by $((rss1 - rss0)) KiB over 20 scrapes"
fi
n=$(accepted)
if [ "$n" = 1 ]; then ok "hang: one connection attempt in all"; else fail "hang: $n connections accepted, want 1"; fi

# --- one that hangs up after 3 s without a word -------------------------------------
# The stuck attempt fails when its daemon goes; the next is made afresh, one
# at a time: at most one new connection per 3 s of slow answers.
fake slow 3
t0=$(now_ms)
for i in $(seq 1 8); do
	scrape_check "slow $i" || continue
	sleep 0.5
done
secs=$((($(now_ms) - t0) / 1000))
n=$(accepted)
ok "slow: 8 scrapes over ${secs}s, $n connections accepted"
[ "$n" -ge 1 ] && [ "$n" -le $((secs / 3 + 1)) ] || fail "slow: $n connections in ${secs}s, want 1 to $((secs / 3 + 1))"
[ "$(threads)" -le "$threads0" ] || fail "slow: threads grew to $(threads) (were $threads0)"

# --- no daemon at all: the socket is gone ------------------------------------------
stop_fake
[ ! -e "$SOCK" ] || fail "the fake left its socket behind"
sleep 3.5 # the slow fake's last connection is closed; the next attempt fails at once
for i in 1 2 3; do
	scrape_check "gone $i" || continue
	if awk -v s="$SECS" 'BEGIN { exit !(s < 0.5) }'; then
		ok "no socket: scrape $i ${SECS}s, libvirt_up 0"
	else
		fail "no socket: scrape $i took ${SECS}s, want < 0.5 s (connection refused at once)"
	fi
done
kill -0 "$PID" 2>/dev/null || fail "exporter died"

if grep -q '^libvirt:' "$T/log"; then
	fail "raw libvirt error text on stderr:"
	grep '^libvirt:' "$T/log" | head -3
fi
echo "exporter log:"
sed 's/^/  /' "$T/log"
finish
