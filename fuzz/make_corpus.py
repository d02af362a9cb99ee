#!/usr/bin/python3
"""Write seed inputs for one fuzz target, taken from the project's own test data, into a
directory (one file per input, named by its SHA-1, so reruns add nothing new).

    fuzz/make_corpus.py TARGET OUTDIR

review       every AdmissionReview recorded in tests/golden/answers.jsonl.gz, the fixtures
             (tests/fixtures/admission), the server's review files and examples/review.json
manifest     examples/, deploy/, tests/integration/cli/, tests/deploy/bad-manifests/ and the
             Pods of the golden reviews as JSON and as YAML-ish JSON streams
config       the golden configs, tests/unit/core/config/
quantity     every resources.limits/requests value and memory-limit annotation in the reviews
annotations  every reviewed Pod's metadata.annotations as KEY=VALUE lines
cgroup, mountinfo   nothing beyond the committed fuzz/seeds/<target>

The committed seeds (fuzz/seeds/TARGET) and regressions are passed to the fuzzer as
directories of their own by fuzz/run.sh.
"""
import glob
import gzip
import hashlib
import json
import os
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def golden():
    with gzip.open(os.path.join(SRC, "tests", "golden", "answers.jsonl.gz"), "rt") as f:
        for line in f:
            yield json.loads(line)


def reviews():
    """Every review as bytes (recorded ones first, then the files)."""
    for rec in golden():
        yield rec["review"].encode()
    for pattern in ("tests/fixtures/admission/*.json", "tests/integration/server/reviews/*.json",
                    "examples/review.json"):
        for path in sorted(glob.glob(os.path.join(SRC, pattern))):
            with open(path, "rb") as f:
                yield f.read()


def pods():
    for raw in reviews():
        try:
            obj = json.loads(raw).get("request", {}).get("object")
        except (ValueError, AttributeError):
            continue
        if isinstance(obj, dict):
            yield obj


def files(*patterns):
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(SRC, pattern))):
            with open(path, "rb") as f:
                yield f.read()


def quantities():
    for pod in pods():
        spec = pod.get("spec") or {}
        for key in ("containers", "initContainers"):
            for c in spec.get(key) or []:
                res = (c or {}).get("resources") or {}
                for kind in ("limits", "requests"):
                    for v in (res.get(kind) or {}).values():
                        if isinstance(v, str):
                            yield v.encode()
        for k, v in ((pod.get("metadata") or {}).get("annotations") or {}).items():
            if "memory-limit" in k and isinstance(v, str):
                yield v.encode()


def annotations():
    for pod in pods():
        ann = (pod.get("metadata") or {}).get("annotations") or {}
        if ann:
            yield "".join(f"{k}={v}\n" for k, v in ann.items() if isinstance(v, str)).encode()


def manifests():
    yield from files("examples/*.yaml", "deploy/*.yaml", "tests/integration/cli/*.yaml",
                     "tests/integration/cli/*.json", "tests/deploy/bad-manifests/*.yaml")
    seen = 0
    for pod in pods():
        yield json.dumps(pod, indent=2).encode()
        seen += 1
        if seen >= 200:
            break


def configs():
    for rec in golden():
        if rec["config"]:
            yield rec["config"].encode()
    yield from files("tests/unit/core/config/*.yaml")


SOURCES = {
    "review": reviews, "manifest": manifests, "config": configs, "quantity": quantities,
    "annotations": annotations, "cgroup": lambda: iter(()), "mountinfo": lambda: iter(()),
    "jsonload": reviews,
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SOURCES:
        print(f"usage: {sys.argv[0]} {{{','.join(SOURCES)}}} OUTDIR", file=sys.stderr)
        return 2
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for data in SOURCES[sys.argv[1]]():
        path = os.path.join(out, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            n += 1
    print(f"make_corpus: {n} new seeds for {sys.argv[1]} in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
