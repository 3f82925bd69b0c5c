# metrics.sh - scraping the exporter and reading single series; the
# assertion bookkeeping.  Sourced by run.sh.
#
# Series are matched exactly as the exporter prints them, e.g.
#   kvmmem_domain_guest_usable_bytes{domain="e2e-a"}
# so a renamed metric or label fails instead of matching something else.

MiB=1048576

# now: the epoch with milliseconds, as collectd writes it.
now() { date +%s.%N | cut -c1-14; }

E2E_PASS=0
E2E_FAIL=0
E2E_SKIP=0
E2E_RESULTS=""

# result STATUS NAME DETAIL: one visible line per assertion, kept for the
# summary.  A SKIP is also a skipped part for tests/run.sh's summary (the file
# KVMMEM_SKIPS, as skip_part in tests/lib/common.sh writes it).
result() {
	case $1 in
	PASS) E2E_PASS=$((E2E_PASS + 1)) ;;
	FAIL) E2E_FAIL=$((E2E_FAIL + 1)) ;;
	SKIP)
		E2E_SKIP=$((E2E_SKIP + 1))
		[ -z "${KVMMEM_SKIPS:-}" ] || echo "${KVMMEM_TEST:-e2e/run}: $2${3:+: $3}" >>"$KVMMEM_SKIPS"
		;;
	esac
	say "$1 $2${3:+: $3}"
	E2E_RESULTS="$E2E_RESULTS$1 $2${3:+: $3}
"
}

# check NAME FUNC ARGS...: FUNC returns 0 for pass and leaves its evidence
# in WHY either way.
check() {
	local name=$1
	shift
	WHY=""
	if "$@"; then result PASS "$name" "$WHY"; else result FAIL "$name" "$WHY"; fi
}

# free_port: a TCP port nothing listens on at 127.0.0.1 right now.
free_port() {
	local p i
	for i in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}

# scrape FILE [MAX_SECONDS]: GET /metrics into FILE; SCRAPE_SECS holds the
# duration.  Returns curl's status (0 only for a complete 200 body).
scrape() {
	local out=$1 max=${2:-20} t rc
	t=$(curl -sf -m "$max" -o "$out" -w '%{time_total}' "http://127.0.0.1:$E2E_PORT/metrics")
	rc=$?
	SCRAPE_SECS=${t:-timeout}
	return $rc
}

# mval FILE SERIES: prints the value of the exact series; 1 when absent.
mval() {
	awk -v s="$2" '$1 == s { print $2; f = 1; exit } END { exit !f }' "$1"
}

# mhas_domain FILE NAME: any series labelled domain="NAME".
mhas_domain() {
	grep -q "[{,]domain=\"$2\"[,}]" "$1"
}

# mdom FILE FAMILY NAME: value of FAMILY{domain="NAME"}.
mdom() { mval "$1" "$2{domain=\"$3\"}"; }

# poll TIMEOUT FUNC ARGS...: calls FUNC every 0.5 s until it returns 0 or
# TIMEOUT seconds passed; POLL_SECS says how long it took.
poll() {
	local timeout=$1 start end
	shift
	start=$(date +%s%N)
	end=$((start + timeout * 1000000000))
	while :; do
		if "$@"; then
			POLL_SECS=$(awk -v n=$(($(date +%s%N) - start)) 'BEGIN { printf "%.1f", n / 1e9 }')
			return 0
		fi
		[ "$(date +%s%N)" -lt $end ] || break
		sleep 0.5
	done
	POLL_SECS=">$timeout"
	return 1
}

# within A B TOL: |A - B| <= TOL (integers).
within() {
	local d=$(($1 - $2))
	[ ${d#-} -le "$3" ]
}
