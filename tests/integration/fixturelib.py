"""fixturelib - helpers for tests/integration/test_fixtures.py.

An independent oracle of the webhook's contract (docs/annotations.md), written from the
rules rather than from the C code: Kubernetes quantities with exact Fraction arithmetic,
GOMEMLIMIT = floor(limit x ratio) in whole MiB, the requests policies, env handling and
the gomemlimit.io/status annotation, and (issue 9) the malformed user GOMEMLIMIT rules
(Go's parseByteCount rewritten from the Go runtime, the repair of Kubernetes quantities)
and exclude.images (Python's fnmatch). It covers valid inputs (denials are checked by the
C unit tests and by specific cases in test_fixtures.py).

Runs under Debian's /usr/bin/python3 (python3-jsonpatch, python3-yaml).
"""

import base64
import copy
import fnmatch
import json
import math
import os
import re
import subprocess
import tempfile
from fractions import Fraction

MIB = 1 << 20
BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": 1,
           "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
QUANTITY_RE = re.compile(
    r"^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+|)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]?)$")

DEFAULT_CONFIG = {"ratio": Fraction(9, 10), "gogc": "100", "request": "match",
                  "min_limit": 16 * MIB,
                  "exclude": ["kube-system", "kube-public", "kube-node-lease"],
                  "malformed": "repair", "exclude_images": []}
MAX_INT64 = 2**63 - 1


def go_atoi64(s):
    """runtime.atoi64 (Go's runtime/string.go): optional '-', digits only; (value, ok)."""
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    if s and not all("0" <= ch <= "9" for ch in s):
        return 0, False
    un = int(s) if s else 0
    if (not neg and un > MAX_INT64) or (neg and un > MAX_INT64 + 1):
        return 0, False
    return (-un if neg else un), True


def go_gomemlimit_ok(s):
    """Would the Go runtime accept s as GOMEMLIMIT (readGOMEMLIMIT / parseByteCount)?"""
    if s == "off":
        return True
    if s == "":
        return False
    if s[-1].isdigit() and s[-1] in "0123456789":
        n, ok = go_atoi64(s)
        return ok and n >= 0
    if s[-1] != "B" or len(s) < 2:
        return False
    if s[-2] in "0123456789":
        n, ok = go_atoi64(s[:-1])
        return ok and n >= 0
    if s[-2] != "i" or len(s) < 4:
        return False
    power = {"K": 1, "M": 2, "G": 3, "T": 4}.get(s[-3])
    if power is None:
        return False
    n, ok = go_atoi64(s[:-3])
    return ok and n >= 0 and n * 1024**power <= MAX_INT64


def go_bytes_text(b):
    """Bytes in Go's grammar, exactly, with the largest binary unit that divides them."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if b > 0 and b % size == 0:
            return "%d%s" % (b // size, unit)
    return "%d" % b


def sanitize(text, maxlen=24):
    """What the webhook echoes of a value: printable ASCII, cut to maxlen with '...'."""
    text = "".join(ch if 0x20 <= ord(ch) < 0x7F else "?" for ch in text)
    return text if len(text) <= maxlen else text[:maxlen - 3] + "..."


def malformed_user_gomemlimit(env, own_value):
    """The last GOMEMLIMIT entry of env when it is a literal the Go runtime rejects and not
    the webhook's own value (index, item); else (None, None)."""
    found = [(i, e) for i, e in enumerate(env or []) if isinstance(e, dict) and e.get("name") == "GOMEMLIMIT"]
    if not found:
        return None, None
    i, item = found[-1]
    value = item.get("value")
    if "valueFrom" in item or not isinstance(value, str) or value == "" or value == own_value:
        return None, None
    return (i, item) if not go_gomemlimit_ok(value) else (None, None)


