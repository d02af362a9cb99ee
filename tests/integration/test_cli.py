#!/usr/bin/python3
"""test_cli.py - `gomemlimit-webhook mutate` end to end.

Runs the built binary ($GMW_BIN) on manifests and AdmissionReviews and checks the output
with independent tools: PyYAML (Debian python3-yaml, a YAML 1.1 reader like kubectl's)
reads the YAML we print, python3-jsonpatch applies the --review patches. Expectations
come from the spec: a 512Mi limit with the default ratio 0.9 gives GOMEMLIMIT=460MiB,
GOGC=100 and (request policy match) requests.memory 460Mi.

Run from the source root: GMW_BIN=build/gomemlimit-webhook tests/integration/test_cli.py [NAME...]
"""
import base64
import copy
import json
import os
import subprocess
import sys
import tempfile
import traceback

import jsonpatch  # python3-jsonpatch
import yaml  # python3-yaml

BIN = os.environ.get("GMW_BIN", "build/gomemlimit-webhook")
SRC = os.environ.get("GMW_SRC_DIR", os.getcwd())
DATA = os.path.join(SRC, "tests", "integration", "cli")
EXAMPLES = os.path.join(SRC, "examples")


def run(args, stdin=None, timeout=30):
    """Run `gomemlimit-webhook ARGS`; returns (exit code, stdout, stderr) as text."""
    p = subprocess.run([BIN] + args, input=stdin.encode() if isinstance(stdin, str) else stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def mutate(args, stdin=None, want_rc=0):
    rc, out, err = run(["mutate"] + args, stdin)
    assert rc == want_rc, f"exit {rc}, want {want_rc}\nstdout:\n{out}\nstderr:\n{err}"
    return out, err


def write_temp(text, suffix):
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="gmw-cli-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    TEMPS.append(path)
    return path


TEMPS = []


def container(name="app", memory="512Mi", **extra):
    c = {"name": name, "image": "example/" + name + ":1"}
    if memory is not None:
        c["resources"] = {"limits": {"memory": memory}}
    c.update(extra)
    return c


def pod(name="web", namespace=None, annotations=None, containers=None):
    meta = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": containers if containers is not None else [container()]}}


def template_spec():
    return {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [container()]}}


def workloads():
    """One object of each workload kind, each with a 512Mi container in its template."""
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
                  "template": template_spec()}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
         "spec": {"serviceName": "s", "selector": {"matchLabels": {"app": "x"}},
                  "template": template_spec()}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
         "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template_spec()}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
         "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template_spec()}},
        {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
         "spec": {"replicas": 1, "template": template_spec()}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
         "spec": {"backoffLimit": 0, "template": template_spec()}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
         "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template_spec()}}}},
    ]


def pod_template_of(obj):
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def env_of(c):
    return {e["name"]: e.get("value") for e in c.get("env", [])}


def apiserver_default(pod):
    """The Pod as the apiserver hands it to admission webhooks, written from Kubernetes'
    SetDefaults_Pod (pkg/apis/core/v1/defaults.go), not from our C code: in every container
    and init container, each resource with a limit and no request gets request = limit."""
    pod = copy.deepcopy(pod)
    spec = pod.get("spec", {})
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        res = c.get("resources") or {}
        limits = res.get("limits") or {}
        if limits:
            if res.get("requests") is None:
                res["requests"] = {}
            requests = res["requests"]
            for k, v in limits.items():
                requests.setdefault(k, copy.deepcopy(v))
    return pod


def pod_from_template(obj):
    """The Pod a controller creates from a Pod or workload: its template's metadata and spec."""
    t = pod_template_of(obj)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": copy.deepcopy(t.get("metadata", {})),
            "spec": copy.deepcopy(t.get("spec", {}))}


def effective_request(c):
    """requests.memory of the Pod the apiserver creates from container c: a limit without a
    request becomes the request (apiserver defaulting, before any webhook)."""
    res = c.get("resources", {})
    return res.get("requests", {}).get("memory", res.get("limits", {}).get("memory"))


