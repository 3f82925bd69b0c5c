#!/bin/sh
# run.sh BUILD_DIR [unit|integration] - run the test suites and summarise.
#
# Unit tests are the cmocka binaries in BUILD_DIR/tests/bin; integration
# tests are tests/integration/test_*.sh.  A test exits 0 (pass), 77 (skip,
# after printing SKIP and why) or anything else (fail).
set -u

O=${1:?build dir}
WHAT=${2:-all}
TOP=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) ;; *) O="$TOP/$O" ;; esac
export KVMMEM_BUILD="$O" KVMMEM_TOP="$TOP"

pass=0 fail=0 skip=0 failed=""
LOGDIR="$O/tests/logs"
mkdir -p "$LOGDIR"

run_one() {
	name=$1
	shift
	log="$LOGDIR/$name.log"
	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP:* *//')" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (rc $rc, ${secs}s)"; tail -n 40 "$log" | sed 's/^/    /' ;;
	esac
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	for t in "$O"/tests/bin/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$WHAT" = all ] || [ "$WHAT" = integration ]; then
	for t in "$TOP"/tests/integration/test_*.sh; do
		[ -f "$t" ] || continue
		run_one "integration/$(basename "$t" .sh)" sh "$t"
	done
fi

echo "== $pass passed, $fail failed, $skip skipped (logs in $LOGDIR)"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
