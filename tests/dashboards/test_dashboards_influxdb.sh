#!/bin/sh
# test_dashboards_influxdb.sh - every InfluxQL panel and variable query of
# the collectd dashboard returns data from a real InfluxDB 1.x fed by a real
# collectd running the kvmmem plugin on fixture host k6.18 (collectd network
# plugin -> InfluxDB's collectd input).  A host that does not exist must make
# the checker fail, so the live check can fail.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST="$TOP/tests/fixtures/hosts/k6.18"
DASH="$TOP/dashboards/grafana/kvmmem-collectd-influxdb.json"
CHECK="$TOP/tests/dashboards/dashcheck.py"

require_collectd_plugin
require_tools influxd python3 curl
tmpdir_with_cleanup

start_influxdb
collectd_conf "$T/collectd.conf" kvm-k6-18 1 "$(kvmmem_fixture_block "$HOST")" \
	"$(collectd_network_to "$INFLUX_COLLECTD_PORT")"
start_collectd "$T/collectd.conf" "$T/collectd.log"

# Ready when the host's KSM counter has three points: enough for derivatives.
three_points() {
	n=$(curl -sf -G "$INFLUX/query" --data-urlencode db=collectd \
		--data-urlencode "q=SELECT count(value) FROM kvmmem_value WHERE type_instance = 'ksm_pages_scanned'" |
		python3 -c 'import json,sys
s = json.load(sys.stdin)["results"][0].get("series") or []
print(s[0]["values"][0][1] if s else 0)' 2>/dev/null)
	[ "${n:-0}" -ge 3 ]
}
if ! wait_until 30 three_points; then
	echo "FAIL: no kvmmem data in InfluxDB after 30 s"
	tail -n 20 "$T/collectd.log" "$T/influxd.log"
	exit 1
fi
echo "data after $((WAITED / 10)).$((WAITED % 10)) s"

rc=0
python3 "$CHECK" --influxdb "$INFLUX" --influx-db collectd --rate-interval 1s "$DASH" || rc=$?
[ $rc -eq 0 ] || fail "dashcheck exited $rc"

echo "== negative: a host that does not exist gives no data"
rc=0
python3 "$CHECK" --influxdb "$INFLUX" --influx-db collectd --rate-interval 1s --var host=no-such-host "$DASH" \
	>"$T/neg.out" || rc=$?
cat "$T/neg.out"
[ $rc -eq 1 ] || fail "dashcheck exited $rc for a missing host, want 1"
grep -q "^kvmmem-collectd-influxdb.json: panel 2 'KSM state' target A: no data: " "$T/neg.out" ||
	fail "the no-data finding for panel 2 is missing"

finish
