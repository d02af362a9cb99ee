#!/usr/bin/python3
"""POST /validate through the real server over TLS (issue 10): every workload kind, CREATE and
UPDATE, dryRun true and false, under preview: dry-run (default), always and off.

Oracles, independent of our C code: the expected per-container values come from
tests/integration/fixturelib.py (the rules written in Python) after the apiserver's
request-from-limit defaulting written here from Kubernetes' SetDefaults_Pod; the warning rules
(length, ASCII, total) are the apiserver's. A denial must carry the same status as the Pod
webhook gives for the same pod (same server, /mutate)."""
import copy
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "server"))
sys.path.insert(0, HERE)
from harness import workdir, Server, make_certs, python_is_debian, run_tests  # noqa: E402

python_is_debian()
import fixturelib as fl  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

WORK = workdir("gmw-validate-")
make_certs(WORK)

# kind -> (apiVersion, resource group, resource, path of the pod template)
KINDS = {
    "Deployment": ("apps/v1", "apps", "deployments", ("spec", "template")),
    "StatefulSet": ("apps/v1", "apps", "statefulsets", ("spec", "template")),
    "DaemonSet": ("apps/v1", "apps", "daemonsets", ("spec", "template")),
    "ReplicaSet": ("apps/v1", "apps", "replicasets", ("spec", "template")),
    "Job": ("batch/v1", "batch", "jobs", ("spec", "template")),
    "CronJob": ("batch/v1", "batch", "cronjobs", ("spec", "jobTemplate", "spec", "template")),
    "ReplicationController": ("v1", "", "replicationcontrollers", ("spec", "template")),
}


def template(annotations=None, containers=None):
    meta = {"labels": {"app": "api"}}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"containers": containers or [
        {"name": "app", "image": "example/api:1", "resources": {"limits": {"memory": "512Mi"}}},
        {"name": "sidecar", "image": "example/proxy:1"},
    ]}}


def workload(kind, tmpl, name="api"):
    api, _, _, path = KINDS[kind]
    obj = {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "shop"}}
    node = obj
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = copy.deepcopy(tmpl)
    return obj


def review(kind, obj, op="CREATE", dry_run=False, old=None, api="admission.k8s.io/v1",
           uid="uid-1"):
    apiv, group, resource, _ = KINDS[kind]
    version = apiv.split("/")[-1]
    return {"apiVersion": api, "kind": "AdmissionReview", "request": {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "name": obj["metadata"]["name"], "namespace": "shop", "operation": op,
        "userInfo": {"username": "ci"}, "object": obj,
        "oldObject": old if op == "UPDATE" else None, "dryRun": dry_run}}


def apiserver_defaults(spec):
    """Kubernetes SetDefaults_Pod: each resource with a limit and no request gets request=limit."""
    spec = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            res = c.get("resources") or {}
            limits = res.get("limits") or {}
            if limits:
                req = res.get("requests") or {}
                for r, v in limits.items():
                    req.setdefault(r, v)
                res["requests"] = req
    return spec


def expected_preview_lines(tmpl):
    """The preview line of every injected or unchanged container, from the Python oracle."""
    pod = {"metadata": copy.deepcopy(tmpl.get("metadata") or {}),
           "spec": apiserver_defaults(tmpl["spec"])}
    want, info = fl.expected_mutation(pod, "shop")
    lines = []
    for c in want["spec"]["containers"]:
        name = c["name"]
        if name not in info["injected"] and name not in info["user"]:
            continue
        env = {e["name"]: e.get("value") for e in c.get("env") or []}
        user = " (user)" if name in info["user"] else ""
        lines.append("gomemlimit: container %s: GOMEMLIMIT=%s%s GOGC=%s requests.memory=%s" % (
            name, env["GOMEMLIMIT"], user, env.get("GOGC"), c["resources"]["requests"]["memory"]))
    return lines


def post(server, path, doc):
    status, body, rc = server.curl(path, data=json.dumps(doc))
    assert rc == 0 and status == 200, (path, status, body)
    out = json.loads(body)
    assert out["apiVersion"] == doc["apiVersion"] and out["kind"] == "AdmissionReview", out
    resp = out["response"]
    assert resp["uid"] == doc["request"]["uid"], resp
    assert "patch" not in resp and "patchType" not in resp, f"a patch from {path}: {resp}"
    fl.check_warnings(resp.get("warnings", []))
    return resp


def config_file(mode):
    path = os.path.join(WORK, f"config-{mode}.yaml")
    with open(path, "w") as f:
        if mode != "default":
            f.write(f"preview: {mode}\n")
    return path