def assert_injected(obj, gomemlimit="460MiB", request="512Mi"):
    """The first container of obj's pod (template) got the injection. The default input is a
    512Mi limit and no request: the apiserver makes the request 512Mi, which is above
    GOMEMLIMIT, so `mutate` must not add one (it would turn Guaranteed into Burstable)."""
    c = pod_template_of(obj)["spec"]["containers"][0]
    env = env_of(c)
    assert env.get("GOMEMLIMIT") == gomemlimit, f"GOMEMLIMIT {env.get('GOMEMLIMIT')!r} in {c}"
    assert env.get("GOGC") == "100", f"GOGC {env.get('GOGC')!r} (must stay a string) in {c}"
    assert effective_request(c) == request, c
    ann = pod_template_of(obj)["metadata"].get("annotations", {})
    assert "gomemlimit.io/status" in ann, ann


def strip_injection(obj):
    """obj without what the webhook adds, to compare the rest with the input."""
    obj = copy.deepcopy(obj)
    t = pod_template_of(obj)
    ann = t.get("metadata", {}).get("annotations")
    if ann is not None:
        ann.pop("gomemlimit.io/status", None)
        if not ann:
            del t["metadata"]["annotations"]
    for c in t.get("spec", {}).get("containers", []):
        env = [e for e in c.get("env", []) if e["name"] not in ("GOMEMLIMIT", "GOGC")]
        if "env" in c:
            if env:
                c["env"] = env
            else:
                del c["env"]
        req = c.get("resources", {}).get("requests")
        if req is not None:
            req.pop("memory", None)
            if not req:
                del c["resources"]["requests"]
    return obj


def yaml_docs(text):
    return [d for d in yaml.safe_load_all(text) if d is not None]


# --------------------------------------------------------------------------------------
# Tests


def test_help_lists_every_option():
    out, _ = mutate(["--help"])
    for opt in ("-f, --filename", "--config", "--namespace", "-o, --output", "--review", "--help",
                "Exit status"):
        assert opt in out, f"{opt!r} missing from --help:\n{out}"
    rc, out, _ = run(["help"])
    assert rc == 0 and "mutate" in out
    rc, out, _ = run(["version"])
    assert rc == 0 and out.startswith("gomemlimit-webhook "), out


def test_usage_errors_exit_2():
    cases = [
        [],
        ["-o", "xml", "-f", "-"],
        ["--bogus", "-f", "-"],
        ["-f", "-", "extra"],
        ["-f"],
        ["--review", "--namespace", "x", "-f", "-"],
    ]
    for args in cases:
        rc, out, err = run(["mutate"] + args, "")
        assert rc == 2, f"{args}: exit {rc}\n{err}"
        assert out == "", f"{args}: stdout {out!r}"
        assert err.strip(), f"{args}: no message"
    rc, _, _ = run(["no-such-command"])
    assert rc == 2


def test_example_pod_yaml():
    path = os.path.join(EXAMPLES, "pod.yaml")
    out, err = mutate(["-f", path])
    docs = yaml_docs(out)
    assert len(docs) == 1
    assert_injected(docs[0], request="460Mi")  # the example asks for 256Mi
    with open(path) as f:
        original = yaml.safe_load(f)
    # the user's own env stays, first
    assert docs[0]["spec"]["containers"][0]["env"][0] == {"name": "LOG_LEVEL", "value": "info"}
    assert strip_injection(docs[0]) == strip_injection(original), out
    assert list(docs[0].keys()) == list(original.keys()), "key order changed"
    assert "Warning: Pod/api: " in err, err
    for line in err.splitlines():
        assert line.startswith("Warning: "), f"unexpected stderr line {line!r}"


def test_pod_json_in_json_out_equals_yaml_out():
    p = pod(namespace="prod")
    out_json, _ = mutate(["-f", write_temp(json.dumps(p), ".json"), "-o", "json"])
    out_yaml, _ = mutate(["-f", write_temp(yaml.safe_dump(p), ".yaml")])
    got = json.loads(out_json)
    assert_injected(got)
    assert got == yaml_docs(out_yaml)[0]
    # JSON in, YAML out (the default) and YAML in, JSON out agree too
    out2, _ = mutate(["-f", write_temp(json.dumps(p, indent=2), ".json")])
    assert yaml_docs(out2)[0] == got


