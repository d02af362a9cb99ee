#!/usr/bin/python3
"""test_cli_check.py - `mutate --check` for CI (issue 10): exit codes (0 clean; 1 a Pod would
be denied or a container would abort at start; --strict: 1 on any advice), the text preview
and `--output json` (one record per container).

Oracles, independent of our C code: the expected values come from fixturelib.py (the rules in
Python) after the apiserver's request-from-limit defaulting written here from Kubernetes'
SetDefaults_Pod; YAML is written with PyYAML; JSON read with Python's json.

Run from the source root: GMW_BIN=build/gomemlimit-webhook tests/integration/test_cli_check.py
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import yaml  # python3-yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixturelib as fl  # noqa: E402

BIN = os.environ.get("GMW_BIN", "build/gomemlimit-webhook")
SRC = os.environ.get("GMW_SRC_DIR", os.getcwd())
EXAMPLES = os.path.join(SRC, "examples")
failures = []


def run(args, stdin=None):
    p = subprocess.run([BIN, "mutate"] + args, input=stdin.encode() if stdin else None,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


def deployment(name, containers, annotations=None):
    meta = {"labels": {"app": name}}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": meta, "spec": {"containers": containers}}}}


def container(name, limit=None, env=None, request=None):
    c = {"name": name, "image": "example/%s:1" % name}
    res = {}
    if limit:
        res["limits"] = {"memory": limit}
    if request:
        res["requests"] = {"memory": request}
    if res:
        c["resources"] = res
    if env:
        c["env"] = [{"name": k, "value": v} for k, v in env]
    return c


def apiserver_defaults(spec):
    """Kubernetes SetDefaults_Pod: each resource with a limit and no request gets request=limit."""
    spec = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            res = c.get("resources") or {}
            if res.get("limits"):
                req = res.get("requests") or {}
                for r, v in res["limits"].items():
                    req.setdefault(r, v)
                res["requests"] = req
    return spec


def oracle(obj):
    """(mutated pod-like, info) for a Deployment's template, the way the Pods will get it."""
    tmpl = obj["spec"]["template"]
    pod = {"metadata": copy.deepcopy(tmpl.get("metadata") or {}),
           "spec": apiserver_defaults(tmpl["spec"])}
    return fl.expected_mutation(pod, obj["metadata"].get("namespace", "default"))


def write(docs):
    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="gmw-check-")
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)
    return path


def test_clean_example():
    rc, out, err = run(["--check", "-f", os.path.join(EXAMPLES, "deployment.yaml")])
    check(rc == 0, f"clean example: exit {rc}: {err}")
    docs = list(yaml.safe_load_all(open(os.path.join(EXAMPLES, "deployment.yaml"))))
    want, info = oracle(docs[0])
    for c in want["spec"]["containers"]:
        env = {e["name"]: e["value"] for e in c["env"]}
        line = ("Deployment/api: gomemlimit: container %s: GOMEMLIMIT=%s GOGC=%s requests.memory=%s"
                % (c["name"], env["GOMEMLIMIT"], env["GOGC"], c["resources"]["requests"]["memory"]))
        check(line in out.splitlines(), f"missing preview line {line!r} in\n{out}")
    check("Service" not in out, "a Service has no preview")


def test_denied_exits_1():
    bad = deployment("api", [container("app", "512Mi")], {"gomemlimit.io/gogc": "fast"})
    rc, out, err = run(["--check", "-f", write([bad])])
    check(rc == 1, f"invalid annotation: exit {rc}, want 1")
    check("Deployment/api: denied: gomemlimit: " in out and "gomemlimit.io/gogc" in out,
          f"denial not shown: {out}")


def test_malformed_gomemlimit_exits_1():
    # Go aborts at start on "512Mi" (a Kubernetes quantity, not a Go size), limit or not; the
    # line names the container, the value and a fix for it: the same bytes in Go's spelling
    # (512 x 2^20 = 512MiB), else the webhook's value (90 % of 1Gi = 921.6 MiB, whole MiB
    # down), else (no limit) remove it
    fix = {("512Mi", "1Gi"): "use 512MiB", ("512Mi", None): "use 512MiB",
           ("lots", "1Gi"): "use e.g. 921MiB", ("lots", None): "remove it or use e.g. 400MiB"}
    for (value, limit), want in fix.items():
        d = deployment("api", [container("app", limit, env=[("GOMEMLIMIT", value)])])
        rc, out, err = run(["--check", "-f", write([d])])
        check(rc == 1, f"malformed GOMEMLIMIT (limit {limit}): exit {rc}, want 1\n{out}{err}")
        line = f'gomemlimit: container app: GOMEMLIMIT="{value}" makes Go abort at start; {want}'
        check(line in out, f"no malformed line {line!r}: {out}")