SERVERS = {}


def server(mode):
    if mode not in SERVERS:
        # one directory per server: each has its own log file
        wd = os.path.join(WORK, mode)
        os.mkdir(wd)
        for f in ("ca.crt", "tls.crt", "tls.key"):
            shutil.copy(os.path.join(WORK, f), wd)
        s = Server(wd, config=config_file(mode))
        s.start()
        SERVERS[mode] = s
    return SERVERS[mode]


def shown(mode, dry_run):
    return mode == "always" or (mode in ("default", "dry-run") and dry_run)


def test_every_kind_operation_and_mode():
    tmpl = template()
    want = expected_preview_lines(tmpl)
    assert want == ["gomemlimit: container app: GOMEMLIMIT=460MiB GOGC=100 requests.memory=512Mi"]
    n = 0
    for mode in ("default", "always", "off"):
        for kind in KINDS:
            obj = workload(kind, tmpl)
            old = workload(kind, template(containers=[{"name": "app", "image": "old:1"}]))
            for op in ("CREATE", "UPDATE"):
                for dry in (True, False):
                    resp = post(server(mode), "/validate", review(kind, obj, op, dry, old))
                    assert resp["allowed"] is True, resp
                    warnings = resp.get("warnings", [])
                    if shown(mode, dry):
                        for line in want:
                            assert line in warnings, (mode, kind, op, dry, warnings)
                        assert any(w.startswith("gomemlimit: container sidecar: skipped")
                                   for w in warnings), warnings
                    else:
                        assert warnings == [], (mode, kind, op, dry, warnings)
                    n += 1
    assert n == 3 * 7 * 4


def test_user_value_and_advice_in_preview():
    tmpl = template(containers=[{"name": "app", "image": "x", "env": [
        {"name": "GOMEMLIMIT", "value": "500MiB"}, {"name": "GOGC", "value": "10"}],
        "resources": {"limits": {"memory": "512Mi"}}}])
    resp = post(server("always"), "/validate", review("Deployment", workload("Deployment", tmpl)))
    warnings = resp["warnings"]
    assert expected_preview_lines(tmpl)[0] in warnings, warnings
    # the advice, as the oracle derives it from the rules
    pod_after = {"name": "app", "env": [{"name": "GOMEMLIMIT", "value": "500MiB"},
                                        {"name": "GOGC", "value": "10"}],
                 "resources": {"limits": {"memory": "512Mi"}, "requests": {"memory": "512Mi"}}}
    want_advice = fl.expected_advice(pod_after, None)
    assert len(want_advice) == 2, want_advice
    assert [w for w in warnings if ": advice: " in w] == want_advice, warnings


def test_invalid_annotation_denied_in_every_mode_like_the_pod_webhook():
    bad = template(annotations={"gomemlimit.io/ratio": "1.5"})
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": dict(bad["metadata"], name="api-1"),
           "spec": apiserver_defaults(bad["spec"])}
    pod_resp = post(server("default"), "/mutate", fl.wrap_pod(pod, namespace="shop"))
    assert pod_resp["allowed"] is False and pod_resp["status"]["code"] == 400, pod_resp
    assert "gomemlimit.io/ratio" in pod_resp["status"]["message"], pod_resp
    for mode in ("default", "always", "off"):
        for kind in KINDS:
            for dry in (True, False):
                resp = post(server(mode), "/validate",
                            review(kind, workload(kind, bad), "CREATE", dry))
                assert resp["allowed"] is False, (mode, kind, resp)
                assert resp["status"] == pod_resp["status"], (resp["status"], pod_resp["status"])
                assert resp.get("warnings") == pod_resp.get("warnings"), resp


def test_update_with_unchanged_template_not_denied():
    bad = template(annotations={"gomemlimit.io/gogc": "fast"})
    old = workload("Deployment", bad)
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5  # a scale: the template is the same
    resp = post(server("off"), "/validate", review("Deployment", new, "UPDATE", False, old))
    assert resp["allowed"] is True and "warnings" not in resp, resp
    # a changed template with the bad annotation is denied
    good_old = workload("Deployment", template())
    resp = post(server("off"), "/validate", review("Deployment", new, "UPDATE", False, good_old))
    assert resp["allowed"] is False and resp["status"]["code"] == 400, resp


def test_v1beta1_envelope():
    doc = review("StatefulSet", workload("StatefulSet", template()), dry_run=True,
                 api="admission.k8s.io/v1beta1")
    resp = post(server("default"), "/validate", doc)
    assert resp["allowed"] is True and resp["warnings"], resp


