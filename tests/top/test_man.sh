#!/bin/sh
# test_man.sh - kvmmem-top(1) renders without a groff warning and documents exactly the flags of
# kvmmem-top --help: every flag but the per-collector switches, which the page names in their generic
# form (--collector.<name>, --no-collector.<name>) since the collectors of a build vary.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
PAGE=$TOP/man/kvmmem-top.1
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
command -v man >/dev/null || skip "man not installed (apt-get install man-db groff-base)"
tmpdir_with_cleanup

MANWIDTH=80 man --warnings -l "$PAGE" >/dev/null 2>"$T/warn" || true
expect "kvmmem-top.1 renders without warnings" "" "$(cat "$T/warn")"

flags() { grep -o -- '-[a-zA-Z<>[-][a-zA-Z0-9._<>[-]*' | grep -v -- '^-[^-].' | sed 's/[.,]*$//'; }
"$KTOP" --help | grep -v -- '--\[no-\]collector\.' | flags | LC_ALL=C sort -u >"$T/help"
printf '%s\n' '--collector.<name>' '--no-collector.<name>' >>"$T/help"
LC_ALL=C sort -u -o "$T/help" "$T/help"
# The OPTIONS section only: the synopsis and examples repeat some of them.
MANWIDTH=1000 man -l "$PAGE" 2>/dev/null | sed -n '/^OPTIONS/,/^ENVIRONMENT/p' | sed 's/<name>/<name>/g' |
	sed 's/--collector\.name/--collector.<name>/; s/--no-collector\.name/--no-collector.<name>/' | flags |
	LC_ALL=C sort -u >"$T/man"
if diff -u "$T/help" "$T/man"; then
	ok "kvmmem-top.1 documents the $(wc -l <"$T/help") flags of --help and no others"
else
	fail "kvmmem-top.1 and --help disagree on flags (- only in --help, + only in the man page)"
fi
finish
