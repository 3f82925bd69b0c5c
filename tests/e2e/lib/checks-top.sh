# checks-top.sh - the assertions against build/kvmmem-top on the real
# guests: --json against an exporter scrape, --once against --json, and the
# live view in a private tmux server driven by its keys.  Sourced by run.sh
# after frontends.sh and checks-exporter.sh; runs while the guests are
# booted and KSM has merged, before setmem changes their balloons.

E2E_TOP_LIB="$TOP/tests/lib"

# top_cmd: the argv of kvmmem-top as the sandbox user, with the collection
# flags the exporter gets (kvmmem-top has no --scrape.timeout or
# --log.level: those are the exporter's own).
top_cmd() {
	user_cmd
	TOP_CMD=("${USER_CMD[@]}" "$KTOP" --libvirt.uri=qemu:///session --path.libvirt-run="$E2E_LIBVIRT_RUN")
}

# top_json FILE: one --json document.
top_json() {
	top_cmd
	"${TOP_CMD[@]}" --json -n 1 >"$1" 2>>"$E2E_TMP/logs/kvmmem-top.log"
}

# Guest reports refresh every 2 s and ksmd moves the KSM counters at any
# time, so the scrape and the --json collection run at the same moment and
# the pair is retried until it agrees: the same guest report (same last
# update) and the same KSM counters in both.
c_top_json_once() {
	local j="$E2E_TMP/logs/top.json" p="$E2E_TMP/logs/top-pair.prom" spid
	scrape "$p" &
	spid=$!
	top_json "$j" || { wait "$spid"; WHY="kvmmem-top --json failed: $(tail -n 3 "$E2E_TMP/logs/kvmmem-top.log")"; return 1; }
	wait "$spid" || { WHY="scrape failed"; return 1; }
	WHY=$(python3 "$E2E_TOP_LIB/top_vs_exporter.py" "$p" "$j" --live --domains="${ALL_GUESTS// /,}" | tr '\n' ';')
	[ "$WHY" = "same;" ]
}
c_top_json() {
	poll 20 c_top_json_once
	WHY="maximum, current, guest available/usable/unused/used/caches, last update, KSM merged and profit: $WHY (agreed after ${POLL_SECS}s)"
	[ "$POLL_SECS" != ">20" ]
}

# --once shows every guest's row with the state and balloon numbers of
# --json, in human units.  The balloons do not move here (no setmem yet),
# so one pair of collections is enough.
c_top_once() {
	local j="$E2E_TMP/logs/top-once.json" t="$E2E_TMP/logs/top-once.txt" out
	top_cmd
	"${TOP_CMD[@]}" --once --width=160 >"$t" 2>>"$E2E_TMP/logs/kvmmem-top.log" || { WHY="--once failed"; return 1; }
	top_json "$j" || { WHY="--json failed"; return 1; }
	out=$(python3 "$E2E_TOP_LIB/top_table_vs_json.py" "$t" "$j" --domains="${ALL_GUESTS// /,}" | tr '\n' ';')
	WHY="$out rows: $(grep -E '^e2e-' "$t" | tr -s ' ' | tr '\n' ';')"
	[ "$out" = "same;" ]
}

# --- the live view in tmux --------------------------------------------------------------
# A private server on a socket in the sandbox; its pane runs an interactive
# shell as the sandbox user, into which the test types the command, as a
# person would.  The server's pid is tracked as "tmux".
TM_SOCK=""
tm() { tmux -S "$TM_SOCK" -f /dev/null "$@"; }
tm_screen() { tm capture-pane -p -t top; }
tm_has() { tm_screen | grep -q -F -- "$1"; }
tm_wait() { poll 10 tm_has "$1" || { WHY="$WHY no '$1' on the screen after 10 s;"; return 1; }; }
# The rows of the table on the screen: from the heading to the first empty line.
tm_rows() { tm_screen | awk '/^NAME / { t = 1; next } t && /^$/ { exit } t'; }
# The order of our guests on the screen.
tm_order() { tm_rows | awk '$1 ~ /^e2e-/ { printf "%s ", $1 }'; }
tm_status() { tm_screen | grep -v '^$' | tail -n 1; }

top_tmux_start() {
	local d="$E2E_TMP/top-term"
	mkdir -p "$d" && chown "$E2E_UID:$E2E_GID" "$d"
	TM_SOCK="$d/tmux.sock"
	# What the person types: the terminal's settings before and after, and
	# the exit status, in files the test reads afterwards.  The QEMU
	# processes of other users of this machine are domains too (the qemu
	# backend finds them in /proc), so the view starts filtered to ours: a
	# pane holds only so many rows.
	cat >"$d/top.sh" <<EOS
stty -g >$d/stty0
$KTOP -d 600 --filter=e2e- --libvirt.uri=qemu:///session --path.libvirt-run=$E2E_LIBVIRT_RUN 2>>$d/stderr
echo "kvmmem-top rc=\$?"
stty -g >$d/stty1
EOS
	chmod 0644 "$d/top.sh"
	user_cmd
	tm new-session -d -s top -x 160 -y 30 "${USER_CMD[@]}" TERM=screen PS1='e2e-top$ ' sh -i || return 1
	track tmux "$(tm display-message -p '#{pid}')"
	poll 10 tm_has 'e2e-top$' || return 1
	tm send-keys -t top -l "sh $d/top.sh"
	tm send-keys -t top Enter
}

# The header (memory, KSM, the sources of a --json collection) and every
# guest's row with the balloon numbers of that --json.  A collector's result
# can change between the screen's collection and the JSON's (other users'
# QEMUs come and go): then space refreshes the screen and the pair is taken
# again, up to five times.
c_top_tmux_screen() {
	local j="$E2E_TMP/logs/top-pane.json" t="$E2E_TMP/logs/top-pane.txt" out="" try
	WHY=""
	top_tmux_start || { WHY="tmux or the shell in it did not start: $(tm_screen 2>&1 | tr '\n' ';')"; return 1; }
	tm_wait "NAME " || return 1
	poll 5 sh -c "[ \$(tmux -S '$TM_SOCK' capture-pane -p -t top | grep -c '^e2e-') -ge 4 ]"
	tm_screen >"$t"
	grep -q 'need two collections' "$t" || { WHY="the first screen does not say rates need two collections"; return 1; }
	[ "$(tm display-message -p -t top '#{alternate_on}')" = 1 ] || { WHY="not on the alternate screen"; return 1; }
	for try in 1 2 3 4 5; do
		top_json "$j"
		out=$(python3 "$E2E_TOP_LIB/top_table_vs_json.py" "$t" "$j" --domains="${ALL_GUESTS// /,}" | tr '\n' ';')
		[ "$out" = "same;" ] && break
		tm send-keys -t top ' '
		sleep 1
		tm_screen >"$t"
	done
	WHY="$out (try $try) header: $(grep -E '^(mem|KSM|sources:) ' "$t" | tr '\n' ';')"
	[ "$out" = "same;" ] &&
		grep -qE '^mem [0-9.]+[KMGT] total  [0-9.]+[KMGT] available  overcommit [0-9.]+x \([0-9.]+[KMGT] of maxima\)' "$t" &&
		grep -qE '^KSM running  saved [0-9.]+[BKMG]  profit -?[0-9.]+[BKMG]  sharing [0-9.]+' "$t"
}

# < from NAME goes to the last column, FLAGS: the largest flags first, then
# by name.  The flags are bits in the legend's order (P S K O H L N R D), so
# e2e-nsp's O (KSM opted out) comes before e2e-p0's P (stats period 0) and
# both before e2e-a and e2e-b, which have none (unless a report went stale:
# the expected order is taken from the flags on the screen).  Then on to KSM
# merged: largest first, so e2e-nsp (0B) comes last.
c_top_tmux_sort() {
	local before after want i
	WHY=""
	before=$(tm_order)
	tm send-keys -t top '<'
	tm_wait "sort FLAGS " || return 1
	after=$(tm_order)
	want=$(tm_flags_order)
	WHY="NAME order: $before; FLAGS order: $after (by the flags on the screen: $want);"
	[ "$before" = "e2e-a e2e-b e2e-nsp e2e-p0 " ] && [ "$after" = "$want" ] && [ "$after" != "$before" ] || return 1
	for i in $(seq 15); do
		tm_status | grep -q 'sort KSM ' && break
		tm send-keys -t top '<'
		sleep 0.2
	done
	tm_wait "sort KSM " || return 1
	after=$(tm_column KSM)
	WHY="$WHY KSM order: $after"
	case $after in *" e2e-nsp=0B ") ;; *) return 1 ;; esac
	top_sorted_down "$after"
}
# tm_flags_order: our guests ordered by the FLAGS column on the screen (as
# bits, largest first), then by name.  A row without flags has no last cell.
tm_flags_order() {
	local n
	n=$(tm_screen | awk '/^NAME / { print NF; exit }')
	tm_rows | awk -v n="$n" '$1 ~ /^e2e-/ {
		v = 0
		if (NF == n)
			for (i = 1; i <= length($NF); i++)
				v += 2 ^ (index("PSKOHLNRD", substr($NF, i, 1)) - 1)
		print v, $1
	}' | sort -k1,1nr -k2,2 | awk '{ printf "%s ", $2 }'
}
# tm_column HEADING: "guest=value " of our guests in screen order.
tm_column() {
	local col
	col=$(tm_screen | awk -v h="$1" '/^NAME / { for (i = 1; i <= NF; i++) if ($i == h) print i; exit }')
	[ -n "$col" ] || return 1
	tm_rows | awk -v c="$col" '$1 ~ /^e2e-/ { printf "%s=%s ", $1, $c }'
}
# top_sorted_down "guest=size ...": the sizes never grow (equal rounded
# sizes are a tie the screen cannot show).
top_sorted_down() {
	echo "$1" | tr ' ' '\n' | awk -F= '
		function bytes(s) { return (s + 0) * 1024 ^ (index("BKMGTPE", substr(s, length(s))) - 1) }
		NF == 2 { v = bytes($2); if (seen && v > last) bad = 1; last = v; seen = 1 }
		END { exit bad || !seen }'
}

