#!/bin/sh
# test_dashboards_influxdb.sh - every InfluxQL panel and variable query of
# the collectd dashboard returns data from a real InfluxDB 1.x fed by two real
# collectds running the kvmmem plugin (collectd network plugin -> InfluxDB's
# collectd input): one on fixture host k6.18, one with QMP true on a procfs
# holding one fake QEMU 9.2 monitor alone (tests/qmp/fake_qmp.py v92), whose
# guest OOM kills, stalls, scans and reclaims only the guest pressure panels
# show, exactly.  A host that does not exist must make the checker fail, so
# the live check can fail.
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
# A VM without libvirt on QEMU 9.2, read over QMP by a second collectd that sees nothing else of this machine.
V92=dash$$-v92
start_fake_qmp_vm v92 "$V92"
echo '<node/>' >"$T/no-domains.xml"
collectd_conf "$T/collectd-qmp.conf" pve-qmp 1 "  Connection \"test://$T/no-domains.xml\"
  ProcfsPath \"$T/qmp-proc\"
  QemuServerRunPath \"$T/qemu-server\"
  ReportHost false
  ReportDomainKSM false
  ReportDomainCgroup false
  QMP true" "$(collectd_network_to "$INFLUX_COLLECTD_PORT")"
sed -i "s|^PIDFile .*|PIDFile \"$T/collectd-qmp.pid\"|" "$T/collectd-qmp.conf"
start_collectd "$T/collectd-qmp.conf" "$T/collectd-qmp.log"

# influx_rows QUERY: the rows of QUERY's series, "tags: value value ..." one a line.
influx_rows() {
	curl -sf -G "$INFLUX/query" --data-urlencode db=collectd --data-urlencode "q=$1" | python3 -c 'import json, sys
for s in json.load(sys.stdin)["results"][0].get("series") or []:
    tags = ",".join("%s=%s" % kv for kv in sorted((s.get("tags") or {}).items()))
    for row in s["values"]:
        print(tags + ": " + " ".join(str(v) for v in row[1:]))'
}
# Ready when the host's KSM counter and the guest's OOM kills have three points each: enough for derivatives.
three_points() {
	_n=$(influx_rows "SELECT count(value) FROM kvmmem_value WHERE type_instance = '$1'" 2>/dev/null)
	[ "${_n##* }" -ge 3 ] 2>/dev/null
}
if ! wait_until 30 three_points ksm_pages_scanned || ! wait_until 30 three_points guest_oom_kills; then
	echo "FAIL: no kvmmem data from both collectds in InfluxDB after 30 s"
	tail -n 20 "$T/collectd.log" "$T/collectd-qmp.log" "$T/influxd.log"
	exit 1
fi
echo "data after $((WAITED / 10)).$((WAITED % 10)) s"

rc=0
python3 "$CHECK" --influxdb "$INFLUX" --influx-db collectd --rate-interval 1s "$DASH" || rc=$?
[ $rc -eq 0 ] || fail "dashcheck exited $rc"

echo "== the guest pressure values: the QEMU 9.2 VM's counters, only from the collectd with QMP true"
expect "guest counters in InfluxDB, as the fake monitor gives them" \
	"host=pve-qmp,instance=$V92,type=derive,type_instance=guest_allocation_stalls: 42
host=pve-qmp,instance=$V92,type=derive,type_instance=guest_oom_kills: 3
host=pve-qmp,instance=$V92,type=total_bytes,type_instance=guest_async_reclaim: 2048000
host=pve-qmp,instance=$V92,type=total_bytes,type_instance=guest_async_scan: 4096000
host=pve-qmp,instance=$V92,type=total_bytes,type_instance=guest_direct_reclaim: 20480
host=pve-qmp,instance=$V92,type=total_bytes,type_instance=guest_direct_scan: 40960" \
	"$(influx_rows "SELECT last(value) FROM kvmmem_value WHERE type_instance =~ /^guest_(oom_kills|allocation_stalls|(direct|async)_(scan|reclaim))$/ GROUP BY host, instance, type, type_instance")"
# The counters stand still, so the panels' rates and kill counts are 0 at every point.
influx_rows "SELECT non_negative_derivative(last(value), 1s) FROM kvmmem_value WHERE type_instance =~ /^guest_(allocation_stalls|(direct|async)_(scan|reclaim))$/ AND time > now() - 5m GROUP BY time(1s), type_instance fill(none)" |
	sort -u >"$T/rates"
expect "guest pressure rates: 0 for each counter" "type_instance=guest_allocation_stalls: 0
type_instance=guest_async_reclaim: 0
type_instance=guest_async_scan: 0
type_instance=guest_direct_reclaim: 0
type_instance=guest_direct_scan: 0" "$(cat "$T/rates")"

echo "== negative: a host that does not exist gives no data"
rc=0
python3 "$CHECK" --influxdb "$INFLUX" --influx-db collectd --rate-interval 1s --var host=no-such-host "$DASH" \
	>"$T/neg.out" || rc=$?
cat "$T/neg.out"
[ $rc -eq 1 ] || fail "dashcheck exited $rc for a missing host, want 1"
grep -q "^kvmmem-collectd-influxdb.json: panel 2 'KSM state' target A: no data: " "$T/neg.out" ||
	fail "the no-data finding for panel 2 is missing"

finish
