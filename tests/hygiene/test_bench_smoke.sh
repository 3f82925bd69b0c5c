#!/bin/sh
# test_bench_smoke.sh - `make bench` in miniature, so the benchmark cannot rot.
#
# A 20-domain host, 3 scrapes, no anchor, no collectd, no callgrind: the
# generator, the floor and the runner must work together and the table must
# hold a row of figures for each.  No figure is judged: timing is not a test.
# Both modes when root with libvirtd installed (daemon mode runs a private
# libvirtd as a system user), else inproc only and daemon mode a skipped part.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
O=$BUILD

require_exporter
require_tools python3 curl pkg-config
pkg-config --exists libvirt || skip "libvirt-dev missing (bench/floor.c)"
tmpdir_with_cleanup

cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$T/floor" "$TOP/bench/floor.c" $(pkg-config --cflags --libs libvirt) ||
	{ echo "FAIL: bench/floor.c does not build"; exit 1; }
cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$T/floor_discovery" "$TOP/bench/floor_discovery.c" ||
	{ echo "FAIL: bench/floor_discovery.c does not build"; exit 1; }
# The discovery case in miniature: 100 processes, 2 real QEMU when there is one, a libvirt host of 20.
real=0
command -v qemu-system-x86_64 >/dev/null && real=2

modes="inproc daemon"
if [ "$(id -u)" != 0 ]; then
	skip_part "daemon mode" "not root (it runs libvirtd as the system user kvmmem-bench)"
	modes=inproc
elif ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	skip_part "daemon mode" "libvirtd or virsh missing (apt-get install libvirt-daemon libvirt-clients)"
	modes=inproc
fi

# The QMP case has a smoke of its own (test_bench_qmp.sh).
BENCH_QMP=0 BENCH_MODES=$modes BENCH_N=20 BENCH_ROUNDS=3 BENCH_SCRAPES=3 BENCH_SCALE=0 BENCH_ANCHOR=0 BENCH_COLLECTD=0 BENCH_CALLGRIND=0 BENCH_FLOOR="$T/floor" \
	BENCH_DISC_FLOOR="$T/floor_discovery" BENCH_DISC_P=100 BENCH_DISC_SCRAPES=3 BENCH_QEMU_REAL=$real BENCH_DISC_LIBVIRT_N=20 \
	BENCH_RESULTS="$T/out" "$TOP/bench/run.sh" "$O" >"$T/stdout" 2>"$T/stderr"
rc=$?
[ $rc -eq 0 ] || fail "bench/run.sh exited $rc: $(tail -5 "$T/stderr")"

# The floor saw the whole host: 20 domains, every fifth shut off.
grep -q '^floor N=20 iterations=3 .* domains=20 running=16 .* mode=inproc$' "$T/out/raw.txt" ||
	fail "floor line: $(grep '^floor' "$T/out/raw.txt")"
# Exactly the scrapes asked for (BENCH_SCALE=0).
grep -q '^kvmmem N=20 scrapes=3 cpu_ms=[0-9.]* cpu_gz_ms=[0-9.]* .* mode=inproc$' "$T/out/raw.txt" ||
	fail "kvmmem line: $(grep '^kvmmem' "$T/out/raw.txt")"

# One table row per measured exporter, every cell filled with a figure.
num='[0-9]+(\.[0-9]+)?'
md="$T/out/results.md"
grep -Eq "^\| 20 \| kvmmem \| $num \| $num \| $num/$num \| $num/$num \| $num \| [0-9]+ \([0-9]+\) \| [0-9]+ \|$" \
	"$md" || fail "kvmmem row: $(grep '| kvmmem |' "$md")"
grep -Eq "^\| 20 \| floor \| $num \| - \| - \| - \| $num \| 0 \| 0 \|$" "$md" ||
	fail "floor row: $(grep '| floor |' "$md")"
grep -q '| 20 | anchor |' "$md" && fail "anchor row although BENCH_ANCHOR=0"

# kvmmem and the floor once more in interleaved rounds (BENCH_ROUNDS=3 here), in
# every mode, and the median of their ratios in the inproc ratio row
# (callgrind off: its cells are '-').
for m in $modes; do
	grep -Eq "^rounds N=20 kvmmem/floor_cpu=\( $num $num $num\) median=$num scrapes=3 mode=$m$" "$T/out/raw.txt" ||
		fail "rounds line ($m): $(grep '^rounds' "$T/out/raw.txt")"