def test_each_workload_kind_yaml_and_json():
    for obj in workloads():
        for fmt in ("yaml", "json"):
            text = yaml.safe_dump(obj, sort_keys=False) if fmt == "yaml" else json.dumps(obj)
            out, err = mutate(["-f", write_temp(text, "." + fmt), "-o", fmt])
            got = json.loads(out) if fmt == "json" else yaml_docs(out)[0]
            try:
                assert_injected(got)
                assert strip_injection(got) == obj, "more than the template changed"
            except AssertionError as e:
                raise AssertionError(f"{obj['kind']} via {fmt}: {e}\n{out}") from None
            assert f"Warning: {obj['kind']}/{obj['metadata']['name']}: " in err, err


def test_multi_document_stream_keeps_order_and_passthrough():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
               "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}
    # strings that a careless emitter would turn into other types
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
          "data": {"a": "true", "b": "0644", "c": "1e3", "d": "", "e": "null", "f": "yes",
                   "g": "1:20", "h": "2001-12-14", "i": "~", "j": "0x1F", "k": "1.0", "l": "off",
                   "m": "y", "n": "multi\nline\n", "o": " padded ", "p": "- dash", "q": "#hash",
                   "r": "ünïcödé ☃", "s": "a: b", "t": "100"}}
    crd_like = {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"},
                "spec": {"template": template_spec(), "ratio": 0.25, "num": -3, "flag": False,
                         "nothing": None}}
    objs = [service] + workloads() + [cm, pod(), crd_like]
    # PyYAML writes YAML 1.1 for YAML 1.1 readers: it leaves y, n and 1e3 unquoted, which
    # kubectl (go-yaml) reads as true, false and 1000. So the ConfigMap goes in as JSON
    # (a flow mapping is YAML too).
    text = "# leading comment\n---\n" + "---\n".join(
        json.dumps(o) + "\n" if o is cm else yaml.safe_dump(o, sort_keys=False)
        for o in objs) + "---\n# empty document\n"
    out, _ = mutate(["-f", write_temp(text, ".yaml")])
    assert out.count("\n---\n") == len(objs) - 1, out
    docs = yaml_docs(out)
    assert [d["kind"] for d in docs] == [o["kind"] for o in objs]
    assert docs[0] == service
    assert docs[-3] == cm, f"ConfigMap changed:\n{docs[-3]}\nvs\n{cm}"
    assert docs[-1] == crd_like, "a Deployment of another API group is not a workload"
    for d in docs[1:-3] + [docs[-2]]:
        assert_injected(d)
    # -o json of several documents: a v1 List
    out, _ = mutate(["-f", write_temp(text, ".yaml"), "-o", "json"])
    lst = json.loads(out)
    assert lst["apiVersion"] == "v1" and lst["kind"] == "List"
    assert lst["items"] == docs


def test_yaml_input_means_what_kubectl_reads():
    # go-yaml v2 (kubectl) reads 0644 as octal, yes as true, 1e3 as 1000; quoted stays string.
    text = """apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    quoted: "0644"
spec:
  enableServiceLinks: yes
  hostNetwork: n
  terminationGracePeriodSeconds: 1e1
  containers:
  - name: app
    image: x
    resources: {limits: {memory: 512Mi}}
  volumes:
  - name: s
    secret: {secretName: s, defaultMode: 0644}
"""
    out, _ = mutate(["-f", write_temp(text, ".yaml"), "-o", "json"])
    got = json.loads(out)
    assert got["spec"]["volumes"][0]["secret"]["defaultMode"] == 420
    assert got["spec"]["enableServiceLinks"] is True
    assert got["spec"]["hostNetwork"] is False
    assert got["spec"]["terminationGracePeriodSeconds"] == 10
    assert got["metadata"]["annotations"]["quoted"] == "0644"
    assert_injected(got)


