#!/usr/bin/env python3
"""rulecheck.py RULES TESTS [--promtool P] - prove the rule unit tests can fail.

Checks that every alert has a severity, a summary, a description and a
runbook; that the unit tests name every recording rule and test every alert
both firing and silent; and then mutates the rules one at a time and requires
`promtool test rules` to fail on each mutant:
  * a recording rule whose value is doubled;
  * an alert that can never fire;
  * an alert without its `for:` duration (only when it has one), which the
    "not yet" cases must catch.
Prints one line per finding and a summary; exit 1 on any finding.
"""
import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile

import yaml


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rules")
    ap.add_argument("tests")
    ap.add_argument("--promtool", default="promtool")
    args = ap.parse_args()

    with open(args.rules, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    with open(args.tests, encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    findings = []

    records, alerts = [], []
    for group in rules["groups"]:
        for r in group["rules"]:
            (records if "record" in r else alerts).append(r)
    for a in alerts:
        name = a["alert"]
        if not (a.get("labels") or {}).get("severity"):
            findings.append("alert %s: no severity label" % name)
        for key in ("summary", "description", "runbook"):
            if not str((a.get("annotations") or {}).get(key, "")).strip():
                findings.append("alert %s: no %s annotation" % (name, key))

    tested_exprs = set()
    firing, silent = set(), set()
    for t in tests.get("tests", []):
        for e in t.get("promql_expr_test") or []:
            if e.get("exp_samples"):
                tested_exprs.add(e["expr"].strip())
        for e in t.get("alert_rule_test") or []:
            (firing if e.get("exp_alerts") else silent).add(e["alertname"])
    for r in records:
        if r["record"] not in tested_exprs:
            findings.append("record %s: no promql_expr_test with samples" % r["record"])
    for a in alerts:
        if a["alert"] not in firing:
            findings.append("alert %s: never tested firing" % a["alert"])
        if a["alert"] not in silent:
            findings.append("alert %s: never tested silent" % a["alert"])

    mutants = []
    for gi, group in enumerate(rules["groups"]):
        for ri, r in enumerate(group["rules"]):
            if "record" in r:
                mutants.append(("record %s doubled" % r["record"], gi, ri, "expr", "(%s) * 2" % r["expr"]))
            else:
                mutants.append(("alert %s never firing" % r["alert"], gi, ri, "expr", "vector(1) == 0"))
                if "for" in r:
                    mutants.append(("alert %s without for" % r["alert"], gi, ri, "for", None))

    tmp = tempfile.mkdtemp(prefix="rulecheck.")
    try:
        rules_name = tests["rule_files"][0]
        shutil.copy(args.tests, os.path.join(tmp, "t.yml"))
        shutil.copy(args.rules, os.path.join(tmp, rules_name))
        p = subprocess.run([args.promtool, "test", "rules", "t.yml"], cwd=tmp, capture_output=True, text=True)
        if p.returncode != 0:
            findings.append("unmutated rules fail their tests:\n" + p.stdout + p.stderr)
        for what, gi, ri, key, value in mutants:
            m = copy.deepcopy(rules)
            if value is None:
                del m["groups"][gi]["rules"][ri][key]
            else:
                m["groups"][gi]["rules"][ri][key] = value
            with open(os.path.join(tmp, rules_name), "w", encoding="utf-8") as f:
                yaml.safe_dump(m, f, sort_keys=False)
            p = subprocess.run([args.promtool, "test", "rules", "t.yml"], cwd=tmp, capture_output=True, text=True)
            if p.returncode == 0:
                findings.append("mutant survived: %s" % what)
    finally:
        shutil.rmtree(tmp)

    for line in findings:
        print(line)
    print("%s: %d records, %d alerts, %d mutants, %d findings" % (
        "FAIL" if findings else "OK", len(records), len(alerts), len(mutants), len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