def test_advice_only_with_strict():
    d = deployment("api", [container("app", "512Mi", env=[("GOGC", "10")])])
    path = write([d])
    rc, out, err = run(["--check", "-f", path])
    check(rc == 0, f"advice without --strict: exit {rc}, want 0")
    want, info = oracle(d)
    advice = fl.expected_pod_advice(want, info)
    check(len(advice) == 1, f"oracle advice {advice}")
    for a in advice:
        check(("Deployment/api: " + a) in out.splitlines(), f"advice {a!r} not in {out}")
    rc, out, err = run(["--check", "--strict", "-f", path])
    check(rc == 1, f"--strict with advice: exit {rc}, want 1")
    clean = deployment("api", [container("app", "512Mi")])
    rc, out, err = run(["--check", "--strict", "-f", write([clean])])
    check(rc == 0, f"--strict without advice: exit {rc}, want 0: {out}")


def test_json_one_record_per_container():
    d1 = deployment("api", [container("app", "512Mi"), container("proxy"),
                            container("legacy", "1Gi", env=[("GOMEMLIMIT", "900MiB")])])
    d2 = deployment("bad", [container("app", "512Mi")], {"gomemlimit.io/ratio": "2"})
    lst = {"apiVersion": "v1", "kind": "List",
           "items": [deployment("job", [container("worker", "256Mi", request="64Mi")])]}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}}
    rc, out, err = run(["--check", "-o", "json", "-f", write([d1, d2, lst, svc])])
    check(rc == 1, f"json with a denial: exit {rc}")
    try:
        recs = json.loads(out)
    except ValueError as e:
        check(False, f"--output json is not JSON: {e}: {out[:300]}")
        return
    by = {(r["object"], r["container"]): r for r in recs}
    check(len(recs) == 5, f"{len(recs)} records, want 3 + 1 (denied object) + 1: {list(by)}")
    want, info = oracle(d1)
    for c in want["spec"]["containers"]:
        r = by.get(("Deployment/api", c["name"]))
        if not check(r is not None, f"no record for {c['name']}"):
            continue
        check(r["document"] == 1 and r["namespace"] == "shop" and r["denied"] is False, r)
        if c["name"] in info["injected"] or c["name"] in info["user"]:
            env = {e["name"]: e["value"] for e in c["env"]}
            check(r["GOMEMLIMIT"] == env["GOMEMLIMIT"] and r["GOGC"] == env["GOGC"] and
                  r["requestsMemory"] == c["resources"]["requests"]["memory"], (r, c))
            check(r["action"] == ("unchanged" if c["name"] in info["user"] else "injected"), r)
            check(r["userGOMEMLIMIT"] is (c["name"] in info["user"]), r)
        else:
            check(r["action"] == "skipped" and r["reason"] == info["skipped"][c["name"]], r)
            check(any("skipped" in w for w in r["warnings"]), r)
    bad = by.get(("Deployment/bad", None))
    check(bad is not None and bad["denied"] is True and "gomemlimit.io/ratio" in bad["message"],
          f"denied record: {bad}")
    job = by.get(("Deployment/job", "worker"))
    check(job is not None and job["document"] == 3, f"List item record: {job}")
    if job:
        jwant, jinfo = oracle(lst["items"][0])
        check(job["advice"] == fl.expected_pod_advice(jwant, jinfo), (job["advice"], jwant))
        check(job["requestsMemory"] == "230Mi", job)


def test_usage_errors():
    ex = os.path.join(EXAMPLES, "deployment.yaml")
    for args in (["--strict", "-f", ex], ["--check", "--in-place", "-f", ex],
                 ["--check", "--review", "-f", ex], ["--check", "-o", "preserve", "-f", ex],
                 ["--in-place", "-f", "-"]):
        rc, out, err = run(args)
        check(rc == 2 and err, f"{args}: exit {rc}, want 2 with a message")
    rc, out, err = run(["--check", "-f", "/nonexistent.yaml"])
    check(rc == 1 and "nonexistent" in err, f"missing file: exit {rc}")
    rc, out, err = run(["--check", "-f", "-"], "a: [\n")
    check(rc == 1 and err, f"bad YAML: exit {rc}")


if __name__ == "__main__":
    for t in (test_clean_example, test_denied_exits_1, test_malformed_gomemlimit_exits_1,
              test_advice_only_with_strict, test_json_one_record_per_container, test_usage_errors):
        before = len(failures)
        t()
        print(("PASS " if len(failures) == before else "FAIL ") + t.__name__)
    sys.exit(1 if failures else 0)