def quantity_bytes(q):
    """Value() of a Kubernetes quantity (ceil to a whole byte), or None when invalid for
    memory (syntax, negative, >= 2^63). Accepts JSON numbers like the apiserver."""
    if isinstance(q, bool):
        return None
    if isinstance(q, int):
        q = str(q)
    if not isinstance(q, str):
        return None
    m = QUANTITY_RE.match(q)
    if not m:
        return None
    sign, number, suffix = m.groups()
    value = Fraction(number) if number not in ("", ".") else Fraction(0)
    if suffix in BINARY:
        value *= BINARY[suffix]
    elif suffix[:1] in ("e", "E") and len(suffix) > 1:
        value *= Fraction(10) ** int(suffix[1:])
    else:
        value *= DECIMAL[suffix]
    if sign == "-":
        value = -value
    b = math.ceil(value)
    if b < 0 or b >= 2**63:
        return None
    return b


def gomemlimit_bytes(limit_bytes, ratio):
    """floor(limit x ratio) rounded down to a whole MiB."""
    return math.floor(Fraction(limit_bytes) * Fraction(ratio)) // MIB * MIB


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def candidates(spec, selected):
    """(list name, index, container) of the containers the webhook looks at, in its order."""
    out = []
    for i, c in enumerate(spec.get("containers") or []):
        out.append(("containers", i, c))
    for i, c in enumerate(spec.get("initContainers") or []):
        if c.get("restartPolicy") == "Always" or (selected is not None and c.get("name") in selected):
            out.append(("initContainers", i, c))
    return out


