#!/bin/sh
# test_bench_qmp.sh - the QMP case of `make bench` (bench/qmp.sh) in miniature, so it cannot rot.
#
# 2 then 5 real paused QEMU processes, 2 rounds of 3 scrapes, one traced scrape: bench/floor_qmp and the
# runner must work together, every guest's balloon must have been answered in every scrape, and the table
# must hold a row of figures for each program and N.  No figure is judged: timing is not a test.  Afterwards
# no QEMU of the case runs and its directory is gone.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
O=$BUILD

require_exporter
require_tools qemu-system-x86_64 python3 curl strace unshare
unshare --pid --fork --mount-proc true 2>/dev/null || skip "no private PID namespace (unshare --pid --mount-proc)"
tmpdir_with_cleanup

cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$T/floor_qmp" "$TOP/bench/floor_qmp.c" ||
	{ echo "FAIL: bench/floor_qmp.c does not build"; exit 1; }
BENCH_QMP_N="2 5" BENCH_ROUNDS=2 BENCH_QMP_SCRAPES=3 BENCH_QMP_TRACED=1 BENCH_QMP_FLOOR="$T/floor_qmp" \
	BENCH_RESULTS="$T/out" "$TOP/bench/qmp.sh" "$O" >"$T/stdout" 2>"$T/stderr"
rc=$?
[ $rc -eq 0 ] || fail "bench/qmp.sh exited $rc: $(tail -5 "$T/stderr")"
grep -q '^SKIP' "$T/out/qmp.md" && fail "the case skipped: $(grep '^SKIP' "$T/out/qmp.md")"

num='[0-9]+(\.[0-9]+)?'
md="$T/out/qmp.md"
for n in 2 5; do
	grep -Eq "^\| $n \| kvmmem with qmp \| $num \| $num \| $num/$num \| $num \|$" "$md" ||
		fail "N=$n with row: $(grep "^| $n | kvmmem with qmp" "$md")"
	grep -Eq "^\| $n \| kvmmem without qmp \| $num \| $num \| $num/$num \| - \|$" "$md" ||
		fail "N=$n without row: $(grep "^| $n | kvmmem without" "$md")"
	for f in parallel sequential; do
		grep -Eq "^\| $n \| floor, $f \| $num \| $num \| $num/$num \| $num \|$" "$md" ||
			fail "N=$n floor $f row: $(grep "^| $n | floor, $f" "$md")"
	done
	# Every guest answered in all 6 scrapes; one traced scrape, one connection per guest.
	grep -Eq "^\| $n \| -?$num \| -?$num \| $num \| $n\.0/$n \| $num/$num \($n\) \| 300 \| $num \| $num \|$" "$md" ||
		fail "N=$n ratio row: $(grep -E "^\| $n \| -?[0-9]" "$md" | tail -1)"
	# Both rounds, and the floor answered by every monitor in each.
	expect "N=$n: two rounds of the floor, every monitor answered" 2 \
		"$(grep -c "^qmp N=$n round=[01] floor mode=par iterations=3 vms=$n answered=$n actual_sum=$((n * 1073741824)) " "$T/out/qmp-raw.txt")"
done
cmp -s "$T/stdout" "$md" || fail "stdout is not qmp.md"

# Nothing of the case is left: its QEMU processes named their directory on their command lines.
work=$(sed -n 's/^qmp work=//p' "$T/out/qmp-raw.txt")
if [ -z "$work" ]; then
	fail "no work= line in qmp-raw.txt"
else
	[ -e "$work" ] && fail "$work is still there"
	# The path through the environment, so the search is not on its own command line.
	left=$(W=$work awk 'index($0, ENVIRON["W"]) { print FILENAME }' /proc/[0-9]*/cmdline 2>/dev/null | sort -u | wc -l)
	expect "no QEMU of the case still runs" 0 "$left"
fi
finish
