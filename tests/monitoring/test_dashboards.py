#!/usr/bin/python3
"""test_dashboards.py: the Grafana dashboards of the chart (charts/gomemlimit-webhook/dashboards/).

1. Both ship as ConfigMaps for the Grafana sidecar (metrics.dashboard.enabled), one JSON each,
   byte-identical to the files.
2. Every PromQL expression (panel targets and the selectors of the label_values() variables),
   with the Grafana variables filled in, parses: each is wrapped as a recording rule and
   `promtool check rules` (Debian package prometheus) checks the file. A broken expression
   makes that check fail (control).
3. Every series a dashboard reads exists: the webhook's own (gomemlimit_webhook_*) on the live
   /metrics of the real webhook (started like the server tests do, with a config file and
   one admission, parsed by prometheus_client), the exporters' (kube-state-metrics, cAdvisor,
   Go collector) as input series of a promtool unit test in tests/monitoring/.
4. Every query of "Go memory under limits" is evaluated by promtool on synthetic series with
   the expected results (dashboard-go-memory.test.yaml, whose expressions must be exactly the
   dashboard's); a query without its workload filter fails those tests (control).

Run from the source root with Debian's /usr/bin/python3 (python3-yaml, python3-prometheus-client).
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SRC = os.environ.get("GMW_SRC_DIR", os.getcwd())
HERE = os.path.join(SRC, "tests", "monitoring")
CHART = os.path.join(SRC, "charts", "gomemlimit-webhook")
HELM = os.path.join(os.environ.get("GMW_TOOLS_DIR", os.path.join(SRC, ".tools")), "bin", "helm")
PROMTOOL = shutil.which("promtool")
sys.path.insert(0, os.path.join(SRC, "tests", "integration", "server"))
from harness import Server, make_certs, python_is_debian, workdir  # noqa: E402

python_is_debian()
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

# Grafana variables, as the syntax check fills them in (any value: the syntax is the same).
SYNTAX_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$namespace": ".*",
               "$workload": ".*", "$container": ".*", "$job": ".*"}
# As dashboard-go-memory.test.yaml fills them in.
TEST_VARS = {"$__rate_interval": "5m", "$namespace": "apps", "$workload": "api-7d9c", "$container": "app"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
            "offset", "inf", "nan"}
from checks import check, finish  # noqa: E402


def fill(expr, values):
    for k in sorted(values, key=len, reverse=True):
        expr = expr.replace(k, values[k])
    return expr


def dashboard_exprs(d):
    """[(where, expr)] of panel targets and label_values() variable selectors."""
    out = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(d.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((f"panel {p.get('id')} '{p.get('title')}' {t.get('refId')}", t["expr"]))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)\s*", q)
        if m:
            out.append((f"variable {v['name']}", m.group(1)))
        else:
            out.append((f"variable {v['name']}", q))
    return out


def series_names(expr):
    """Metric names an expression reads (independent of our code: a small PromQL lexer)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)           # string literals
    e = re.sub(r"\{[^}]*\}", "{}", e)                        # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                         # ranges, subqueries
    # Grouping and matching clauses (label lists), so "max by (a) (x)" reads as "max (x)".
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)", e):
        rest = e[m.end():].lstrip()
        if m.group(1).lower() in KEYWORDS or rest.startswith("("):
            continue
        names.add(m.group(1))
    return names


def promtool_check(exprs, workdir_):
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:expr_{i}", "expr": e}
                                                          for i, e in enumerate(exprs)]}]}
    path = os.path.join(workdir_, "exprs.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(rules, f, width=1000)
    return subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True, timeout=120)


def test_series_names():
    """The lexer itself (a check that cannot find names would pass everything)."""
    got = series_names('max by (a, b) (foo{x="y",z=~"$v"} < 9e18) - on (a) bar:rate5m[5m] '
                       'and on (namespace) rate(baz_total{le="+Inf"}[1m] offset 5m) / ignoring (q) group_left(w) qux')
    check(got == {"foo", "bar:rate5m", "baz_total", "qux"}, f"series_names finds exactly the series ({sorted(got)})")


