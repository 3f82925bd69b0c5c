# sandbox.sh - the harness's private world: a dedicated unprivileged user,
# a temporary XDG tree, a session-mode libvirtd of our own, the KSM
# tunables saved and put back, and a record of every pid we started so
# clean-up stops exactly those.  Sourced by run.sh.
#
# Nothing here touches /etc/libvirt, /run/libvirt or a system libvirtd:
# qemu:///session for a user whose HOME and XDG_* point into $E2E_TMP keeps
# the daemon's sockets, configuration, logs, domain status and pidfiles
# under $E2E_TMP.

E2E_USER=${KVMMEM_E2E_USER:-kvmmem-e2e}
E2E_KSM=/sys/kernel/mm/ksm
# The tunables the harness changes, and so restores.
E2E_KSM_TUNABLES="run pages_to_scan sleep_millisecs"
E2E_PIDS=""       # "name=pid" of every long-running process we started
E2E_KSM_SAVED=""  # "key=value" list, set once the tunables were saved

t0_ns=$(date +%s%N)
elapsed() { echo $((($(date +%s%N) - t0_ns) / 1000000)) | awk '{ printf "%.1f", $1 / 1000 }'; }
say() { printf '[%6ss] %s\n' "$(elapsed)" "$*"; }

# sandbox_user: the dedicated system user exists (created once, kept).
sandbox_user() {
	if ! id -u "$E2E_USER" >/dev/null 2>&1; then
		useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$E2E_USER" || return 1
		say "created system user $E2E_USER"
	fi
	E2E_UID=$(id -u "$E2E_USER") && E2E_GID=$(id -g "$E2E_USER")
}

# sandbox_tree: $E2E_TMP with home, XDG dirs and a session qemu.conf, all
# owned by the user.
sandbox_tree() {
	E2E_TMP=$(mktemp -d /tmp/kvmmem-e2e.XXXXXX) || return 1
	chmod 0755 "$E2E_TMP"
	mkdir -p "$E2E_TMP/home" "$E2E_TMP/config/libvirt" "$E2E_TMP/cache" "$E2E_TMP/data" "$E2E_TMP/run" \
		"$E2E_TMP/console" "$E2E_TMP/xml" "$E2E_TMP/logs" "$E2E_TMP/collectd"
	chmod 0700 "$E2E_TMP/run"
	# stdio_handler=file: QEMU's stdout goes to a plain file, so no virtlogd
	# is spawned that we would have to track.
	printf '%s\n' 'stdio_handler = "file"' >"$E2E_TMP/config/libvirt/qemu.conf"
	printf '%s\n' 'log_outputs = "3:file:'"$E2E_TMP"'/logs/libvirtd.log"' >"$E2E_TMP/config/libvirt/libvirtd.conf"
	chown -R "$E2E_UID:$E2E_GID" "$E2E_TMP"
	E2E_RUNTIME="$E2E_TMP/run"
	E2E_LIBVIRT_RUN="$E2E_RUNTIME/libvirt/qemu/run"
}

# as_user CMD...: runs CMD as the user with only the sandbox environment.
# LIBVIRT_AUTOSTART=0 stops clients from spawning a session libvirtd of
# their own when ours is down (we must see it down, and own every daemon).
as_user() {
	setpriv --reuid="$E2E_UID" --regid="$E2E_GID" --clear-groups -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$E2E_TMP/home" \
		XDG_CONFIG_HOME="$E2E_TMP/config" XDG_CACHE_HOME="$E2E_TMP/cache" XDG_DATA_HOME="$E2E_TMP/data" \
		XDG_RUNTIME_DIR="$E2E_RUNTIME" LIBVIRT_AUTOSTART=0 "$@"
}

