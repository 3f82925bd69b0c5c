#!/bin/sh
# run.sh BUILD_DIR [all|unit|integration|SUBJECT...] - run the tests and summarise.
#
# Tests are grouped by subject, one directory each (tests/README.md):
#   unit       the cmocka binaries BUILD_DIR/tests/bin/test_* of the sources tests/unit/test_*.c
#   SUBJECT    every tests/SUBJECT/test_*.sh (golden, http, libvirt, collectd, ...), run with sh
# "integration" is every subject but unit; "all" (the default) is everything.  Each test is named
# SUBJECT/NAME in the output (PASS http/test_tls), its log is BUILD_DIR/tests/logs/SUBJECT/NAME.log.
#
# A test exits 0 (pass), 77 (skip, its last line starting SKIP says why) or anything else (fail).  A test that
# passes but could not run a part of itself says so through skip_part (tests/lib/common.sh), which writes
# one line per skipped part to $KVMMEM_SKIPS; a cmocka case that calls skip() is such a part of its binary.
# Those parts are shown after the test's PASS or FAIL line and counted in the summary.
set -u

O=${1:?build dir}
shift
[ $# -gt 0 ] || set -- all
TOP=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) ;; *) O="$TOP/$O" ;; esac
export KVMMEM_BUILD="$O" KVMMEM_TOP="$TOP"

pass=0 fail=0 skip=0 parts=0 failed=""
LOGDIR="$O/tests/logs"
mkdir -p "$LOGDIR"

# run_one NAME COMMAND...: runs one test, output to its log, and reports it.
run_one() {
	name=$1
	shift
	log="$LOGDIR/$name.log"
	skips="$LOGDIR/$name.skips"
	mkdir -p "$(dirname "$log")"
	: >"$skips"
	start=$(date +%s)
	KVMMEM_TEST=$name KVMMEM_SKIPS=$skips "$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $name in unit/*) cmocka_skips "$log" "$name" >>"$skips" ;; esac
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(grep '^SKIP' "$log" | tail -n 1 | sed 's/^SKIP:* *//')" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (rc $rc, ${secs}s)"; tail -n 40 "$log" | sed 's/^/    /' ;;
	esac
	# Parts skipped by a test that skipped as a whole are not counted twice.
	if [ $rc -ne 77 ] && [ -s "$skips" ]; then
		parts=$((parts + $(wc -l <"$skips")))
		sed 's/^/    SKIP part: /' "$skips"
	fi
}

# cmocka_skips LOG NAME: one skipped-part line per test case a cmocka binary skipped ("[  SKIPPED ] case",
# listed twice by cmocka), with the reason from the case's own "SKIP: case..." line when it printed one.
cmocka_skips() {
	sed -n 's/^\[  SKIPPED \] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' "$1" | sort -u | while read -r _case; do
		_why=$(grep -m1 "^SKIP: $_case" "$1" | sed "s/^SKIP: $_case:* *//")
		echo "$2: $_case: ${_why:-skipped}"
	done
}

# wanted SUBJECT: whether the command line asks for SUBJECT.
wanted() {
	for _w in $WHAT; do
		case $_w in
		all | "$1") return 0 ;;
		integration) [ "$1" != unit ] && return 0 ;;
		esac
	done
	return 1
}

WHAT=$*
for w in $WHAT; do
	case $w in
	all | unit | integration) ;;
	*)
		for t in "$TOP/tests/$w"/test_*.sh; do
			[ -f "$t" ] || { echo "run.sh: no subject $w (no tests/$w/test_*.sh)"; exit 2; }
			break
		done
		;;
	esac
done

if wanted unit; then
	for t in "$O"/tests/bin/test_*; do
		# A binary left over from a renamed or removed tests/unit/test_*.c is not a test any more.
		[ -x "$t" ] && [ -f "$TOP/tests/unit/$(basename "$t").c" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
for dir in "$TOP"/tests/*/; do
	subject=$(basename "$dir")
	[ "$subject" != unit ] || continue
	wanted "$subject" || continue
	for t in "$dir"test_*.sh; do
		[ -f "$t" ] || continue
		run_one "$subject/$(basename "$t" .sh)" sh "$t"
	done
done

echo "== $pass passed, $fail failed, $skip skipped, $parts parts skipped (logs in $LOGDIR)"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
