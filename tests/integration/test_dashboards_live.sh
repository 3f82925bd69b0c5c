#!/bin/sh
# test_dashboards_live.sh - every panel and variable query of the dashboards
# returns data from a real Prometheus scraping the real exporter.
#
# One Prometheus (127.0.0.1, private tsdb, 1 s scrapes, kvmmem-rules.yml
# loaded) scrapes four exporters on the fixture hosts:
#   job kvmmem-host:  k6.18             -> host and domain dashboards
#   job kvmmem-fleet: k6.18, k6.1, k5.19 -> fleet dashboard
# Every recording rule must return data too.  A domain that does not exist
# must make the checker fail, so the live check can fail.  Finally the host
# and domain dashboards are run against each fleet host alone and the queries
# without data are listed (information, not failure: older kernels lack some
# KSM files).
set -u

TOP=${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KVMMEM_BUILD:-$TOP/build}
EXPORTER="$BUILD/kvmmem_exporter"
CHECK="$TOP/tests/dashboards/dashcheck.py"
HOSTS="$TOP/tests/fixtures/hosts"
DASH="$TOP/dashboards/grafana"
RULES="$TOP/dashboards/prometheus/kvmmem-rules.yml"

[ -x "$EXPORTER" ] || { echo "SKIP: $EXPORTER is not built (make)"; exit 77; }
for tool in prometheus python3 curl; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (scripts/deps.sh test)"; exit 77; }
done
for h in k6.18 k6.1 k5.19; do
	[ -f "$HOSTS/$h/libvirt.xml" ] || { echo "SKIP: fixture host $h is missing"; exit 77; }
done

TMP=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Five free ports on 127.0.0.1, held open together so they differ.
PORTS=$(python3 -c '
import socket
s = [socket.socket() for _ in range(5)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $PORTS
PROM_PORT=$1
E1=$2 E2=$3 E3=$4 E4=$5

start_exporter() { # port host
	"$EXPORTER" --web.listen-address="127.0.0.1:$1" --path.sysfs="$HOSTS/$2/sys" --path.procfs="$HOSTS/$2/proc" \
		--path.libvirt-run="$HOSTS/$2/run" --libvirt.uri="test://$HOSTS/$2/libvirt.xml" \
		>"$TMP/exporter-$1.log" 2>&1 &
	PIDS="$PIDS $!"
}
start_exporter "$E1" k6.18
start_exporter "$E2" k6.18
start_exporter "$E3" k6.1
start_exporter "$E4" k5.19

cat >"$TMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$RULES']
scrape_configs:
  - job_name: kvmmem-host
    static_configs: [{targets: ['127.0.0.1:$E1']}]
  - job_name: kvmmem-fleet
    static_configs: [{targets: ['127.0.0.1:$E2', '127.0.0.1:$E3', '127.0.0.1:$E4']}]
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PIDS="$PIDS $!"
PROM="http://127.0.0.1:$PROM_PORT"

# Ready when all four targets have at least three samples in the last 10 s,
# enough for rate() over 10 s.  The first scrape comes after about 6 s.
query_value() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
ready=""
i=0
while [ $i -lt 300 ]; do
	v=$(query_value 'count(count_over_time(kvmmem_exporter_build_info[10s]) >= 3)' 2>/dev/null)
	if [ "$v" = 4 ]; then
		ready=yes
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$ready" ]; then
	echo "FAIL: Prometheus has no data from the four exporters after 30 s"
	tail -n 20 "$TMP"/*.log
	curl -s "$PROM/api/v1/targets" | head -c 2000
	exit 1
fi
echo "data after $((i / 10)).$((i % 10)) s"

fail=0
run_check() { # expected-rc args...
	want=$1
	shift
	rc=0
	python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s "$@" >"$TMP/check.out" || rc=$?
	cat "$TMP/check.out"
	if [ $rc -ne "$want" ]; then
		echo "FAIL: dashcheck $* exited $rc, want $want"
		fail=1
	fi
}

echo "== host and domain dashboards, k6.18 (job kvmmem-host), recording rules"
run_check 0 --var job=kvmmem-host --catalogue "$TOP/common/catalogue.c" --rules "$RULES" --live-records "$DASH/kvmmem-host.json" "$DASH/kvmmem-domain.json"
echo "== fleet dashboard, k6.18 + k6.1 + k5.19 (job kvmmem-fleet)"
run_check 0 --var job=kvmmem-fleet "$DASH/kvmmem-fleet.json"
echo "== negative: a domain that does not exist gives no data"
run_check 1 --var job=kvmmem-host --var domain=no-such-domain "$DASH/kvmmem-domain.json"
grep -q "^kvmmem-domain.json: panel 2 'Balloon current and maximum' target A: no data: " "$TMP/check.out" || {
	echo "FAIL: the no-data finding for panel 2 is missing"
	fail=1
}

echo "== information: queries without data on each fleet host alone"
for e in "$E2:k6.18" "$E3:k6.1" "$E4:k5.19"; do
	port=${e%%:*}
	echo "-- ${e#*:}"
	python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s --var job=kvmmem-fleet \
		--var "instance=127.0.0.1:$port" "$DASH/kvmmem-host.json" "$DASH/kvmmem-domain.json" | sed 's/^/   /'
done

[ $fail -eq 0 ] && echo PASS
exit $fail
