# common.sh - the harness the integration tests share (POSIX sh; bash runs it too).
#
# Sourced, never run, right after `set -u`:
#
#   . "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
#
# tests/run.sh exports KVMMEM_TOP and KVMMEM_BUILD; when a test is run by hand without them, the repository
# is found from the test's own path ($0 is tests/<subject>/test_*.sh: a sourced file cannot see its own
# path in POSIX sh, the script that sources it can).
#
# Sourcing sets:
#   TOP    the repository root
#   BUILD  the build directory (KVMMEM_BUILD, else $TOP/build)
#   BIN    the exporter binary, SO the collectd plugin (neither is checked here: see require_exporter and
#          require_collectd_plugin)
#   FAILS  0, the count fail() raises
#   TEST_NAME  SUBJECT/NAME of the test (KVMMEM_TEST from tests/run.sh, else from $0), for SKIP lines
# and nothing else until a function is called.  Helper-internal variables start with _ so they do not
# clobber a test's own (tests freely use i, n, rc, code).
#
# Variables set here for the sourcing test (STATUS, WAITED, PORT, PID, INFLUX_COLLECTD_PORT...) look unused
# to shellcheck, which reads this file alone:
# shellcheck disable=SC2034

TOP=${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KVMMEM_BUILD:-$TOP/build}
BIN=$BUILD/kvmmem_exporter
SO=$BUILD/kvmmem.so
FAILS=0
TEST_NAME=${KVMMEM_TEST:-$(basename "$(dirname "$0")")/$(basename "$0" .sh)}

# --- what the test needs -------------------------------------------------------------------------------

# skip WHY...: skips the whole test: prints the SKIP line tests/run.sh shows and exits 77.
skip() {
	echo "SKIP: $*"
	exit 77
}

# skip_part PART WHY...: the test goes on without PART (a step it cannot run on this machine): prints
# "SKIP: SUBJECT/NAME: PART: WHY" and appends that to KVMMEM_SKIPS (a file tests/run.sh gives each test), so
# the summary counts the part as skipped and a test never passes silently without it.
skip_part() {
	_sk_part=$1
	shift
	echo "SKIP: $TEST_NAME: $_sk_part: $*"
	[ -z "${KVMMEM_SKIPS:-}" ] || echo "$TEST_NAME: $_sk_part: $*" >>"$KVMMEM_SKIPS"
}

# require_tools TOOL...: skips the test (exit 77, after the SKIP line tests/run.sh shows) unless every TOOL
# is on PATH.  A missing tool is the machine's business, not a defect: scripts/deps.sh test installs them.
require_tools() {
	for _rt_tool in "$@"; do
		command -v "$_rt_tool" >/dev/null 2>&1 ||
			{ echo "SKIP: $_rt_tool not installed (scripts/deps.sh test)"; exit 77; }
	done
}