def test_not_a_workload_or_subresource_is_silent():
    s = server("always")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": template()["spec"]}
    resp = post(s, "/validate", fl.wrap_pod(pod))
    assert resp == {"uid": resp["uid"], "allowed": True}, resp
    scale = review("Deployment", workload("Deployment", template()), "UPDATE", True,
                   workload("Deployment", template()))
    scale["request"]["subResource"] = "scale"
    assert post(s, "/validate", scale) == {"uid": "uid-1", "allowed": True}
    delete = review("Deployment", workload("Deployment", template()), "DELETE", True)
    assert post(s, "/validate", delete) == {"uid": "uid-1", "allowed": True}
    crd = review("Deployment", dict(workload("Deployment", template()),
                                    apiVersion="example.com/v1"), dry_run=True)
    crd["request"]["resource"]["group"] = "example.com"
    assert post(s, "/validate", crd) == {"uid": "uid-1", "allowed": True}
    # not an AdmissionReview: 400 like /mutate
    status, body, rc = s.curl("/validate", data="{}")
    assert status == 400 and b"request" in body, (status, body)


def test_many_containers_stay_within_the_apiserver_budget():
    containers = []
    for i in range(150):
        env = [{"name": "GOGC", "value": "5"}] if i % 3 == 0 else []
        limits = {"memory": "512Mi"} if i % 2 == 0 else {}
        containers.append({"name": "c%03d-%s" % (i, "x" * 55), "image": "x", "env": env,
                           "resources": {"limits": limits}})
    doc = review("Deployment", workload("Deployment", template(containers=containers)),
                 dry_run=True)
    resp = post(server("default"), "/validate", doc)
    warnings = resp["warnings"]
    assert sum(len(w) for w in warnings) <= 4096, sum(len(w) for w in warnings)
    assert all(len(w) <= 120 for w in warnings)
    assert warnings[-1].startswith("gomemlimit: ... ") and "150 containers" in warnings[-1], \
        warnings[-1]


def pod_series(server):
    """The Pod admission series (admissions, injections, containers) and the /validate count."""
    pod, validate = {}, 0
    for fam in text_string_to_metric_families(server.metrics()):
        for sample in fam.samples:
            if sample.labels.get("route") == "/validate" and sample.labels.get("code") == "200":
                validate += sample.value
            if any(k in sample.name for k in ("admission_requests_total", "injections_total",
                                              "containers_total")):
                pod[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return pod, validate


def test_metrics_count_the_route_not_pods():
    s = server("default")
    before, n0 = pod_series(s)
    for dry in (True, False):
        post(s, "/validate", review("Job", workload("Job", template()), dry_run=dry))
    post(s, "/validate", review("Job", workload("Job", template(
        annotations={"gomemlimit.io/ratio": "7"}))))
    after, n1 = pod_series(s)
    assert n1 - n0 == 3, (n0, n1)
    assert after == before, "a /validate request changed the Pod admission series"
    # the admission log line says the route
    s.wait_log(lambda r: r.get("msg") == "admission" and r.get("route") == "/validate")


def test_readme_dry_run_example_is_the_real_answer():
    """README.md shows "the real answer of our server" to examples/deployment-dry-run-review.json
    and the kubectl warnings it becomes: both must stay what the server answers."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, "examples", "deployment-dry-run-review.json")) as f:
        doc = json.load(f)
    with open(os.path.join(root, "README.md")) as f:
        readme = f.read()
    shown_answer = None
    for line in readme.splitlines():
        if line.startswith('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"') \
                and doc["request"]["uid"] in line:
            shown_answer = json.loads(line)
    assert shown_answer is not None, "README.md no longer shows the dry-run answer"
    status, body, rc = server("default").curl("/validate", data=json.dumps(doc))
    assert rc == 0 and status == 200, (status, body)
    assert json.loads(body) == shown_answer, f"README shows {shown_answer}, the server says {body}"
    for w in shown_answer["response"]["warnings"]:
        assert f"Warning: {w}\n" in readme, f"README's kubectl output lacks: {w}"


if __name__ == "__main__":
    try:
        run_tests([test_every_kind_operation_and_mode, test_user_value_and_advice_in_preview,
                   test_invalid_annotation_denied_in_every_mode_like_the_pod_webhook,
                   test_update_with_unchanged_template_not_denied, test_v1beta1_envelope,
                   test_not_a_workload_or_subresource_is_silent,
                   test_many_containers_stay_within_the_apiserver_budget,
                   test_metrics_count_the_route_not_pods,
                   test_readme_dry_run_example_is_the_real_answer])
    finally:
        for srv in SERVERS.values():
            srv.kill()
