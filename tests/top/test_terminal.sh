#!/bin/sh
# test_terminal.sh - kvmmem-top in a real terminal: a private tmux server runs it on the k6.18 fixture host;
# capture-pane shows exactly what --once prints at the same width (header, the rates note, every domain);
# send-keys sorts, reverses, filters, shows help and the legend, changes the interval (the rates appear);
# a resize to 60 columns drops columns exactly as --once --width=60 does; q, SIGTERM and Ctrl-C leave the
# terminal as it was (stty settings, the normal screen); NO_COLOR means no colour; TERM=dumb and a missing
# terminal give a clear error.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
HOST=$TOP/tests/fixtures/hosts/k6.18
require_tools tmux
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
tmpdir_with_cleanup

# UTF-8 in the pane and in capture-pane, so "café" is one character on both sides.
export LC_ALL=C.UTF-8
export KVMMEM_TOP_NOW=627319932
S=kvmmem-top-test-$$
tm() { tmux -L "$S" -f /dev/null "$@"; }

FLAGS="--path.sysfs=$HOST/sys --path.procfs=$HOST/proc --path.libvirt-run=$HOST/run \
--path.cgroupfs=$HOST/sys/fs/cgroup --libvirt.uri=test://$HOST/libvirt.xml"
"$KTOP" --help | grep -q -- '--path.cgroupfs=' || FLAGS=$(echo "$FLAGS" | sed 's/ --path.cgroupfs=[^ ]*//')

# The pane runs this: it keeps the terminal's settings before and after, kvmmem-top's pid and exit status,
# then says so and stays, so the screen can be read after kvmmem-top is gone.
cat >"$T/run.sh" <<'EOS'
#!/bin/sh
out=$1
shift
stty -g >"$out.stty0"
# Ctrl-C is for kvmmem-top: this shell waits on.
trap '' INT
"$@" </dev/tty &
echo $! >"$out.pid"
wait $!
echo $? >"$out.rc"
stty -g >"$out.stty1"
echo "kvmmem-top exited"
exec sleep 600
EOS

# start NAME COMMAND...: a session NAME of 100x30 running COMMAND under run.sh.
start() {
	_name=$1
	shift
	if tm has-session 2>/dev/null; then
		tm new-session -d -s "$_name" -x 100 -y 30 sh "$T/run.sh" "$T/$_name" "$@"
	else
		tm new-session -d -s "$_name" -x 100 -y 30 sh "$T/run.sh" "$T/$_name" "$@"
		track_pid "$(tm display-message -p -t "$_name" '#{pid}')"
	fi
}
screen() { tm capture-pane -p -t "$1"; }
has_text() { screen "$1" | grep -q -F -- "$2"; }
# wait_text NAME TEXT: up to 10 s for TEXT on NAME's screen.
wait_text() { wait_until 10 has_text "$1" "$2" || { fail "$1: no '$2' on the screen"; screen "$1"; }; }
# The first N lines of the screen.
head_of() { screen "$1" | head -n "$2"; }
# What --once prints at WIDTH with more flags.
once() {
	_w=$1
	shift
	# shellcheck disable=SC2086
	"$KTOP" --once --width="$_w" $FLAGS "$@" 2>/dev/null
}
exited() { [ -s "$T/$1.rc" ]; }

# shellcheck disable=SC2086
start main env TERM=screen NO_COLOR= "$KTOP" -d 600 $FLAGS
wait_text main "NAME "
once 100 >"$T/want"
n=$(wc -l <"$T/want")
head_of main "$n" >"$T/got"
diff -u "$T/want" "$T/got" && ok "first screen = --once --width=100 (header, rates note, every domain)" ||
	fail "first screen differs from --once"
grep -q 'need two collections' "$T/got" || fail "the first screen does not say rates need two collections"

# Keys: > twice sorts by MAX (NAME -> STATE -> MAX), r reverses, / filters.
tm send-keys -t main '>' '>'
wait_text main "sort MAX "
once 100 --sort=MAX >"$T/want"
head_of main "$n" >"$T/got"
diff -u "$T/want" "$T/got" && ok "> > sorts by MAX" || fail "> > does not sort as --sort=MAX"
# The sort column's heading is underlined (capture-pane -e keeps the attributes).
tm capture-pane -e -p -t main | grep '^.*NAME' | grep -q "$(printf '\033')\[[0-9;]*4m *MAX" &&
	ok "the MAX heading is underlined" || fail "the sort column's heading is not underlined"
tm send-keys -t main r
wait_text main "sort MAX reversed"
once 100 --sort=MAX -r >"$T/want"
head_of main "$n" >"$T/got"
diff -u "$T/want" "$T/got" && ok "r reverses" || fail "r does not sort as --sort=MAX -r"
tm send-keys -t main / w E b Enter
wait_text main "filter wEb"
once 100 --sort=MAX -r --filter=wEb >"$T/want"
m=$(wc -l <"$T/want")
head_of main "$m" >"$T/got"
diff -u "$T/want" "$T/got" && ok "/ filters by name" || fail "/wEb does not filter as --filter=wEb"
expect "status line" "1/13 domains  sort MAX reversed  filter wEb  every 600.0s  collected in N ms  h help  q quit" \
	"$(screen main | tail -n 1 | sed -e 's/collected in [0-9]* ms/collected in N ms/' -e 's/q quit.*/q quit/')"
tm send-keys -t main / Enter
wait_text main "13/13 domains"