def test_lists_and_typed_lists():
    lst = {"apiVersion": "v1", "kind": "List", "metadata": {},
           "items": [pod("a"), {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
                     workloads()[0]]}
    out, _ = mutate(["-f", write_temp(json.dumps(lst), ".json"), "-o", "json"])
    got = json.loads(out)
    assert got["kind"] == "List" and len(got["items"]) == 3
    assert_injected(got["items"][0])
    assert got["items"][1] == lst["items"][1]
    assert_injected(got["items"][2])
    # a PodList as the API returns it: items without kind/apiVersion, and they stay so
    item = pod("b")
    del item["kind"], item["apiVersion"]
    plist = {"apiVersion": "v1", "kind": "PodList", "items": [item]}
    out, _ = mutate(["-f", write_temp(yaml.safe_dump(plist), ".yaml")])
    got = yaml_docs(out)[0]
    assert "kind" not in got["items"][0], got
    c = got["items"][0]["spec"]["containers"][0]
    assert env_of(c)["GOMEMLIMIT"] == "460MiB"


def test_namespace_choice_and_exclusion():
    p = pod(namespace="kube-system")
    path = write_temp(yaml.safe_dump(p), ".yaml")
    out, err = mutate(["-f", path])
    assert yaml_docs(out)[0] == p, "excluded namespace must not change the Pod"
    assert "Warning: Pod/web: " in err and "kube-system" in err, err
    out, _ = mutate(["-f", path, "--namespace", "prod"])
    assert_injected(yaml_docs(out)[0])
    # --namespace excludes a Pod without namespace; no namespace at all means "default"
    path2 = write_temp(yaml.safe_dump(pod()), ".yaml")
    out, err = mutate(["-f", path2, "-n", "kube-node-lease"])
    assert yaml_docs(out)[0] == pod()
    cfg = write_temp("excludeNamespaces: [default]\n", ".yaml")
    out, _ = mutate(["-f", path2, "--config", cfg])
    assert yaml_docs(out)[0] == pod()
    out, _ = mutate(["-f", path2, "--config", cfg, "--namespace", "prod"])
    assert_injected(yaml_docs(out)[0])


def test_config_ratio_applies():
    cfg = write_temp("defaults:\n  ratio: 0.5\n  requestPolicy: keep\n", ".yaml")
    out, _ = mutate(["-f", write_temp(json.dumps(pod()), ".json"), "-c", cfg, "-o", "json"])
    c = json.loads(out)["spec"]["containers"][0]
    assert env_of(c)["GOMEMLIMIT"] == "256MiB"
    assert "requests" not in c["resources"], c


def test_bad_config_is_a_clean_error():
    cfg = write_temp("defaults:\n  ratio: 1.5\n", ".yaml")
    rc, out, err = run(["mutate", "-f", "-", "--config", cfg], yaml.safe_dump(pod()))
    assert rc == 1 and out == ""
    assert err.count("\n") == 1 and f"{cfg}:2:" in err, err
    rc, out, err = run(["mutate", "-f", "-", "--config", "/nonexistent/c.yaml"], "")
    assert rc == 1 and "/nonexistent/c.yaml" in err


def test_denied_exits_1_and_keeps_the_object():
    bad = pod(annotations={"gomemlimit.io/ratio": "2"})
    good = pod("ok")
    text = yaml.safe_dump(bad) + "---\n" + yaml.safe_dump(good)
    out, err = mutate(["-f", write_temp(text, ".yaml")], want_rc=1)
    docs = yaml_docs(out)
    assert docs[0] == bad, "a denied Pod is printed unchanged"
    assert_injected(docs[1])
    assert "Error: Pod/web: denied: " in err and "gomemlimit.io/ratio" in err, err
    # invalidAnnotations: warn admits it with a warning
    cfg = write_temp("invalidAnnotations: warn\n", ".yaml")
    out, err = mutate(["-f", write_temp(text, ".yaml"), "--config", cfg])
    assert "gomemlimit.io/ratio" in err


def bad_input(text, want_in_err, name="-"):
    args = ["-f", name]
    rc, out, err = run(["mutate"] + args, text if name == "-" else None)
    assert rc == 1, f"exit {rc} for {text!r}\n{err}"
    assert out == "", f"stdout not empty: {out!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"want one line, got {err!r}"
    assert want_in_err in err, f"{want_in_err!r} not in {err!r}"
    assert "Sanitizer" not in err


def test_bad_input_is_a_clean_error():
    bad_input("a: [1,\n", "<stdin>:2:1: ")
    bad_input("kind: Pod\n  metadata: x\n", "<stdin>:2:11: mapping values are not allowed")
    bad_input("kind: Pod\nkind: Service\n", "<stdin>:2:1: duplicate key \"kind\"")
    bad_input('{"kind": "Pod",}', "<stdin>:1:")
    bad_input('{"kind": "Pod"}\n{"kind": "Pod", "kind": "x"}', "<stdin>:2:")
    bad_input("- 1\n- 2\n", "document 1 is not a Kubernetes object")
    bad_input("kind: Pod\n---\njust a string\n", "document 2 is not a Kubernetes object")
    bad_input(b"kind: \xff\xfe\n", "<stdin>:1:7: ")
    bad_input(b"\x00\x01\x02binary", "<stdin>:1:")
    bad_input("a: .inf\n", "<stdin>:1:4: ")
    bad_input(b'{"kind": "Pod", "x": "\xff"}', "<stdin>:1:")
    bad_input(b"# " + b"x" * (64 << 20), "input larger than 67108864 bytes")
    bad_input("a: *nothing\n", "unknown anchor")
    bad_input("", "No such file or directory", name="/nonexistent/pod.yaml")
    bad_input("", "Is a directory", name=SRC)
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
        for i in range(9))
    bad_input(laughs, "more than")
    # the real-world Pod with a duplicate key (tests/integration/cli/SOURCES.md)
    bad_input("", ":23:3: duplicate key \"serviceAccountName\"",
              name=os.path.join(DATA, "duplicate-key.pod.yaml"))


