# frontends.sh - the products under test, run as the sandbox user so they
# reach the session libvirtd and can read its QEMU processes' ksm_stat.
# Sourced by run.sh after sandbox.sh and metrics.sh.

E2E_SCRAPE_TIMEOUT=${KVMMEM_E2E_SCRAPE_TIMEOUT:-4}

# user_cmd: the argv prefix of as_user as an array, so "${USER_CMD[@]}" cmd &
# leaves $! as the pid of cmd itself (setpriv and env exec, no subshell).
user_cmd() {
	USER_CMD=(setpriv --reuid="$E2E_UID" --regid="$E2E_GID" --clear-groups --
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$E2E_TMP/home"
		XDG_CONFIG_HOME="$E2E_TMP/config" XDG_CACHE_HOME="$E2E_TMP/cache" XDG_DATA_HOME="$E2E_TMP/data"
		XDG_RUNTIME_DIR="$E2E_RUNTIME" LIBVIRT_AUTOSTART=0)
}

# spy_build: $E2E_SPY, the virDomainMemoryStats call recorder
# (memstats-spy.c), and a control run proving it records: the test:///
# driver's bulk records have no balloon fields, so the exporter must fall
# back there, and the spy must see it.
spy_build() {
	E2E_SPY="$E2E_TMP/memstats-spy.so"
	cc -O2 -Wall -shared -fPIC -o "$E2E_SPY" "$HERE/memstats-spy.c" $(pkg-config --cflags libvirt) || return 1
	chmod 0755 "$E2E_SPY"
}
spy_control() {
	local log="$E2E_TMP/spy-control.log"
	ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$E2E_SPY" KVMMEM_E2E_SPY_LOG="$log" "$1" --dump --libvirt.uri=test:///default >/dev/null 2>&1
	WHY="calls seen against test:///default: $(tr '\n' ';' <"$log" 2>/dev/null)"
	[ "$(cat "$log" 2>/dev/null)" = "virDomainMemoryStats test" ]
}

# exporter_start BIN: serves on a free 127.0.0.1 port ($E2E_PORT), debug
# log in $E2E_TMP/logs/exporter.log, pid tracked as "exporter".
exporter_start() {
	local bin=$1 try pid
	user_cmd
	for try in 1 2 3; do
		E2E_PORT=$(free_port) || return 1
		# A sanitizer build wants its runtime first; the spy only wraps one
		# libvirt call, so letting it load first is safe.
		"${USER_CMD[@]}" ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$E2E_SPY" \
			KVMMEM_E2E_SPY_LOG="$E2E_TMP/logs/memstats-exporter.log" \
			"$bin" --web.listen-address="127.0.0.1:$E2E_PORT" --libvirt.uri=qemu:///session \
			--path.libvirt-run="$E2E_LIBVIRT_RUN" --scrape.timeout="${E2E_SCRAPE_TIMEOUT}s" --log.level=debug \
			>>"$E2E_TMP/logs/exporter.log" 2>&1 &
		pid=$!
		track exporter "$pid"
		if poll 10 exporter_answers "$pid"; then
			say "exporter pid $pid on 127.0.0.1:$E2E_PORT (first answer after ${POLL_SECS}s)"
			return 0
		fi
		stop_pid "$pid"
		untrack exporter
		# Lost a race for the port, or it does not start at all.
		tail -n 5 "$E2E_TMP/logs/exporter.log" >&2
	done
	return 1
}
exporter_answers() {
	kill -0 "$1" 2>/dev/null || return 1
	curl -sf -m 2 -o /dev/null "http://127.0.0.1:$E2E_PORT/metrics"
}

# collectd_start SO_DIR: a real collectd in the foreground (tracked as
# "collectd") with a private config: our plugin, 1 s interval, csv output
# in $E2E_TMP/collectd/csv.
collectd_start() {
	local sodir=$1 conf="$E2E_TMP/collectd/collectd.conf" pid
	cat >"$conf" <<CONF
Hostname "e2e"
FQDNLookup false
BaseDir "$E2E_TMP/collectd"
PIDFile "$E2E_TMP/collectd/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$E2E_TMP/logs/collectd.log"
  Timestamp true
  PrintSeverity true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$E2E_TMP/collectd/csv"
  StoreRates false
</Plugin>
PluginDir "$sodir"
LoadPlugin kvmmem
<Plugin kvmmem>
  Connection "qemu:///session"
  LibvirtRunPath "$E2E_LIBVIRT_RUN"
</Plugin>
CONF
	chown -R "$E2E_UID:$E2E_GID" "$E2E_TMP/collectd"
	user_cmd
	"${USER_CMD[@]}" LD_PRELOAD="$E2E_SPY" KVMMEM_E2E_SPY_LOG="$E2E_TMP/logs/memstats-collectd.log" collectd -f -C "$conf" >>"$E2E_TMP/logs/collectd.stderr" 2>&1 &
	pid=$!
	track collectd "$pid"
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || { cat "$E2E_TMP/logs/collectd.stderr" "$E2E_TMP/logs/collectd.log" >&2; return 1; }
	say "collectd pid $pid"
}
