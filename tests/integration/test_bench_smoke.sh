#!/bin/bash
# test_bench_smoke.sh - `make bench` in miniature, so the benchmark cannot rot.
#
# A 20-domain host, 3 scrapes, no anchor, no collectd, no callgrind: the
# generator, the floor and the runner must work together and the table must
# hold a row of figures for each.  No figure is judged: timing is not a test.
set -u
TOP=${KVMMEM_TOP:?run through tests/run.sh}
O=${KVMMEM_BUILD:?run through tests/run.sh}

command -v python3 >/dev/null || { echo "SKIP: python3 missing (bench/gen.py)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
pkg-config --exists libvirt || { echo "SKIP: libvirt-dev missing (bench/floor.c)"; exit 77; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$TMP/floor" "$TOP/bench/floor.c" $(pkg-config --cflags --libs libvirt) ||
	{ echo "FAIL: bench/floor.c does not build"; exit 1; }

BENCH_N=20 BENCH_SCRAPES=3 BENCH_SCALE=0 BENCH_ANCHOR=0 BENCH_COLLECTD=0 BENCH_CALLGRIND=0 BENCH_FLOOR="$TMP/floor" \
	BENCH_RESULTS="$TMP/out" "$TOP/bench/run.sh" "$O" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
[ $rc -eq 0 ] || fail "bench/run.sh exited $rc: $(tail -5 "$TMP/stderr")"

# The floor saw the whole host: 20 domains, every fifth shut off.
grep -q '^floor N=20 iterations=3 .* domains=20 running=16 ' "$TMP/out/raw.txt" ||
	fail "floor line: $(grep '^floor' "$TMP/out/raw.txt")"
# Exactly the scrapes asked for (BENCH_SCALE=0).
grep -q '^kvmmem N=20 scrapes=3 cpu_ms=[0-9.]* cpu_gz_ms=[0-9.]* ' "$TMP/out/raw.txt" ||
	fail "kvmmem line: $(grep '^kvmmem' "$TMP/out/raw.txt")"

# One table row per measured exporter, every cell filled with a figure.
num='[0-9]+(\.[0-9]+)?'
grep -Eq "^\| 20 \| kvmmem \| $num \| $num \| $num/$num \| $num/$num \| $num \| [0-9]+ \([0-9]+\) \| [0-9]+ \|$" \
	"$TMP/out/results.md" || fail "kvmmem row: $(grep '| kvmmem |' "$TMP/out/results.md")"
grep -Eq "^\| 20 \| floor \| $num \| - \| - \| - \| $num \| 0 \| 0 \|$" "$TMP/out/results.md" ||
	fail "floor row: $(grep '| floor |' "$TMP/out/results.md")"
grep -q '| 20 | anchor |' "$TMP/out/results.md" && fail "anchor row although BENCH_ANCHOR=0"
cmp -s "$TMP/stdout" "$TMP/out/results.md" || fail "stdout is not results.md"

[ $fails -eq 0 ] || exit 1
echo "bench smoke: ok"
