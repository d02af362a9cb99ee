#!/usr/bin/python3
"""Fixture tests: real AdmissionReviews from public projects through the real binary.

For every fixture in tests/fixtures/admission/ (AdmissionReviews; requests/ wrapped into
reviews; pods/ wrapped into CREATE reviews) and for variants of each Pod with memory
limits in many quantity forms, requests, env, annotations and config files:

  * `$GMW_BIN mutate --review -f FILE` answers with the request's apiVersion, kind
    AdmissionReview, the exact uid, allowed, clean warnings and a padded base64 patch;
  * the patch is applied by an independent applier (Debian python3-jsonpatch) and the
    result must equal the Pod computed by fixturelib's oracle (Fraction arithmetic);
  * the mutated Pod is fed back in a new review: no patch (idempotency);
  * hand-checked expectations in tests/fixtures/variants/*.json hold.

Environment: GMW_BIN (the built gomemlimit-webhook), run from the source root.
"""

import copy
import glob
import json
import os
import sys
import tempfile
import traceback

import jsonpatch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixturelib as fl  # noqa: E402

SRC = os.environ.get("GMW_SRC_DIR", os.getcwd())
FIXTURES = os.path.join(SRC, "tests", "fixtures")

# Memory limit forms the apiserver really sends (it keeps non-canonical input verbatim),
# with their exact Value() checked by hand: the oracle itself is tested on these.
LIMIT_FORMS = {
    "512Mi": 536870912,
    "1181116006400m": 1181116007,  # 1.1Gi, Value() rounds 1181116006.4 up
    "1500e6": 1500000000,
    "1.G": 1000000000,
    "+5Gi": 5368709120,
    "2560Ki": 2621440,  # below minLimit: skipped
    "0.5Gi": 536870912,
    "1.5Gi": 1610612736,
    "0.05Gi": 53687092,  # 53687091.2 rounded up
    "1E9": 1000000000,
    "64M": 64000000,
    "16Mi": 16777216,  # exactly minLimit
    "100m": 1,  # 0.1 byte -> 1: skipped
    "7Ei": 7 * 2**60,
    "8Ei": None,  # 2^63: invalid
    "-1Gi": None,
    "12GB": None,
    536870912: 536870912,  # a JSON number
    "1073741824": 1073741824,
}
# Hand-checked GOMEMLIMIT at ratio 0.9 for some of them.
GOMEMLIMIT_090 = {"512Mi": "460MiB", "1181116006400m": "1013MiB", "1500e6": "1287MiB",
                  "1.G": "858MiB", "+5Gi": "4608MiB", "0.5Gi": "460MiB", "16Mi": "14MiB",
                  "0.05Gi": "46MiB", "64M": "54MiB"}

failures = []
checks = 0


def fail(name, message):
    failures.append("%s: %s" % (name, message))
    print("FAIL %s: %s" % (name, message), flush=True)


