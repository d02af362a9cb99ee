#!/usr/bin/python3
"""Abuse over real TLS: what an attacker who controls a Pod spec can put in an AdmissionReview.

Deep nesting (refused past jansson's depth limit, answered below it), 5,000 containers,
1 MB annotation values (the answer stays small: values are never echoed whole), invalid
UTF-8 inside a review, duplicate keys (last wins, exactly as Python's json reads it), names
and annotation values that try to steer the patch, log
injection through uid/name/namespace, and no secret or whole object in the log even at
debug level. Every answered patch is applied with python3-jsonpatch (not our applier).

The server runs with logLevel debug so that the log checks cover everything it can write.
Over-limit bodies, a Content-Length larger than the body, TLS versions and plain HTTP are in
test_server_body.py, test_server_timeout.py and test_server_routes.py (docs/security.md).
"""
import base64
import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import workdir, Server, make_certs, python_is_debian, run_tests  # noqa: E402

python_is_debian()
import jsonpatch  # noqa: E402

REVIEW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server", "reviews",
                      "pod-create-memory-limits.json")
WORK = workdir("gmw-abuse-")
make_certs(WORK)
SERVER = Server(WORK, args=["--log-level", "debug"])
SECRET = "s3cr3t-MARKER-7f1c9a"  # must never reach the log


def base_review():
    with open(REVIEW) as f:
        return json.load(f)


def post(body, timeout=60):
    """POST body (bytes or a JSON-able object); returns (status, parsed JSON answer)."""
    if not isinstance(body, bytes):
        body = json.dumps(body, separators=(",", ":")).encode()
    status, resp, rc = SERVER.curl("/mutate", data=body, timeout=timeout)
    assert rc == 0, f"curl failed ({rc}) for a {len(body)}-byte body"
    resp.decode("utf-8")  # the answer is valid UTF-8
    return status, json.loads(resp), len(resp)


def apply_patch(review, response):
    """The patched object, by python3-jsonpatch; the object itself when there is no patch."""
    obj = review["request"]["object"]
    if "patch" not in response:
        return obj
    assert response["patchType"] == "JSONPatch"
    ops = json.loads(base64.b64decode(response["patch"], validate=True))
    return jsonpatch.JsonPatch(ops).apply(obj)


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_deep_nesting():
    review = base_review()
    # Far past jansson's depth limit (2048): refused with 400, quickly, no crash.
    deep = b"[" * 100000 + b"]" * 100000
    raw = json.dumps(review).encode()
    body = raw.replace(b'"spec": {', b'"spec": {"x": ' + deep + b", ", 1)
    assert len(body) > len(raw) + 200000
    status, answer, _ = post(body)
    assert status == 400, (status, answer)
    assert "invalid JSON" in answer["error"] and "depth" in answer["error"], answer
    # Deep but within the limit: answered, and the patch applies.
    nested = b'{"n":' * 1500 + b"{}" + b"}" * 1500
    body = raw.replace(b'"spec": {', b'"spec": {"x": ' + nested + b", ", 1)
    status, answer, _ = post(body)
    assert status == 200, (status, answer)
    patched = apply_patch(review, answer["response"])
    assert env_of(patched["spec"]["containers"][0])["GOMEMLIMIT"] == "460MiB", patched
    assert SERVER.alive()


def test_5000_containers():
    review = base_review()
    review["request"]["uid"] = "00000000-0000-4000-8000-000000005000"
    spec = review["request"]["object"]["spec"]
    # About 240 bytes a container: a 1.2 MB review, like the one the outside probe sent.
    spec["containers"] = [{"name": f"worker-{i:04d}", "image": "registry.example/team/batch-worker:1.4.2",
                           "env": [{"name": "WORKER_MODE", "value": "batch-nightly"}],
                           "resources": {"limits": {"memory": f"{64 + i % 512}Mi", "cpu": "250m"},
                                         "requests": {"cpu": "100m"}}}
                          for i in range(5000)]
    body = json.dumps(review, separators=(",", ":")).encode()
    assert len(body) > 1000000, len(body)
    status, answer, _ = post(body, timeout=120)
    assert status == 200, (status, answer)
    r = answer["response"]
    assert r["uid"] == review["request"]["uid"] and r["allowed"] is True, r.get("status")
    patched = apply_patch(review, r)
    got = [env_of(c).get("GOMEMLIMIT") for c in patched["spec"]["containers"]]
    want = [f"{(64 + i % 512) * 9 // 10}MiB" for i in range(5000)]
    assert got == want, [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w][:5]
    # The server is still fine afterwards.
    status, answer, _ = post(base_review())
    assert status == 200 and "patch" in answer["response"]


