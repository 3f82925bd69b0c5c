#!/bin/sh
# test_dashboards.sh - offline checks of the Grafana dashboards: structure,
# metric names against the catalogue, collectd type_instances against
# docs/collectd.md's mapping table, a noValue on every panel of an
# off-by-default collector (the list from the exporter's --help), and every
# PromQL expression parsed by promtool (tests/dashboards/dashcheck.py).  The
# checker itself is tested on the cases in tests/dashboards/cases/: each
# NAME.json must give exactly NAME.out, and only good.json may pass; and on
# the shipped dashboards with the guest OOM kill family misspelled, which
# must give exactly the findings of the panels that show it.
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
CHECK="$TOP/tests/dashboards/dashcheck.py"

require_exporter
require_tools promtool python3
tmpdir_with_cleanup

# Collectors off by default, as the exporter's --help says: "--[no-]collector.NAME" then its help line.
OPTIONAL=$("$BIN" --help | awk '/^  --\[no-\]collector\./ { sub(/.*collector\./, ""); name = $0; next }
	name != "" && /\(default: disabled\)/ { printf "--optional-collector %s ", name } { if (!/^  --\[no-\]/) name = "" }')
[ -n "$OPTIONAL" ] || fail "no collector is off by default in $BIN --help (qmp is)"
# shellcheck disable=SC2086 # OPTIONAL is one option and value per word
set -- --promtool promtool --catalogue "$TOP/common/model/catalogue.c" \
	--collectd-mapping "$TOP/docs/collectd.md" $OPTIONAL

# The shipped dashboards: no findings at all, so the output is the summary alone.
rc=0
python3 "$CHECK" "$@" --rules "$TOP/dashboards/prometheus/kvmmem-rules.yml" "$TOP"/dashboards/grafana/*.json \
	>"$T/out" || rc=$?
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
	python3 "$CHECK" "$@" "$json" >"$T/$name.out" || rc=$?
	want=1
	[ "$name" = good ] && want=0
	expect "case $name: exit status" $want $rc
	if ! diff -u "${json%.json}.out" "$T/$name.out"; then
		fail "case $name: output differs"
	fi
done

# The guest pressure panels are checked like every other: with the OOM kill
# family misspelled (and the collectd name of it), exactly its panels fail.
mkdir "$T/mutated"
for d in domain host collectd-influxdb; do
	sed -e 's/kvmmem_domain_guest_oom_kills_total/kvmmem_domain_guest_oom_kill_total/g' \
		-e "s/'guest_oom_kills'/'guest_oom_kill'/g" "$TOP/dashboards/grafana/kvmmem-$d.json" >"$T/mutated/kvmmem-$d.json"
done
rc=0
python3 "$CHECK" "$@" --rules "$TOP/dashboards/prometheus/kvmmem-rules.yml" "$T"/mutated/*.json >"$T/mutated.out" || rc=$?
expect "misspelled guest OOM kills: exit status" 1 $rc
expect "misspelled guest OOM kills: the findings" \
	"kvmmem-collectd-influxdb.json: panel 17 'Guest OOM kills' target A: unknown type_instance guest_oom_kill
kvmmem-domain.json: panel 21 'Guest OOM kills' target A: unknown metric kvmmem_domain_guest_oom_kill_total
kvmmem-host.json: panel 29 'Guest OOM kills' target A: unknown metric kvmmem_domain_guest_oom_kill_total
FAIL: 3 dashboards, 95 queries, 76 parsed by promtool, 3 findings" "$(cat "$T/mutated.out")"

finish