# / filters by name: only e2e-nsp is left; / e2e- brings the four back.
c_top_tmux_filter() {
	local rows
	WHY=""
	tm send-keys -t top / n s p Enter
	tm_wait "filter nsp" || return 1
	rows=$(tm_rows | awk '{ print $1 }' | tr '\n' ' ')
	WHY="rows with filter nsp: $rows; status: $(tm_status);"
	[ "$rows" = "e2e-nsp " ] || return 1
	tm send-keys -t top / e 2 e - Enter
	tm_wait "filter e2e-" || return 1
	rows=$(tm_order | tr ' ' '\n' | sort | tr '\n' ' ')
	WHY="$WHY cleared: $rows"
	[ "$rows" = "e2e-a e2e-b e2e-nsp e2e-p0 " ]
}

# d 0.5: the status line says so, and the screen refreshes by itself: the
# age of e2e-a's last report (it reports every 2 s) moves, which at the
# starting 600 s interval it cannot.
c_top_tmux_interval() {
	local age0
	WHY=""
	age0=$(tm_age e2e-a)
	tm send-keys -t top d 0 . 5 Enter
	tm_wait "every 0.5s" || return 1
	poll 10 tm_age_moved "$age0"
	tm_screen >"$E2E_TMP/logs/top-pane-refreshed.txt"
	WHY="status: $(tm_status); e2e-a's AGE $age0 -> $(tm_age e2e-a) after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">10" ] && ! tm_has 'need two collections'
}
tm_age() { tm_column AGE | tr ' ' '\n' | sed -n "s/^$1=//p"; }
tm_age_moved() {
	local a
	a=$(tm_age e2e-a)
	[ -n "$a" ] && [ "$a" != "$1" ]
}