def test_stdin_equals_file():
    path = os.path.join(EXAMPLES, "deployment.yaml")
    with open(path) as f:
        text = f.read()
    from_file, err_file = mutate(["-f", path])
    from_stdin, err_stdin = mutate(["-f", "-"], text)
    assert from_file == from_stdin
    assert err_file == err_stdin.replace("<stdin>", path)
    docs = yaml_docs(from_file)
    assert [d["kind"] for d in docs] == ["Deployment", "Service"]
    cs = docs[0]["spec"]["template"]["spec"]["containers"]
    assert env_of(cs[0])["GOMEMLIMIT"] == "921MiB" and env_of(cs[1])["GOMEMLIMIT"] == "128MiB"


def review_for(obj, namespace="default", uid="11111111-2222-3333-4444-555555555555",
               operation="CREATE"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "resource": {"group": "", "version": "v1", "resource": "pods"},
                        "namespace": namespace, "operation": operation, "object": obj,
                        "oldObject": None, "dryRun": False,
                        "userInfo": {"username": "test"}}}


def review(rev, want_rc=0):
    out, err = mutate(["--review", "-f", write_temp(json.dumps(rev), ".json")], want_rc=want_rc)
    assert out.endswith("}\n") and out.count("\n") == 1, f"one JSON line expected: {out!r}"
    return json.loads(out)


def test_review_equals_manifest_mode():
    """Manifest mode, then the apiserver's defaulting at creation, equals --review of the
    defaulted Pod (what the apiserver sends) with its patch applied."""
    for raw in [pod(namespace="prod"),
                pod("two", containers=[container("a", "1Gi"), container("b", "300M")]),
                pod("none", containers=[container("c", None)])]:
        obj = apiserver_default(raw)
        manifest_out, _ = mutate(["-f", write_temp(json.dumps(raw), ".json"), "-o", "json"])
        resp = review(review_for(obj, namespace=obj["metadata"].get("namespace", "default")))
        r = resp["response"]
        assert resp["apiVersion"] == "admission.k8s.io/v1" and resp["kind"] == "AdmissionReview"
        assert r["uid"] == "11111111-2222-3333-4444-555555555555" and r["allowed"] is True
        patched = obj
        if "patch" in r:
            assert r["patchType"] == "JSONPatch"
            ops = json.loads(base64.b64decode(r["patch"]))
            patched = jsonpatch.JsonPatch(ops).apply(obj)
        assert patched == apiserver_default(json.loads(manifest_out)), f"{obj['metadata']['name']}: differ"