# require_exporter: fails the test (exit 1) unless $BIN is built; `make check` builds it first, so a
# missing binary is a broken build, never a reason to skip.
require_exporter() {
	[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
}

# require_collectd_plugin: skips the test unless $SO is built (it needs collectd-dev), collectd is installed,
# and $SO is not an AddressSanitizer build: the stock collectd executable does not load the ASan runtime
# first, so dlopen would abort.
require_collectd_plugin() {
	[ -f "$SO" ] || { echo "SKIP: $SO not built (collectd-dev headers missing)"; exit 77; }
	command -v collectd >/dev/null 2>&1 || { echo "SKIP: collectd not installed (collectd-core)"; exit 77; }
	if nm -D "$SO" 2>/dev/null | grep -q '__asan_init'; then
		echo "SKIP: $SO is built with SANITIZE=address and cannot load into the non-sanitized collectd"
		exit 77
	fi
}

# --- a private directory and the processes the test started --------------------------------------------

_TRACKED=

# tmpdir_with_cleanup: makes a private temporary directory, T, and arranges that on any exit every tracked
# pid is stopped (see track_pid) and T removed.  INT and TERM exit 1 (through that cleanup).
tmpdir_with_cleanup() {
	T=$(mktemp -d) || { echo "FAIL: mktemp -d"; exit 1; }
	trap _cleanup EXIT
	trap 'exit 1' INT TERM
}

_cleanup() {
	for _cu_pid in $_TRACKED; do
		stop_pid "$_cu_pid" 5
	done
	rm -rf "$T"
}

# track_pid PID: PID (a child of this shell) is the test's: the exit cleanup sends it SIGTERM and reaps it.
# Only pids the test started are ever tracked, so cleanup never touches anyone else's process.
track_pid() {
	_TRACKED="$_TRACKED $1"
}

# start_qemu PIDFILE ARGS...: runs ARGS (a QEMU command line) daemonized, writing PIDFILE, and tracks its pid
# in QEMU_PID (QEMU is no child of this shell after -daemonize, so stop_pid's kill and kill -0 are what
# count).  A QEMU that does not start fails the test with its output.
start_qemu() {
	_sq_pf=$1
	shift
	if ! "$@" -pidfile "$_sq_pf" -daemonize >"$T/qemu.log" 2>&1; then
		cat "$T/qemu.log"
		echo "FAIL: QEMU did not start: $*"
		exit 1
	fi
	wait_until 5 test -s "$_sq_pf" || { echo "FAIL: no pidfile $_sq_pf"; exit 1; }
	QEMU_PID=$(cat "$_sq_pf")
	track_pid "$QEMU_PID"
}

# untrack_pid PID: forgets PID once the test has reaped it itself; its number may belong to a stranger soon.
untrack_pid() {
	_up_keep=
	for _up_pid in $_TRACKED; do
		[ "$_up_pid" = "$1" ] || _up_keep="$_up_keep $_up_pid"
	done
	_TRACKED=$_up_keep
}

# stop_pid PID SECONDS: SIGTERM to PID, then up to SECONDS (whole seconds) for it to exit; a process still
# there then gets SIGKILL, so a daemon that ignores SIGTERM cannot hang the suite.  Either way PID is reaped
# and untracked, and STATUS holds its exit status.  Returns 0 when SIGTERM sufficed, 1 when SIGKILL was
# needed.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	_sp_n=0
	while kill -0 "$1" 2>/dev/null && [ $_sp_n -lt $(($2 * 10)) ]; do
		sleep 0.1
		_sp_n=$((_sp_n + 1))
	done
	_sp_rc=0
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		_sp_rc=1
	fi
	wait "$1" 2>/dev/null
	STATUS=$?
	untrack_pid "$1"
	return $_sp_rc
}

# --- results -------------------------------------------------------------------------------------------

# fail MESSAGE...: reports one failed check and counts it; the test goes on (finish decides the status).
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# ok MESSAGE...: reports one passed check, in the same column as expect's.
ok() {
	echo "ok   $*"
}

# expect NAME WANT GOT: exact comparison of two strings; on a difference both are printed.
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1"
		printf '  want: %s\n  got:  %s\n' "$2" "$3"
	fi
}

# finish: exits 1 when any check failed, else 0 after saying so.
finish() {
	[ $FAILS -eq 0 ] || { echo "$FAILS failure(s)"; exit 1; }
	echo "all passed"
	exit 0
}

# headers FILE: the response headers of a `curl -D FILE` without CRs, blank lines and the Date line (the
# only one that changes from one request to the next).
headers() {
	tr -d '\r' <"$1" | grep -v '^Date: ' | grep -v '^$'
}

# --- waiting -------------------------------------------------------------------------------------------

# wait_until [-p PID] SECONDS COMMAND...: runs COMMAND (in this shell, so a function may set variables)
# every 0.1 s until it succeeds.  Returns 0 then, 1 after SECONDS (whole seconds) without success, 2 as soon
# as PID (when given) has exited: a dead server will not start answering.  WAITED holds the tenths of a
# second slept.
wait_until() {
	_wu_pid=
	if [ "$1" = -p ]; then
		_wu_pid=$2
		shift 2
	fi
	_wu_limit=$(($1 * 10))
	shift
	WAITED=0
	while :; do
		"$@" && return 0
		if [ -n "$_wu_pid" ] && ! kill -0 "$_wu_pid" 2>/dev/null; then
			return 2
		fi
		[ $WAITED -lt $_wu_limit ] || return 1
		sleep 0.1
		WAITED=$((WAITED + 1))
	done
}

