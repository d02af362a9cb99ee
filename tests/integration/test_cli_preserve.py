#!/usr/bin/python3
"""test_cli_preserve.py - the text-preserving rewrite (issue 10): `mutate -o preserve` and
`mutate --in-place` on the real manifests of this repository and on hand-written ones
(tests/integration/cli/preserve/).

Independent checks: difflib on the bytes (the original lines all survive, in order, except a
line whose scalar value the patch replaces; everything else is inserted lines), and PyYAML
(python3-yaml, not our parser) reads the result as the same objects as today's
`mutate -f --output yaml` result.

Run from the source root: GMW_BIN=build/gomemlimit-webhook tests/integration/test_cli_preserve.py
"""
import difflib
import os
import shutil
import stat
import subprocess
import sys
import tempfile

import yaml  # python3-yaml

BIN = os.environ.get("GMW_BIN", "build/gomemlimit-webhook")
SRC = os.environ.get("GMW_SRC_DIR", os.getcwd())
DATA = os.path.join(SRC, "tests", "integration", "cli", "preserve")
REAL = [os.path.join(SRC, p) for p in (
    "examples/deployment.yaml", "examples/pod.yaml", "deploy/deployment.yaml",
    "tests/integration/cli/preserve/commented.yaml",
    "tests/integration/cli/preserve/crlf-no-final-newline.yaml")]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


def run(args):
    p = subprocess.run([BIN, "mutate"] + args, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode()


def lines(b):
    return b.decode().splitlines(keepends=True)


def check_only_additions(name, before, after, replaced_ok):
    """Every original line survives in order; other changes are insertions. A replaced
    line is allowed only when replaced_ok(old, new) (same key, new value)."""
    a, b = lines(before), lines(after)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    inserted = 0
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "insert":
            inserted += j2 - j1
        elif tag == "replace":
            # a replaced value: the old line's key is followed by the same text in a new line
            old, new = a[i1:i2], b[j1:j2]
            ok = any(replaced_ok(o, n) for o in old for n in new) and len(new) >= len(old)
            check(ok, f"{name}: lines changed, not only added: {old!r} -> {new!r}")
            inserted += (j2 - j1) - (i2 - i1)
        elif tag == "delete":
            check(False, f"{name}: lines deleted: {a[i1:i2]!r}")
    return inserted


def same_key(old, new):
    """'      memory: 256Mi   # c' -> '      memory: 921Mi   # c': key, indentation, comment."""
    ko, kn = old.split(":", 1)[0], new.split(":", 1)[0]
    co = old.split("#", 1)[1] if "#" in old else ""
    cn = new.split("#", 1)[1] if "#" in new else ""
    flow = "[" in old or "{" in old
    return ko == kn and (co == cn or flow)


def test_real_manifests():
    for path in REAL:
        name = os.path.relpath(path, SRC)
        before = open(path, "rb").read()
        rc, out, err = run(["-o", "preserve", "-f", path])
        if not check(rc == 0, f"{name}: -o preserve exit {rc}: {err}"):
            continue
        n = check_only_additions(name, before, out, same_key)
        check(n > 0, f"{name}: nothing inserted")
        rc2, today, err2 = run(["-o", "yaml", "-f", path])
        check(rc2 == 0, f"{name}: -o yaml exit {rc2}")
        got = [d for d in yaml.safe_load_all(out) if d is not None]
        want = [d for d in yaml.safe_load_all(today) if d is not None]
        check(got == want, f"{name}: -o preserve does not parse to the -o yaml result")
        # the line ending of the file is kept
        if b"\r\n" in before:
            check(out.count(b"\n") == out.count(b"\r\n"), f"{name}: mixed line endings")


def test_comments_anchors_and_other_documents_kept():
    path = os.path.join(DATA, "commented.yaml")
    before = open(path, "rb").read()
    rc, out, err = run(["-o", "preserve", "-f", path])
    check(rc == 0, f"commented.yaml: exit {rc}: {err}")
    text = out.decode()
    for line in before.decode().splitlines():
        if line.lstrip().startswith("#") or "&limit" in line or line.strip() == "":
            check(line in text.splitlines(), f"comment/anchor/blank line lost: {line!r}")
    # the ConfigMap document is byte-identical, up to the next "---"
    first = before.split(b"---\n")[1]
    check(out.split(b"---\n")[1] == first, "the ConfigMap document changed")
    # single quotes are this file's style: the status annotation is written with them
    check("gomemlimit.io/status: '{" in text, "the file's quoting style is not used")
    # flow collections stay flow
    check('env: [{name: A, value: b}, {"name":"GOMEMLIMIT"' in text, "flow env not appended")


def test_in_place_and_idempotent():
    work = tempfile.mkdtemp(prefix="gmw-inplace-")
    try:
        path = os.path.join(work, "app.yaml")
        shutil.copy(os.path.join(DATA, "commented.yaml"), path)
        os.chmod(path, 0o640)
        rc, want, err = run(["-o", "preserve", "-f", path])
        rc, out, err = run(["--in-place", "-f", path])
        check(rc == 0 and out == b"", f"--in-place: exit {rc}, stdout {out[:80]!r}: {err}")
        check(open(path, "rb").read() == want, "--in-place wrote something else than -o preserve")
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o640, "--in-place changed the file mode")
        check(sorted(os.listdir(work)) == ["app.yaml"], f"left-over files: {os.listdir(work)}")
        # a second run finds everything in place (the status annotation) and changes nothing
        mtime = os.stat(path).st_mtime_ns
        rc, out, err = run(["--in-place", "-f", path])
        check(rc == 0 and open(path, "rb").read() == want, "second --in-place changed the file")
        check(os.stat(path).st_mtime_ns == mtime, "second --in-place rewrote an unchanged file")
        # a denied object: exit 1, the file untouched
        bad = os.path.join(work, "bad.yaml")
        text = open(os.path.join(SRC, "examples", "deployment.yaml")).read().replace(
            'gomemlimit.io/ratio.cache: "0.5"', 'gomemlimit.io/ratio.cache: "5"')
        open(bad, "w").write(text)
        rc, out, err = run(["--in-place", "-f", bad])
        check(rc == 1 and "denied" in err, f"denied: exit {rc}: {err}")
        check(open(bad).read() == text, "a denied file was modified")
        # JSON input is refused (-o json is the tool for it)
        js = os.path.join(work, "pod.json")
        open(js, "w").write('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}')
        rc, out, err = run(["-o", "preserve", "-f", js])
        check(rc == 1 and "JSON" in err, f"JSON input: exit {rc}: {err}")
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    for t in (test_real_manifests, test_comments_anchors_and_other_documents_kept,
              test_in_place_and_idempotent):
        before = len(failures)
        t()
        print(("PASS " if len(failures) == before else "FAIL ") + t.__name__)
    sys.exit(1 if failures else 0)