def test_configmaps(files):
    r = subprocess.run([HELM, "template", "gmw", CHART, "--namespace", "gmw-system", "--set",
                        "metrics.dashboard.enabled=true"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "helm template with metrics.dashboard.enabled")
    shipped = {}
    for o in yaml.safe_load_all(r.stdout):
        if o and o["kind"] == "ConfigMap" and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            shipped.update(o["data"])
    for f in files:
        name = os.path.basename(f)
        with open(f) as fh:
            check(shipped.get(name) == fh.read().rstrip("\n"), f"{name} ships in a grafana_dashboard ConfigMap")
    r = subprocess.run([HELM, "template", "gmw", CHART], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "grafana_dashboard" not in r.stdout, "no dashboard ConfigMap by default")


def live_series():
    """Sample names on the real webhook's /metrics after one admission."""
    work = workdir("gmw-dash-")
    make_certs(work)
    cfg = os.path.join(work, "config.yaml")
    with open(cfg, "w") as f:
        f.write("defaults:\n  ratio: 0.9\n")
    review = os.path.join(SRC, "tests", "integration", "server", "reviews", "pod-create-memory-limits.json")
    with Server(work, config=cfg) as srv:
        status, _, _ = srv.curl("/mutate", data_file=review)
        assert status == 200, status
        return {s.name for fam in text_string_to_metric_families(srv.metrics()) for s in fam.samples}


def test_input_series():
    names = set()
    for path in glob.glob(os.path.join(HERE, "*.test.yaml")):
        with open(path) as f:
            for t in yaml.safe_load(f)["tests"]:
                for s in t.get("input_series", []):
                    names.add(re.match(r"\s*([A-Za-z_:][A-Za-z0-9_:]*)", s["series"]).group(1))
    return names


def main():
    for tool, path in (("promtool (Debian package prometheus)", PROMTOOL), ("helm", HELM)):
        if not path or not os.access(path, os.X_OK):
            raise SystemExit(f"missing {tool}: run scripts/install-deps.sh")
    files = sorted(glob.glob(os.path.join(CHART, "dashboards", "*.json")))
    check(len(files) >= 2, f"{len(files)} dashboards: {[os.path.basename(f) for f in files]}")
    test_series_names()
    test_configmaps(files)
    known_tests = test_input_series()
    known_live = live_series()
    check("gomemlimit_webhook_injections_total" in known_live and "gomemlimit_webhook_config_info" in known_live,
          "the live /metrics has the injection and config series")
    work = tempfile.mkdtemp(prefix="gmw-dash-")
    try:
        for path in files:
            name = os.path.basename(path)
            print(f"== {name}")
            with open(path) as f:
                d = json.load(f)
            exprs = dashboard_exprs(d)
            check(len(exprs) > 3, f"{len(exprs)} expressions")
            filled = [(w, fill(e, SYNTAX_VARS)) for w, e in exprs]
            left = [(w, e) for w, e in filled if "$" in e]
            check(not left, f"every Grafana variable is known ({left})")
            r = promtool_check([e for _, e in filled], work)
            check(r.returncode == 0, f"promtool check rules: every expression parses ({(r.stdout + r.stderr).strip()[-300:]})")
            if r.returncode != 0:
                for w, e in filled:  # name the broken ones
                    if promtool_check([e], work).returncode != 0:
                        print(f"    does not parse: {w}: {e}")
            for w, e in filled:
                for s in sorted(series_names(e)):
                    # The webhook's own series must be on its real /metrics; others in a test.
                    if s.startswith("gomemlimit_webhook_"):
                        check(s in known_live, f"{w}: series {s} is on the webhook's live /metrics")
                    else:
                        check(s in known_tests, f"{w}: series {s} is an input series of a promtool test")
        print("== controls")
        r = promtool_check(["sum(rate(foo[5m])"], work)
        check(r.returncode != 0, "a broken expression fails promtool check rules")
        check("no_such_series_xyz" not in known_tests | known_live, "an unknown series is not 'known'")

        print("== Go memory under limits: every query evaluated on synthetic series")
        with open(os.path.join(CHART, "dashboards", "go-memory-under-limits.json")) as f:
            d = json.load(f)
        targets = [fill(e, TEST_VARS) for w, e in dashboard_exprs(d) if w.startswith("panel")]
        test_file = os.path.join(HERE, "dashboard-go-memory.test.yaml")
        with open(test_file) as f:
            doc = yaml.safe_load(f)
        tested = [t["expr"] for case in doc["tests"] for t in case.get("promql_expr_test", [])]
        check(sorted(tested) == sorted(targets),
              f"the test's expressions are exactly the dashboard's {len(targets)} queries "
              f"(missing: {sorted(set(targets) - set(tested))}, extra: {sorted(set(tested) - set(targets))})")
        shutil.copy(test_file, work)
        r = subprocess.run([PROMTOOL, "test", "rules", "dashboard-go-memory.test.yaml"], capture_output=True,
                           text=True, cwd=work, timeout=120)
        check(r.returncode == 0, "promtool test rules dashboard-go-memory.test.yaml")
        if r.returncode != 0:
            print(r.stdout[-4000:] + r.stderr[-2000:])
        # Control: the same tests with the workload filter gone must fail (batch-1 appears).
        for case in doc["tests"]:
            for t in case.get("promql_expr_test", []):
                t["expr"] = t["expr"].replace('owner_name=~"api-7d9c"', 'owner_name=~".*"')
        with open(os.path.join(work, "control.test.yaml"), "w") as f:
            yaml.safe_dump(doc, f, width=1000)
        r = subprocess.run([PROMTOOL, "test", "rules", "control.test.yaml"], capture_output=True, text=True,
                           cwd=work, timeout=120)
        check(r.returncode != 0, "without the workload filter the expected results do not hold")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