# wait_http URL SECONDS [PID]: waits until URL answers with a 2xx status; returns as wait_until does.
wait_http() {
	if [ $# -ge 3 ]; then
		wait_until -p "$3" "$2" curl -sf -o /dev/null "$1"
	else
		wait_until "$2" curl -sf -o /dev/null "$1"
	fi
}

# --- ports ---------------------------------------------------------------------------------------------

# free_ports N: prints N distinct 127.0.0.1 ports (20000-59999, at random) that no TCP or UDP socket of this
# machine uses right now, from /proc/net (ports in hex there).  Someone may take one before the test binds
# it: a server that reports "cannot listen" is retried on another port (start_exporter does).
free_ports() {
	_fp_used=$(cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
		awk 'NR > 1 { sub(/.*:/, "", $2); print $2 }')
	_fp_given=
	_fp_n=0
	while [ $_fp_n -lt "$1" ]; do
		_fp_port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		_fp_hex=$(printf '%04X' "$_fp_port")
		case " $_fp_given " in *" $_fp_port "*) continue ;; esac
		printf '%s\n' "$_fp_used" | grep -qx "$_fp_hex" && continue
		_fp_given="$_fp_given $_fp_port"
		_fp_n=$((_fp_n + 1))
	done
	echo "${_fp_given# }"
}

# free_port: prints one port as free_ports does.
free_port() {
	free_ports 1
}

# --- the exporter --------------------------------------------------------------------------------------

# exporter_ready: whether the exporter on $PORT serves yet (plain HTTP, /-/healthy answers 2xx).  A test
# whose exporter speaks TLS or wants credentials defines its own after sourcing this file.
exporter_ready() {
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/healthy"
}

# start_exporter HOST_DIR [FLAGS...]: starts $BIN on a free 127.0.0.1 port against the fixture host
# HOST_DIR (its sysfs, procfs, cgroupfs, libvirt run directory and libvirt.xml through libvirt's test driver) with
# --scrape.timeout=5s, then FLAGS (a later flag overrides an earlier one, so FLAGS may replace any of
# these).  Its stderr goes to EXPORTER_LOG (default $T/log, emptied first).  Returns once exporter_ready
# says so, with PORT and PID set and PID tracked.  A port taken meanwhile is retried on another (8
# attempts); an exporter that exits otherwise, or is not ready within 5 s, fails the test at once (exit 1)
# after printing its log.
start_exporter() {
	_se_host=$1
	shift
	_se_log=${EXPORTER_LOG:-$T/log}
	_se_try=0
	while [ $_se_try -lt 8 ]; do
		_se_try=$((_se_try + 1))
		PORT=$(free_port)
		: >"$_se_log"
		"$BIN" --web.listen-address="127.0.0.1:$PORT" --libvirt.uri="test://$_se_host/libvirt.xml" \
			--path.sysfs="$_se_host/sys" --path.procfs="$_se_host/proc" --path.libvirt-run="$_se_host/run" \
			--path.cgroupfs="$_se_host/sys/fs/cgroup" --scrape.timeout=5s "$@" 2>>"$_se_log" &
		PID=$!
		track_pid "$PID"
		wait_until -p "$PID" 5 exporter_ready
		case $? in
		0) return 0 ;;
		1)
			echo "FAIL: the exporter on port $PORT was not ready within 5 s"
			cat "$_se_log"
			exit 1
			;;
		esac
		wait "$PID"
		untrack_pid "$PID"
		PID=
		grep -q 'cannot listen' "$_se_log" && continue
		echo "FAIL: exporter exited at start"
		cat "$_se_log"
		exit 1
	done
	echo "FAIL: no free port after 8 attempts"
	exit 1
}

# --- a fake QEMU 9.2 guest ------------------------------------------------------------------------------

# start_fake_qmp_vm MODE NAME: tests/qmp/fake_qmp.py in MODE (v92: QEMU 9.2's guest counters, which
# Debian's QEMU 7.2 cannot give; see that file) as a QEMU process named NAME, its monitor at
# $T/NAME.qmp, the commands it got in $T/NAME.qmp.log.  Its /proc entry is linked into $T/qmp-proc, a
# procfs holding the fake VMs alone: an exporter or collectd given it as procfs talks to these monitors
# only, never to another test's QEMU.  The fake runs under /usr/bin/python3 through a link named like
# QEMU (a wrapper that dispatches on its name, such as pyenv's shims, would not do): without it the test
# skips (77).  Sets FAKE_PID (tracked); fails the test (exit 1) when the monitor does not listen in 5 s.
start_fake_qmp_vm() {
	_fq_py=$(readlink -f /usr/bin/python3 2>/dev/null) || skip "no /usr/bin/python3 for the fake QMP monitor"
	mkdir -p "$T/qmp-bin" "$T/qmp-proc"
	[ -e "$T/qmp-bin/qemu-system-x86_64" ] || ln -s "$_fq_py" "$T/qmp-bin/qemu-system-x86_64"
	: >"$T/$2.qmp.log"
	"$T/qmp-bin/qemu-system-x86_64" "$TOP/tests/qmp/fake_qmp.py" "$1" "$T/$2.qmp.log" -name "$2" -m 2048 \
		-qmp "unix:$T/$2.qmp,server=on,wait=off" -device virtio-balloon-pci,id=balloon0 &
	FAKE_PID=$!
	track_pid "$FAKE_PID"
	ln -s "/proc/$FAKE_PID" "$T/qmp-proc/$FAKE_PID"
	wait_until 5 test -S "$T/$2.qmp" || { echo "FAIL: the fake QMP monitor of $2 did not listen"; exit 1; }
}

