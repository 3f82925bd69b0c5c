#!/bin/sh
# test_dashboards.sh - offline checks of the Grafana dashboards: structure,
# metric names against the catalogue, and every PromQL expression parsed by
# promtool (tests/dashboards/dashcheck.py).  The checker itself is tested on
# the cases in tests/dashboards/cases/: each NAME.json must give exactly
# NAME.out, and only good.json may pass.
set -eu

TOP=${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
CHECK="$TOP/tests/dashboards/dashcheck.py"

for tool in promtool python3; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (scripts/deps.sh test)"; exit 77; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

# The shipped dashboards: no findings at all, so the output is the summary alone.
rc=0
python3 "$CHECK" --promtool promtool --catalogue "$TOP/common/model/catalogue.c" \
	--rules "$TOP/dashboards/prometheus/kvmmem-rules.yml" "$TOP"/dashboards/grafana/*.json >"$TMP/out" || rc=$?
cat "$TMP/out"
if [ $rc -ne 0 ] || [ "$(wc -l <"$TMP/out")" -ne 1 ]; then
	echo "FAIL: the shipped dashboards have findings (rc $rc)"
	fail=1
fi
for d in host domain fleet collectd-influxdb; do
	[ -f "$TOP/dashboards/grafana/kvmmem-$d.json" ] || { echo "FAIL: kvmmem-$d.json is missing"; fail=1; }
done

# The checker's own cases, compared line for line.
for json in "$TOP"/tests/dashboards/cases/*.json; do
	name=$(basename "$json" .json)
	rc=0
	python3 "$CHECK" --promtool promtool --catalogue "$TOP/common/model/catalogue.c" "$json" >"$TMP/$name.out" || rc=$?
	want=1
	[ "$name" = good ] && want=0
	if [ $rc -ne $want ]; then
		echo "FAIL: case $name: exit $rc, want $want"
		fail=1
	fi
	if ! diff -u "${json%.json}.out" "$TMP/$name.out"; then
		echo "FAIL: case $name: output differs"
		fail=1
	fi
done

[ $fail -eq 0 ] && echo PASS
exit $fail
