#!/bin/sh
# test_collectd_influxdb.sh - kvmmem values through collectd's network
# plugin into a real InfluxDB 1.6 (its [[collectd]] input), queried back
# with InfluxQL: host KSM values, a domain's balloon and KSM values (odd
# names intact), and the duration type's own measurement.
set -u
TOP=${KVMMEM_TOP:?run through tests/run.sh}
O=${KVMMEM_BUILD:?run through tests/run.sh}
SO="$O/kvmmem.so"
HOSTDIR="$TOP/tests/fixtures/hosts/k6.18"

[ -f "$SO" ] || { echo "SKIP: $SO not built (collectd-dev headers missing)"; exit 77; }
command -v collectd >/dev/null || { echo "SKIP: collectd not installed (collectd-core)"; exit 77; }
command -v influxd >/dev/null || { echo "SKIP: influxd not installed (influxdb)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
if nm -D "$SO" | grep -q '__asan_init'; then
	echo "SKIP: $SO is built with SANITIZE=address and cannot load into the non-sanitized collectd"
	exit 77
fi

TMP=$(mktemp -d)
CPID= IPID=
cleanup() {
	[ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	[ -n "$IPID" ] && kill -TERM "$IPID" 2>/dev/null && wait "$IPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A port nobody listens on, TCP or UDP, from /proc/net (ports in hex).
port_free() {
	hex=$(printf ':%04X ' "$1")
	! cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null | awk '{print $2 " "}' | grep -q "$hex"
}
pick_port() {
	p=$((20000 + $$ % 20000 + $1))
	while ! port_free $p; do p=$((p + 7)); done
	echo $p
}
HTTP=$(pick_port 0)
BIND=$(pick_port 101)
CDPORT=$(pick_port 203)

cat >"$TMP/influxdb.conf" <<EOC
reporting-disabled = true
bind-address = "127.0.0.1:$BIND"
[meta]
  dir = "$TMP/influx/meta"
[data]
  dir = "$TMP/influx/data"
  wal-dir = "$TMP/influx/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$HTTP"
  log-enabled = false
[[collectd]]
  enabled = true
  bind-address = "127.0.0.1:$CDPORT"
  database = "collectd"
  typesdb = "/usr/share/collectd/types.db"
  batch-size = 1
  batch-timeout = "100ms"
EOC
influxd run -config "$TMP/influxdb.conf" >"$TMP/influxd.log" 2>&1 &
IPID=$!
i=0
until curl -sf "http://127.0.0.1:$HTTP/ping" >/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $IPID 2>/dev/null; then
		echo "FAIL: influxd did not answer /ping"
		tail -20 "$TMP/influxd.log"
		exit 1
	fi
	sleep 0.1
done

cat >"$TMP/collectd.conf" <<EOC
Hostname "testhost"
FQDNLookup false
BaseDir "$TMP"
PIDFile "$TMP/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File STDERR
  Timestamp false
  PrintSeverity true
</Plugin>
PluginDir "$O"
LoadPlugin kvmmem
PluginDir "/usr/lib/collectd"
<Plugin kvmmem>
  Connection "test://$HOSTDIR/libvirt.xml"
  SysfsPath "$HOSTDIR/sys"
  ProcfsPath "$HOSTDIR/proc"
  LibvirtRunPath "$HOSTDIR/run"
</Plugin>
# Without FlushInterval the network plugin waits for a full packet.
<LoadPlugin network>
  FlushInterval 1
</LoadPlugin>
<Plugin network>
  Server "127.0.0.1" "$CDPORT"
</Plugin>
EOC
collectd -f -C "$TMP/collectd.conf" >"$TMP/collectd.log" 2>&1 &
CPID=$!

# query Q: the CSV answer of InfluxQL Q, header line dropped.
query() {
	curl -sf -G "http://127.0.0.1:$HTTP/query" -H 'Accept: application/csv' \
		--data-urlencode db=collectd --data-urlencode "q=$1" | tail -n +2
}

fails=0
# check NAME Q WANT: polls until the query answers exactly WANT.
check() {
	i=0
	while :; do
		got=$(query "$2" | sed -E 's/,[0-9]{19},/,/')
		[ "$got" = "$3" ] && { echo "ok $1"; return; }
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$CPID" 2>/dev/null; then
			echo "FAIL $1: $2"
			echo "got:"
			echo "$got"
			echo "want:"
			echo "$3"
			fails=$((fails + 1))
			return
		fi
		sleep 0.1
	done
}

# CSV columns: name, tags, time (ns, 19 digits, cut away above), values.
check "host KSM pages_sharing" \
	"SELECT last(value) FROM kvmmem_value WHERE instance = '' AND type = 'vmpage_number' AND type_instance = 'ksm_pages_sharing' GROUP BY host" \
	"kvmmem_value,host=testhost,31607"
check "host KSM general_profit" \
	"SELECT last(value) FROM kvmmem_value WHERE instance = '' AND type = 'gauge' AND type_instance = 'ksm_general_profit'" \
	"kvmmem_value,,118562688"
check "domain balloon current, every running domain" \
	"SELECT last(value) FROM kvmmem_value WHERE type = 'memory' AND type_instance = 'balloon_current' GROUP BY instance" \
	'kvmmem_value,instance=café,2147483648
kvmmem_value,"instance=comma\,name",268435456
kvmmem_value,instance=noperiod,1610612736
kvmmem_value,instance=noshare,1342177280
kvmmem_value,instance=pinned,4294967296
kvmmem_value,"instance=quote""back\slash",1610612736
kvmmem_value,instance=recycled,671088640
kvmmem_value,instance=scanned,939524096
kvmmem_value,instance=stale,671088640
kvmmem_value,instance=web-01,805306368'
check "domain KSM profit, negative kept" \
	"SELECT last(value) FROM kvmmem_value WHERE type = 'gauge' AND type_instance = 'ksm_profit' AND instance = 'café'" \
	"kvmmem_value,,-768000"
check "domain KSM merging pages" \
	"SELECT last(value) FROM kvmmem_value WHERE type = 'vmpage_number' AND type_instance = 'ksm_merging_pages' AND instance = 'web-01'" \
	"kvmmem_value,,17301"
check "duration type in kvmmem_seconds" \
	"SELECT last(value) FROM kvmmem_seconds WHERE type = 'duration' AND type_instance = 'balloon_stats_period' AND instance = 'quote\"back\\\\slash'" \
	"kvmmem_seconds,,10"
check "measurements" "SHOW MEASUREMENTS" "measurements,,kvmmem_seconds
measurements,,kvmmem_value"
check "tag keys" "SHOW TAG KEYS FROM kvmmem_value" "kvmmem_value,,host
kvmmem_value,,instance
kvmmem_value,,type
kvmmem_value,,type_instance"

if grep '^\[error\]' "$TMP/collectd.log"; then
	echo "FAIL: collectd logged errors"
	fails=$((fails + 1))
fi
[ $fails -eq 0 ] || exit 1
echo PASS
