#!/bin/bash
# run.sh BUILD_DIR - the benchmark behind `make bench`.
#
# For each N in $BENCH_N (default "100 1000 5000") it generates a synthetic
# host (bench/gen.py: libvirt test-driver XML, procfs, pidfiles, KSM sysfs)
# and measures side by side, one after the other on the same tree:
#   kvmmem   build/kvmmem_exporter over real HTTP: CPU per scrape from
#            /proc/<pid>/stat utime+stime deltas, wall per scrape (curl
#            time_total) median and p99 with and without gzip, VmHWM,
#            bytes, series
#   anchor   Debian's prometheus-libvirt-exporter, the same way (installed
#            with apt when missing unless BENCH_ANCHOR=0)
#   floor    bench/floor: only the libvirt calls and file reads of one
#            collection, CPU per iteration measured inside
# then, at N=1000, the collectd plugin beside collectd's own virt plugin
# (ExtraStats "memory") in a real `collectd -f` with Interval 1, and
# finally instruction counts with callgrind (one --dump, steady-state
# scrapes of the server, the floor's iterations), which do not drift with
# machine load.
#
# The libvirt side is measured in two modes (BENCH_MODES, default "inproc
# daemon"):
#   inproc   URI test:///host/node.xml: the test driver runs inside each
#            measured process, so libvirt's own cost is part of every CPU
#            figure, the floor's included, and its parsed domains are part
#            of every RSS figure
#   daemon   URI test+unix:///host/node.xml?socket=...: the same file served
#            by a private libvirtd (run as the system user kvmmem-bench when
#            root, created when missing; as oneself otherwise), so every
#            measured process is a plain RPC client as on a real host.  The
#            floor, kvmmem and the anchor are measured the same way, without
#            the gzip runs (compression does not depend on where libvirt
#            runs), plus libvirtd's utime+stime over the same scrapes and
#            RssAnon beside VmHWM: shared-library pages are the same for
#            every libvirt client.  The anchor gets BENCH_DAEMON_SLOW_SCRAPES
#            (10) scrapes at N >= 5000, where each takes seconds.  The test
#            driver re-parses node.xml on every connection open, inside
#            libvirtd here; the anchor opens one per scrape, so that cost is
#            in its libvirtd figure and is also shown on its own.
# collectd and callgrind run in-process only.
#
# Knobs: BENCH_N, BENCH_MODES, BENCH_SCRAPES (30), BENCH_ROUNDS (5), BENCH_ANCHOR (1), BENCH_COLLECTD (1),
# BENCH_CALLGRIND (1), BENCH_COLLECTD_SECONDS (20), BENCH_SCALE (1: more
# scrapes for small N, 0: exactly BENCH_SCRAPES), BENCH_FLOOR (the floor
# binary, BUILD_DIR/bench/floor), BENCH_RESULTS (BUILD_DIR/bench).  Results:
# a table on stdout and in results.md, raw figures in raw.txt there.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-$TOP/build}
case $O in /*) ;; *) O="$TOP/$O" ;; esac
NS=${BENCH_N:-"100 1000 5000"}
MODES=${BENCH_MODES:-"inproc daemon"}
SCRAPES=${BENCH_SCRAPES:-30}
SLOW_SCRAPES=${BENCH_DAEMON_SLOW_SCRAPES:-10}
# kvmmem against the floor once more in this many rounds, the two taking
# turns, each round's ratio of means kept: one pair of measurements on a
# shared machine can be off by a third, the median of interleaved rounds
# much less.
ROUNDS=${BENCH_ROUNDS:-5}
ANCHOR=${BENCH_ANCHOR:-1}
COLLECTD=${BENCH_COLLECTD:-1}
CALLGRIND=${BENCH_CALLGRIND:-1}
CD_SECONDS=${BENCH_COLLECTD_SECONDS:-20}
# Small hosts get more scrapes and floor iterations (20000/N) so the 10 ms
# clock tick of utime+stime stays small against the total.
SCALE=${BENCH_SCALE:-1}
EXPORTER="$O/kvmmem_exporter"
FLOOR=${BENCH_FLOOR:-$O/bench/floor}
PLUGIN="$O/kvmmem.so"
RES=${BENCH_RESULTS:-$O/bench}
HZ=$(getconf CLK_TCK)
# shellcheck source=bench/lib.sh
. "$TOP/bench/lib.sh"

die() {
	echo "bench: $*" >&2
	exit 1
}
[ -x "$EXPORTER" ] || die "$EXPORTER missing (make all)"
[ -x "$FLOOR" ] || die "$FLOOR missing (make $O/bench/floor)"
command -v curl >/dev/null || die "curl missing"
command -v python3 >/dev/null || die "python3 missing"
for m in $MODES; do
	case $m in inproc | daemon) ;; *) die "BENCH_MODES: unknown mode $m (inproc, daemon)" ;; esac
done
has_mode() { [[ " $MODES " == *" $1 "* ]]; }

WORK=$(mktemp -d /tmp/kvmmem-bench.XXXXXX)
PIDS=""
LVD_PID=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	# libvirtd daemonised itself, so it is no child to wait for.
	if [ -n "$LVD_PID" ] && kill "$LVD_PID" 2>/dev/null; then
		local i=0
		while [ -d "/proc/$LVD_PID" ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$RES"
RAW="$RES/raw.txt"
: >"$RAW"

apt_install() {
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "$@" >"$WORK/apt.log" 2>&1
}

# --- helpers -----------------------------------------------------------------

hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

anon_kib() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"
}

# wait_http URL SECONDS: until one GET answers 200.
# Asks for gzip, as Prometheus does: a plain probe would make kvmmem
# render the whole plain text once, which no gzip scrape ever does, and its
# peak would then stand in for the measured scrapes' in VmHWM.
wait_http() {
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		curl -s -f -H 'Accept-Encoding: gzip' -o /dev/null "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# scrapes URL COUNT GZIP OUTFILE: COUNT sequential GETs from one curl (one
# reused connection), one time_total per line.
scrapes() {
	local args=() i=0
	[ "$3" = 1 ] && args+=(-H 'Accept-Encoding: gzip')
	while [ $i -lt "$2" ]; do
		args+=(-o /dev/null "$1")
		i=$((i + 1))
	done
	curl -s -f -w '%{time_total}\n' "${args[@]}" >"$4"
}

# median and p99 of a column of seconds, in milliseconds.
med_p99() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END { m = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i > NR) i = NR; printf "%.2f %.2f", m, v[i] }'
}

# rounds PID URL N PLAIN: $ROUNDS rounds of the floor (FLOOR_CMD, its mean
# CPU per iteration) then the same scrapes of the kvmmem server PID as its
# CPU column measures; sets M_ROUNDS to the median of the rounds' ratios.
rounds() {
	local pid=$1 url=$2 n=$3 plain=$4 r out fcpu c0 c1 kcpu ratios="" count=$SCRAPES
	# As many scrapes as the CPU column uses on small hosts (the 10 ms
	# clock tick), fewer on the largest.
	[ "$SCALE" = 1 ] && [ $((20000 / n)) -gt "$count" ] && count=$((20000 / n))
	[ "$n" -ge 5000 ] && count=10
	for r in $(seq "$ROUNDS"); do
		out=$("${FLOOR_CMD[@]}") || die "floor round $r at N=$n ($MODE) failed"
		fcpu=$(echo "$out" | awk -F= '$1 == "cpu_us_mean" { print $2 / 1000 }')
		c0=$(cpu_ticks "$pid")
		scrapes "$url" "$count" $((1 - plain)) /dev/null || die "kvmmem round $r at N=$n ($MODE): scrape failed"
		c1=$(cpu_ticks "$pid")
		kcpu=$(ms $((c1 - c0)) "$count")
		ratios="$ratios $(awk -v a="$kcpu" -v b="$fcpu" 'BEGIN { printf "%.3f", a / b }')"
	done
	M_ROUNDS=$(echo $ratios | tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }')
	echo "rounds N=$n kvmmem/floor_cpu=($ratios) median=$M_ROUNDS scrapes=$count mode=$MODE" | tee -a "$RAW" >&2
}

# measure NAME N URL -- COMMAND...: start the server, warm it up, measure,
# in mode $MODE (daemon: libvirtd's CPU too, and only gzip scrapes, as
# Prometheus makes them: kvmmem then never holds the plain text, so its
# memory is measured the way it runs in production).  Sets globals
# M_COUNT M_CPU M_CPU_GZ M_LCPU M_SUM M_WALL M_WALL_GZ M_HWM M_ANON M_BYTES
# M_GZBYTES M_SERIES M_OWN.
measure() {
	local name=$1 n=$2 url=$3 count f="$WORK/$1-$MODE-$2"
	shift 4
	count=$SCRAPES
	[ "$SCALE" = 1 ] && [ $((20000 / n)) -gt "$count" ] && count=$((20000 / n))
	# The anchor through libvirtd at 5000 domains takes seconds a scrape.
	[ "$MODE" = daemon ] && [ "$name" = anchor ] && [ "$n" -ge 5000 ] && [ "$count" -gt "$SLOW_SCRAPES" ] &&
		count=$SLOW_SCRAPES
	"$@" >"$f.log" 2>&1 &
	local pid=$!
	PIDS="$PIDS $pid"
	wait_http "$url" 120 || die "$name at N=$n ($MODE) did not answer (log: $(tail -3 "$f.log"))"
	local plain=1
	[ "$MODE" = daemon ] && plain=0
	if [ $plain = 1 ]; then
		curl -s -f "$url" >"$f.body"
	else
		curl -s -f --compressed "$url" >"$f.body"
	fi
	M_BYTES=$(wc -c <"$f.body")
	M_GZBYTES=$(curl -s -f -H 'Accept-Encoding: gzip' "$url" | wc -c)
	M_SERIES=$(grep -vc '^#' "$f.body")
	M_OWN=$(grep -v '^#' "$f.body" | grep -c -E '^(kvmmem|libvirt)_')
	local c0 c1 c2 l0=0 l1=0
	[ "$MODE" = daemon ] && { l0=$(cpu_ticks "$LVD_PID") || die "libvirtd exited"; }
	c0=$(cpu_ticks $pid)
	scrapes "$url" "$count" $((1 - plain)) "$f.plain" || die "$name at N=$n ($MODE): scrape failed"
	c1=$(cpu_ticks $pid)
	[ "$MODE" = daemon ] && { l1=$(cpu_ticks "$LVD_PID") || die "libvirtd exited"; }
	M_CPU_GZ=- M_WALL_GZ=-
	if [ "$MODE" = inproc ]; then
		scrapes "$url" "$count" 1 "$f.gzip" || die "$name at N=$n: gzip scrape failed"
		c2=$(cpu_ticks $pid)
		M_CPU_GZ=$(ms $((c2 - c1)) "$count")
		M_WALL_GZ=$(med_p99 "$f.gzip")
	fi
	M_HWM=$(hwm_kib $pid)
	M_ANON=$(anon_kib $pid)
	M_ROUNDS=-
	[ "$name" = kvmmem ] && [ "$ROUNDS" -gt 0 ] && rounds "$pid" "$url" "$n" "$plain"
	kill $pid
	wait $pid 2>/dev/null
	PIDS=${PIDS% $pid}
	M_COUNT=$count
	M_CPU=$(ms $((c1 - c0)) "$count")
	M_LCPU=$(ms $((l1 - l0)) "$count")
	M_SUM=$(ms $((c1 - c0 + l1 - l0)) "$count")
	M_WALL=$(med_p99 "$f.plain")
	if [ "$MODE" = inproc ]; then
		echo "$name N=$n scrapes=$count cpu_ms=$M_CPU cpu_gz_ms=$M_CPU_GZ wall_med_p99_ms=($M_WALL) wall_gz_med_p99_ms=($M_WALL_GZ) hwm_kib=$M_HWM bytes=$M_BYTES gzip_bytes=$M_GZBYTES series=$M_SERIES own_series=$M_OWN rss_anon_kib=$M_ANON mode=inproc"
	else
		echo "$name N=$n scrapes=$count gzip=1 cpu_ms=$M_CPU libvirtd_cpu_ms=$M_LCPU sum_cpu_ms=$M_SUM wall_med_p99_ms=($M_WALL) hwm_kib=$M_HWM bytes=$M_BYTES gzip_bytes=$M_GZBYTES series=$M_SERIES own_series=$M_OWN rss_anon_kib=$M_ANON mode=daemon"
	fi | tee -a "$RAW" >&2
}

# --- anchor ------------------------------------------------------------------

ANCHOR_BIN=$(command -v prometheus-libvirt-exporter || true)
if [ "$ANCHOR" = 1 ] && [ -z "$ANCHOR_BIN" ]; then
	echo "bench: installing prometheus-libvirt-exporter" >&2
	apt_install prometheus-libvirt-exporter || die "apt-get install prometheus-libvirt-exporter failed"
	# The package starts its service where systemd runs; the benchmark
	# starts its own on a private port, so that one stays as installed.
	ANCHOR_BIN=$(command -v prometheus-libvirt-exporter || true)
fi
[ "$ANCHOR" = 1 ] || ANCHOR_BIN=""

# --- the private libvirtd (daemon mode) ---------------------------------------

LVD_DIR="$WORK/libvirtd"
SOCK="$LVD_DIR/xdg/libvirt/libvirt-sock"
# lvd_wait URI SECONDS: until libvirtd answers one connection to URI.
lvd_wait() {
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		virsh -q -c "$1" uri >/dev/null 2>&1 && return 0
		[ -d "/proc/$LVD_PID" ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if has_mode daemon; then
	if ! command -v libvirtd >/dev/null && [ "$(id -u)" = 0 ]; then
		echo "bench: installing libvirt-daemon (libvirtd, for BENCH_MODES=daemon)" >&2
		apt_install libvirt-daemon || die "apt-get install libvirt-daemon failed"
	fi
	command -v libvirtd >/dev/null || die "libvirtd missing (apt-get install libvirt-daemon), or BENCH_MODES=inproc"
	command -v virsh >/dev/null || die "virsh missing (apt-get install libvirt-clients), or BENCH_MODES=inproc"
	mkdir -p "$LVD_DIR/home" "$LVD_DIR/xdg"
	chmod 700 "$LVD_DIR/xdg"
	as=()
	if [ "$(id -u)" = 0 ]; then
		# A session daemon as an unprivileged user: it needs no
		# /etc/libvirt set-up and cannot touch the system daemon's state.
		id kvmmem-bench >/dev/null 2>&1 ||
			useradd --system --no-create-home --shell /usr/sbin/nologin kvmmem-bench ||
			die "useradd kvmmem-bench failed"
		chown -R kvmmem-bench "$LVD_DIR/home" "$LVD_DIR/xdg"
		# It reads node.xml under $WORK.
		chmod a+x "$WORK"
		as=(runuser -u kvmmem-bench --)
	fi
	"${as[@]}" env HOME="$LVD_DIR/home" XDG_RUNTIME_DIR="$LVD_DIR/xdg" XDG_CONFIG_HOME="$LVD_DIR/home/.config" \
		XDG_CACHE_HOME="$LVD_DIR/home/.cache" libvirtd --daemon --pid-file="$LVD_DIR/xdg/pid" \
		>"$WORK/libvirtd.log" 2>&1 || die "libvirtd did not start: $(tail -3 "$WORK/libvirtd.log")"
	i=0
	while [ ! -s "$LVD_DIR/xdg/pid" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	LVD_PID=$(cat "$LVD_DIR/xdg/pid" 2>/dev/null)
	[ -n "$LVD_PID" ] || die "libvirtd wrote no pid file"
	lvd_wait "test+unix:///default?socket=$SOCK" 30 || die "libvirtd does not answer on $SOCK"
fi

# --- per N -------------------------------------------------------------------

# Keyed MODE/N.
declare -A K_ROUNDS K_CPU K_CPU_GZ K_LCPU K_SUM K_WALL K_WALL_GZ K_HWM K_ANON K_BYTES K_GZ K_SERIES K_COUNT
declare -A A_CPU A_LCPU A_SUM A_WALL A_WALL_GZ A_HWM A_ANON A_BYTES A_GZ A_SERIES A_OWN A_COUNT
declare -A F_CPU F_LCPU F_SUM F_HWM F_ANON F_COUNT L_OPEN
for n in $NS; do
	H="$WORK/n$n"
	python3 "$TOP/bench/gen.py" "$n" "$H" || die "gen.py $n failed"
	has_mode daemon && [ "$(id -u)" = 0 ] && chmod -R a+rX "$H"
	for MODE in $MODES; do
		k="$MODE/$n"
		fargs=()
		if [ "$MODE" = inproc ]; then
			URI="test://$H/node.xml"
		else
			URI="test+unix://$H/node.xml?socket=$SOCK"
			# The first open of a host parses it; then what one
			# connection open costs libvirtd (the test driver parses
			# node.xml again for every connection).
			lvd_wait "$URI" 120 || die "libvirtd cannot open $URI"
			l0=$(cpu_ticks "$LVD_PID")
			for i in 1 2 3; do virsh -q -c "$URI" uri >/dev/null || die "virsh -c $URI failed"; done
			l1=$(cpu_ticks "$LVD_PID")
			L_OPEN[$n]=$(ms $((l1 - l0)) 3)
			echo "libvirtd N=$n conn_open_cpu_ms=${L_OPEN[$n]} (virsh uri, 3 times) pid=$LVD_PID hwm_kib=$(hwm_kib "$LVD_PID") rss_anon_kib=$(anon_kib "$LVD_PID") mode=daemon" |
				tee -a "$RAW" >&2
			fargs=("$LVD_PID")
		fi

		iters=$SCRAPES
		[ "$SCALE" = 1 ] && iters=$((n >= 5000 ? 10 : 20000 / n > 20 ? 20000 / n : 20))
		FLOOR_CMD=("$FLOOR" "$URI" "$H/sys" "$H/proc" "$H/run" $iters 1 "${fargs[@]}")
		out=$("$FLOOR" "$URI" "$H/sys" "$H/proc" "$H/run" $iters 3 "${fargs[@]}") ||
			die "floor at N=$n ($MODE) failed"
		echo "floor N=$n $(echo $out) mode=$MODE" | tee -a "$RAW" >&2
		echo "$out" | grep -qx "domains=$n" || die "floor at N=$n did not see $n domains"
		echo "$out" | grep -qx "running=$((n - n / 5))" || die "floor at N=$n did not see $((n - n / 5)) running domains"
		F_COUNT[$k]=$iters
		# The mean, as kvmmem's CPU column is (ticks over all scrapes).
		F_CPU[$k]=$(echo "$out" | awk -F= '$1 == "cpu_us_mean" { printf "%.2f", $2 / 1000 }')
		F_HWM[$k]=$(echo "$out" | awk -F= '$1 == "hwm_kib" { print $2 }')
		F_ANON[$k]=$(echo "$out" | awk -F= '$1 == "rss_anon_kib" { print $2 }')
		if [ "$MODE" = daemon ]; then
			F_LCPU[$k]=$(echo "$out" | awk -F= '$1 == "daemon_cpu_us_mean" { printf "%.2f", $2 / 1000 }')
			F_SUM[$k]=$(awk -v a="${F_CPU[$k]}" -v b="${F_LCPU[$k]}" 'BEGIN { printf "%.2f", a + b }')
		fi

		port=$(free_port)
		measure kvmmem "$n" "http://127.0.0.1:$port/metrics" -- "$EXPORTER" --web.listen-address=127.0.0.1:$port \
			--libvirt.uri="$URI" --path.sysfs="$H/sys" --path.procfs="$H/proc" --path.libvirt-run="$H/run" \
			--path.cgroupfs="$H/sys/fs/cgroup"
		# A benchmark of an exporter that lost its domains would be a lie.
		got=$(grep -c '^kvmmem_domain_info{' "$WORK/kvmmem-$MODE-$n.body")
		[ "$got" = "$n" ] || die "kvmmem at N=$n ($MODE) exported $got domains"
		K_CPU[$k]=$M_CPU K_CPU_GZ[$k]=$M_CPU_GZ K_WALL[$k]=$M_WALL K_WALL_GZ[$k]=$M_WALL_GZ K_HWM[$k]=$M_HWM
		K_BYTES[$k]=$M_BYTES K_GZ[$k]=$M_GZBYTES K_SERIES[$k]=$M_SERIES
		K_LCPU[$k]=$M_LCPU K_SUM[$k]=$M_SUM K_ANON[$k]=$M_ANON K_COUNT[$k]=$M_COUNT K_ROUNDS[$k]=$M_ROUNDS

		if [ -n "$ANCHOR_BIN" ]; then
			port=$(free_port)
			measure anchor "$n" "http://127.0.0.1:$port/metrics" -- "$ANCHOR_BIN" \
				--web.listen-address=127.0.0.1:$port --libvirt.uri="$URI"
			A_CPU[$k]=$M_CPU A_WALL[$k]=$M_WALL A_WALL_GZ[$k]=$M_WALL_GZ A_HWM[$k]=$M_HWM A_BYTES[$k]=$M_BYTES A_GZ[$k]=$M_GZBYTES
			A_SERIES[$k]=$M_SERIES A_OWN[$k]=$M_OWN
			A_LCPU[$k]=$M_LCPU A_SUM[$k]=$M_SUM A_ANON[$k]=$M_ANON A_COUNT[$k]=$M_COUNT
			[ "$MODE" = daemon ] && [ "$M_COUNT" -lt "$SCRAPES" ] &&
				echo "# anchor N=$n mode=daemon: $M_COUNT scrapes only (BENCH_DAEMON_SLOW_SCRAPES), wall ${M_WALL% *} ms median each" >>"$RAW"
		fi
	done
done

# --- collectd at N=1000 ------------------------------------------------------

CD_N=1000
CD_KVMMEM="" CD_VIRT=""
collectd_run() { # NAME BLOCK -> "cpu_ms_per_read hwm_kib"
	local name=$1 dir="$WORK/cd-$1"
	mkdir -p "$dir"
	cat >"$dir/collectd.conf" <<EOC
Hostname "bench"
FQDNLookup false
BaseDir "$dir"
PIDFile "$dir/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$dir/collectd.log"
</Plugin>
$2
# Values stop before the cache and the writers: only the reads are measured.
<Chain "PreCache">
  Target "stop"
</Chain>
EOC
	collectd -f -C "$dir/collectd.conf" >"$dir/stdout" 2>&1 &
	local pid=$! c0 c1 t0 t1
	PIDS="$PIDS $pid"
	sleep 4 # the first read connects and parses the host
	t0=$(date +%s.%N)
	c0=$(cpu_ticks $pid) || die "collectd ($name) exited: $(tail -3 "$dir/collectd.log")"
	sleep "$CD_SECONDS"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks $pid) || die "collectd ($name) exited: $(tail -3 "$dir/collectd.log")"
	local hwm
	hwm=$(hwm_kib $pid)
	kill $pid
	wait $pid 2>/dev/null
	PIDS=${PIDS% $pid}
	awk -v d=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$HZ" -v h="$hwm" \
		'BEGIN { r = int(t1 - t0 + 0.5); printf "%.2f %d %d", d * 1000 / hz / r, h, r }'
}
if [ "$COLLECTD" = 1 ] && command -v collectd >/dev/null && [ -f "$PLUGIN" ] && [[ " $NS " == *" $CD_N "* ]]; then
	H="$WORK/n$CD_N"
	CD_KVMMEM=$(collectd_run kvmmem "PluginDir \"$O\"
LoadPlugin kvmmem
PluginDir \"/usr/lib/collectd\"
<Plugin kvmmem>
  Connection \"test://$H/node.xml\"
  SysfsPath \"$H/sys\"
  ProcfsPath \"$H/proc\"
  LibvirtRunPath \"$H/run\"
  CgroupfsPath \"$H/sys/fs/cgroup\"
</Plugin>")
	echo "collectd-kvmmem N=$CD_N cpu_ms_per_read hwm_kib reads: $CD_KVMMEM" | tee -a "$RAW" >&2
	CD_VIRT=$(collectd_run virt "LoadPlugin virt
<Plugin virt>
  Connection \"test://$H/node.xml\"
  RefreshInterval 60
  ExtraStats \"memory\"
</Plugin>")
	echo "collectd-virt N=$CD_N cpu_ms_per_read hwm_kib reads: $CD_VIRT" | tee -a "$RAW" >&2
	echo "collectd-virt log lines: $(wc -l <"$WORK/cd-virt/collectd.log"), first: $(grep -m1 -i 'virt' "$WORK/cd-virt/collectd.log")" >>"$RAW"
fi

# --- callgrind ---------------------------------------------------------------

declare -A CG_DUMP CG_SCRAPE CG_FLOOR
ir_total() { awk '/^totals:/ { print $2 }' "$1"; }
cg_scrape() { # N [RETRY] -> instructions per steady-state scrape of the server
	local n=$1 H="$WORK/n$1" port k pid f
	port=$(free_port)
	k=$((n >= 5000 ? 3 : 5))
	valgrind --tool=callgrind --callgrind-out-file="$WORK/cg-srv-$n.%p" "$EXPORTER" \
		--web.listen-address=127.0.0.1:$port --libvirt.uri="test://$H/node.xml" --path.sysfs="$H/sys" \
		--path.procfs="$H/proc" --path.libvirt-run="$H/run" --path.cgroupfs="$H/sys/fs/cgroup" --scrape.timeout=1m \
		>"$WORK/cg-srv-$n.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	wait_http "http://127.0.0.1:$port/metrics" 600 || die "callgrind server at N=$n did not answer"
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
	callgrind_control -z $pid >/dev/null 2>&1
	scrapes "http://127.0.0.1:$port/metrics" $k 0 /dev/null
	callgrind_control -d $pid >/dev/null 2>&1
	kill $pid
	wait $pid 2>/dev/null
	f=$(ls "$WORK"/cg-srv-$n.$pid.* 2>/dev/null | head -1)
	[ -n "$f" ] || die "no callgrind dump for the server at N=$n"
	# Under callgrind on a loaded machine one collection can take four
	# times as long as the one before; the exporter then takes it for a
	# stuck libvirtd and reconnects, and the test driver re-parses the
	# whole host inside the measured scrapes.  That is not a steady-state
	# scrape: measure again (once).
	if grep -q 'continuing on a new connection' "$WORK/cg-srv-$n.log" && [ "${2:-0}" = 0 ]; then
		rm -f "$WORK"/cg-srv-$n.*
		echo "bench: callgrind server at N=$n reconnected mid-measurement, measuring again" >&2
		cg_scrape "$n" 1
		return
	fi
	cp "$f" "$RES/callgrind.scrape.$n"
	echo $(($(ir_total "$f") / k))
}
if [ "$CALLGRIND" = 1 ]; then
	command -v valgrind >/dev/null || apt_install valgrind || die "apt-get install valgrind failed"
	for n in $NS; do
		H="$WORK/n$n"
		# The dump and the steady-state server in parallel: instruction
		# counts do not care about the other core's load.
		valgrind --tool=callgrind --callgrind-out-file="$RES/callgrind.dump.$n" "$EXPORTER" --dump \
			--libvirt.uri="test://$H/node.xml" --path.sysfs="$H/sys" --path.procfs="$H/proc" \
			--path.libvirt-run="$H/run" --path.cgroupfs="$H/sys/fs/cgroup" --scrape.timeout=5m >/dev/null 2>"$WORK/cg-dump-$n.log" &
		dpid=$!
		PIDS="$PIDS $dpid"
		k=$((n >= 5000 ? 3 : 5))
		valgrind --tool=callgrind --callgrind-out-file="$RES/callgrind.floor.$n" --toggle-collect=one_collection \
			"$FLOOR" "test://$H/node.xml" "$H/sys" "$H/proc" "$H/run" $k 0 >/dev/null 2>"$WORK/cg-floor-$n.log" ||
			die "callgrind floor at N=$n failed"
		CG_FLOOR[$n]=$(($(ir_total "$RES/callgrind.floor.$n") / k))
		CG_SCRAPE[$n]=$(cg_scrape "$n")
		wait $dpid
		PIDS=${PIDS% $dpid}
		CG_DUMP[$n]=$(ir_total "$RES/callgrind.dump.$n")
		echo "callgrind N=$n dump_ir=${CG_DUMP[$n]} scrape_ir=${CG_SCRAPE[$n]} floor_ir=${CG_FLOOR[$n]}" | tee -a "$RAW" >&2
	done
fi

# --- the table ---------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%.1f", k / 1024 }'; }
per_dom() { awk -v v="$1" -v n="$2" 'BEGIN { if (v == "") print "-"; else printf "%.1f", v * 1000 / n }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print ""; else printf "%.2f", a - b }'; }
mir() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.1f", v / 1e6 }'; }
{
	echo "### Results ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
	echo
	if has_mode inproc; then
		echo "#### Mode inproc: the test driver inside each measured process"
		echo
		echo "| N | exporter | CPU ms/scrape | CPU ms/scrape gzip | wall ms median/p99 | wall ms gzip median/p99 | VmHWM MiB | bytes (gzip) | series |"
		echo "|---|---|---|---|---|---|---|---|---|"
		for n in $NS; do
			k=inproc/$n
			echo "| $n | kvmmem | ${K_CPU[$k]} | ${K_CPU_GZ[$k]} | ${K_WALL[$k]/ //} | ${K_WALL_GZ[$k]/ //} | $(mib "${K_HWM[$k]}") | ${K_BYTES[$k]} (${K_GZ[$k]}) | ${K_SERIES[$k]} |"
			[ -n "$ANCHOR_BIN" ] &&
				echo "| $n | anchor | ${A_CPU[$k]} | - | ${A_WALL[$k]/ //} | ${A_WALL_GZ[$k]/ //} | $(mib "${A_HWM[$k]}") | ${A_BYTES[$k]} | ${A_SERIES[$k]} (${A_OWN[$k]} libvirt_) |"
			echo "| $n | floor | ${F_CPU[$k]} | - | - | - | $(mib "${F_HWM[$k]}") | 0 | 0 |"
		done
		echo
		echo "| N | kvmmem/anchor CPU | kvmmem/floor CPU | kvmmem/anchor RSS | kvmmem RSS above floor MiB | kvmmem µs/domain | floor µs/domain | anchor µs/domain | Ir/scrape kvmmem (M) | Ir floor (M) | Ir kvmmem/floor | Ir --dump (M) | kvmmem/floor CPU, median of $ROUNDS interleaved rounds |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		for n in $NS; do
			k=inproc/$n
			echo "| $n | $(ratio "${K_CPU[$k]}" "${A_CPU[$k]:-}") | $(ratio "${K_CPU[$k]}" "${F_CPU[$k]}") | $(ratio "${K_HWM[$k]}" "${A_HWM[$k]:-}") | $(mib $((K_HWM[$k] - F_HWM[$k]))) | $(per_dom "${K_CPU[$k]}" "$n") | $(per_dom "${F_CPU[$k]}" "$n") | $(per_dom "${A_CPU[$k]:-}" "$n") | $(mir "${CG_SCRAPE[$n]:-}") | $(mir "${CG_FLOOR[$n]:-}") | $(ratio "${CG_SCRAPE[$n]:-}" "${CG_FLOOR[$n]:-}") | $(mir "${CG_DUMP[$n]:-}") | ${K_ROUNDS[$k]:--} |"
		done
	fi
	if has_mode daemon; then
		[ "$MODES" = daemon ] || echo
		echo "#### Mode daemon: the test driver in a private libvirtd, every measured process an RPC client (as on a real host)"
		echo
		echo "Scrapes ask for gzip, as Prometheus does. CPU: utime+stime per scrape (floor: per iteration, means) of the client and of libvirtd over the same scrapes. RssAnon: at the end, without the shared-library pages every libvirt client maps alike."
		echo
		echo "| N | exporter | scrapes | CPU ms/scrape client | CPU ms/scrape libvirtd | CPU ms/scrape client+libvirtd | wall ms median/p99 | VmHWM MiB | RssAnon MiB | bytes (gzip) | series |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		for n in $NS; do
			k=daemon/$n
			echo "| $n | kvmmem | ${K_COUNT[$k]} | ${K_CPU[$k]} | ${K_LCPU[$k]} | ${K_SUM[$k]} | ${K_WALL[$k]/ //} | $(mib "${K_HWM[$k]}") | $(mib "${K_ANON[$k]}") | ${K_BYTES[$k]} (${K_GZ[$k]}) | ${K_SERIES[$k]} |"
			[ -n "$ANCHOR_BIN" ] &&
				echo "| $n | anchor | ${A_COUNT[$k]} | ${A_CPU[$k]} | ${A_LCPU[$k]} | ${A_SUM[$k]} | ${A_WALL[$k]/ //} | $(mib "${A_HWM[$k]}") | $(mib "${A_ANON[$k]}") | ${A_BYTES[$k]} (${A_GZ[$k]}) | ${A_SERIES[$k]} (${A_OWN[$k]} libvirt_) |"
			echo "| $n | floor | ${F_COUNT[$k]} | ${F_CPU[$k]} | ${F_LCPU[$k]} | ${F_SUM[$k]} | - | $(mib "${F_HWM[$k]}") | $(mib "${F_ANON[$k]}") | 0 | 0 |"
		done
		echo
		echo "| N | kvmmem/anchor CPU client | kvmmem/anchor CPU client+libvirtd | kvmmem/floor CPU client | kvmmem/floor CPU client+libvirtd | kvmmem/anchor VmHWM | kvmmem/anchor RssAnon | kvmmem/floor VmHWM | kvmmem/floor RssAnon | kvmmem µs/domain client | kvmmem µs/domain client+libvirtd | floor µs/domain client+libvirtd | anchor µs/domain client+libvirtd | libvirtd ms per connection open | kvmmem/anchor CPU client+libvirtd, anchor less one connection open | kvmmem/floor CPU client, median of $ROUNDS interleaved rounds |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		for n in $NS; do
			k=daemon/$n
			echo "| $n | $(ratio "${K_CPU[$k]}" "${A_CPU[$k]:-}") | $(ratio "${K_SUM[$k]}" "${A_SUM[$k]:-}") | $(ratio "${K_CPU[$k]}" "${F_CPU[$k]}") | $(ratio "${K_SUM[$k]}" "${F_SUM[$k]}") | $(ratio "${K_HWM[$k]}" "${A_HWM[$k]:-}") | $(ratio "${K_ANON[$k]}" "${A_ANON[$k]:-}") | $(ratio "${K_HWM[$k]}" "${F_HWM[$k]}") | $(ratio "${K_ANON[$k]}" "${F_ANON[$k]}") | $(per_dom "${K_CPU[$k]}" "$n") | $(per_dom "${K_SUM[$k]}" "$n") | $(per_dom "${F_SUM[$k]}" "$n") | $(per_dom "${A_SUM[$k]:-}" "$n") | ${L_OPEN[$n]} | $(ratio "${K_SUM[$k]}" "$(minus "${A_SUM[$k]:-}" "${L_OPEN[$n]}")") | ${K_ROUNDS[$k]:--} |"
		done
		echo
		echo "The test driver parses node.xml again for every connection open (measured with virsh: connect, one call, close); the anchor opens one per scrape, so its libvirtd figure holds one such parse, which a real libvirtd does not do. The column \"anchor less one connection open\" takes it out."
	fi
	if [ -n "$CD_KVMMEM" ]; then
		set -- $CD_KVMMEM
		local_k=$1 local_kh=$2
		set -- $CD_VIRT
		echo
		echo "| collectd, N=$CD_N, Interval 1 | CPU ms/read | VmHWM MiB |"
		echo "|---|---|---|"
		echo "| kvmmem plugin | $local_k | $(mib "$local_kh") |"
		echo "| virt plugin, ExtraStats \"memory\" | $1 | $(mib "$2") |"
		echo "| kvmmem/virt | $(ratio "$local_k" "$1") | $(ratio "$local_kh" "$2") |"
	fi
} | tee "$RES/results.md"

# The discovery case: QEMU processes found in /proc (bench/discovery.sh, its own table).
if [ "${BENCH_DISCOVERY:-1}" != 0 ]; then
	BENCH_RESULTS="$RES" BENCH_ROUNDS="$ROUNDS" "$TOP/bench/discovery.sh" "$O" | tee -a "$RES/results.md"
	[ "${PIPESTATUS[0]}" = 0 ] || die "discovery case failed"
fi

# The QMP case: real QEMU monitors asked by the qmp collector (bench/qmp.sh, its own table; BENCH_QMP=0 leaves
# it out).
if [ "${BENCH_QMP:-1}" != 0 ]; then
	BENCH_RESULTS="$RES" BENCH_ROUNDS="$ROUNDS" "$TOP/bench/qmp.sh" "$O" | tee -a "$RES/results.md"
	[ "${PIPESTATUS[0]}" = 0 ] || die "QMP case failed"
fi