def load_fixtures():
    """[(name, review)] for every fixture."""
    out = []
    base = os.path.join(FIXTURES, "admission")
    for path in sorted(glob.glob(os.path.join(base, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out.append((os.path.basename(path), json.load(f)))
    for path in sorted(glob.glob(os.path.join(base, "requests", "*.json"))):
        with open(path, encoding="utf-8") as f:
            out.append(("requests/" + os.path.basename(path), fl.wrap_request(json.load(f))))
    for path in sorted(glob.glob(os.path.join(base, "pods", "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            pod = yaml.safe_load(f)
        out.append(("pods/" + os.path.basename(path), fl.wrap_pod(pod)))
    return out


def run_review(runner, name, review, config_text=None):
    """Run; check the envelope; return the response dict (None on failure)."""
    p = runner.run(review, config_text)
    if p.returncode != 0:
        fail(name, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()))
        return None
    try:
        out = json.loads(p.stdout)
    except ValueError as e:
        fail(name, "stdout is not JSON: %s" % e)
        return None
    want_api = review.get("apiVersion", "admission.k8s.io/v1")
    if out.get("apiVersion") != want_api:
        fail(name, "apiVersion %r, want %r" % (out.get("apiVersion"), want_api))
    if out.get("kind") != "AdmissionReview":
        fail(name, "kind %r" % out.get("kind"))
    resp = out.get("response") or {}
    if resp.get("uid") != review["request"]["uid"]:
        fail(name, "uid %r, want %r" % (resp.get("uid"), review["request"]["uid"]))
    try:
        fl.check_warnings(resp.get("warnings", []))
    except AssertionError as e:
        fail(name, "warnings: %s" % e)
    return resp


def check_pod_case(runner, name, review, cfg=fl.DEFAULT_CONFIG, config_text=None):
    """A Pod CREATE review: response, patch vs oracle, warnings, audit, idempotency."""
    global checks
    checks += 1
    request = review["request"]
    pod = request["object"]
    ns = request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or ""
    expected, info = fl.expected_mutation(pod, ns, cfg)
    resp = run_review(runner, name, review, config_text)
    if resp is None:
        return None
    if resp.get("allowed") is not True:
        fail(name, "not allowed: %s" % json.dumps(resp.get("status")))
        return None
    try:
        patch = fl.decode_patch(resp)
    except (AssertionError, ValueError) as e:
        fail(name, "patch: %s" % e)
        return None
    if patch is None:
        mutated = copy.deepcopy(pod)
    else:
        try:
            mutated = jsonpatch.apply_patch(pod, patch)
        except Exception as e:  # noqa: BLE001 - any applier error is a failure
            fail(name, "python3-jsonpatch cannot apply the patch: %s: %s" % (e, json.dumps(patch)))
            return None
    if mutated != expected:
        fail(name, "mutated pod differs from the oracle\n patch:    %s\n got spec: %s\n want spec:%s\n"
             " got meta: %s\n want meta:%s" % (
                 json.dumps(patch), json.dumps(mutated.get("spec")), json.dumps(expected.get("spec")),
                 json.dumps(mutated.get("metadata")), json.dumps(expected.get("metadata"))))
        return None
    if (patch is None) != (expected == pod):
        fail(name, "patch presence wrong")
    warnings = resp.get("warnings", [])
    for cname in info["changed"]:
        prefix = "gomemlimit: container %s: GOMEMLIMIT" % cname
        if cname in info["injected"]:
            prefix += "=" + info["injected"][cname]
        if not any(w.startswith(prefix) for w in warnings):
            fail(name, "no warning %r in %r" % (prefix, warnings))
    for cname, reason in info["skipped"].items():
        if reason == "no-memory-limit":
            w = "gomemlimit: container %s: skipped, no memory limit" % cname
            if not any(x.startswith(w) for x in warnings):
                fail(name, "no warning %r in %r" % (w, warnings))
        if reason == "below-min-limit" and not any("below minLimit" in x for x in warnings):
            fail(name, "no below-minLimit warning in %r" % warnings)
        # a syntax error "is invalid", a range error (negative, >= 2^63) "is out of range"
        if reason == "invalid-limit" and not any(
                "is invalid, use e.g." in x or "is out of range [0, 8Ei)" in x for x in warnings):
            fail(name, "no invalid-limit warning in %r" % warnings)
    # issue 10: the pitfall advice, exactly (unless the warning cap dropped some)
    if not any("more warnings not shown" in w for w in warnings):
        got_advice = [w for w in warnings if ": advice: " in w]
        want_advice = fl.expected_pod_advice(expected, info)
        if got_advice != want_advice:
            fail(name, "advice %r, want %r" % (got_advice, want_advice))
    audit = resp.get("auditAnnotations", {})
    want_injected = ",".join("%s=%s" % kv for kv in info["injected"].items())
    if audit.get("injected", "") != want_injected:
        fail(name, "auditAnnotations.injected %r, want %r" % (audit.get("injected"), want_injected))
    for key in audit:
        if "/" in key:
            fail(name, "audit key with '/': %r" % key)
    # idempotency: the mutated Pod again, in a new review
    again = copy.deepcopy(review)
    again["request"]["uid"] = request["uid"] + "-again"
    again["request"]["object"] = mutated
    resp2 = run_review(runner, name + " (reinvoked)", again, config_text)
    if resp2 is not None:
        if resp2.get("allowed") is not True or "patch" in resp2 or "patchType" in resp2:
            fail(name, "reinvocation not idempotent: %s" % json.dumps(resp2))
    return mutated


def set_all_limits(pod, limit, requests=None, include_plain_init=False):
    for key in ("containers", "initContainers"):
        for c in (pod.get("spec") or {}).get(key) or []:
            if key == "initContainers" and c.get("restartPolicy") != "Always" and not include_plain_init:
                continue
            res = c.get("resources")
            if not isinstance(res, dict):
                res = c["resources"] = {}
            res.setdefault("limits", {})
            res["limits"] = dict(res.get("limits") or {}, memory=limit)
            if requests is not None:
                res["requests"] = dict(res.get("requests") or {}, memory=requests)


def variant(review, uid_suffix, mutate_pod):
    v = copy.deepcopy(review)
    v["request"]["uid"] = v["request"]["uid"] + "-" + uid_suffix
    mutate_pod(v["request"]["object"])
    return v


def test_oracle_self_check():
    """The oracle against hand-checked numbers (so it cannot silently agree with a bug)."""
    global checks
    for form, value in LIMIT_FORMS.items():
        checks += 1
        if fl.quantity_bytes(form) != value:
            fail("oracle", "quantity %r -> %r, want %r" % (form, fl.quantity_bytes(form), value))
    for form, gml in GOMEMLIMIT_090.items():
        checks += 1
        got = "%dMiB" % (fl.gomemlimit_bytes(fl.quantity_bytes(form), fl.Fraction(9, 10)) // fl.MIB)
        if got != gml:
            fail("oracle", "GOMEMLIMIT for %r: %s, want %s" % (form, got, gml))


def test_fixtures(runner, fixtures):
    for name, review in fixtures:
        if fl.is_pod_create(review):
            check_pod_case(runner, name, review)
        else:
            global checks
            checks += 1
            resp = run_review(runner, name, review)
            if resp is not None and (resp.get("allowed") is not True or "patch" in resp
                                     or resp.get("warnings")):
                fail(name, "non-Pod-CREATE must be allowed untouched: %s" % json.dumps(resp))


def test_limit_variants(runner, fixtures):
    for name, review in fixtures:
        if not fl.is_pod_create(review) or not review["request"]["object"].get("spec", {}).get("containers"):
            continue
        for i, form in enumerate(LIMIT_FORMS):
            v = variant(review, "limit%d" % i, lambda pod: set_all_limits(pod, form))
            check_pod_case(runner, "%s [limits.memory=%r]" % (name, form), v)
        # as the apiserver defaults it: requests = limits
        v = variant(review, "req-eq", lambda pod: set_all_limits(pod, "1Gi", requests="1Gi"))
        check_pod_case(runner, name + " [requests=limits=1Gi]", v)
        # a low request is raised (match)
        v = variant(review, "req-low", lambda pod: set_all_limits(pod, "1181116006400m", requests="64Mi"))
        mutated = check_pod_case(runner, name + " [request 64Mi, limit 1.1Gi]", v)
        if mutated is not None:
            for c in mutated["spec"]["containers"]:
                global checks
                checks += 1
                if c["resources"]["requests"]["memory"] != "1013Mi":
                    fail(name, "request not raised to 1013Mi: %r" % c["resources"])


def add_env(pod, entries):
    for c in pod["spec"]["containers"]:
        c["env"] = (c.get("env") or []) + copy.deepcopy(entries)


def set_annotations(pod, annotations):
    md = pod.setdefault("metadata", {})
    if md.get("annotations") is None:
        md["annotations"] = {}
    md["annotations"].update(annotations)


def test_env_and_annotation_variants(runner, fixtures):
    for name, review in fixtures:
        if not fl.is_pod_create(review) or not review["request"]["object"].get("spec", {}).get("containers"):
            continue
        first = review["request"]["object"]["spec"]["containers"][0].get("name", "")
        cases = {
            "user GOMEMLIMIT": lambda pod: (set_all_limits(pod, "512Mi"),
                                            add_env(pod, [{"name": "GOMEMLIMIT", "value": "300MiB"}])),
            "user GOGC": lambda pod: (set_all_limits(pod, "512Mi"),
                                      add_env(pod, [{"name": "GOGC", "value": "50"}])),
            "valueFrom": lambda pod: (set_all_limits(pod, "512Mi"), add_env(pod, [
                {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}}])),
            "ratio+gogc annotations": lambda pod: (set_all_limits(pod, "1Gi"), set_annotations(pod, {
                "gomemlimit.io/ratio": "0.5", "gomemlimit.io/gogc.%s" % first: "off"})),
            "memory-limit annotation": lambda pod: (set_all_limits(pod, "1Gi"), set_annotations(pod, {
                "gomemlimit.io/memory-limit": "700.5Mi"})),
            "request=limit": lambda pod: (set_all_limits(pod, "1181116006400m", requests="1Mi"),
                                          set_annotations(pod, {"gomemlimit.io/request": "limit"})),
            "request=keep": lambda pod: (set_all_limits(pod, "1Gi", requests="1Mi"),
                                         set_annotations(pod, {"gomemlimit.io/request": "keep"})),
            "opt-out": lambda pod: (set_all_limits(pod, "1Gi"),
                                    set_annotations(pod, {"gomemlimit.io/inject": "false"})),
            "opt-out one": lambda pod: (set_all_limits(pod, "1Gi"),
                                        set_annotations(pod, {"gomemlimit.io/inject.%s" % first: "false"})),
            "containers list": lambda pod: (set_all_limits(pod, "1Gi", include_plain_init=True), set_annotations(
                pod, {"gomemlimit.io/containers": ",".join(
                    [c["name"] for c in (pod["spec"].get("initContainers") or [])][:1] + [first])})),
            "pod-level resources": lambda pod: (set_all_limits(pod, "1Gi", requests="1Mi"),
                                                pod["spec"].__setitem__("resources", {"limits": {"memory": "4Gi"}})),
            # issue 9: a user GOMEMLIMIT Go cannot parse (malformedGOMEMLIMIT: repair)
            "GOMEMLIMIT 512Mi (quantity)": lambda pod: (set_all_limits(pod, "1Gi"),
                                                        add_env(pod, [{"name": "GOMEMLIMIT", "value": "512Mi"}])),
            "GOMEMLIMIT 1G (decimal quantity)": lambda pod: (set_all_limits(pod, "2Gi"),
                                                             add_env(pod, [{"name": "GOMEMLIMIT", "value": "1G"}])),
            "GOMEMLIMIT 1.5Gi above the limit": lambda pod: (set_all_limits(pod, "1Gi"),
                                                             add_env(pod, [{"name": "GOMEMLIMIT", "value": "1.5Gi"}])),
            "GOMEMLIMIT lots (not a quantity)": lambda pod: (set_all_limits(pod, "1181116006400m", requests="64Mi"),
                                                             add_env(pod, [{"name": "GOMEMLIMIT", "value": "lots"}])),
            "GOMEMLIMIT 100 MiB, no limit": lambda pod: add_env(pod, [{"name": "A", "value": "1"},
                                                                      {"name": "GOMEMLIMIT", "value": "100 MiB"}]),
            "GOMEMLIMIT 0.5Gi, no limit": lambda pod: add_env(pod, [{"name": "GOMEMLIMIT", "value": "0.5Gi"}]),
            "GOMEMLIMIT 1GB below minLimit": lambda pod: (set_all_limits(pod, "8Mi"),
                                                          add_env(pod, [{"name": "GOMEMLIMIT", "value": "1GB"}])),
            "valid GOMEMLIMIT then a malformed one": lambda pod: (set_all_limits(pod, "1Gi"), add_env(pod, [
                {"name": "GOMEMLIMIT", "value": "300MiB"}, {"name": "GOMEMLIMIT", "value": "2e9"}])),
        }
        for i, (label, fn) in enumerate(cases.items()):
            v = variant(review, "var%d" % i, fn)
            check_pod_case(runner, "%s [%s]" % (name, label), v)
        # excluded namespace: no patch, one warning
        v = variant(review, "kube-system", lambda pod: set_all_limits(pod, "1Gi"))
        v["request"]["namespace"] = "kube-system"
        check_pod_case(runner, name + " [namespace kube-system]", v)


CONFIG_LIMIT = """\
defaults:
  ratio: 0.75
  gogc: "off"
  requestPolicy: limit
minLimit: 100Mi
excludeNamespaces: [skip-me]
"""
CONFIG_LIMIT_ORACLE = {"ratio": fl.Fraction(3, 4), "gogc": "off", "request": "limit",
                       "min_limit": 100 * fl.MIB, "exclude": ["skip-me"]}


CONFIG_KEEP = "malformedGOMEMLIMIT: keep\n"
CONFIG_KEEP_ORACLE = dict(fl.DEFAULT_CONFIG, malformed="keep")


def test_config_variants(runner, fixtures):
    for name, review in fixtures:
        if not fl.is_pod_create(review) or not review["request"]["object"].get("spec", {}).get("containers"):
            continue
        for i, form in enumerate(["512Mi", "1181116006400m", "64Mi", "1.G"]):
            v = variant(review, "cfg%d" % i, lambda pod: set_all_limits(pod, form, requests="10Mi"))
            check_pod_case(runner, "%s [config limit/0.75/off, %s]" % (name, form), v,
                           CONFIG_LIMIT_ORACLE, CONFIG_LIMIT)
        v = variant(review, "cfg-ns", lambda pod: set_all_limits(pod, "1Gi"))
        v["request"]["namespace"] = "skip-me"
        check_pod_case(runner, name + " [config excluded namespace]", v, CONFIG_LIMIT_ORACLE, CONFIG_LIMIT)
        # issue 9: malformedGOMEMLIMIT: keep
        v = variant(review, "cfg-keep", lambda pod: (set_all_limits(pod, "1Gi"), add_env(
            pod, [{"name": "GOMEMLIMIT", "value": "512Mi"}])))
        check_pod_case(runner, name + " [malformedGOMEMLIMIT keep]", v, CONFIG_KEEP_ORACLE, CONFIG_KEEP)
        # issue 9: exclude.images, a pattern for the first container's image, and one for all
        first = review["request"]["object"]["spec"]["containers"][0].get("image")
        if isinstance(first, str) and first and all(ch not in first for ch in "*?[]\\\" "):
            text = 'exclude:\n  images: ["%s"]\n' % first
            v = variant(review, "cfg-img", lambda pod: set_all_limits(pod, "1Gi"))
            check_pod_case(runner, name + " [exclude.images its first image]", v,
                           dict(fl.DEFAULT_CONFIG, exclude_images=[first]), text)
        v = variant(review, "cfg-img-all", lambda pod: set_all_limits(pod, "1Gi"))
        check_pod_case(runner, name + " [exclude.images *]", v, dict(fl.DEFAULT_CONFIG, exclude_images=["*"]),
                       'exclude:\n  images: ["*"]\n')


def resolve(doc, pointer):
    return jsonpatch.JsonPointer(pointer).resolve(doc)


def test_hand_checked(runner):
    """tests/fixtures/variants/*.json: a base fixture, edits, and hand-checked results."""
    global checks
    paths = sorted(glob.glob(os.path.join(FIXTURES, "variants", "*.json")))
    if not paths:
        fail("variants", "no hand-checked variants found")
    for path in paths:
        name = "variants/" + os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        with open(os.path.join(FIXTURES, spec["base"]), encoding="utf-8") as f:
            base = json.load(f)
        if spec.get("wrap") == "request":
            base = fl.wrap_request(base)
        review = jsonpatch.apply_patch(base, spec.get("edit", []))
        resp = run_review(runner, name, review, spec.get("config"))
        if resp is None:
            continue
        checks += 1
        want = spec["expect"]
        if resp.get("allowed") is not want.get("allowed", True):
            fail(name, "allowed %r" % resp.get("allowed"))
        if "message" in want:
            msg = (resp.get("status") or {}).get("message", "")
            if want["message"] not in msg or (resp.get("status") or {}).get("code") != 400:
                fail(name, "status %r lacks %r / code 400" % (resp.get("status"), want["message"]))
        for w in want.get("warnings", []):
            if w not in resp.get("warnings", []):
                fail(name, "missing warning %r in %r" % (w, resp.get("warnings")))
        try:
            patch = fl.decode_patch(resp)
        except (AssertionError, ValueError) as e:
            fail(name, "patch: %s" % e)
            continue
        if want.get("no_patch"):
            if patch is not None:
                fail(name, "unexpected patch %s" % json.dumps(patch))
            continue
        if patch is None:
            fail(name, "no patch")
            continue
        mutated = jsonpatch.apply_patch(review["request"]["object"], patch)
        for pointer, value in want.get("object", {}).items():
            try:
                got = resolve(mutated, pointer)
            except jsonpatch.JsonPointerException:
                got = "(missing)"
            if got != value:
                fail(name, "%s = %s, want %s" % (pointer, json.dumps(got), json.dumps(value)))
        again = copy.deepcopy(review)
        again["request"]["object"] = mutated
        resp2 = run_review(runner, name + " (reinvoked)", again, spec.get("config"))
        if resp2 is not None and "patch" in resp2:
            fail(name, "reinvocation not idempotent")


def test_bad_inputs(runner):
    """Not an AdmissionReview: exit 1 with a one-line reason, never a crash."""
    global checks
    for label, raw in [("not json", "nope"), ("array", "[]"), ("no request", "{}"),
                       ("uid number", '{"request":{"uid":1}}'),
                       ("big integer", '{"request":{"uid":"u","x":123456789012345678901234567890}}')]:
        checks += 1
        p = runner.run(None, raw=raw)
        if p.returncode != 1 or p.stdout.strip() or not p.stderr.strip():
            fail("bad input " + label, "exit %d stdout %r stderr %r" % (p.returncode, p.stdout, p.stderr))


def main():
    binary = os.environ.get("GMW_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("FAIL: GMW_BIN is not set to an executable gomemlimit-webhook", file=sys.stderr)
        return 1
    fixtures = load_fixtures()
    if len(fixtures) < 11:
        print("FAIL: expected the 11 shared fixtures, found %d" % len(fixtures), file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="gmw-fixtures-") as tmp:
        runner = fl.Runner(binary, tmp)
        for test in (test_oracle_self_check,
                     lambda: test_fixtures(runner, fixtures),
                     lambda: test_limit_variants(runner, fixtures),
                     lambda: test_env_and_annotation_variants(runner, fixtures),
                     lambda: test_config_variants(runner, fixtures),
                     lambda: test_hand_checked(runner),
                     lambda: test_bad_inputs(runner)):
            try:
                test()
            except Exception:  # noqa: BLE001 - report and go on
                fail("exception", traceback.format_exc())
        print("%d checks, %d binary runs, %d failures" % (checks, runner.count, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
