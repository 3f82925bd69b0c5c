#!/bin/bash
# qmp.sh BUILD_DIR - the QMP case of `make bench`: what asking every VM's QEMU monitor costs the qmp collector,
# against the least work it can be (bench/floor_qmp), in the same run.
#
# For each N in BENCH_QMP_N (default "100 300") it runs N real paused QEMU processes (-S, q35,
# virtio-balloon-pci, a QMP socket, Proxmox VE's layout: /usr/bin/kvm's name, <run>/<vmid>.pid and .qmp under a
# temporary directory; about 16 MiB each, started BENCH_QMP_BATCH (4) at a time; the second N adds to the
# first's) and measures, in BENCH_ROUNDS (5) interleaved rounds of BENCH_QMP_SCRAPES (20) scrapes or passes:
#   with     kvmmem_exporter over real HTTP, libvirt off (a Proxmox host), --collector.qmp --qmp.timeout=300ms
#   without  the same server without --collector.qmp
#   floor    bench/floor_qmp par: every monitor at once under one poll(), the same commands, only the numbers
#            taken out; and once per N bench/floor_qmp seq, one monitor after the other
# CPU per scrape from utime+stime deltas of the server (the floor: getrusage per pass), the QEMU processes' own
# utime+stime over the same scrapes, wall per scrape (curl time_total; the floor: per pass) median and p99.
# The qmp collector's share is with less without; its ratio to the floor is the median of the rounds' ratios.
#
# How long kvmmem holds a monitor (the time another client of it waits at most): every measured scrape's body
# gives the qmp collector's duration (kvmmem_scrape_collector_duration_seconds), which bounds each of its
# connections, since all are opened and closed inside it; and one more server runs under strace (connect and
# close only, seccomp-filtered) for BENCH_QMP_TRACED (3) scrapes, whose connect-to-close time per monitor is
# taken as it is, strace's own delay included.  Both are compared with --qmp.timeout.
#
# The whole case runs in private PID and mount namespaces (unshare --pid --mount-proc): its /proc holds only these
# QEMU processes, so kvmmem asks no other QEMU on the machine (another user's test monitors) and none of theirs
# is in the figures; and the monitors' sockets live on a tmpfs mounted only there, so no other exporter on the
# machine that finds these QEMUs in its /proc can connect to them in the middle of a measurement.  Without
# unshare, or without qemu-system-x86_64, the case prints SKIP and why.
#
# Results: a table on stdout and in BUILD_DIR/bench/qmp.md (BENCH_RESULTS), raw lines in qmp-raw.txt there.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-$TOP/build}
case $O in /*) ;; *) O="$TOP/$O" ;; esac
NS=${BENCH_QMP_N:-"100 300"}
SCRAPES=${BENCH_QMP_SCRAPES:-20}
ROUNDS=${BENCH_ROUNDS:-5}
BATCH=${BENCH_QMP_BATCH:-4}
TRACED=${BENCH_QMP_TRACED:-3}
TIMEOUT_MS=300
EXPORTER="$O/kvmmem_exporter"
FLOOR=${BENCH_QMP_FLOOR:-$O/bench/floor_qmp}
RES=${BENCH_RESULTS:-$O/bench}
HZ=$(getconf CLK_TCK)
# shellcheck source=bench/lib.sh
. "$TOP/bench/lib.sh"

die() {
	echo "bench: qmp: $*" >&2
	exit 1
}
# skip WHY: the case cannot run here; the table says so instead.
skip() {
	mkdir -p "$RES"
	printf '## QEMU monitors (qmp collector)\n\nSKIP: %s\n' "$1" | tee "$RES/qmp.md"
	exit 0
}
[ -x "$EXPORTER" ] || die "$EXPORTER missing (make all)"
[ -x "$FLOOR" ] || die "$FLOOR missing (make $O/bench/floor_qmp)"
command -v curl >/dev/null || die "curl missing"
QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"

# Into a PID namespace of its own, once; its first process is this script again, and when it ends the kernel
# ends every process left in the namespace.
if [ -z "${KVMMEM_QMP_BENCH_NS:-}" ]; then
	for u in "unshare --pid --fork --mount-proc" "unshare --user --map-root-user --pid --fork --mount-proc"; do
		# shellcheck disable=SC2086
		if $u true 2>/dev/null; then
			KVMMEM_QMP_BENCH_NS=1 exec $u "$BASH" "$0" "$O"
		fi
	done
	skip "no private PID namespace (unshare --pid --mount-proc failed): kvmmem would ask every QEMU monitor on the machine"
fi

mkdir -p "$RES"
RAW="$RES/qmp-raw.txt"
: >"$RAW"
WORK=$(mktemp -d /tmp/kvmmem-bench-qmp.XXXXXX)
echo "qmp work=$WORK" >>"$RAW"
QPIDS=""
SRVS=""
cleanup() {
	for p in $SRVS $QPIDS; do kill "$p" 2>/dev/null; done
	# Lazily: QEMU processes that are still exiting hold their sockets on it.
	umount -l "$WORK/qemu-server" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
QS="$WORK/qemu-server"
mkdir -p "$QS" "$WORK/bin"
mount -t tmpfs -o size=16m,mode=700 kvmmem-bench "$QS" || skip "cannot mount a tmpfs for the monitors' sockets"
ln -s "$QEMU" "$WORK/bin/kvm"

# utime+stime of every QEMU process, in clock ticks, in one awk.
qemu_ticks() {
	local f=()
	for p in $QPIDS; do f+=("/proc/$p/stat"); done
	awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }' "${f[@]}"
}

# med_p99 FILE: median and p99 of a column of seconds, in milliseconds.
med_p99() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END { m = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i > NR) i = NR; printf "%.1f/%.1f", m, v[i] }'
}

# start_qemus FROM TO: guests FROM..TO-1 (VMIDs 1000 on), BATCH at a time, each a daemon whose pid is tracked.
start_qemus() {
	local i b v
	for ((i = $1; i < $2; i += BATCH)); do
		for ((b = i; b < i + BATCH && b < $2; b++)); do
			v=$((1000 + b))
			"$WORK/bin/kvm" -name "qb-$v,debug-threads=on" \
				-chardev "socket,id=qmp,path=$QS/$v.qmp,server=on,wait=off" -mon chardev=qmp,mode=control \
				-pidfile "$QS/$v.pid" -daemonize -smbios "type=1,uuid=7b10d7af-b932-4c66-b2c3-$(printf '%012d' "$v")" \
				-m 1024 -machine q35,mem-merge=off -S -nodefaults -display none \
				-device virtio-balloon-pci,id=balloon0 >"$WORK/qemu-$v.log" 2>&1 &
		done
		wait
		for ((b = i; b < i + BATCH && b < $2; b++)); do
			v=$((1000 + b))
			[ -s "$QS/$v.pid" ] || die "QEMU $v did not start: $(tail -2 "$WORK/qemu-$v.log")"
			QPIDS="$QPIDS $(cat "$QS/$v.pid")"
		done
	done
}

# start_server NAME ARGS...: a kvmmem server for this host, answering; sets SRV and URL.
start_server() {
	local name=$1 port i=0
	shift
	port=$(free_port)
	URL="http://127.0.0.1:$port/metrics"
	"$@" --web.listen-address="127.0.0.1:$port" --log.level=error --no-collector.libvirt --path.procfs=/proc \
		--path.qemu-server-run="$QS" >"$WORK/$name.log" 2>&1 &
	SRV=$!
	SRVS="$SRVS $SRV"
	until curl -sf -o /dev/null "$URL"; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "$name did not answer: $(tail -3 "$WORK/$name.log")"
		sleep 0.1
	done
}

stop_server() {
	kill "$1"
	wait "$1" 2>/dev/null
	SRVS=${SRVS/ $1/}
}

# scrapes URL COUNT DIR ROUND: COUNT sequential GETs from one curl, bodies DIR/ROUND-1.. and one time_total per
# line appended to DIR/wall.
scrapes() {
	local args=() i
	mkdir -p "$3"
	for ((i = 1; i <= $2; i++)); do args+=(-o "$3/$4-$i" "$1"); done
	curl -s -f -w '%{time_total}\n' "${args[@]}" >>"$3/wall"
}

# count_lines FILES... < PATTERN: how many lines of FILES match the extended regular expression on stdin.
count_lines() {
	local re
	re=$(cat)
	cat "$@" | grep -c -E "$re"
}

# traced N: a server under strace for TRACED scrapes after one warm-up; each monitor's connect-to-close time
# in ms to $WORK/trace.ms.
traced() {
	local port spid kpid i=0
	port=$(free_port)
	strace -f --seccomp-bpf -ttt -e trace=connect,close -o "$WORK/strace.$1" "$EXPORTER" \
		--web.listen-address="127.0.0.1:$port" --log.level=error --no-collector.libvirt --path.procfs=/proc \
		--path.qemu-server-run="$QS" --collector.qmp --qmp.timeout=${TIMEOUT_MS}ms >"$WORK/traced.log" 2>&1 &
	spid=$!
	SRVS="$SRVS $spid"
	until curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "the traced server did not answer: $(tail -3 "$WORK/traced.log")"
		sleep 0.1
	done
	# Only the measured scrapes' connections: the warm-up's are cut off by a marker in time.
	local mark
	mark=$(date +%s.%N)
	for ((i = 0; i < TRACED; i++)); do
		curl -sf -o "$WORK/traced.body" "http://127.0.0.1:$port/metrics" || die "traced scrape failed"
	done
	kpid=$(cat "/proc/$spid/task/$spid/children")
	kill $kpid
	wait "$spid" 2>/dev/null
	SRVS=${SRVS/ $spid/}
	# "PID SECONDS connect(FD, {... sun_path=".../N.qmp"}, 110) = ..." then "PID SECONDS close(FD) = 0", or
	# the same with <unfinished ...>: the call's start is its time either way.
	awk -v mark="$mark" '
		$2 < mark { next }
		/ connect\(/ && /\.qmp"/ { s = $0; sub(/.*connect\(/, "", s); open[$1 ":" (s + 0)] = $2; next }
		/ close\(/ { s = $0; sub(/.*close\(/, "", s); k = $1 ":" (s + 0)
			if (k in open) { printf "%.3f\n", ($2 - open[k]) * 1000; delete open[k] } }
	' "$WORK/strace.$1" >"$WORK/trace.ms"
}

declare -A K_WITH K_WITHOUT K_SHARE K_RATIO K_RSUM F_PAR Q_WITH Q_WITHOUT Q_FLOOR Q_SEQ WALL_WITH WALL_WITHOUT
declare -A WALL_FLOOR F_SEQ WALL_SEQ HOLD_DUR HOLD_TRACE HOLD_MAX HOLD_FLOOR HOLD_SEQ GOT START_S
started=0
for n in $NS; do
	t0=$(date +%s.%N)
	start_qemus "$started" "$n"
	START_S[$n]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "qmp N=$n QEMU $((1000 + started))..$((999 + n)) started in ${START_S[$n]} s, VmRSS of all $(awk '/^VmRSS:/ { s += $2 } END { printf "%.0f MiB", s / 1024 }' $(for p in $QPIDS; do echo "/proc/$p/status"; done))" |
		tee -a "$RAW" >&2
	started=$n

	# What QEMU answers, as the floor takes it.
	out=$("$FLOOR" par "$QS" 1 1) || die "floor at N=$n: not every monitor answered: $(echo $out)"
	actual_sum=$(echo "$out" | awk -F= '$1 == "actual_sum" { print $2 }')

	start_server with "$EXPORTER" --collector.qmp --qmp.timeout=${TIMEOUT_MS}ms
	SRV_WITH=$SRV URL_WITH=$URL
	start_server without "$EXPORTER"
	SRV_WITHOUT=$SRV URL_WITHOUT=$URL

	kw="" kwo="" share="" ratio="" rsum="" fp="" qw="" qwo="" qf=""
	rm -rf "$WORK/with" "$WORK/without"
	: >"$WORK/floor.wall"
	: >"$WORK/floor.hold"
	for ((r = 0; r < ROUNDS; r++)); do
		# The floor's warm-up passes ask QEMU too: its QEMU figure counts them.
		q0=$(qemu_ticks)
		out=$("$FLOOR" par "$QS" "$SCRAPES" 2) || die "floor par at N=$n round $r: $(echo $out)"
		q1=$(qemu_ticks)
		echo "qmp N=$n round=$r floor $(echo $out)" >>"$RAW"
		f=$(echo "$out" | awk -F= '$1 == "cpu_us_mean" { printf "%.3f", $2 / 1000 }')
		echo "$out" | awk -F= '$1 == "wall_us_median" { print $2 / 1e6 }' >>"$WORK/floor.wall"
		echo "$out" | awk -F= '$1 == "hold_us_max" { print $2 / 1000 }' >>"$WORK/floor.hold"
		c0=$(cpu_ticks "$SRV_WITH")
		scrapes "$URL_WITH" "$SCRAPES" "$WORK/with" "$r" || die "scrape of kvmmem with qmp failed (N=$n)"
		c1=$(cpu_ticks "$SRV_WITH")
		q2=$(qemu_ticks)
		d0=$(cpu_ticks "$SRV_WITHOUT")
		scrapes "$URL_WITHOUT" "$SCRAPES" "$WORK/without" "$r" || die "scrape of kvmmem without qmp failed (N=$n)"
		d1=$(cpu_ticks "$SRV_WITHOUT")
		q3=$(qemu_ticks)
		a=$(ms $((c1 - c0)) "$SCRAPES")
		b=$(ms $((d1 - d0)) "$SCRAPES")
		kw="$kw $a" kwo="$kwo $b" fp="$fp $f"
		qf="$qf $(ms $((q1 - q0)) $((SCRAPES + 2)))"
		qw="$qw $(ms $((q2 - q1)) "$SCRAPES")"
		qwo="$qwo $(ms $((q3 - q2)) "$SCRAPES")"
		share="$share $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a - b }')"
		ratio="$ratio $(awk -v a="$a" -v b="$b" -v f="$f" 'BEGIN { printf "%.3f", (a - b) / f }')"
		rsum="$rsum $(awk -v a="$a" -v b="$b" -v f="$f" 'BEGIN { printf "%.3f", a / (b + f) }')"
		echo "qmp N=$n round=$r with_ms=$a without_ms=$b floor_par_ms=$f" >>"$RAW"
	done
	K_WITH[$n]=$(echo "$kw" | median) K_WITHOUT[$n]=$(echo "$kwo" | median) F_PAR[$n]=$(echo "$fp" | median)
	K_SHARE[$n]=$(echo "$share" | median) K_RATIO[$n]=$(echo "$ratio" | median) K_RSUM[$n]=$(echo "$rsum" | median)
	Q_WITH[$n]=$(echo "$qw" | median) Q_WITHOUT[$n]=$(echo "$qwo" | median) Q_FLOOR[$n]=$(echo "$qf" | median)
	WALL_WITH[$n]=$(med_p99 "$WORK/with/wall") WALL_WITHOUT[$n]=$(med_p99 "$WORK/without/wall")
	WALL_FLOOR[$n]=$(med_p99 "$WORK/floor.wall")
	HOLD_FLOOR[$n]=$(sort -g "$WORK/floor.hold" | tail -1 | awk '{ printf "%.1f", $1 }')
	echo "qmp N=$n ratios (with-without)/floor=($ratio) with/(without+floor)=($rsum)" >>"$RAW"
	stop_server "$SRV_WITH"
	stop_server "$SRV_WITHOUT"

	# Every measured scrape: the N guests listed, each one's balloon answered, none skipped; the qmp
	# collector's longest duration bounds every connection of it.
	bodies=$((ROUNDS * SCRAPES))
	got_info=$(echo '^kvmmem_domain_info\{domain="qb-[0-9]+"' | count_lines "$WORK"/with/[0-9]*-*)
	got_cur=$(echo '^kvmmem_domain_balloon_current_bytes\{domain="qb-[0-9]+"\} ' | count_lines "$WORK"/with/[0-9]*-*)
	got_ok=$(echo '^kvmmem_domain_balloon_stats_skipped\{domain="qb-[0-9]+"\} 0$' | count_lines "$WORK"/with/[0-9]*-*)
	GOT[$n]=$(awk -v g="$got_cur" -v b="$bodies" -v n="$n" 'BEGIN { printf "%.1f/%d", g / b, n }')
	[ "$got_info" = $((n * bodies)) ] || die "kvmmem with qmp at N=$n listed $got_info guests in $bodies scrapes, not $((n * bodies))"
	[ "$got_cur" = $((n * bodies)) ] && [ "$got_ok" = $((n * bodies)) ] ||
		echo "qmp N=$n: only $got_cur balloon values and $got_ok answered guests in $bodies scrapes of $n guests" | tee -a "$RAW" >&2
	# Every guest has -m 1024 and no balloon driver: QEMU answers actual 1 GiB for each, as the floor saw.
	[ "$actual_sum" = $((n * 1073741824)) ] || die "the floor's balloon values at N=$n sum to $actual_sum, not $n GiB"
	wrong=$(grep -h -E '^kvmmem_domain_balloon_current_bytes\{domain="qb-[0-9]+"\} ' "$WORK"/with/[0-9]*-* | grep -vc ' 1073741824$')
	[ "$wrong" = 0 ] || die "kvmmem with qmp at N=$n: $wrong balloon values are not QEMU's 1 GiB"
	got_wo=$(echo '^kvmmem_domain_info\{domain="qb-[0-9]+"' | count_lines "$WORK"/without/[0-9]*-*)
	[ "$got_wo" = $((n * bodies)) ] || die "kvmmem without qmp at N=$n listed $got_wo guests in $bodies scrapes"
	echo '^kvmmem_domain_balloon_current_bytes' | count_lines "$WORK"/without/[0-9]*-* >/dev/null &&
		die "kvmmem without qmp at N=$n has balloon values"
	HOLD_DUR[$n]=$(grep -h '^kvmmem_scrape_collector_duration_seconds{collector="qmp"} ' "$WORK"/with/[0-9]*-* |
		awk '{ v = $2 * 1000; if (v > m) m = v } END { printf "%.1f", m }')

	# One monitor after the other, once per N.
	q0=$(qemu_ticks)
	out=$("$FLOOR" seq "$QS" "$SCRAPES" 2) || die "floor seq at N=$n: $(echo $out)"
	q1=$(qemu_ticks)
	echo "qmp N=$n floor $(echo $out)" >>"$RAW"
	F_SEQ[$n]=$(echo "$out" | awk -F= '$1 == "cpu_us_mean" { printf "%.2f", $2 / 1000 }')
	WALL_SEQ[$n]=$(echo "$out" | awk -F= '$1 == "wall_us_median" { m = $2 / 1000 } $1 == "wall_us_p99" { p = $2 / 1000 } END { printf "%.1f/%.1f", m, p }')
	HOLD_SEQ[$n]=$(echo "$out" | awk -F= '$1 == "hold_us_max" { printf "%.1f", $2 / 1000 }')
	Q_SEQ[$n]=$(ms $((q1 - q0)) $((SCRAPES + 2)))

	if [ "$TRACED" -gt 0 ] && command -v strace >/dev/null; then
		traced "$n"
		HOLD_TRACE[$n]=$(sort -g "$WORK/trace.ms" | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f/%.1f (%d)", v[int((NR + 1) / 2)], v[NR], NR; else print "-" }')
		HOLD_MAX[$n]=$(sort -g "$WORK/trace.ms" | tail -1 | awk '{ printf "%.1f", $1 }')
		echo "qmp N=$n traced connect-to-close ms median/max (connections) ${HOLD_TRACE[$n]} in $TRACED scrapes" | tee -a "$RAW" >&2
	else
		HOLD_TRACE[$n]="-" HOLD_MAX[$n]="-"
		echo "qmp N=$n: SKIP traced hold times (BENCH_QMP_TRACED=0 or strace missing)" | tee -a "$RAW" >&2
	fi
	echo "qmp N=$n done" >&2
done
for p in $QPIDS; do kill "$p" 2>/dev/null; done
QPIDS=""

{
	echo "## QEMU monitors (qmp collector)"
	echo
	echo "N real paused QEMU processes (Proxmox layout, one QMP socket each, in a PID namespace of their own);"
	echo "kvmmem_exporter with every default collector but libvirt, with and without --collector.qmp"
	echo "(--qmp.timeout=${TIMEOUT_MS}ms); the floor (bench/floor_qmp) asks every monitor the same commands and takes"
	echo "out only the numbers, all at once (parallel) or one after the other (sequential). CPU: ms per scrape"
	echo "or pass, medians of $ROUNDS interleaved rounds of $SCRAPES; QEMU: the QEMU processes' own CPU over the same"
	echo "scrapes; wall: median/p99 of every scrape (floor parallel: of the rounds' medians); a monitor held:"
	echo "connect to close, kvmmem's traced with strace over $TRACED more scrapes (strace's delay included), the"
	echo "floor's measured inside it over every pass."
	echo
	echo "| N | program | CPU ms | QEMU CPU ms | wall ms median/p99 | monitor held at most, ms |"
	echo "|---|---|---|---|---|---|"
	for n in $NS; do
		echo "| $n | kvmmem with qmp | ${K_WITH[$n]} | ${Q_WITH[$n]} | ${WALL_WITH[$n]} | ${HOLD_MAX[$n]} |"
		echo "| $n | kvmmem without qmp | ${K_WITHOUT[$n]} | ${Q_WITHOUT[$n]} | ${WALL_WITHOUT[$n]} | - |"
		echo "| $n | floor, parallel | ${F_PAR[$n]} | ${Q_FLOOR[$n]} | ${WALL_FLOOR[$n]} | ${HOLD_FLOOR[$n]} |"
		echo "| $n | floor, sequential | ${F_SEQ[$n]} | ${Q_SEQ[$n]} | ${WALL_SEQ[$n]} | ${HOLD_SEQ[$n]} |"
	done
	echo
	echo "| N | qmp's share of kvmmem's CPU, ms | share/floor parallel | with/(without + floor parallel) | balloon values per scrape | traced connect-to-close ms median/max (connections) | --qmp.timeout ms | qmp collector's longest duration, ms | QEMU started in s |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for n in $NS; do
		echo "| $n | ${K_SHARE[$n]} | ${K_RATIO[$n]} | ${K_RSUM[$n]} | ${GOT[$n]} | ${HOLD_TRACE[$n]} | $TIMEOUT_MS | ${HOLD_DUR[$n]} | ${START_S[$n]} |"
	done
} | tee "$RES/qmp.md"
