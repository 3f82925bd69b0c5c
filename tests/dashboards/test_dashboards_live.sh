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

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
CHECK="$TOP/tests/dashboards/dashcheck.py"
HOSTS="$TOP/tests/fixtures/hosts"
DASH="$TOP/dashboards/grafana"
RULES="$TOP/dashboards/prometheus/kvmmem-rules.yml"

require_exporter
require_tools prometheus python3 curl od
for h in k6.18 k6.1 k5.19; do
	[ -f "$HOSTS/$h/libvirt.xml" ] || skip "fixture host $h is missing"
done
tmpdir_with_cleanup

# exporter N HOST: an exporter on fixture host HOST (its port in PORT), its log in $T/exporter-N.log.
exporter() {
	EXPORTER_LOG=$T/exporter-$1.log
	start_exporter "$HOSTS/$2"
}
exporter 1 k6.18 && E1=$PORT
exporter 2 k6.18 && E2=$PORT
exporter 3 k6.1 && E3=$PORT
exporter 4 k5.19 && E4=$PORT
PROM_PORT=$(free_port)

cat >"$T/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$RULES']
scrape_configs:
  - job_name: kvmmem-host
    static_configs: [{targets: ['127.0.0.1:$E1']}]
  - job_name: kvmmem-fleet
    static_configs: [{targets: ['127.0.0.1:$E2', '127.0.0.1:$E3', '127.0.0.1:$E4']}]
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$T/prometheus.log" 2>&1 &
track_pid $!
PROM="http://127.0.0.1:$PROM_PORT"

# Ready when all four targets have at least three samples in the last 10 s,
# enough for rate() over 10 s.  The first scrape comes after about 6 s.
query_value() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
four_targets() {
	[ "$(query_value 'count(count_over_time(kvmmem_exporter_build_info[10s]) >= 3)' 2>/dev/null)" = 4 ]
}
if ! wait_until 30 four_targets; then
	echo "FAIL: Prometheus has no data from the four exporters after 30 s"
	tail -n 20 "$T"/*.log
	curl -s "$PROM/api/v1/targets" | head -c 2000
	exit 1
fi
echo "data after $((WAITED / 10)).$((WAITED % 10)) s"

run_check() { # expected-rc args...
	want=$1
	shift
	rc=0
	python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s "$@" >"$T/check.out" || rc=$?
	cat "$T/check.out"
	[ $rc -eq "$want" ] || fail "dashcheck $* exited $rc, want $want"
}

echo "== host and domain dashboards, k6.18 (job kvmmem-host), recording rules"
run_check 0 --var job=kvmmem-host --catalogue "$TOP/common/model/catalogue.c" --rules "$RULES" --live-records "$DASH/kvmmem-host.json" "$DASH/kvmmem-domain.json"
echo "== fleet dashboard, k6.18 + k6.1 + k5.19 (job kvmmem-fleet)"
run_check 0 --var job=kvmmem-fleet "$DASH/kvmmem-fleet.json"
echo "== negative: a domain that does not exist gives no data"
run_check 1 --var job=kvmmem-host --var domain=no-such-domain "$DASH/kvmmem-domain.json"
grep -q "^kvmmem-domain.json: panel 2 'Balloon current and maximum' target A: no data: " "$T/check.out" ||
	fail "the no-data finding for panel 2 is missing"

echo "== information: queries without data on each fleet host alone"
for e in "$E2:k6.18" "$E3:k6.1" "$E4:k5.19"; do
	port=${e%%:*}
	echo "-- ${e#*:}"
	python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s --var job=kvmmem-fleet \
		--var "instance=127.0.0.1:$port" "$DASH/kvmmem-host.json" "$DASH/kvmmem-domain.json" | sed 's/^/   /'
done

finish
