#!/bin/sh
# test_valgrind.sh - `--dump` under valgrind memcheck on the normal (k6.18)
# and the damaged (broken) fixture hosts: no invalid access, no use of
# uninitialised memory, no definite leak.  "Still reachable" and "possibly
# lost" blocks belong to libvirt's and glib's one-time initialisation and
# are not errors here; a third-party frame that needs more goes into
# tests/hygiene/valgrind.supp (never one of ours).
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

require_tools valgrind
require_exporter
# An ASan build cannot run under valgrind.
nm "$BIN" 2>/dev/null | grep -q '__asan_init' && skip "valgrind cannot run a sanitizer build ($BIN)"

tmpdir_with_cleanup
set -- --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-origins=yes
[ -f "$TOP/tests/hygiene/valgrind.supp" ] && set -- "$@" --suppressions="$TOP/tests/hygiene/valgrind.supp"

for host in k6.18 broken; do
	h=$TOP/tests/fixtures/hosts/$host
	valgrind "$@" --log-file="$T/$host.vg" "$BIN" --dump --log.level=debug --libvirt.uri="test://$h/libvirt.xml" \
		--path.sysfs="$h/sys" --path.procfs="$h/proc" --path.libvirt-run="$h/run" --path.cgroupfs="$h/sys/fs/cgroup" \
		>"$T/$host.out" 2>"$T/$host.log"
	code=$?
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$T/$host.vg" | tail -n 1)
	if [ "$code" != 0 ] || [ "$errors" != 0 ]; then
		fail "$host: exit $code, valgrind errors ${errors:-?}"
		cat "$T/$host.vg"
		tail -n 20 "$T/$host.log"
	elif ! grep -q '^kvmmem_libvirt_up 1$' "$T/$host.out"; then
		# The run must have gone through libvirt and the whole collection.
		fail "$host: --dump did not export kvmmem_libvirt_up 1"
	else
		ok "$host: 0 errors; $(grep -E 'definitely lost|indirectly lost|possibly lost|still reachable' \
			"$T/$host.vg" | sed 's/^==[0-9]*== *//' | tr -s ' ' | paste -sd ';' -)"
	fi
done
finish
