#!/usr/bin/python3
"""Every option that a command's --help lists is one its parser knows, and every option in a
command's usage error is in its --help: the help text and the parser cannot drift apart
(webhook/cli/cliopt.h makes both from one table). The options are read from the help text
with a regular expression, not from our tables."""
import os
import re
import subprocess
import sys
import tempfile

BIN = os.environ.get("GMW_BIN", "build/gomemlimit-webhook")
# Invocations must never serve or write: serve gets --check, certs writes nothing without
# --service/--namespace/--out all given, mutate reads a file that does not exist.
SAFE = {"serve": ["--check"], "certs": [], "mutate": []}
OPTION = re.compile(r"^  (?:-(\w), |    )--([a-z][a-z-]*)(?: ([A-Z][A-Z|]*))?", re.M)


def run(args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30)


def options(cmd):
    r = run([cmd, "--help"])
    assert r.returncode == 0, (cmd, r.returncode, r.stderr)
    found = OPTION.findall(r.stdout)
    assert len(found) >= 5, (cmd, found, r.stdout)
    return found


def main():
    failed = 0
    missing = os.path.join(tempfile.gettempdir(), "gmw-no-such-file-for-options-test")
    for cmd, extra in SAFE.items():
        for short, name, arg in options(cmd):
            if name == "help":
                continue
            for spelling in [f"--{name}"] + ([f"-{short}"] if short else []):
                args = [cmd, *extra, spelling] + ([missing] if arg else [])
                r = run(args)
                if any(s in r.stderr for s in ("unknown option", "needs a value", "internal error")):
                    failed += 1
                    print(f"FAIL {' '.join(args)}: {r.stderr.strip()}")
        # And the other way round: an option that is not in the help is unknown.
        r = run([cmd, "--not-an-option"])
        if r.returncode != 2 or "unknown option '--not-an-option'" not in r.stderr:
            failed += 1
            print(f"FAIL {cmd} --not-an-option: {r.returncode} {r.stderr.strip()}")
        print(f"{cmd}: {len(options(cmd))} options checked")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