def test_1mb_annotation_values():
    mb = "x" * (1024 * 1024)
    review = base_review()
    ann = review["request"]["object"]["metadata"].setdefault("annotations", {})
    ann["example.com/blob"] = mb
    ann["gomemlimit.io/status"] = mb  # written by the webhook, never trusted as input
    status, answer, size = post(review)
    assert status == 200, (status, answer)
    # Nothing of the 1 MB values comes back: the answer stays small.
    assert size < 64 * 1024, size
    patched = apply_patch(review, answer["response"])
    assert patched["metadata"]["annotations"]["example.com/blob"] == mb
    assert env_of(patched["spec"]["containers"][0])["GOMEMLIMIT"] == "460MiB"

    # A 1 MB value in one of our keys: denied (deny mode), with a short message.
    review = base_review()
    review["request"]["object"]["metadata"]["annotations"] = {"gomemlimit.io/ratio": "0." + mb}
    status, answer, size = post(review)
    assert status == 200, (status, answer)
    r = answer["response"]
    assert r["allowed"] is False, r
    assert len(r["status"]["message"]) < 2048, len(r["status"]["message"])
    assert size < 16 * 1024, size
    for w in r.get("warnings", []):
        assert len(w) <= 120, w


def test_invalid_utf8_inside_a_review():
    raw = json.dumps(base_review()).encode()
    for bad in (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\xe2\x82"):
        for where in (b'"name": "api"', b'"namespace": "shop"'):
            key = where.split(b":")[0]
            body = raw.replace(where, key + b': "' + bad + b'"', 1)
            assert body != raw
            status, answer, _ = post(body)
            assert status == 400, (bad, status, answer)
            assert "UTF-8" in answer["error"] or "invalid JSON" in answer["error"], answer
    # An escaped lone surrogate is refused too (it is not a Unicode character).
    body = raw.replace(b'"name": "api"', b'"name": "\\ud800"', 1)
    status, answer, _ = post(body)
    assert status == 400, (status, answer)
    assert SERVER.alive()


def test_duplicate_keys_last_wins():
    # Python's json keeps the last value of a duplicated key, as the apiserver's decoder does:
    # the answer must be the answer to the review Python reads.
    review = base_review()
    raw = json.dumps(review)
    c0 = '"limits": {"memory": "512Mi"'
    assert c0 in raw
    dup = raw.replace(c0, '"limits": {"memory": "64Mi", "memory": "512Mi"', 1)
    dup = dup.replace('"uid": "', '"uid": "first-uid", "uid": "', 1)
    dup = dup.replace('"namespace": "shop"', '"namespace": "kube-system", "namespace": "shop"', 1)
    status, answer, _ = post(dup.encode())
    assert status == 200, (status, answer)
    status2, answer2, _ = post(json.loads(dup))
    assert status2 == 200
    assert answer == answer2, (answer, answer2)
    assert answer["response"]["uid"] == review["request"]["uid"]
    patched = apply_patch(json.loads(dup), answer["response"])
    assert env_of(patched["spec"]["containers"][0])["GOMEMLIMIT"] == "460MiB"  # 0.9 x 512Mi


def test_names_and_annotations_cannot_steer_the_patch():
    # Container names with JSON Pointer characters and annotation values that look like
    # JSON Patch: the patch only ever touches env, resources.requests and the status
    # annotation, and every value it writes is one the webhook formatted itself.
    review = base_review()
    obj = review["request"]["object"]
    c0 = obj["spec"]["containers"][0]
    names = ["a/b", "x~1y", '"}],"op":"remove","path":"/spec', "../../metadata"]
    obj["spec"]["containers"] = [dict(copy.deepcopy(c0), name=n) for n in names]
    injected = '", "op": "replace", "path": "/spec/serviceAccountName", "value": "admin'
    obj["metadata"]["annotations"] = {
        "gomemlimit.io/gogc": "50",
        "gomemlimit.io/gogc.a/b": "off",
        "gomemlimit.io/memory-limit.x~1y": "100Mi",
        "example.com/note": injected,
        "gomemlimit.io/status": injected,
    }
    status, answer, _ = post(review)
    assert status == 200, (status, answer)
    r = answer["response"]
    assert r["allowed"] is True, r.get("status")
    ops = json.loads(base64.b64decode(r["patch"]))
    allowed = re.compile(r"^(/spec/containers/[0-3]/(env(/[0-9]+(/value)?|/-)?|"
                         r"resources(/requests(/memory)?)?)|/metadata/annotations"
                         r"(/gomemlimit\.io~1status)?)$")
    for op in ops:
        assert op["op"] in ("add", "replace", "test"), op
        assert allowed.match(op["path"]), op
    patched = apply_patch(review, r)
    # Everything else is exactly as sent.
    strip = copy.deepcopy(patched)
    orig = copy.deepcopy(obj)
    for o in (strip, orig):
        o["metadata"]["annotations"].pop("gomemlimit.io/status", None)
        for c in o["spec"]["containers"]:
            c.pop("env", None)
            c["resources"].pop("requests", None)
    assert strip == orig
    for c in patched["spec"]["containers"]:
        env = env_of(c)
        assert re.fullmatch(r"[0-9]+MiB", env["GOMEMLIMIT"]), env
        assert re.fullmatch(r"[0-9]+|off", env["GOGC"]), env
    # Per-container keys need a DNS-label name: "a/b" and "x~1y" are not, so the pod-level
    # gogc applies and the container limit's 90 %.
    for c in patched["spec"]["containers"]:
        assert env_of(c)["GOGC"] == "50" and env_of(c)["GOMEMLIMIT"] == "460MiB", env_of(c)
    json.loads(patched["metadata"]["annotations"]["gomemlimit.io/status"])  # ours, valid JSON


def admission_records():
    return [r for r in SERVER.log_records() if r.get("msg") == "admission"]


def test_log_injection_and_no_secrets_in_log():
    forged = '\n{"time":"x","level":"error","msg":"forged"}\r\n'
    review = base_review()
    review["request"]["uid"] = "uid-" + forged
    review["request"]["name"] = "name-" + forged + "\x1b[31m\x7f"
    review["request"]["namespace"] = "ns-" + forged
    obj = review["request"]["object"]
    obj["spec"]["containers"][0]["env"] = [{"name": "API_TOKEN", "value": SECRET}]
    obj["metadata"]["annotations"] = {"example.com/secret": SECRET,
                                      "gomemlimit.io/ratio": SECRET}  # invalid: denied
    before = len(admission_records())
    status, answer, _ = post(review)
    assert status == 200, (status, answer)
    assert answer["response"]["uid"] == review["request"]["uid"]  # copied exactly
    # Malformed bodies that hold the secret right before the point where parsing stops.
    raw = json.dumps(review)
    cut = raw.index(SECRET) + len(SECRET)
    bodies = (raw[:cut], raw[:cut] + "\x01" + raw[cut:], raw[:cut] + "\\q" + raw[cut:],
              raw.replace('"' + SECRET + '"', SECRET, 1))
    for body in (b.encode() for b in bodies):
        status, answer, _ = post(body)
        assert status == 400, (status, answer)
        assert SECRET not in answer["error"], answer  # the error names a position, not the data
    SERVER.wait_log(lambda r: len(admission_records()) >= before + 5)

    text = SERVER.log_text()
    assert SECRET not in text, "the secret reached the log"
    recs = SERVER.log_records()  # every line is one JSON object (raises otherwise)
    assert not any(r.get("msg") == "forged" for r in recs), "a forged log record"
    for line in text.splitlines():
        assert len(line.encode()) <= 4096, len(line)
    adm = admission_records()[before:]
    ours = [r for r in adm if r.get("uid", "").startswith("uid-")]
    assert ours, adm
    r = ours[0]
    # The injected text is kept inside the fields (escaped), never as lines of its own.
    assert "forged" in r["uid"] and r["decision"] == "denied", r
    for rec in adm:
        assert "object" not in rec and "request" not in rec and "body" not in rec, rec


if __name__ == "__main__":
    with SERVER:
        run_tests([
            test_deep_nesting,
            test_5000_containers,
            test_1mb_annotation_values,
            test_invalid_utf8_inside_a_review,
            test_duplicate_keys_last_wins,
            test_names_and_annotations_cannot_steer_the_patch,
            test_log_injection_and_no_secrets_in_log,
        ])
