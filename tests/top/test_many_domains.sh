#!/bin/sh
# test_many_domains.sh - kvmmem-top on 5000 domains and one named with 500 characters (libvirt's test
# driver): --once keeps every line within 80 columns and cuts the long name with '~', --json carries all
# 5001 domains and the whole name; in a terminal the view scrolls to either end and stays responsive while
# it refreshes every second, and the time a refresh takes is reported.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
HOST=$TOP/tests/fixtures/hosts/k6.18
require_tools tmux python3
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
tmpdir_with_cleanup
export LC_ALL=C.UTF-8 KVMMEM_TOP_NOW=627319932

LONG=$(awk 'BEGIN { while (n++ < 500) printf "x" }')
awk -v long="$LONG" 'BEGIN {
	print "<node><cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets>"
	print "<cores>2</cores><threads>1</threads></cpu><memory>33554432</memory>"
	d = "<vcpu>1</vcpu><os><type arch=\"x86_64\">hvm</type></os>"
	for (i = 0; i < 5000; i++)
		printf "<domain type=\"test\"><name>vm-%05d</name><memory unit=\"KiB\">1048576</memory>" \
			"<currentMemory unit=\"KiB\">786432</currentMemory>%s</domain>\n", i, d
	printf "<domain type=\"test\"><name>%s</name><memory unit=\"KiB\">524288</memory>%s</domain>\n", long, d
	print "</node>"
}' >"$T/libvirt.xml"
# An empty procfs: no QEMU process or pid of the fixture host joins the 5001 domains.
mkdir "$T/proc"
FLAGS="--libvirt.uri=test://$T/libvirt.xml --path.sysfs=$HOST/sys --path.procfs=$T/proc --path.libvirt-run=$T"

# shellcheck disable=SC2086
"$KTOP" --once --width=80 $FLAGS >"$T/once" 2>/dev/null
expect "--once: exit status" 0 "$?"
expect "--once: no line wider than 80" 0 "$(awk 'length($0) > 80' "$T/once" | wc -l)"
expect "--once: one row per domain" 5001 "$(sed -n '/^NAME /,$p' "$T/once" | tail -n +2 | wc -l)"
# Names get the room the dropped columns leave, up to 40 columns.
CUT=$(printf '%.39s~' "$LONG")
expect "--once: the long name is cut at 40 columns" "$CUT" "$(tail -n 1 "$T/once" | cut -d ' ' -f 1)"

# shellcheck disable=SC2086
"$KTOP" --json $FLAGS 2>/dev/null | python3 -c 'import json, sys
doc = json.loads(sys.stdin.readline())
print(len(doc["domains"]), max(len(d["name"]) for d in doc["domains"]))' >"$T/json"
expect "--json: 5001 domains, the whole 500-character name" "5001 500" "$(cat "$T/json")"

S=kvmmem-top-many-$$
tm() { tmux -L "$S" -f /dev/null "$@"; }
# shellcheck disable=SC2086
tm new-session -d -x 100 -y 30 env TERM=screen "$KTOP" -d 1 $FLAGS
track_pid "$(tm display-message -p '#{pid}')"
screen() { tm capture-pane -p; }
has_text() { screen | grep -q -F -- "$1"; }
# The row above the status line.
last_row() { screen | grep -v '^$' | tail -n 2 | head -n 1 | cut -d ' ' -f 1; }
is_last_row() { [ "$(last_row)" = "$1" ]; }
wait_until 20 has_text "5001/5001 domains" || fail "no screen of 5001 domains"
tm send-keys End
wait_until 2 is_last_row "$CUT" && ok "End scrolls to the last domain within 2 s" ||
	fail "End: the last row is '$(last_row)'"
tm send-keys Home
wait_until 2 has_text "vm-00000 " && ok "Home scrolls back within 2 s" || fail "Home: no vm-00000"
# A few refreshes, then the time one takes, as the status line says.
sleep 3
ms=$(screen | tail -n 1 | sed -n 's/.*collected in \([0-9]*\) ms.*/\1/p')
[ -n "$ms" ] && ok "a refresh of 5001 domains takes $ms ms" || fail "no refresh time on the status line"
tm send-keys q
wait_until 5 sh -c "! tmux -L '$S' has-session 2>/dev/null" && ok "q quits" || fail "q: still running"
finish