def fixture_reviews():
    """(name, AdmissionReview, config text or None) for the real-world fixtures in
    tests/fixtures/ (see tests/fixtures/admission/SOURCES.md) and their variants."""
    base = os.path.join(SRC, "tests", "fixtures")
    adm = os.path.join(base, "admission")
    out = []
    for name in sorted(os.listdir(adm)):
        if name.endswith(".json"):
            with open(os.path.join(adm, name)) as f:
                out.append((name, json.load(f), None))
    reqdir = os.path.join(adm, "requests")
    for name in sorted(os.listdir(reqdir)) if os.path.isdir(reqdir) else []:
        if not name.endswith(".json"):
            continue
        with open(os.path.join(reqdir, name)) as f:
            out.append((name, {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                               "request": json.load(f)}, None))
    vardir = os.path.join(base, "variants")
    for name in sorted(os.listdir(vardir)) if os.path.isdir(vardir) else []:
        if not name.endswith(".json"):
            continue
        with open(os.path.join(vardir, name)) as f:
            v = json.load(f)
        with open(os.path.join(base, v["base"])) as f:
            rev = json.load(f)
        if "request" not in rev:
            rev = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": rev}
        rev = jsonpatch.JsonPatch(v.get("edit", [])).apply(rev)
        out.append((name, rev, v.get("config")))
    assert len(out) >= 9, f"fixtures missing under {base}"
    return out


def test_review_equals_manifest_mode_on_fixtures():
    """For every real AdmissionReview: --review's patch applied by python3-jsonpatch gives
    what manifest mode prints, and the warnings are the same."""
    compared = 0
    for name, rev, config in fixture_reviews():
        args = ["--config", write_temp(config, ".yaml")] if config else []
        out, _ = mutate(["--review", "-f", write_temp(json.dumps(rev), ".json")] + args)
        r = json.loads(out)["response"]
        req = rev["request"]
        if (req.get("operation") != "CREATE" or req.get("resource", {}).get("resource") != "pods"
                or req.get("subResource")):
            assert r["allowed"] is True and "patch" not in r, name
            continue
        obj = copy.deepcopy(req["object"])
        obj.setdefault("apiVersion", "v1")
        obj.setdefault("kind", "Pod")
        if apiserver_default(obj) != obj:
            continue  # not what an apiserver sends: covered by the agreement table below
        expected = obj
        if "patch" in r:
            expected = jsonpatch.JsonPatch(json.loads(base64.b64decode(r["patch"]))).apply(obj)
        ns = req.get("namespace") or obj.get("metadata", {}).get("namespace") or ""
        margs = ["-f", write_temp(json.dumps(obj), ".json"), "-o", "json"] + args
        if ns:
            margs += ["--namespace", ns]
        got, err = mutate(margs, want_rc=0 if r["allowed"] else 1)
        assert json.loads(got) == expected, f"{name}: manifest mode differs from --review"
        warnings = [line.split(": ", 2)[2] for line in err.splitlines()
                    if line.startswith("Warning: ")]
        assert warnings == r.get("warnings", []), f"{name}: {warnings} != {r.get('warnings')}"
        if not r["allowed"]:
            assert r["status"]["message"] in err, f"{name}: denial message missing: {err}"
        compared += 1
    assert compared >= 8, compared


def test_review_of_example_and_denial_exit_0():
    path = os.path.join(EXAMPLES, "review.json")
    out, _ = mutate(["--review", "-f", path])
    r = json.loads(out)["response"]
    with open(path) as f:
        req = json.load(f)["request"]
    assert r["uid"] == req["uid"] and r["allowed"] is True
    patched = jsonpatch.JsonPatch(json.loads(base64.b64decode(r["patch"]))).apply(req["object"])
    c = patched["spec"]["containers"][0]
    assert env_of(c)["GOMEMLIMIT"] == "460MiB" and c["resources"]["requests"]["memory"] == "460Mi"
    # stdin works the same
    with open(path) as f:
        out2, _ = mutate(["--review", "-f", "-"], f.read())
    assert out2 == out
    # a denial is still exit 0: the response says allowed false
    resp = review(review_for(pod(annotations={"gomemlimit.io/gogc": "fast"})))
    assert resp["response"]["allowed"] is False
    assert "gomemlimit.io/gogc" in resp["response"]["status"]["message"]
    # UPDATE is allowed without a patch
    resp = review(review_for(pod(), operation="UPDATE"))
    assert resp["response"]["allowed"] is True and "patch" not in resp["response"]