# q: exit status 0, the alternate screen left, the terminal's settings as
# before, and the shell's prompt back under the typed command.
c_top_tmux_quit() {
	local d="$E2E_TMP/top-term" want
	WHY=""
	tm send-keys -t top q
	tm_wait "kvmmem-top rc=" || return 1
	poll 5 tm_has_prompt_back
	want="e2e-top\$ sh $d/top.sh
kvmmem-top rc=0
e2e-top\$"
	WHY="screen: $(tm_screen | grep -v '^$' | tr '\n' ';') alternate screen $(tm display-message -p -t top '#{alternate_on}'); stty $(cmp -s "$d/stty0" "$d/stty1" && echo same || echo differs); stderr: $(head -c 200 "$d/stderr")"
	[ "$(tm_screen | grep -v '^$')" = "$want" ] &&
		[ "$(tm display-message -p -t top '#{alternate_on}')" = 0 ] &&
		[ -s "$d/stty0" ] && cmp -s "$d/stty0" "$d/stty1"
}
tm_has_prompt_back() { [ "$(tm_screen | grep -v '^$' | tail -n 1)" = 'e2e-top$' ]; }

# top_tmux_stop: the server by its own pid (it ends the pane's shell).
top_tmux_stop() {
	local pid
	pid=$(pid_of tmux) || return 0
	tm kill-server 2>/dev/null
	stop_pid "$pid"
	untrack tmux
}