# --- collectd and InfluxDB -----------------------------------------------------------------------------

# kvmmem_fixture_block HOST_DIR: the lines of a <Plugin kvmmem> block that point the plugin at a fixture
# host (libvirt's test driver on its libvirt.xml, its sysfs, procfs, cgroupfs and libvirt run directory).
kvmmem_fixture_block() {
	printf '  Connection "test://%s/libvirt.xml"\n  SysfsPath "%s/sys"\n  ProcfsPath "%s/proc"\n' "$1" "$1" "$1"
	printf '  LibvirtRunPath "%s/run"\n  CgroupfsPath "%s/sys/fs/cgroup"\n' "$1" "$1"
}

# collectd_conf FILE HOSTNAME INTERVAL KVMMEM_BLOCK [MORE]: writes a private collectd.conf: BaseDir and
# PIDFile in $T, logging to stderr without timestamps (so error lines compare exactly), $SO loaded from
# $BUILD with KVMMEM_BLOCK inside its <Plugin kvmmem>, then MORE verbatim (other plugins, which load
# from collectd's own directory).
collectd_conf() {
	cat >"$1" <<EOC
Hostname "$2"
FQDNLookup false
BaseDir "$T"
PIDFile "$T/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval $3
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File STDERR
  Timestamp false
  PrintSeverity true
</Plugin>
PluginDir "$BUILD"
LoadPlugin kvmmem
PluginDir "/usr/lib/collectd"
<Plugin kvmmem>
$4
</Plugin>
${5:-}
EOC
}

# collectd_network_to PORT: MORE for collectd_conf: the network plugin sending to 127.0.0.1:PORT every
# second (without FlushInterval it waits for a full packet).
collectd_network_to() {
	printf '<LoadPlugin network>\n  FlushInterval 1\n</LoadPlugin>\n<Plugin network>\n  Server "127.0.0.1" "%s"\n</Plugin>\n' "$1"
}

# start_collectd CONF LOG: runs `collectd -f -C CONF` in the background, output to LOG; sets CPID (tracked).
start_collectd() {
	collectd -f -C "$1" >"$2" 2>&1 &
	CPID=$!
	track_pid "$CPID"
}

# start_influxdb: a private InfluxDB 1.x (influxd) on free 127.0.0.1 ports, data in $T/influx, log in
# $T/influxd.log, with its collectd input (UDP, database "collectd", every point written at once).  Returns
# once /ping answers, with INFLUX (its base URL), INFLUX_COLLECTD_PORT and IPID (tracked) set; fails the
# test (exit 1) when influxd does not answer within 10 s.
start_influxdb() {
	# shellcheck disable=SC2046 # three numbers, split on purpose
	set -- $(free_ports 3)
	INFLUX=http://127.0.0.1:$1
	INFLUX_COLLECTD_PORT=$3
	cat >"$T/influxdb.conf" <<EOC
reporting-disabled = true
bind-address = "127.0.0.1:$2"
[meta]
  dir = "$T/influx/meta"
[data]
  dir = "$T/influx/data"
  wal-dir = "$T/influx/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$1"
  log-enabled = false
[[collectd]]
  enabled = true
  bind-address = "127.0.0.1:$3"
  database = "collectd"
  typesdb = "/usr/share/collectd/types.db"
  batch-size = 1
  batch-timeout = "100ms"
EOC
	influxd run -config "$T/influxdb.conf" >"$T/influxd.log" 2>&1 &
	IPID=$!
	track_pid "$IPID"
	wait_http "$INFLUX/ping" 10 "$IPID" || { echo "FAIL: influxd did not answer /ping"; tail -n 20 "$T/influxd.log"; exit 1; }
}
