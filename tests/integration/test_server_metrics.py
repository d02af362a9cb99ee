#!/usr/bin/python3
"""The metrics added for docs/monitoring.md, read from a live `serve` over TLS and parsed by
the independent prometheus_client text parser (python3-prometheus-client):

- gomemlimit_webhook_injections_total{pod_namespace,decision}: one count per Pod CREATE the
  engine decided (patched/allowed/denied), none for other operations; the first
  --metrics-namespaces namespaces get their own series, later ones count as "_other";
- gomemlimit_webhook_config_info{ratio,gogc,request_policy} = 1 and config_ratio, following
  a live config reload;
- --metrics-namespaces rejects bad values.
"""
import copy
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import GMW_BIN, Server, make_certs, python_is_debian, run_tests, workdir  # noqa: E402

python_is_debian()
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

REVIEWS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server", "reviews")


def load(name):
    with open(os.path.join(REVIEWS, name)) as f:
        return json.load(f)


def review(base, namespace, operation="CREATE", uid="u"):
    r = copy.deepcopy(base)
    r["request"]["namespace"] = namespace
    r["request"]["object"]["metadata"]["namespace"] = namespace
    r["request"]["operation"] = operation
    r["request"]["uid"] = uid
    return json.dumps(r)


def families(srv):
    return {f.name: f for f in text_string_to_metric_families(srv.metrics())}


def samples(fams, family, sample_name):
    return [(s.labels, s.value) for s in fams[family].samples if s.name == sample_name]


def post(srv, body, want_decision):
    status, out, rc = srv.curl("/mutate", data=body)
    assert status == 200 and rc == 0, (status, out)
    resp = json.loads(out)["response"]
    if want_decision == "patched":
        assert resp["allowed"] and "patch" in resp, resp
    elif want_decision == "allowed":
        assert resp["allowed"] and "patch" not in resp, resp
    else:
        assert not resp["allowed"], resp


CONFIG = """defaults:
  ratio: {ratio}
  gogc: "{gogc}"
  requestPolicy: {policy}
"""


def test_injections_and_config_info():
    work = workdir("gmw-metrics-")
    make_certs(work)
    cfg = os.path.join(work, "config.yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(ratio=0.8, gogc=50, policy="keep"))
    limits = load("pod-create-memory-limits.json")
    invalid = load("pod-create-invalid-annotation.json")
    nolimit = copy.deepcopy(limits)
    for c in nolimit["request"]["object"]["spec"]["containers"]:
        c["resources"] = {}
    with Server(work, config=cfg, args=["--metrics-namespaces", "3"]) as srv:
        fams = families(srv)
        assert fams["gomemlimit_webhook_injections"].type == "counter"
        assert samples(fams, "gomemlimit_webhook_injections", "gomemlimit_webhook_injections_total") == []
        # a: 2 patched + 1 denied; b: 1 allowed (no memory limit); c: 1 patched;
        # d, e: beyond the limit of 3 -> "_other"; an UPDATE in f is not counted at all.
        post(srv, review(limits, "a", uid="1"), "patched")
        post(srv, review(limits, "a", uid="2"), "patched")
        post(srv, review(invalid, "a", uid="3"), "denied")
        post(srv, review(nolimit, "b", uid="4"), "allowed")
        post(srv, review(limits, "c", uid="5"), "patched")
        post(srv, review(limits, "d", uid="6"), "patched")
        post(srv, review(invalid, "e", uid="7"), "denied")
        status, _, _ = srv.curl("/mutate", data=review(limits, "f", operation="UPDATE", uid="8"))
        assert status == 200
        fams = families(srv)
        got = {(s[0]["pod_namespace"], s[0]["decision"]): s[1] for s in
               samples(fams, "gomemlimit_webhook_injections", "gomemlimit_webhook_injections_total")}
        want = {}
        for ns in ("a", "b", "c", "_other"):
            for d in ("patched", "allowed", "denied"):
                want[(ns, d)] = 0.0
        want.update({("a", "patched"): 2.0, ("a", "denied"): 1.0, ("b", "allowed"): 1.0, ("c", "patched"): 1.0,
                     ("_other", "patched"): 1.0, ("_other", "denied"): 1.0})
        assert got == want, got
        # No label named "namespace": the target label of that name would rename it.
        assert all(set(labels) == {"pod_namespace", "decision"} for labels, _ in
                   samples(fams, "gomemlimit_webhook_injections", "gomemlimit_webhook_injections_total"))
        # The total over namespaces equals the Pod CREATE admissions.
        creates = sum(v for labels, v in samples(fams, "gomemlimit_webhook_admission_requests",
                                                 "gomemlimit_webhook_admission_requests_total")
                      if labels["operation"] == "CREATE")
        assert creates == sum(got.values()) == 7, (creates, got)

        info = samples(fams, "gomemlimit_webhook_config_info", "gomemlimit_webhook_config_info")
        assert info == [({"ratio": "0.8", "gogc": "50", "request_policy": "keep"}, 1.0)], info
        assert fams["gomemlimit_webhook_config_info"].type == "gauge"
        assert samples(fams, "gomemlimit_webhook_config_ratio", "gomemlimit_webhook_config_ratio") == [({}, 0.8)]

        # Live reload: the info series follows (one series, the new values).
        with open(cfg + ".new", "w") as f:
            f.write(CONFIG.format(ratio=0.85, gogc="off", policy="match"))
        os.rename(cfg + ".new", cfg)
        srv.wait_log(lambda r: r.get("msg") == "config reloaded")
        fams = families(srv)
        info = samples(fams, "gomemlimit_webhook_config_info", "gomemlimit_webhook_config_info")
        assert info == [({"ratio": "0.85", "gogc": "off", "request_policy": "match"}, 1.0)], info
        assert samples(fams, "gomemlimit_webhook_config_ratio", "gomemlimit_webhook_config_ratio") == [({}, 0.85)]


def test_default_limit_and_defaults():
    """Without a config file: the built-in defaults; the default namespace limit is 64."""
    work = workdir("gmw-metrics-")
    make_certs(work)
    limits = load("pod-create-memory-limits.json")
    with Server(work) as srv:
        fams = families(srv)
        info = samples(fams, "gomemlimit_webhook_config_info", "gomemlimit_webhook_config_info")
        assert info == [({"ratio": "0.9", "gogc": "100", "request_policy": "match"}, 1.0)], info
        assert "The first 64 namespaces" in fams["gomemlimit_webhook_injections"].documentation
        post(srv, review(limits, "", uid="1"), "patched")
        fams = families(srv)
        got = {(s[0]["pod_namespace"], s[0]["decision"]): s[1] for s in
               samples(fams, "gomemlimit_webhook_injections", "gomemlimit_webhook_injections_total")}
        assert got == {("_none", "patched"): 1.0, ("_none", "allowed"): 0.0, ("_none", "denied"): 0.0}, got


def test_bad_metrics_namespaces_flag():
    for bad in ("257", "-1", "x", ""):
        r = subprocess.run([GMW_BIN, "serve", "--metrics-namespaces", bad], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 2, (bad, r.returncode, r.stderr)
        assert "--metrics-namespaces wants a number from 0 to 256" in r.stderr, r.stderr
    r = subprocess.run([GMW_BIN, "serve", "--help"], capture_output=True, text=True, timeout=20)
    assert "--metrics-namespaces N" in r.stdout, r.stdout


if __name__ == "__main__":
    run_tests([test_injections_and_config_info, test_default_limit_and_defaults, test_bad_metrics_namespaces_flag])
