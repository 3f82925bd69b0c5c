#!/bin/sh
# test_hostile_names.sh - domain names that are escape sequences never reach the terminal raw: a QEMU
# process (the plain-QEMU fixture host, copied) named "ESC[2J ESC]0;pwned BEL" clears no screen and sets no
# title; kvmmem-top shows '?' for each control byte, on the screen (capture-pane with attributes holds no
# escape from the name) and in --once, and --json escapes it as \u001b and \u0007.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
require_tools tmux python3
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
tmpdir_with_cleanup
export LC_ALL=C.UTF-8 KVMMEM_TOP_NOW=627319932

H=$T/host
cp -r "$TOP/tests/fixtures/hosts/qemu" "$H"
ESC=$(printf '\033')
BEL=$(printf '\007')
# plain's command line with another -name: clear the screen, set the window title, then a name.
tr '\0' '\n' <"$H/proc/7301/cmdline" | sed "s/^plain\$/${ESC}[2J${ESC}]0;pwned${BEL}evil/" | tr '\n' '\0' \
	>"$H/proc/7301/cmdline.new"
mv "$H/proc/7301/cmdline.new" "$H/proc/7301/cmdline"
FLAGS="--no-collector.libvirt --path.sysfs=$H/sys --path.procfs=$H/proc --path.libvirt-run=$H/run"
"$KTOP" --help | grep -q -- '--path.cgroupfs=' && FLAGS="$FLAGS --path.cgroupfs=$H/sys/fs/cgroup"

# shellcheck disable=SC2086
"$KTOP" --once $FLAGS >"$T/once" 2>/dev/null
expect "--once: the name with '?' for each control byte" "?[2J?]0;pwned?evil" \
	"$(grep -o '?\[2J?\]0;pwned?evil' "$T/once")"
expect "--once: no escape or BEL byte at all" 0 "$(tr -cd '\033\007' <"$T/once" | wc -c)"
# shellcheck disable=SC2086
"$KTOP" --json $FLAGS 2>/dev/null | python3 -c 'import json, sys
doc = json.loads(sys.stdin.readline())
print(sorted(repr(d["name"]) for d in doc["domains"] if "evil" in d["name"])[0])' >"$T/json"
expect "--json: the exact name, escaped" "'\\x1b[2J\\x1b]0;pwned\\x07evil'" "$(cat "$T/json")"

S=kvmmem-top-names-$$
tm() { tmux -L "$S" -f /dev/null "$@"; }
# shellcheck disable=SC2086
tm new-session -d -x 100 -y 30 env TERM=screen "$KTOP" -d 600 $FLAGS
track_pid "$(tm display-message -p '#{pid}')"
has_text() { tm capture-pane -p | grep -q -F -- "$1"; }
wait_until 10 has_text "pwned?evil" || fail "the name is not on the screen"
expect "screen: the name with '?' for each control byte" "?[2J?]0;pwned?evil" \
	"$(tm capture-pane -p | grep -o '?\[2J?\]0;pwned?evil')"
expect "screen: the header survived (no clear screen)" "mem " "$(tm capture-pane -p | head -n 1 | cut -c1-4)"
expect "screen: the window title is not the name's" "" "$(tm display-message -p '#{pane_title}' | grep pwned)"
# Attributes are escapes too (capture-pane -e): none may sit inside the name.
expect "screen: no escape inside the name" 1 "$(tm capture-pane -e -p | grep -c -F '?[2J?]0;pwned?evil')"
tm send-keys q
wait_until 5 sh -c "! tmux -L '$S' has-session 2>/dev/null" || fail "q: still running"
finish
