#!/bin/sh
# test_dashboards.sh - offline checks of the Grafana dashboards: structure,
# metric names against the catalogue, and every PromQL expression parsed by
# promtool (tests/dashboards/dashcheck.py).  The checker itself is tested on
# the cases in tests/dashboards/cases/: each NAME.json must give exactly
# NAME.out, and only good.json may pass.
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
CHECK="$TOP/tests/dashboards/dashcheck.py"

require_tools promtool python3
tmpdir_with_cleanup

# The shipped dashboards: no findings at all, so the output is the summary alone.
rc=0
python3 "$CHECK" --promtool promtool --catalogue "$TOP/common/model/catalogue.c" \
	--rules "$TOP/dashboards/prometheus/kvmmem-rules.yml" "$TOP"/dashboards/grafana/*.json >"$T/out" || rc=$?
cat "$T/out"
if [ $rc -ne 0 ] || [ "$(wc -l <"$T/out")" -ne 1 ]; then
	fail "the shipped dashboards have findings (rc $rc)"
fi
for d in host domain fleet collectd-influxdb; do
	[ -f "$TOP/dashboards/grafana/kvmmem-$d.json" ] || fail "kvmmem-$d.json is missing"
done

# The checker's own cases, compared line for line.
for json in "$TOP"/tests/dashboards/cases/*.json; do
	name=$(basename "$json" .json)
	rc=0
	python3 "$CHECK" --promtool promtool --catalogue "$TOP/common/model/catalogue.c" "$json" >"$T/$name.out" || rc=$?
	want=1
	[ "$name" = good ] && want=0
	expect "case $name: exit status" $want $rc
	if ! diff -u "${json%.json}.out" "$T/$name.out"; then
		fail "case $name: output differs"
	fi
done

finish
