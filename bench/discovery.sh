#!/bin/bash
# discovery.sh BUILD_DIR - the discovery case of `make bench`: what finding QEMU processes in /proc costs
# the qemu collector, against the least work it can be (bench/floor_discovery: each cmdline read once, and
# each Proxmox guest's pidfile), in the same run.
#
#   fixture  bench/gen_procs.py trees of P processes (BENCH_DISC_P, default "1000 5000"), a fifth of them
#            Proxmox VE guests: kvmmem with only the qemu collector over real HTTP, CPU per scrape from
#            utime+stime deltas over BENCH_DISC_SCRAPES (40) scrapes, the floor's CPU per pass, in
#            BENCH_ROUNDS (5) interleaved rounds, the median of the rounds' ratios; the cost per process
#            and per QEMU process, so linearity shows as the same figure at every P
#   real     BENCH_QEMU_REAL (200) paused QEMU processes in a Proxmox layout under a temporary directory
#            (the machine's /proc, with whatever else runs on it, other QEMU processes included: the table
#            gives the processes and QEMU processes the floor saw), measured the same way, then stopped by pid
#   libvirt  bench/gen.py's libvirt host of BENCH_DISC_LIBVIRT_N (1000) domains (the test driver in
#            process): kvmmem with every collector, with and without --no-collector.qemu, so the cost the
#            qemu collector adds to a libvirt host is its own figure
#
# Results: a table on stdout and in BUILD_DIR/bench/discovery.md (BENCH_RESULTS), raw lines in
# discovery-raw.txt there.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-$TOP/build}
case $O in /*) ;; *) O="$TOP/$O" ;; esac
PS=${BENCH_DISC_P:-"1000 5000"}
SCRAPES=${BENCH_DISC_SCRAPES:-40}
ROUNDS=${BENCH_ROUNDS:-5}
REAL=${BENCH_QEMU_REAL:-200}
LV_N=${BENCH_DISC_LIBVIRT_N:-1000}
EXPORTER="$O/kvmmem_exporter"
FLOOR=${BENCH_DISC_FLOOR:-$O/bench/floor_discovery}
RES=${BENCH_RESULTS:-$O/bench}
HZ=$(getconf CLK_TCK)
# shellcheck source=bench/lib.sh
. "$TOP/bench/lib.sh"

die() {
	echo "bench: $*" >&2
	exit 1
}
[ -x "$EXPORTER" ] || die "$EXPORTER missing (make all)"
[ -x "$FLOOR" ] || die "$FLOOR missing (make $O/bench/floor_discovery)"
command -v curl >/dev/null || die "curl missing"
mkdir -p "$RES"
RAW="$RES/discovery-raw.txt"
: >"$RAW"
WORK=$(mktemp -d)
QPIDS=""
cleanup() {
	for p in $QPIDS; do kill "$p" 2>/dev/null; done
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# kvmmem_ms ARGS...: a server with ARGS, one warm-up scrape, then SCRAPES scrapes: CPU ms per scrape.
kvmmem_ms() {
	local port i t0 t1
	port=$(free_port)
	"$EXPORTER" --web.listen-address="127.0.0.1:$port" --log.level=error "$@" 2>>"$WORK/exporter.log" &
	SRV=$!
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "the exporter did not answer: $(tail -3 "$WORK/exporter.log")"
		sleep 0.1
	done
	curl -sf -o "$WORK/last.prom" "http://127.0.0.1:$port/metrics"
	t0=$(cpu_ticks "$SRV")
	for ((i = 0; i < SCRAPES; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" || die "scrape failed"
	done
	t1=$(cpu_ticks "$SRV")
	kill "$SRV"
	wait "$SRV" 2>/dev/null
	SRV=
	awk -v t=$((t1 - t0)) -v n="$SCRAPES" -v hz="$HZ" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'
}

# floor_ms PROCFS RUNDIR: the floor's mean CPU ms per pass.
floor_ms() {
	"$FLOOR" "$1" "$2" "$SCRAPES" 2 >"$WORK/floor.out" || die "floor failed"
	awk -F= '$1 == "cpu_us_mean" { printf "%.2f", $2 / 1000 }' "$WORK/floor.out"
}

# measure LABEL PROCFS RUNDIR NPROC NQEMU: ROUNDS interleaved rounds of kvmmem (qemu collector only) and
# the floor; one result line.
measure() {
	local label=$1 procfs=$2 run=$3 np=$4 nq=$5 r k f ks="" fs="" ratios=""
	for ((r = 0; r < ROUNDS; r++)); do
		k=$(kvmmem_ms --no-collector.libvirt --no-collector.ksm --no-collector.meminfo --no-collector.domain_ksm \
			--no-collector.cgroup --path.procfs="$procfs" --path.qemu-server-run="$run")
		f=$(floor_ms "$procfs" "$run")
		ks="$ks $k"
		fs="$fs $f"
		ratios="$ratios $(awk -v a="$k" -v b="$f" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
		echo "discovery $label round=$r kvmmem_ms=$k floor_ms=$f $(tr '\n' ' ' <"$WORK/floor.out")" >>"$RAW"
	done
	local found
	found=$(grep -c '^kvmmem_domain_info{' "$WORK/last.prom")
	# What the floor saw in its last round: on the machine's /proc other QEMU processes (and their
	# domains) come and go, and both sides read them.
	np=$(awk -F= '$1 == "processes" { print $2 }' "$WORK/floor.out")
	nq=$(awk -F= '$1 == "qemu" { print $2 }' "$WORK/floor.out")
	k=$(echo "$ks" | median)
	f=$(echo "$fs" | median)
	local ratio
	ratio=$(echo "$ratios" | median)
	printf '| %s | %s | %s | %s | %.2f | %.2f | %.2f | %.1f | %.1f |\n' "$label" "$np" "$nq" "$found" "$k" "$f" \
		"$ratio" "$(awk -v a="$k" -v n="$np" 'BEGIN { print a * 1e6 / n }')" \
		"$(awk -v a="$k" -v b="$f" -v n="$nq" 'BEGIN { print n ? (a - b) * 1000 / n : 0 }')" >>"$WORK/table"
}

: >"$WORK/table"
# --- fixture trees ------------------------------------------------------------
for p in $PS; do
	q=$((p / 5))
	python3 "$TOP/bench/gen_procs.py" "$p" "$q" "$WORK/p$p" || die "gen_procs.py $p failed"
	measure "fixture" "$WORK/p$p/proc" "$WORK/p$p/qemu-server" "$p" "$q"
	echo "discovery fixture P=$p done" >&2
done

# --- real QEMU processes -------------------------------------------------------
QEMU=$(command -v qemu-system-x86_64 || true)
if [ "$REAL" -gt 0 ] && [ -n "$QEMU" ]; then
	QS="$WORK/qemu-server"
	mkdir -p "$QS" "$WORK/bin"
	ln -s "$QEMU" "$WORK/bin/kvm"
	for ((i = 0; i < REAL; i++)); do
		v=$((1000 + i))
		"$WORK/bin/kvm" -name "bench-$v,debug-threads=on" -chardev "socket,id=qmp,path=$QS/$v.qmp,server=on,wait=off" \
			-mon chardev=qmp,mode=control -pidfile "$QS/$v.pid" -daemonize \
			-smbios "type=1,uuid=7b10d7af-b932-4c66-b2c3-$(printf '%012d' $v)" -m size=64,slots=2,maxmem=1G \
			-machine q35,mem-merge=off -S -nodefaults -display none \
			-device virtio-balloon-pci,id=balloon0,free-page-reporting=on >/dev/null 2>&1 || die "QEMU $v did not start"
		QPIDS="$QPIDS $(cat "$QS/$v.pid")"
	done
	measure "real QEMU" /proc "$QS" 0 "$REAL"
	for p in $QPIDS; do kill "$p" 2>/dev/null; done
	QPIDS=""
	echo "discovery real QEMU done" >&2
else
	echo "discovery: no real QEMU part (BENCH_QEMU_REAL=0 or qemu-system-x86_64 missing)" >&2
fi

# --- a libvirt host, with and without the qemu collector -----------------------
H="$WORK/lv"
python3 "$TOP/bench/gen.py" "$LV_N" "$H" >/dev/null || die "gen.py $LV_N failed"
lv_with="" lv_without=""
for ((r = 0; r < ROUNDS; r++)); do
	set -- --libvirt.uri="test://$H/node.xml" --path.sysfs="$H/sys" --path.procfs="$H/proc" \
		--path.libvirt-run="$H/run" --path.qemu-server-run="$H/qemu-server"
	a=$(kvmmem_ms "$@")
	b=$(kvmmem_ms "$@" --no-collector.qemu)
	lv_with="$lv_with $a"
	lv_without="$lv_without $b"
	echo "discovery libvirt N=$LV_N round=$r with_qemu_ms=$a without_qemu_ms=$b" >>"$RAW"
done
lw=$(echo "$lv_with" | median)
lo=$(echo "$lv_without" | median)

{
	echo "## Discovery of QEMU processes (qemu collector)"
	echo
	echo "CPU per scrape of kvmmem with only the qemu collector, and of the floor (each cmdline read once, each"
	echo "guest's pidfile once), medians of $ROUNDS interleaved rounds of $SCRAPES scrapes; ratio: median of the"
	echo "rounds' ratios; the last two columns: kvmmem's CPU per process listed, and its excess over the floor"
	echo "per QEMU process."
	echo
	echo "| case | processes | QEMU | domains | kvmmem ms | floor ms | ratio | kvmmem ns/process | excess us/QEMU |"
	echo "|---|---|---|---|---|---|---|---|---|"
	cat "$WORK/table"
	echo
	echo "libvirt host of $LV_N domains (test driver in process), every collector: $lw ms per scrape with the"
	echo "qemu collector, $lo ms with --no-collector.qemu."
} | tee "$RES/discovery.md"
