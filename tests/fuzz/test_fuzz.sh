#!/bin/sh
# test_fuzz.sh - build every libFuzzer target (tests/fuzz/fuzz_<name>.c)
# and run each on its committed seeds (tests/fuzz/corpus/<name>/) for a
# bounded time, two at a time.  Any crash, sanitizer report, leak, timeout
# or broken contract fails the test and leaves the input in the log.
#
# KVMMEM_FUZZ_SECONDS (default 20) is the time per target.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
O=$BUILD
SECS=${KVMMEM_FUZZ_SECONDS:-20}
CLANG=${FUZZ_CC:-clang}

command -v "$CLANG" >/dev/null 2>&1 || skip "$CLANG not installed (apt-get install clang libclang-rt-14-dev)"
tmpdir_with_cleanup
# libFuzzer ships in the compiler-rt package, not with clang itself.
rt=$("$CLANG" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
if [ ! -f "$rt" ] && [ ! -f "$("$CLANG" -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-x86_64.a" ]; then
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
		>"$T/probe.c"
	"$CLANG" -fsanitize=fuzzer -o "$T/probe" "$T/probe.c" >/dev/null 2>&1 ||
		skip "$CLANG cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)"
fi

# The test runner may itself run under make: do not join its jobserver.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP" --no-print-directory -j2 O="$O" fuzz \
	>"$T/build.log" 2>&1; then
	cat "$T/build.log"
	echo "FAIL: building the fuzz targets"
	exit 1
fi

names=""
for src in "$TOP"/tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	n=${n#fuzz_}
	if [ ! -d "$TOP/tests/fuzz/corpus/$n" ] || [ -z "$(ls -A "$TOP/tests/fuzz/corpus/$n")" ]; then
		echo "FAIL: no seed corpus tests/fuzz/corpus/$n/"
		exit 1
	fi
	names="$names $n"
done
[ -n "$names" ] || { echo "FAIL: no fuzz targets in tests/fuzz/"; exit 1; }

# New inputs go to a scratch directory (the first one libFuzzer is given);
# the committed seeds are only read.
run_one() {
	n=$1
	mkdir -p "$T/work/$n" "$T/art/$n"
	"$O/fuzz/bin/fuzz_$n" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$T/art/$n/" "$T/work/$n" "$TOP/tests/fuzz/corpus/$n" \
		>"$T/$n.log" 2>&1
	echo $? >"$T/$n.rc"
}

set -- $names
while [ $# -gt 0 ]; do
	run_one "$1" &
	p1=$!
	p2=""
	if [ $# -gt 1 ]; then
		run_one "$2" &
		p2=$!
	fi
	wait $p1
	[ -z "$p2" ] || wait $p2
	shift
	[ $# -gt 0 ] && shift
done

for n in $names; do
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$n.log")
	cov=$(grep -o 'cov: [0-9]*' "$T/$n.log" | tail -n 1)
	arts=$(ls "$T/art/$n")
	if [ "$(cat "$T/$n.rc")" != 0 ] || [ -n "$arts" ]; then
		fail "fuzz_$n (rc $(cat "$T/$n.rc"))"
		grep -E 'ERROR|SUMMARY|contract broken|runtime error' "$T/$n.log" | head -n 20
		for a in $arts; do
			echo "  input $a (hex):"
			od -A d -t x1 "$T/art/$n/$a" | head -n 20
		done
	else
		ok "fuzz_$n: ${execs:-?} executions in ${SECS}s, $cov"
	fi
done
finish
