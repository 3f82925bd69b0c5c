#!/bin/sh
# test_rules.sh - the Prometheus rules parse, pass their unit tests, and
# those tests catch every mutated rule (tests/dashboards/rulecheck.py).
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
RULES="$TOP/dashboards/prometheus/kvmmem-rules.yml"
TESTS="$TOP/dashboards/prometheus/kvmmem-rules.test.yml"

require_tools promtool python3
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed (scripts/deps.sh test)"

promtool check rules "$RULES"
# promtool resolves rule_files relative to the test file.
promtool test rules "$TESTS"
python3 "$TOP/tests/dashboards/rulecheck.py" "$RULES" "$TESTS"
finish
