#!/bin/sh
# test_collectd_influxdb.sh - kvmmem values through collectd's network
# plugin into a real InfluxDB 1.6 (its [[collectd]] input), queried back
# with InfluxQL: host KSM values, a domain's balloon and KSM values (odd
# names intact), and the duration type's own measurement.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOSTDIR="$TOP/tests/fixtures/hosts/k6.18"

require_collectd_plugin
require_tools influxd curl
tmpdir_with_cleanup

start_influxdb
collectd_conf "$T/collectd.conf" testhost 1 "$(kvmmem_fixture_block "$HOSTDIR")" \
	"$(collectd_network_to "$INFLUX_COLLECTD_PORT")"
start_collectd "$T/collectd.conf" "$T/collectd.log"

# query Q: the CSV answer of InfluxQL Q, header line dropped.
query() {
	curl -sf -G "$INFLUX/query" -H 'Accept: application/csv' \
		--data-urlencode db=collectd --data-urlencode "q=$1" | tail -n +2
}

# check NAME Q WANT: polls (15 s at most, while collectd runs) until the query answers exactly WANT.
answers() {
	got=$(query "$1" | sed -E 's/,[0-9]{19},/,/')
	[ "$got" = "$2" ]
}
check() {
	if wait_until -p "$CPID" 15 answers "$2" "$3"; then
		ok "$1"
	else
		fail "$1: $2"
		echo "got:"
		echo "$got"
		echo "want:"
		echo "$3"
	fi
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

if grep '^\[error\]' "$T/collectd.log"; then
	fail "collectd logged errors"
fi
finish