def expected_mutation(pod, namespace, cfg=DEFAULT_CONFIG):
    """Return (expected_pod, info) for a valid Pod. info: injected {name: GOMEMLIMIT},
    skipped {name: reason}, user [names]."""
    info = {"injected": {}, "skipped": {}, "user": [], "changed": [], "advised": {}}
    new = copy.deepcopy(pod)
    if namespace in cfg["exclude"]:
        info["excluded"] = True
        return new, info
    spec = new.get("spec") or {}
    annotations = (new.get("metadata") or {}).get("annotations") or {}

    def ann(key, name):
        return annotations.get("gomemlimit.io/%s.%s" % (key, name),
                               annotations.get("gomemlimit.io/" + key))

    selected = None
    if "gomemlimit.io/containers" in annotations:
        selected = [s.strip() for s in annotations["gomemlimit.io/containers"].split(",") if s.strip()]
    try:
        old_status = json.loads(annotations["gomemlimit.io/status"])
        if not isinstance(old_status, dict):
            old_status = {}
    except (KeyError, ValueError):
        old_status = {}
    status = {}
    changed = False
    for _, _, c in candidates(spec, selected):
        cchanged = False
        name = c.get("name", "")
        if selected is not None and name not in selected:
            status[name] = {"reason": "not-selected"}
            continue
        info["advised"][name] = None  # judged by the advice, with the webhook's ratio if any
        if ann("inject", name) == "false":
            status[name] = {"reason": "opt-out"}
            info["skipped"][name] = "opt-out"
            continue
        image = c.get("image")
        if isinstance(image, str) and any(fnmatch.fnmatchcase(image, p) for p in cfg.get("exclude_images", [])):
            status[name] = {"reason": "image-excluded"}
            info["skipped"][name] = "image-excluded"
            continue
        resources = c.get("resources") or {}
        limit = (resources.get("limits") or {}).get("memory")
        reason = None
        if limit is None:
            reason = "no-memory-limit"
        else:
            limit_bytes = quantity_bytes(limit)
            if limit_bytes is None:
                reason = "invalid-limit"
            elif limit_bytes < cfg["min_limit"]:
                reason = "below-min-limit"
        if reason is None:
            ratio = Fraction(ann("ratio", name)) if ann("ratio", name) else cfg["ratio"]
            if ann("memory-limit", name):
                gml = quantity_bytes(ann("memory-limit", name)) // MIB * MIB
            else:
                gml = gomemlimit_bytes(limit_bytes, ratio)
            if gml < MIB:
                reason = "below-one-mib"
        if reason is not None:
            entry = {"reason": reason}
            # a malformed user GOMEMLIMIT in a container without a usable limit
            idx, item = malformed_user_gomemlimit(c.get("env"), old_status.get(name, {}).get("GOMEMLIMIT"))
            if item is not None and cfg.get("malformed", "repair") != "deny":
                was = sanitize(item["value"])
                q = quantity_bytes(item["value"]) or None  # 0 bytes is not a repair
                if cfg.get("malformed", "repair") == "keep":
                    entry["malformed"] = "kept " + was
                elif q is not None:
                    item["value"] = go_bytes_text(q)
                    entry["malformed"] = "repaired " + was
                    changed = True
                else:
                    del c["env"][idx]
                    entry["malformed"] = "removed " + was
                    changed = True
            carry_malformed(entry, old_status.get(name))
            status[name] = entry
            info["skipped"][name] = reason
            continue
        gml_text = "%dMiB" % (gml // MIB)
        gogc = ann("gogc", name) or cfg["gogc"]
        env = c.get("env")
        if env is None:
            env = []
            had_env = False
        else:
            had_env = True
        entry = {}
        user_gml = False
        appended = []
        note = None
        idx, item = malformed_user_gomemlimit(env, old_status.get(name, {}).get("GOMEMLIMIT"))
        if item is not None:
            was = sanitize(item["value"])
            q = quantity_bytes(item["value"]) or None  # 0 bytes is not a repair
            if cfg.get("malformed", "repair") == "keep":
                note = "kept " + was
            elif q is not None:  # repaired: then it is a valid user value
                item["value"] = go_bytes_text(q)
                note = "repaired " + was
                cchanged = True
            else:  # replaced by the computed value: the webhook's own from now on
                item["value"] = gml_text
                note = "replaced " + was
                cchanged = True
                old_status.setdefault(name, {})
                old_status[name] = dict(old_status[name], GOMEMLIMIT=gml_text)
        for var, value in (("GOMEMLIMIT", gml_text), ("GOGC", gogc)):
            found = [e for e in env if e.get("name") == var]
            item = found[-1] if found else None
            own = (item is not None and "valueFrom" not in item
                   and old_status.get(name, {}).get(var) == item.get("value")
                   and item.get("value") is not None)
            if item is not None and not own:
                if var == "GOMEMLIMIT":
                    user_gml = True
                continue
            if item is None:
                appended.append({"name": var, "value": value})
                cchanged = True
            elif item["value"] != value:
                item["value"] = value
                cchanged = True
            entry[var] = value
        if appended:
            env.extend(appended)
            if not had_env:
                c["env"] = env
        if not user_gml and spec.get("resources") is None:
            policy = ann("request", name) or cfg["request"]
            requests = resources.get("requests")
            current = (requests or {}).get("memory")
            new_value = None
            if policy == "match" and (current is None or quantity_bytes(current) < gml):
                new_value = "%dMi" % (gml // MIB)
            elif policy == "limit" and (current is None or quantity_bytes(current) != limit_bytes):
                new_value = copy.deepcopy(limit)
            if new_value is not None:
                if requests is None:
                    resources["requests"] = {}
                resources["requests"]["memory"] = new_value
                cchanged = True
        if not user_gml and not ann("memory-limit", name):
            info["advised"][name] = ratio
        if user_gml:
            entry["reason"] = "user-value"
            info["user"].append(name)
        else:
            info["injected"][name] = gml_text
        if note is not None:
            entry["malformed"] = note
        carry_malformed(entry, old_status.get(name))
        status[name] = entry
        if cchanged:
            changed = True
            info["changed"].append(name)
    if changed or "gomemlimit.io/status" in annotations:
        text = compact(status)
        if annotations.get("gomemlimit.io/status") != text:
            new.setdefault("metadata", {})
            if new["metadata"].get("annotations") is None:
                new["metadata"]["annotations"] = {}
            new["metadata"]["annotations"]["gomemlimit.io/status"] = text
    return new, info


def carry_malformed(entry, old_entry):
    """A note of an earlier round ("malformed": "repaired 512Mi", ...) stays, always last."""
    note = entry.pop("malformed", None)
    if note is None and isinstance(old_entry, dict) and isinstance(old_entry.get("malformed"), str):
        note = old_entry["malformed"]
    if note is not None:
        entry["malformed"] = note


def wrap_request(request, api_version="admission.k8s.io/v1"):
    return {"apiVersion": api_version, "kind": "AdmissionReview", "request": request}


def wrap_pod(pod, namespace="default", uid="00000000-0000-4000-8000-000000000000"):
    """A CREATE AdmissionReview for a bare Pod, as the apiserver would send it."""
    return wrap_request({
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "name": (pod.get("metadata") or {}).get("name", ""),
        "namespace": namespace,
        "operation": "CREATE",
        "userInfo": {"username": "test"},
        "object": pod,
        "oldObject": None,
        "dryRun": False,
    })


def is_pod_create(review):
    r = review.get("request") or {}
    res = r.get("resource") or {}
    return (r.get("operation") == "CREATE" and res.get("resource") == "pods"
            and res.get("group", "") == "" and not r.get("subResource")
            and isinstance(r.get("object"), dict))


class Runner:
    """Runs `$GMW_BIN mutate --review -f FILE [--config FILE]` on review dicts."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.count = 0
        # tests/golden/record.py sets this to a list: every run is appended to it.
        self.record = None

    def run(self, review, config_text=None, raw=None):
        self.count += 1
        path = os.path.join(self.workdir, "review-%d.json" % self.count)
        with open(path, "w", encoding="utf-8") as f:
            if raw is not None:
                f.write(raw)
            else:
                json.dump(review, f)
        cmd = [self.binary, "mutate", "--review", "-f", path]
        if config_text is not None:
            cpath = os.path.join(self.workdir, "config-%d.yaml" % self.count)
            with open(cpath, "w", encoding="utf-8") as f:
                f.write(config_text)
            cmd += ["--config", cpath]
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        if self.record is not None:
            with open(path, "rb") as f:
                review_bytes = f.read()
            self.record.append({"config": config_text, "review": review_bytes.decode("utf-8", "replace"),
                                "exit": p.returncode, "stdout": p.stdout.decode("utf-8", "replace")})
        return p


def decode_patch(response):
    """The JSON patch of a response (None when absent). Checks the base64 form."""
    if "patch" not in response:
        assert "patchType" not in response, "patchType without patch"
        return None
    b64 = response["patch"]
    assert isinstance(b64, str) and len(b64) % 4 == 0, "patch is not padded base64"
    assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", b64), "patch is not standard base64"
    assert response.get("patchType") == "JSONPatch", "patchType %r" % response.get("patchType")
    patch = json.loads(base64.b64decode(b64, validate=True))
    assert isinstance(patch, list) and patch, "patch is not a non-empty array"
    return patch


def check_warnings(warnings):
    assert isinstance(warnings, list)
    assert len(set(warnings)) == len(warnings), "duplicate warnings"
    assert sum(len(w) for w in warnings) < 4096
    for w in warnings:
        assert isinstance(w, str) and 0 < len(w) <= 120, "bad warning length: %r" % w
        assert all(0x20 <= ord(ch) < 0x7F for ch in w), "non-printable warning: %r" % w


# ---- advice (issue 10): written from the rules, not from advice.c ------------------

GOMEMLIMIT_RE = re.compile(r"^([0-9]+)((?:[KMGT]i)?B)?$")
GO_UNITS = {None: 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
ADVICE_TINY = 32 * MIB


def go_gomemlimit(value):
    """Bytes Go uses for a GOMEMLIMIT literal, math.inf for "off", None when unset/malformed."""
    if value == "off":
        return math.inf
    m = GOMEMLIMIT_RE.match(value or "")
    if not m:
        return None
    b = int(m.group(1)) * GO_UNITS[m.group(2)]
    return b if b < 2**63 else None


def go_gogc(value):
    """GOGC as the Go runtime reads it: -1 off, n >= 0, or None (unset/ignored -> 100)."""
    if value == "off":
        return -1
    if not value or not re.match(r"^-?[0-9]+$", value):
        return None
    n = int(value)
    if not -2**31 <= n < 2**31:
        return None
    return -1 if n < 0 else n


def short(text, n):
    """The webhook's echo of a value: at most n characters, cut ones end in '...'."""
    return text if len(text) <= n else text[:n - 3] + "..."


def percent(frac):
    """Fraction(95, 100) -> '95%', 0.975 -> '97.5%', 0.9751 -> '97.51%'."""
    e4 = int(frac * 10000)
    whole, rest = divmod(e4, 100)
    if rest == 0:
        return "%d%%" % whole
    if rest % 10 == 0:
        return "%d.%d%%" % (whole, rest // 10)
    return "%d.%02d%%" % (whole, rest)


def expected_advice(container, ratio):
    """The advice lines for one container as it will run (after the patch); `ratio` is the
    webhook's ratio when GOMEMLIMIT is the webhook's ratio value, else None."""
    name = short(container.get("name", ""), 63)
    p = "gomemlimit: container %s: advice: " % name
    env = [e for e in container.get("env") or [] if isinstance(e, dict)]

    def last(var):
        found = [e for e in env if e.get("name") == var]
        return found[-1] if found else None

    res = container.get("resources") or {}
    limit_q = (res.get("limits") or {}).get("memory") if isinstance(res.get("limits"), dict) else None
    limit = quantity_bytes(limit_q) if limit_q is not None else None
    req_q = (res.get("requests") or {}).get("memory") if isinstance(res.get("requests"), dict) else None
    request = quantity_bytes(req_q) if req_q is not None else None
    gml, gml_text, unknown = None, None, False
    e = last("GOMEMLIMIT")
    if e is not None and e.get("valueFrom") is not None:
        ref = e["valueFrom"].get("resourceFieldRef") or {}
        div = quantity_bytes(ref.get("divisor", "1"))
        if (ref.get("resource") == "limits.memory" and ref.get("containerName") in (None, "", container.get("name"))
                and limit is not None and div):
            gml, gml_text = -(-limit // div), "limits.memory"
        else:
            unknown = True
    elif e is not None:
        gml = go_gomemlimit(e.get("value"))
        gml_text = short(e.get("value") or "", 24)
    g = last("GOGC")
    gogc = go_gogc(g.get("value")) if g is not None and g.get("valueFrom") is None else None
    out = []
    if gml is not None and gml != math.inf and limit:
        near = ratio >= Fraction(95, 100) if ratio is not None else gml * 100 >= limit * 95
        if near:
            pct = percent(ratio) if ratio is not None else "%d%%" % (gml * 100 // limit)
            out.append(p + "GOMEMLIMIT=%s is %s of limit %s, GC thrashes; use <= 90%%"
                       % (gml_text, pct, short(str(limit_q), 24)))
    if gogc is not None and 0 <= gogc < 25:
        out.append(p + "GOGC=%s < 25 makes the GC run nonstop; use 50-100" % short(g["value"], 12))
    if gogc == -1 and not unknown and (gml is None or gml == math.inf):
        out.append(p + "GOGC=%s, no GOMEMLIMIT: heap grows to OOM kill; set limits.memory"
                   % short(g["value"], 12))
    if gml is not None and gml != math.inf and request is not None and request * 2 < gml:
        out.append(p + "requests.memory %s < GOMEMLIMIT/2: evicted first; raise it"
                   % short(str(req_q), 24))
    if gml is not None and gml < ADVICE_TINY:
        out.append(p + "GOMEMLIMIT=%s < 32MiB: GC runs nonstop; raise limits.memory"
                   % gml_text)
    return [short(w, 120) for w in out]


def expected_pod_advice(mutated_pod, info):
    """Every advice line for a Pod the oracle mutated (info from expected_mutation)."""
    spec = mutated_pod.get("spec") or {}
    out = []
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and c.get("name") in info.get("advised", {}):
                for w in expected_advice(c, info["advised"][c["name"]]):
                    if w not in out:
                        out.append(w)
    return out
