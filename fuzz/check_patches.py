#!/usr/bin/python3
"""Independent check of the webhook's patches over a fuzz corpus (or any review files).

    fuzz/check_patches.py GOMEMLIMIT_WEBHOOK DIR|FILE...

Every input is answered with `gomemlimit-webhook mutate --review` under the two configs
fuzz_review.c uses (the defaults; warn mode + shim + requestPolicy limit + ratio 0.75 + gogc
off + no excluded namespaces). When the answer carries a patch, it must be base64 of a JSON
Patch that python3-jsonpatch (not our applier) applies to request.object, and the review of
the patched object must carry no further patch (idempotent). Inputs the webhook refuses, or
that Python's json cannot read, are counted and skipped. Exit 1 on any failure.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

import jsonpatch

CONFIG2 = ('invalidAnnotations: warn\nexcludeNamespaces: []\n'
           'defaults: {ratio: 0.75, requestPolicy: limit, gogc: "off"}\n'
           'shim: {enabled: true, image: "registry.example/gmw:1"}\n')


def answer(binary, cfg, path):
    cmd = [binary, "mutate", "--review", "-f", path] + (["--config", cfg] if cfg else [])
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def inputs(args):
    for a in args:
        if os.path.isdir(a):
            for name in sorted(os.listdir(a)):
                p = os.path.join(a, name)
                if os.path.isfile(p) and not name.startswith("."):
                    yield p
        else:
            yield a


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    counts = {"inputs": 0, "refused": 0, "not-python-json": 0, "patched": 0, "no-patch": 0}
    failures = []
    with tempfile.TemporaryDirectory(prefix="gmw-check-patches-") as tmp:
        cfg2 = os.path.join(tmp, "config2.yaml")
        with open(cfg2, "w") as f:
            f.write(CONFIG2)
        again = os.path.join(tmp, "again.json")
        for path in inputs(sys.argv[2:]):
            counts["inputs"] += 1
            for cfg in (None, cfg2):
                resp = answer(binary, cfg, path)
                if resp is None:
                    counts["refused"] += 1
                    continue
                try:
                    with open(path, "rb") as f:
                        review = json.loads(f.read())
                except (ValueError, UnicodeDecodeError, RecursionError):
                    counts["not-python-json"] += 1
                    continue
                r = resp.get("response", {})
                if "patch" not in r:
                    counts["no-patch"] += 1
                    continue
                counts["patched"] += 1
                where = f"{path} ({'config2' if cfg else 'defaults'})"
                try:
                    ops = json.loads(base64.b64decode(r["patch"], validate=True))
                    patched = jsonpatch.JsonPatch(ops).apply(review["request"]["object"])
                except Exception as e:  # noqa: BLE001 - every kind of failure is reported
                    failures.append(f"{where}: the patch does not apply: {type(e).__name__}: {e}")
                    continue
                review["request"]["object"] = patched
                with open(again, "w") as f:
                    json.dump(review, f)
                resp2 = answer(binary, cfg, again)
                if resp2 is None:
                    failures.append(f"{where}: the patched review is refused")
                elif "patch" in resp2.get("response", {}):
                    second = json.loads(base64.b64decode(resp2["response"]["patch"]))
                    failures.append(f"{where}: not idempotent, second patch {second}")
    print("check_patches: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for f in failures[:20]:
        print("FAIL " + f)
    if failures:
        print(f"check_patches: {len(failures)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