tm send-keys -t main h
wait_text main "kvmmem-top keys"
expect "help" "kvmmem-top keys" "$(head_of main 1)"
tm send-keys -t main x
wait_text main "NAME "
tm send-keys -t main l
wait_text main "P  stats period 0"
tm send-keys -t main l

# A resize to 60 columns drops columns as --once --width=60 does.
tm resize-window -t main -x 60 -y 30
wait_until 10 sh -c "[ \$(tmux -L '$S' capture-pane -p -t main | head -n 1 | wc -c) -le 61 ]"
sleep 0.3
once 60 --sort=MAX -r >"$T/want"
n60=$(wc -l <"$T/want")
head_of main "$n60" >"$T/got"
diff -u "$T/want" "$T/got" && ok "60 columns: the columns --once drops at 60" || fail "the screen at 60 columns differs"
long=$(screen main | awk 'length($0) > 60' | wc -l)
expect "no line wider than 60 columns" 0 "$long"
# Tiny terminals draw what fits and do not crash.
tm resize-window -t main -x 10 -y 4
wait_text main "mem 63G"
tm resize-window -t main -x 3 -y 2
sleep 0.3
tm resize-window -t main -x 100 -y 30
wait_text main "ballooned out"
exited main && fail "kvmmem-top ended on a 3x2 terminal"

# d changes the interval: at 0.5 s the second collection comes and the rates with it.
tm send-keys -t main d 0 . 5 Enter
wait_text main "every 0.5s"
wait_until 10 sh -c "! tmux -L '$S' capture-pane -p -t main | grep -q 'need two collections'" &&
	ok "d 0.5: the rates appear" || fail "d 0.5: still no rates"
tm send-keys -t main d x Enter
wait_text main "not an interval"

tm send-keys -t main q
wait_until 10 exited main || fail "q: kvmmem-top still runs"
expect "q: exit status" 0 "$(cat "$T/main.rc" 2>/dev/null)"
expect "q: terminal settings restored" "$(cat "$T/main.stty0")" "$(cat "$T/main.stty1" 2>/dev/null)"
wait_text main "kvmmem-top exited"
expect "q: the normal screen is back" "kvmmem-top exited" "$(screen main | grep -v '^$')"

# SIGTERM restores the terminal the same way.
# shellcheck disable=SC2086
start term env TERM=screen "$KTOP" -d 600 $FLAGS
wait_text term "NAME "
kill -TERM "$(cat "$T/term.pid")"
wait_until 10 exited term || fail "SIGTERM: kvmmem-top still runs"
expect "SIGTERM: exit status" 0 "$(cat "$T/term.rc" 2>/dev/null)"
expect "SIGTERM: terminal settings restored" "$(cat "$T/term.stty0")" "$(cat "$T/term.stty1" 2>/dev/null)"
wait_text term "kvmmem-top exited"
expect "SIGTERM: the normal screen is back" "kvmmem-top exited" "$(screen term | grep -v '^$')"

# Ctrl-C (SIGINT from the terminal) too.
# shellcheck disable=SC2086
start intr env TERM=screen "$KTOP" -d 600 $FLAGS
wait_text intr "NAME "
tm send-keys -t intr C-c
wait_until 10 exited intr || fail "Ctrl-C: kvmmem-top still runs"
expect "Ctrl-C: exit status" 0 "$(cat "$T/intr.rc" 2>/dev/null)"
expect "Ctrl-C: terminal settings restored" "$(cat "$T/intr.stty0")" "$(cat "$T/intr.stty1" 2>/dev/null)"

# Colour: the heading bar is coloured unless NO_COLOR is set; attributes stay either way.
# shellcheck disable=SC2086
start color env TERM=screen NO_COLOR= "$KTOP" -d 600 $FLAGS
# shellcheck disable=SC2086
start nocolor env TERM=screen NO_COLOR=1 "$KTOP" -d 600 $FLAGS
wait_text color "NAME "
wait_text nocolor "NAME "
sgr_colours() { tm capture-pane -e -p -t "$1" | grep -c "$(printf '\033')\[[0-9;]*[34][0-7]m"; }
[ "$(sgr_colours color)" -gt 0 ] && ok "colours by default" || fail "no colours without NO_COLOR"
expect "NO_COLOR: no colours" 0 "$(sgr_colours nocolor)"
tm capture-pane -e -p -t nocolor | grep -q "$(printf '\033')\[7m" && ok "NO_COLOR: reverse video stays" ||
	fail "NO_COLOR: no reverse video either"

# TERM=dumb cannot show a screen: a clear error, exit status 2.
start dumb env TERM=dumb "$KTOP" $FLAGS
wait_until 10 exited dumb || fail "TERM=dumb: kvmmem-top still runs"
expect "TERM=dumb: exit status" 2 "$(cat "$T/dumb.rc" 2>/dev/null)"
expect "TERM=dumb: message" "kvmmem-top: error: terminal 'dumb' cannot address the cursor: use --once or --json
kvmmem-top exited" "$(screen dumb | grep -v '^$')"

# No terminal and neither --once nor --json.
# shellcheck disable=SC2086
"$KTOP" $FLAGS </dev/null >"$T/out" 2>"$T/err"
expect "no terminal: exit status" 2 "$?"
expect "no terminal: message" \
	"kvmmem-top: error: standard output is not a terminal: use --once for one table or --json for JSON" \
	"$(cat "$T/err")"
tm kill-server
finish
