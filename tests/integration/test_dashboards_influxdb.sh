#!/bin/sh
# test_dashboards_influxdb.sh - every InfluxQL panel and variable query of
# the collectd dashboard returns data from a real InfluxDB 1.x fed by a real
# collectd running the kvmmem plugin on fixture host k6.18 (collectd network
# plugin -> InfluxDB's collectd input).  A host that does not exist must make
# the checker fail, so the live check can fail.
set -u

TOP=${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KVMMEM_BUILD:-$TOP/build}
SO="$BUILD/kvmmem.so"
HOST="$TOP/tests/fixtures/hosts/k6.18"
DASH="$TOP/dashboards/grafana/kvmmem-collectd-influxdb.json"
CHECK="$TOP/tests/dashboards/dashcheck.py"

[ -f "$SO" ] || { echo "SKIP: $SO is not built (make)"; exit 77; }
for tool in collectd influxd python3 curl; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (scripts/deps.sh test)"; exit 77; }
done
if nm -D "$SO" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: $SO is built with AddressSanitizer and cannot load into collectd"
	exit 77
fi

TMP=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Two free TCP ports (HTTP, RPC bind) and one free UDP port (collectd input).
PORTS=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)] + [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $PORTS
HTTP=$1 RPC=$2 CD=$3
INFLUX="http://127.0.0.1:$HTTP"

cat >"$TMP/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$RPC"
[meta]
  dir = "$TMP/meta"
[data]
  dir = "$TMP/data"
  wal-dir = "$TMP/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$HTTP"
  log-enabled = false
[[collectd]]
  enabled = true
  bind-address = "127.0.0.1:$CD"
  database = "collectd"
  typesdb = "/usr/share/collectd/types.db"
  batch-size = 1
  batch-timeout = "100ms"
EOF
influxd run -config "$TMP/influxdb.conf" >"$TMP/influxd.log" 2>&1 &
PIDS="$PIDS $!"

cat >"$TMP/collectd.conf" <<EOF
Hostname "kvm-k6-18"
FQDNLookup false
BaseDir "$TMP"
PIDFile "$TMP/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
PluginDir "$BUILD"
LoadPlugin kvmmem
<Plugin kvmmem>
  Connection "test://$HOST/libvirt.xml"
  SysfsPath "$HOST/sys"
  ProcfsPath "$HOST/proc"
  LibvirtRunPath "$HOST/run"
</Plugin>
PluginDir "/usr/lib/collectd"
# FlushInterval: send every second instead of waiting for a full packet.
<LoadPlugin network>
  FlushInterval 1
</LoadPlugin>
<Plugin network>
  Server "127.0.0.1" "$CD"
</Plugin>
EOF
i=0
until curl -sf "$INFLUX/ping" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "FAIL: influxd does not answer"; tail -n 20 "$TMP/influxd.log"; exit 1; }
	sleep 0.1
done
collectd -f -C "$TMP/collectd.conf" >"$TMP/collectd.log" 2>&1 &
PIDS="$PIDS $!"

# Ready when the host's KSM counter has three points: enough for derivatives.
i=0
while :; do
	n=$(curl -sf -G "$INFLUX/query" --data-urlencode db=collectd \
		--data-urlencode "q=SELECT count(value) FROM kvmmem_value WHERE type_instance = 'ksm_pages_scanned'" |
		python3 -c 'import json,sys
s = json.load(sys.stdin)["results"][0].get("series") or []
print(s[0]["values"][0][1] if s else 0)' 2>/dev/null)
	[ "${n:-0}" -ge 3 ] && break
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "FAIL: no kvmmem data in InfluxDB after 30 s"
		tail -n 20 "$TMP/collectd.log" "$TMP/influxd.log"
		exit 1
	fi
	sleep 0.1
done
echo "data after $((i / 10)).$((i % 10)) s"

fail=0
rc=0
python3 "$CHECK" --influxdb "$INFLUX" --influx-db collectd --rate-interval 1s "$DASH" || rc=$?
[ $rc -eq 0 ] || { echo "FAIL: dashcheck exited $rc"; fail=1; }

echo "== negative: a host that does not exist gives no data"
rc=0
python3 "$CHECK" --influxdb "$INFLUX" --influx-db collectd --rate-interval 1s --var host=no-such-host "$DASH" \
	>"$TMP/neg.out" || rc=$?
cat "$TMP/neg.out"
[ $rc -eq 1 ] || { echo "FAIL: dashcheck exited $rc for a missing host, want 1"; fail=1; }
grep -q "^kvmmem-collectd-influxdb.json: panel 2 'KSM state' target A: no data: " "$TMP/neg.out" || {
	echo "FAIL: the no-data finding for panel 2 is missing"
	fail=1
}

[ $fail -eq 0 ] && echo PASS
exit $fail