def test_review_bad_input():
    for text in ["", "not json", "[]", '{"kind": "AdmissionReview"}', '{"request": {}}']:
        rc, out, err = run(["mutate", "--review", "-f", "-"], text)
        assert rc == 1, f"{text!r}: exit {rc}"
        assert out == "" and err.count("\n") == 1 and err.startswith("gomemlimit-webhook mutate: "), \
            f"{text!r}: {err!r}"
    # the body cap is the server's (maxBody)
    cfg = write_temp("maxBody: 4Ki\n", ".yaml")
    big = review_for(pod(annotations={"big": "x" * 4096}))
    rc, out, err = run(["mutate", "--review", "-f", "-", "-c", cfg], json.dumps(big))
    assert rc == 1 and "larger than 4096 bytes" in err, err
    small = review_for(pod(annotations={"small": "x" * 100}))
    rc, out, err = run(["mutate", "--review", "-f", "-", "-c", cfg], json.dumps(small))
    assert rc == 0, err


def test_non_string_annotations_refused_like_kubectl():
    """Issue 9: an unquoted annotation value is refused as kubectl refuses it (it cannot
    decode it into ObjectMeta.annotations, a map of strings), with file:line."""
    cases = [
        ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    team: 123\n"
         "spec:\n  containers: [{name: a, image: x}]\n", ":6:11: metadata.annotations.team: "
         "annotations must be strings, found a number (quote it: team: \"...\")"),
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
         "    metadata:\n      annotations:\n        gomemlimit.io/inject: false\n"
         "    spec:\n      containers: [{name: a, image: x}]\n",
         ":8:31: metadata.annotations.gomemlimit.io/inject: annotations must be strings, found a "
         "boolean"),
        ("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: x\n"
         "  jobTemplate:\n    spec:\n      template:\n        metadata:\n          annotations: "
         "{a: 1.5}\n        spec: {containers: []}\n", ":10:28: metadata.annotations.a: annotations "
         "must be strings, found a number"),
        ("kind: List\napiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    annotations:\n"
         "      x: null\n", ":7:10: metadata.annotations.x: annotations must be strings, found null"),
    ]
    for text, want in cases:
        path = write_temp(text, ".yaml")
        rc, out, err = run(["mutate", "-f", path])
        assert rc == 1 and out == "", (rc, out, err)
        assert err.startswith(f"gomemlimit-webhook mutate: {path}{want}"), err
        assert err.count("\n") == 1, err
    rc, out, err = run(["mutate", "-f", "-"], json.dumps(pod(annotations={"team": 123})))
    assert rc == 1 and "<stdin>: document 1: metadata.annotations.team: annotations must be strings" in err, err
    # strings, quoted numbers and annotations-like keys elsewhere are fine
    ok = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {team: \"123\"}\n"
          "data:\n  metadata: '{\"annotations\": {\"a\": 1}}'\n")
    mutate(["-f", write_temp(ok, ".yaml")])
    crd = "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  metadata:\n    annotations: {a: 1}\n"
    mutate(["-f", write_temp(crd, ".yaml")])