done
grep -Eq "^\| 20 \| - \| $num \| - \| $num \| $num \| $num \| - \| - \| - \| - \| - \| $num \|$" "$md" ||
	fail "inproc ratio row: $(grep '^| 20 | - |' "$md" | head -1)"

# The mode headings, in BENCH_MODES order.
want="#### Mode inproc: the test driver inside each measured process"
[ "$modes" = inproc ] || want="$want
#### Mode daemon: the test driver in a private libvirtd, every measured process an RPC client (as on a real host)"
got=$(grep '^#### ' "$md")
[ "$got" = "$want" ] || fail "mode headings: $got"

if [ "$modes" = inproc ]; then
	grep -q 'mode=daemon' "$T/out/raw.txt" && fail "daemon lines in raw.txt although BENCH_MODES=inproc"
else
	# The floor through libvirtd, with the daemon's CPU beside its own.
	grep -Eq '^floor N=20 iterations=3 .* domains=20 running=16 .* rss_anon_kib=[0-9]+ daemon_ticks=[0-9]+ daemon_cpu_us_mean=[0-9.]+ mode=daemon$' \
		"$T/out/raw.txt" || fail "daemon floor line: $(grep '^floor.*mode=daemon' "$T/out/raw.txt")"
	grep -Eq '^kvmmem N=20 scrapes=3 gzip=1 cpu_ms=[0-9.]+ libvirtd_cpu_ms=[0-9.]+ sum_cpu_ms=[0-9.]+ .* rss_anon_kib=[0-9]+ mode=daemon$' \
		"$T/out/raw.txt" || fail "daemon kvmmem line: $(grep '^kvmmem.*mode=daemon' "$T/out/raw.txt")"
	# The daemon table: scrapes, CPU client/libvirtd/sum, wall, VmHWM, RssAnon, bytes (gzip), series.
	grep -Eq "^\| 20 \| kvmmem \| 3 \| $num \| $num \| $num \| $num/$num \| $num \| $num \| [0-9]+ \([0-9]+\) \| [0-9]+ \|$" "$md" ||
		fail "daemon kvmmem row: $(grep '| kvmmem | 3 |' "$md")"
	grep -Eq "^\| 20 \| floor \| 3 \| $num \| $num \| $num \| - \| $num \| $num \| 0 \| 0 \|$" "$md" ||
		fail "daemon floor row: $(grep '| floor | 3 |' "$md")"
	# Ratios: the anchor's are '-' (BENCH_ANCHOR=0), the floor's figures.
	grep -Eq "^\| 20 \| - \| - \| $num \| $num \| - \| - \| $num \| $num \| $num \| $num \| $num \| - \| $num \| - \| $num \|$" "$md" ||
		fail "daemon ratio row: $(tail -4 "$md")"
	# The private libvirtd is gone.
	pid=$(sed -n 's/^libvirtd N=20 .* pid=\([0-9]*\) .*/\1/p' "$T/out/raw.txt")
	if [ -z "$pid" ]; then
		fail "no libvirtd line in raw.txt"
	elif [ -d "/proc/$pid" ] && grep -qx libvirtd "/proc/$pid/comm" 2>/dev/null; then
		fail "libvirtd $pid still runs after bench/run.sh"
		kill "$pid"
	fi
fi
cmp -s "$T/stdout" "$T/out/results.md" || fail "stdout is not results.md"

# The discovery case: every fixture guest found, the real QEMU processes too, the libvirt host's line.
grep -q '^| fixture | 100 | 20 | 20 | ' "$T/out/discovery.md" || fail "discovery.md: no row of 100 processes, 20 found"
if [ $real -gt 0 ]; then
	# The QEMU column is what the floor saw: the 2 started here and any other test's on the machine.
	qn=$(sed -n 's/^| real QEMU | [0-9]* | \([0-9]*\) | \([0-9]*\) | .*/\1 \2/p' "$T/out/discovery.md")
	q=${qn% *} n=${qn#* }
	[ -n "$qn" ] && [ "$q" -ge 2 ] && [ "$n" -ge 2 ] ||
		fail "discovery.md: the 2 real QEMU processes were not found: '$qn'"
else
	skip_part "discovery with real QEMU" "qemu-system-x86_64 missing"
fi
grep -q '^libvirt host of 20 domains' "$T/out/discovery.md" || fail "discovery.md: no libvirt host line"
grep -q '^| fixture | 100 |' "$T/out/results.md" || fail "results.md lacks the discovery table"

finish
