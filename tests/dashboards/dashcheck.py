#!/usr/bin/env python3
"""dashcheck.py - check kvmmem's Grafana dashboards offline and against live data.

Offline (always):
  * structure: valid JSON, uid/title/schemaVersion, unique panel ids, gridPos
    inside 24 columns, a unit and a one-sentence description on every panel,
    the datasource always the ${datasource} variable, every variable used is
    defined, multi-value variables matched with =~, job and instance never
    hard-coded and every panel selector filtered by $job and $instance;
  * metric names: every kvmmem_* name exists in the catalogue (--catalogue)
    or is a recording rule of the rules file (--rules); every collectd
    type_instance an InfluxQL query names (= 'x', or each name a =~ /^a_(b|c)$/
    spells out) is one the plugin sends (--collectd-mapping, the mapping table
    of docs/collectd.md);
  * absence explained: a panel that shows only families of a collector that is
    off by default (--optional-collector, repeated) has a noValue that names it
    (--collector.NAME for Prometheus, the collector's name for InfluxDB), so
    Grafana's "No data" says what is missing;
  * PromQL syntax: every panel and variable expression, with Grafana's
    $__rate_interval, $__interval and $__range substituted, is written into a
    temporary rule file and parsed by `promtool check rules` (--promtool).

Live (optional):
  * --prometheus URL runs every PromQL panel and variable query as an instant
    query and requires a non-empty result;
  * --every-instance INSTANCE (repeated) with --prometheus requires data from
    each of these instances: every query, with $instance set to one of them
    alone, must return data;
  * --influxdb URL --influx-db NAME does the same for InfluxQL dashboards.

Findings are printed one a line as "<file>: <where>: <problem>", sorted in
document order; the exit status is 1 when there is any, 0 otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

GRID_COLUMNS = 24
MIN_SCHEMA_VERSION = 38
# Grafana's own variables, substituted at query time.
BUILTIN_DURATIONS = ("__rate_interval", "__interval", "__range")
BUILTINS = set(BUILTIN_DURATIONS) | {"__interval_ms", "__range_s", "__range_ms", "timeFilter", "__timeFilter",
                                     "__all", "__name", "__dashboard", "__org", "__user", "__from", "__to",
                                     "__auto_interval", "__auto"}
REQUIRED_VARS = {
    "prometheus": ("datasource", "job", "instance", "domain"),
    "influxdb": ("datasource", "host", "domain"),
}
VAR_REF = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]")
# A PromQL label matcher whose value mentions a variable.
PROM_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
# An InfluxQL tag condition: "tag" op /regex/ or 'string'.
INFLUX_COND = re.compile(r'"?(\w+)"?\s*(=~|!~|!=|=|<>)\s*(/[^/]*/|\'[^\']*\')')
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*$", re.S)
QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)
# A row of docs/collectd.md's mapping table: family, kvmmem[-DOMAIN]/type-type_instance.
MAPPING_ROW = re.compile(r"^\|\s*`(kvmmem_\w+)`\s*\|\s*`kvmmem(?:-DOMAIN)?/(\w+)-(\w+)`", re.M)
# A family of the catalogue and its collector: H(FAM_X, "name", MT_..., "unit", FIELD, COLL_Y, ...) and D(...).
CATALOGUE_ROW = re.compile(r'\b[HD]\(\s*FAM_\w+,\s*"(kvmmem_\w+)",\s*MT_\w+,\s*"[^"]*",\s*\w+,\s*COLL_(\w+)')
# A type_instance condition of InfluxQL.
INFLUX_TI = re.compile(r'"?type_instance"?\s*(=~|!~|!=|=|<>)\s*(/[^/]*/|\'[^\']*\')')
ONE_SENTENCE = re.compile(r"^[A-Z0-9$].*[.]$", re.S)
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


class Checker:
    def __init__(self, args):
        self.args = args
        self.findings = []
        self.known_metrics = None
        self.collector_of = {}     # family -> collector, from the catalogue
        self.type_instances = None  # collectd type_instance -> family, from --collectd-mapping
        self.queries = []  # (file, where, kind, text) kind: promql | label_values | influxql
        self.records = []
        self.parsed = 0

    def fail(self, path, where, problem):
        self.findings.append("%s: %s: %s" % (os.path.basename(path), where, problem))

    # ---- catalogue and rules -------------------------------------------------
    def load_names(self):
        names = set()
        if self.args.catalogue:
            with open(self.args.catalogue, encoding="utf-8") as f:
                text = f.read()
            names |= set(re.findall(r'"(kvmmem_[a-z0-9_]+)"', text))
            self.collector_of = {n: c.lower() for n, c in CATALOGUE_ROW.findall(text)}
        if self.args.collectd_mapping:
            with open(self.args.collectd_mapping, encoding="utf-8") as f:
                self.type_instances = {ti: fam for fam, _, ti in MAPPING_ROW.findall(f.read())}
        if self.args.rules:
            with open(self.args.rules, encoding="utf-8") as f:
                self.records = re.findall(r"^\s*-?\s*record:\s*(\S+)\s*$", f.read(), re.M)
            names |= set(self.records)
        self.known_metrics = names if self.args.catalogue else None

    # ---- structure -----------------------------------------------------------
    def check_file(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                dash = json.load(f)
        except (OSError, ValueError) as e:
            self.fail(path, "file", "not valid JSON: %s" % e)
            return
        if not isinstance(dash, dict):
            self.fail(path, "file", "top level is not an object")
            return
        uid = dash.get("uid")
        if not isinstance(uid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", uid):
            self.fail(path, "dashboard", "uid must be a fixed lower-case string of at most 40 characters")
        if not isinstance(dash.get("title"), str) or not dash.get("title"):
            self.fail(path, "dashboard", "no title")
        sv = dash.get("schemaVersion")
        if not isinstance(sv, int) or sv < MIN_SCHEMA_VERSION:
            self.fail(path, "dashboard", "schemaVersion must be an integer >= %d" % MIN_SCHEMA_VERSION)

        variables = {}
        dstype = None
        for i, v in enumerate((dash.get("templating") or {}).get("list") or []):
            name = v.get("name")
            if not isinstance(name, str) or not name:
                self.fail(path, "variable %d" % i, "no name")
                continue
            if name in variables:
                self.fail(path, "variable %s" % name, "defined twice")
            variables[name] = v
            if v.get("type") == "datasource":
                dstype = v.get("query")
        if dstype not in REQUIRED_VARS:
            self.fail(path, "variable datasource", "missing, or its query is not prometheus or influxdb")
            return
        for name in REQUIRED_VARS[dstype]:
            if name not in variables:
                self.fail(path, "variable %s" % name, "missing")
        dom = variables.get("domain")
        if dom is not None and not (dom.get("multi") and dom.get("includeAll")):
            self.fail(path, "variable domain", "must be multi-value with All")
        multi = {n for n, v in variables.items() if v.get("multi") or v.get("includeAll")}

        for name, v in variables.items():
            where = "variable %s" % name
            if v.get("type") == "datasource":
                continue
            if v.get("type") == "query":
                self.check_datasource(path, where, v.get("datasource"))
                q = v.get("query")
                text = q.get("query") if isinstance(q, dict) else q
                if not isinstance(text, str) or not text.strip():
                    self.fail(path, where, "query variable without a query")
                    continue
                self.check_refs(path, where, text, variables)
                self.check_matchers(path, where, text, multi, dstype)
                if dstype == "prometheus":
                    self.check_metric_names(path, where, text)
                    kind = "label_values" if LABEL_VALUES.match(text) else "promql"
                else:
                    kind = "influxql"
                self.queries.append((path, where, kind, text))

        seen_ids = {}
        for panel, parent in self.walk_panels(dash.get("panels") or []):
            pid = panel.get("id")
            where = "panel %s %r" % (pid, panel.get("title", ""))
            if not isinstance(pid, int):
                self.fail(path, where, "id is not an integer")
            elif pid in seen_ids:
                self.fail(path, where, "id already used by %r" % seen_ids[pid])
            else:
                seen_ids[pid] = panel.get("title", "")
            self.check_grid(path, where, panel.get("gridPos"))
            if panel.get("type") == "row":
                continue
            if not panel.get("title"):
                self.fail(path, where, "no title")
            desc = panel.get("description")
            if not isinstance(desc, str) or not ONE_SENTENCE.match(desc) or SENTENCE_BREAK.search(desc):
                self.fail(path, where, "description must be one sentence ending with a period")
            unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
            if not isinstance(unit, str) or not unit:
                self.fail(path, where, "no unit in fieldConfig.defaults")
            self.check_datasource(path, where, panel.get("datasource"))
            self.check_refs(path, where, panel.get("title", ""), variables)
            targets = panel.get("targets")
            if not isinstance(targets, list) or not targets:
                self.fail(path, where, "no targets")
                continue
            refids = set()
            families = set()
            for t in targets:
                ref = t.get("refId")
                tw = "%s target %s" % (where, ref)
                if not ref or ref in refids:
                    self.fail(path, tw, "refId missing or repeated")
                refids.add(ref)
                if "datasource" in t:
                    self.check_datasource(path, tw, t.get("datasource"))
                if dstype == "prometheus":
                    text = t.get("expr")
                else:
                    text = t.get("query")
                    if t.get("rawQuery") is not True:
                        self.fail(path, tw, "InfluxQL targets must be raw queries")
                if not isinstance(text, str) or not text.strip():
                    self.fail(path, tw, "no query")
                    continue
                self.check_refs(path, tw, text, variables)
                self.check_matchers(path, tw, text, multi, dstype)
                if dstype == "prometheus":
                    self.check_metric_names(path, tw, text)
                    self.check_selectors(path, tw, text)
                    families |= set(re.findall(r"\b(kvmmem[a-z0-9_:]*)", self.strip_strings(text)))
                    self.queries.append((path, tw, "promql", text))
                else:
                    self.check_influx_filters(path, tw, text)
                    families |= self.check_influx_names(path, tw, text)
                    self.queries.append((path, tw, "influxql", text))
            self.check_no_value(path, where, panel, families, dstype)

    def walk_panels(self, panels, parent=None):
        for p in panels:
            if not isinstance(p, dict):
                continue
            yield p, parent
            if p.get("type") == "row":
                yield from self.walk_panels(p.get("panels") or [], p)

    def check_grid(self, path, where, g):
        if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in ("x", "y", "w", "h")):
            self.fail(path, where, "gridPos needs integer x, y, w, h")
            return
        if g["x"] < 0 or g["y"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > GRID_COLUMNS:
            self.fail(path, where, "gridPos %s is outside %d columns" % (
                "x=%d w=%d" % (g["x"], g["w"]), GRID_COLUMNS))

    def check_datasource(self, path, where, ds):
        if not isinstance(ds, dict) or ds.get("uid") != "${datasource}":
            self.fail(path, where, "datasource must be {\"uid\": \"${datasource}\"}")

    def check_refs(self, path, where, text, variables):
        for m in VAR_REF.finditer(text):
            name = m.group(1) or m.group(2) or m.group(3)
            if name.isdigit() or name in BUILTINS:
                continue
            if name not in variables:
                self.fail(path, where, "uses undefined variable $%s" % name)

    def check_matchers(self, path, where, text, multi, dstype):
        if dstype == "prometheus":
            for m in PROM_MATCHER.finditer(text):
                label, op, value = m.groups()
                refs = {a or b or c for a, b, c in VAR_REF.findall(value)}
                if refs & multi and op in ("=", "!="):
                    self.fail(path, where, "multi-value variable in %s%s\"%s\": use =~" % (label, op, value))
                if label in ("job", "instance") and "$" not in value and "$%s" % label not in value:
                    self.fail(path, where, "hard-coded %s%s\"%s\"" % (label, op, value))
        else:
            for m in INFLUX_COND.finditer(text):
                label, op, value = m.groups()
                refs = {a or b or c for a, b, c in VAR_REF.findall(value)}
                if refs & multi and op not in ("=~", "!~"):
                    self.fail(path, where, "multi-value variable in %s %s %s: use =~ /^$var$/" % (label, op, value))

    def strip_strings(self, text):
        return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)

    def check_metric_names(self, path, where, text):
        if self.known_metrics is None:
            return
        for name in re.findall(r"\b(kvmmem[a-z0-9_:]*)", self.strip_strings(text)):
            if name not in self.known_metrics:
                self.fail(path, where, "unknown metric %s" % name)

    def check_selectors(self, path, where, text):
        """Every series selector of a panel must filter by $job and $instance.

        Walks the expression, skipping string literals and by/on (...) label
        lists, and looks at what follows each metric name."""
        i = 0
        n = len(text)
        while i < n:
            c = text[i]
            if c == '"':
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                i = j + 1
                continue
            m = METRIC_NAME.match(text, i)
            if not m or (i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_:")):
                i += 1
                continue
            word = m.group(0)
            j = m.end()
            k = j
            while k < n and text[k].isspace():
                k += 1
            if word in ("by", "without", "on", "ignoring", "group_left", "group_right") and k < n and text[k] == "(":
                i = text.index(")", k) + 1
                continue
            if word.startswith("kvmmem") or ":" in word or word == "up":
                if k < n and text[k] == "{":
                    end = text.index("}", k)
                    body = text[k:end]
                    for label in ("job", "instance"):
                        if not re.search(r'\b%s\s*=~\s*"\$%s"' % (label, label), body):
                            self.fail(path, where, "selector %s lacks %s=~\"$%s\"" % (word, label, label))
                    i = end + 1
                    continue
                self.fail(path, where, "selector %s lacks job and instance filters" % word)
            i = j

    def check_influx_names(self, path, where, text):
        """The families an InfluxQL query shows, by its type_instance
        conditions; a name the plugin does not send is a finding."""
        if self.type_instances is None:
            return set()
        families = set()
        for op, value in INFLUX_TI.findall(text):
            if op in ("!~", "!=", "<>"):
                continue
            if value.startswith("'"):
                spelled = [value[1:-1]]
            else:
                spelled = spell_out(value[1:-1])
            if spelled is None:
                # A pattern with wildcards: it must match something.
                matched = [ti for ti in self.type_instances if re.search(value[1:-1], ti)]
                if not matched:
                    self.fail(path, where, "type_instance %s matches nothing the plugin sends" % value)
                families |= {self.type_instances[ti] for ti in matched}
                continue
            for name in spelled:
                if name in self.type_instances:
                    families.add(self.type_instances[name])
                else:
                    self.fail(path, where, "unknown type_instance %s" % name)
        return families

    def check_no_value(self, path, where, panel, families, dstype):
        """A panel of an off-by-default collector's families alone says, in
        its noValue, which collector it needs."""
        optional = set(self.args.optional_collector)
        colls = {self.collector_of.get(f) for f in families}
        if not families or None in colls or not colls <= optional:
            return
        no_value = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("noValue")
        for c in sorted(colls):
            want = "--collector.%s" % c if dstype == "prometheus" else c
            if not isinstance(no_value, str) or want.lower() not in no_value.lower():
                self.fail(path, where, "shows only the %s collector's families (off by default): "
                          "fieldConfig.defaults.noValue must name %s" % (c, want))

    def check_influx_filters(self, path, where, text):
        if not re.search(r"\$timeFilter\b", text):
            self.fail(path, where, "InfluxQL query without $timeFilter")

    # ---- substitution ----------------------------------------------------------
    def substitute(self, text, kind, overrides):
        ri = self.args.rate_interval

        def repl(m):
            name = m.group(1) or m.group(2) or m.group(3)
            if name in BUILTIN_DURATIONS:
                return ri
            if name in ("__range_s",):
                return str(duration_seconds(ri))
            if name in ("__interval_ms", "__range_ms"):
                return str(duration_seconds(ri) * 1000)
            if name in ("timeFilter", "__timeFilter"):
                return "time > now() - %s" % self.args.influx_window
            if name.isdigit():
                return m.group(0)
            if name in overrides:
                return overrides[name]
            return ".+"
        return VAR_REF.sub(repl, text)

    def promql_of(self, kind, text):
        if kind == "label_values":
            m = LABEL_VALUES.match(text)
            return m.group(1), m.group(2)
        m = QUERY_RESULT.match(text)
        return (m.group(1) if m else text), None

    # ---- promtool ---------------------------------------------------------------
    def check_promql_syntax(self):
        exprs = []
        for path, where, kind, text in self.queries:
            if kind == "influxql":
                continue
            expr, _ = self.promql_of(kind, self.substitute(text, kind, {}))
            exprs.append((path, where, expr))
        if not exprs:
            return
        with tempfile.TemporaryDirectory() as tmp:
            rf = os.path.join(tmp, "dashboard-exprs.yml")
            with open(rf, "w", encoding="utf-8") as f:
                f.write("groups:\n- name: dashboard_exprs\n  rules:\n")
                for i, (_, _, expr) in enumerate(exprs):
                    f.write("  - record: dashcheck:q%d\n    expr: %s\n" % (i, json.dumps(expr)))
            p = subprocess.run([self.args.promtool, "check", "rules", rf], capture_output=True, text=True)
            out = p.stdout + p.stderr
            bad = 0
            for m in re.finditer(r'"dashcheck:q(\d+)": (.*)', out):
                path, where, _ = exprs[int(m.group(1))]
                self.fail(path, where, "promtool: %s" % m.group(2).strip())
                bad += 1
            if p.returncode != 0 and bad == 0:
                self.fail("promtool", "check rules", "failed without naming an expression: %s" % out.strip())
        self.parsed = len(exprs)

    # ---- live ---------------------------------------------------------------------
    def http_json(self, url):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            try:
                return json.load(e)
            except ValueError:
                return {"status": "error", "error": "HTTP %d" % e.code}
        except (OSError, ValueError) as e:
            return {"status": "error", "error": str(e)}

    def live_prometheus(self, overrides):
        base = self.args.prometheus.rstrip("/")
        for path, where, kind, text in self.queries:
            if kind == "influxql":
                continue
            expr, label = self.promql_of(kind, self.substitute(text, kind, overrides))
            r = self.http_json(base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
            if r.get("status") != "success":
                self.fail(path, where, "query failed: %s: %s" % (r.get("error"), expr))
                continue
            result = r["data"]["result"]
            if label is not None:
                result = [s for s in result if s.get("metric", {}).get(label)]
            if not result:
                self.fail(path, where, "no data: %s" % expr)
            elif self.args.verbose:
                print("%s: %s: %d series" % (os.path.basename(path), where, len(result)))

    def query_result(self, path, where, kind, text, overrides):
        """The series of one live query, or None (a finding made) when it failed."""
        base = self.args.prometheus.rstrip("/")
        expr, label = self.promql_of(kind, self.substitute(text, kind, overrides))
        r = self.http_json(base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        if r.get("status") != "success":
            self.fail(path, where, "query failed: %s: %s" % (r.get("error"), expr))
            return None
        result = r["data"]["result"]
        if label is not None:
            result = [s for s in result if s.get("metric", {}).get(label)]
        return result

    def live_every_instance(self, overrides):
        """Every PromQL query has data from each --every-instance host: run
        with $instance set to that host alone, it must return series.  (A
        top-N panel across the fleet shows only some hosts at once, so the
        hosts are asked one by one.)  The value goes into $instance as it
        is: a regex that matches only itself when it has no special
        characters."""
        for path, where, kind, text in self.queries:
            if kind == "influxql":
                continue
            for inst in self.args.every_instance:
                result = self.query_result(path, where, kind, text, dict(overrides, instance=inst))
                if result is not None and not result:
                    self.fail(path, where, "no data from instance %s" % inst)

    def live_records(self, overrides):
        """Every recording rule of --rules must have data in the live Prometheus."""
        base = self.args.prometheus.rstrip("/")
        job = overrides.get("job", ".+")
        for name in self.records:
            expr = '%s{job=~"%s"}' % (name, job)
            r = self.http_json(base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
            if r.get("status") != "success" or not r["data"]["result"]:
                self.fail(self.args.rules, "record %s" % name, "no data: %s" % expr)

    def live_influxdb(self, overrides):
        base = self.args.influxdb.rstrip("/")
        for path, where, kind, text in self.queries:
            if kind != "influxql":
                continue
            q = self.substitute(text, kind, overrides)
            r = self.http_json(base + "/query?" + urllib.parse.urlencode({"db": self.args.influx_db, "q": q}))
            res = (r.get("results") or [{}])[0]
            if "error" in r or "error" in res:
                self.fail(path, where, "query failed: %s: %s" % (r.get("error") or res.get("error"), q))
            elif not any(s.get("values") for s in res.get("series") or []):
                self.fail(path, where, "no data: %s" % q)
            elif self.args.verbose:
                print("%s: %s: %d series" % (os.path.basename(path), where, len(res["series"])))


def spell_out(pattern):
    """Every string an anchored pattern of plain words and (a|b) groups
    matches, e.g. ^guest_(direct|async)_scan$; None for any other pattern."""
    m = re.fullmatch(r"\^(.*)\$", pattern)
    if not m:
        return None
    words = [""]
    for part in re.findall(r"\(([\w|]+)\)|(\w+)|(.)", m.group(1)):
        group, word, other = part
        if other:
            return None
        alts = group.split("|") if group else [word]
        words = [w + a for w in words for a in alts]
    return words


def duration_seconds(d):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", d)
    if not m:
        raise SystemExit("bad duration %r" % d)
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--promtool", help="promtool binary: parse every PromQL expression")
    ap.add_argument("--catalogue", help="common/model/catalogue.c: metric names that exist")
    ap.add_argument("--rules", help="Prometheus rules file: recording rule names that exist")
    ap.add_argument("--collectd-mapping", help="docs/collectd.md: the collectd type_instances that exist")
    ap.add_argument("--optional-collector", action="append", default=[], metavar="NAME",
                    help="a collector that is off by default (repeat for each): its panels need a noValue naming it")
    ap.add_argument("--prometheus", help="base URL of a live Prometheus: every query must return data")
    ap.add_argument("--influxdb", help="base URL of a live InfluxDB 1.x: every InfluxQL query must return data")
    ap.add_argument("--influx-db", default="collectd")
    ap.add_argument("--influx-window", default="5m", help="what $timeFilter covers")
    ap.add_argument("--rate-interval", default="1m", help="value of $__rate_interval, $__interval, $__range")
    ap.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                    help="value of a dashboard variable in live queries (default: match all)")
    ap.add_argument("--live-records", action="store_true",
                    help="with --prometheus and --rules: every recording rule must return data too")
    ap.add_argument("--every-instance", action="append", default=[], metavar="INSTANCE",
                    help="with --prometheus: every query must have data from this instance (repeat for each)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every live query's series count")
    args = ap.parse_args()
    duration_seconds(args.rate_interval)
    overrides = {}
    for kv in args.var:
        name, sep, value = kv.partition("=")
        if not sep:
            ap.error("--var wants NAME=VALUE")
        overrides[name] = value

    c = Checker(args)
    c.load_names()
    for f in args.files:
        c.check_file(f)
    if args.promtool:
        c.check_promql_syntax()
    if args.prometheus:
        c.live_prometheus(overrides)
        if args.live_records:
            c.live_records(overrides)
        if args.every_instance:
            c.live_every_instance(overrides)
    if args.influxdb:
        c.live_influxdb(overrides)
    for line in c.findings:
        print(line)
    nq = len(c.queries)
    print("%s: %d dashboards, %d queries, %d parsed by promtool, %d findings" % (
        "FAIL" if c.findings else "OK", len(args.files), nq, c.parsed, len(c.findings)))
    return 1 if c.findings else 0


if __name__ == "__main__":
    sys.exit(main())