def agreement_table():
    """(name, manifest): Pods and workloads whose decision depends on apiserver defaulting."""
    def limits(mem=None, cpu=None, req_mem=None, req_cpu=None):
        r = {}
        lim = {k: v for k, v in (("memory", mem), ("cpu", cpu)) if v is not None}
        req = {k: v for k, v in (("memory", req_mem), ("cpu", req_cpu)) if v is not None}
        if lim:
            r["limits"] = lim
        if req:
            r["requests"] = req
        return r

    def c(name, **kw):
        return {"name": name, "image": "example/" + name + ":1", "resources": limits(**kw)}

    def dep(containers, init=None, annotations=None):
        t = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": containers}}
        if init:
            t["spec"]["initContainers"] = init
        if annotations:
            t["metadata"]["annotations"] = annotations
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": t}}

    def as_pod(d):
        t = d["spec"]["template"]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **t["metadata"]}, "spec": t["spec"]}

    rows = [
        ("limit only (Guaranteed stays Guaranteed)", dep([c("app", mem="512Mi")])),
        ("limit and a lower request", dep([c("app", mem="512Mi", req_mem="256Mi")])),
        ("limit and a higher request", dep([c("app", mem="512Mi", req_mem="500Mi")])),
        ("cpu request only, memory limit", dep([c("app", mem="512Mi", req_cpu="100m")])),
        ("cpu and memory limits, no requests", dep([c("app", mem="1Gi", cpu="500m")])),
        ("cpu limit only", dep([c("app", cpu="1")])),
        ("no resources", dep([{"name": "app", "image": "x"}])),
        ("two containers, mixed", dep([c("a", mem="1Gi"), c("b", mem="300M", req_mem="100M")])),
        ("native sidecar with a limit only",
         dep([c("app", mem="512Mi")], init=[{**c("proxy", mem="128Mi"), "restartPolicy": "Always"}])),
        ("selected init container with a limit only",
         dep([c("app", mem="512Mi")], init=[c("migrate", mem="256Mi")],
             annotations={"gomemlimit.io/containers": "app, migrate"})),
        ("requestPolicy limit by annotation, limit only",
         dep([c("app", mem="512Mi")], annotations={"gomemlimit.io/request": "limit"})),
        ("memory-limit annotation, limit only",
         dep([c("app", mem="512Mi")], annotations={"gomemlimit.io/memory-limit": "300Mi"})),
        ("integer quantity limit", dep([c("app", mem=536870912)])),
    ]
    return rows + [(name + " (Pod)", as_pod(d)) for name, d in rows]


def test_cli_previews_the_server():
    """Agreement table (issue 9): for each manifest, `mutate -f` followed by the apiserver's
    defaulting at Pod creation gives the same env and requests as `mutate --review` of the
    Pod the controller creates (template -> Pod -> apiserver defaulting), patched."""
    def shape(p):
        out = {}
        for c in p["spec"].get("containers", []) + p["spec"].get("initContainers", []):
            out[c["name"]] = (c.get("env"), (c.get("resources") or {}).get("requests"))
        return out
    checked = 0
    for name, obj in agreement_table():
        cli_out, cli_err = mutate(["-f", write_temp(json.dumps(obj), ".json"), "-o", "json"])
        via_cli = apiserver_default(pod_from_template(json.loads(cli_out)))
        sent = apiserver_default(pod_from_template(obj))
        r = review(review_for(sent))["response"]
        assert r["allowed"] is True, f"{name}: {r}"
        via_server = sent
        if "patch" in r:
            via_server = jsonpatch.JsonPatch(json.loads(base64.b64decode(r["patch"]))).apply(sent)
        assert shape(via_cli) == shape(via_server), f"{name}:\n cli    {shape(via_cli)}\n server {shape(via_server)}"
        cli_warn = [line.split(": ", 2)[2] for line in cli_err.splitlines() if line.startswith("Warning: ")]
        assert cli_warn == r.get("warnings", []), f"{name}: warnings {cli_warn} != {r.get('warnings')}"
        checked += 1
    assert checked == 26, checked
    # the bug the table guards against: a limit-only container keeps request = limit
    out, _ = mutate(["-f", write_temp(json.dumps(agreement_table()[0][1]), ".json"), "-o", "json"])
    c0 = json.loads(out)["spec"]["template"]["spec"]["containers"][0]
    assert "requests" not in c0["resources"], c0


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]


def main():
    if not os.access(BIN, os.X_OK):
        print(f"FAIL: GMW_BIN={BIN} is not an executable", file=sys.stderr)
        return 1
    wanted = set(sys.argv[1:])
    failed = 0
    for t in TESTS:
        if wanted and t.__name__ not in wanted:
            continue
        try:
            t()
            print(f"ok   {t.__name__}")
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print(f"FAIL {t.__name__}\n{traceback.format_exc()}")
    for p in TEMPS:
        os.unlink(p)
    print(f"{len(TESTS) - failed if not wanted else len(wanted) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