virsh_u() { as_user virsh -q -c qemu:///session "$@"; }

# track NAME PID / untrack NAME: the clean-up list.  E2E_EVER keeps every
# pid for the final "nothing left running" check.
E2E_EVER=""
track() {
	E2E_PIDS="$E2E_PIDS $1=$2"
	E2E_EVER="$E2E_EVER $2"
}
untrack() {
	local e out=""
	for e in $E2E_PIDS; do [ "${e%=*}" = "$1" ] || out="$out $e"; done
	E2E_PIDS=$out
}
pid_of() {
	local e
	for e in $E2E_PIDS; do [ "${e%=*}" = "$1" ] && { echo "${e##*=}"; return 0; }; done
	return 1
}

# stop_pid PID [SIG]: signal, then wait up to 5 s, then SIGKILL.  SIGCONT
# first so a process we stopped can act on SIGTERM.
stop_pid() {
	local pid=$1 sig=${2:-TERM} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -CONT "$pid" 2>/dev/null
	kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.1
}

# is_guest_qemu PID NAME: PID is still the QEMU of guest NAME (not a
# reused pid).  QEMU gets "-name guest=NAME,debug-threads=on".
is_guest_qemu() {
	tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | grep -qx "guest=$2,debug-threads=on"
}

# libvirtd_start: our session daemon, its pid tracked as "libvirtd".
libvirtd_start() {
	local pidf="$E2E_TMP/libvirtd.pid" i
	rm -f "$pidf"
	as_user libvirtd --daemon --pid-file="$pidf" || return 1
	for i in $(seq 100); do [ -s "$pidf" ] && break; sleep 0.05; done
	[ -s "$pidf" ] || { echo "libvirtd wrote no pidfile" >&2; return 1; }
	track libvirtd "$(cat "$pidf")"
	for i in $(seq 200); do virsh_u uri >/dev/null 2>&1 && return 0; sleep 0.05; done
	echo "libvirtd did not answer on its socket" >&2
	return 1
}

# libvirtd_kill SIG: ends our daemon abruptly, as a crash would.
libvirtd_kill() {
	local pid
	pid=$(pid_of libvirtd) || return 1
	kill -"$1" "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	untrack libvirtd
}

# ksm_save / ksm_restore: the tunables we change, restored by the EXIT trap.
ksm_save() {
	local k
	E2E_KSM_SAVED=""
	for k in $E2E_KSM_TUNABLES; do E2E_KSM_SAVED="$E2E_KSM_SAVED $k=$(cat "$E2E_KSM/$k")"; done
	say "KSM tunables saved:$E2E_KSM_SAVED"
}
ksm_restore() {
	local kv
	[ -n "$E2E_KSM_SAVED" ] || return 0
	# run last, so ksmd never runs with a half-restored configuration.
	for kv in $E2E_KSM_SAVED; do [ "${kv%%=*}" = run ] || echo "${kv#*=}" >"$E2E_KSM/${kv%%=*}"; done
	for kv in $E2E_KSM_SAVED; do [ "${kv%%=*}" = run ] && echo "${kv#*=}" >"$E2E_KSM/run"; done
	say "KSM tunables restored:$(for k in $E2E_KSM_TUNABLES; do printf ' %s=%s' "$k" "$(cat "$E2E_KSM/$k")"; done)"
	E2E_KSM_SAVED=""
}

# sandbox_cleanup: stops everything we started (by pid), destroys our
# guests, restores KSM.  Safe to call twice and from a trap.
sandbox_cleanup() {
	local e name pid
	# Front-ends first, so they do not log the teardown as failures.
	for e in $E2E_PIDS; do
		name=${e%=*} pid=${e##*=}
		case $name in exporter | collectd | tmux) stop_pid "$pid" ;; esac
	done
	for e in $E2E_PIDS; do
		name=${e%=*} pid=${e##*=}
		case $name in qemu:*) kill -CONT "$pid" 2>/dev/null ;; esac
	done
	# virsh destroy waits for QEMU to exit (about 2 s under TCG): in parallel.
	if pid_of libvirtd >/dev/null; then
		for e in $E2E_PIDS; do
			name=${e%=*}
			case $name in qemu:*) virsh_u destroy "${name#qemu:}" >/dev/null 2>&1 & ;; esac
		done
		wait
	fi
	# Anything still alive (libvirtd was down, or destroy failed), by pid.
	for e in $E2E_PIDS; do
		name=${e%=*} pid=${e##*=}
		case $name in qemu:*) is_guest_qemu "$pid" "${name#qemu:}" && stop_pid "$pid" ;; esac
	done
	pid=$(pid_of libvirtd) && stop_pid "$pid"
	E2E_PIDS=""
	ksm_restore
}

# teardown_no_processes: none of our pids lives, and no process mentions
# the sandbox in its command line (a daemon spawned behind our back).
teardown_no_processes() {
	local pid f left=""
	for pid in $E2E_EVER; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' 2>/dev/null <"$f" | grep -qF "$E2E_TMP" || continue
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = $$ ] || left="$left $pid($(cat "/proc/$pid/comm" 2>/dev/null))"
	done
	WHY="tracked:$E2E_EVER; alive:${left:- none}"
	[ -z "$left" ]
}

# teardown_ksm_restored SAVED: every tunable has its saved value again.
teardown_ksm_restored() {
	local kv now bad=""
	for kv in $1; do
		now=$(cat "$E2E_KSM/${kv%%=*}")
		[ "$now" = "${kv#*=}" ] || bad="$bad ${kv%%=*}=$now(want ${kv#*=})"
	done
	WHY="saved:$1${bad:+; differs:$bad}"
	[ -n "$1" ] && [ -z "$bad" ]
}
