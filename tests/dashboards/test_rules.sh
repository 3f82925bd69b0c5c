#!/bin/sh
# test_rules.sh - the Prometheus rules parse, pass their unit tests, and
# those tests catch every mutated rule (tests/dashboards/rulecheck.py).
set -eu

TOP=${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
RULES="$TOP/dashboards/prometheus/kvmmem-rules.yml"
TESTS="$TOP/dashboards/prometheus/kvmmem-rules.test.yml"

for tool in promtool python3; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (scripts/deps.sh test)"; exit 77; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed (scripts/deps.sh test)"; exit 77; }

promtool check rules "$RULES"
# promtool resolves rule_files relative to the test file.
promtool test rules "$TESTS"
python3 "$TOP/tests/dashboards/rulecheck.py" "$RULES" "$TESTS"
echo PASS
