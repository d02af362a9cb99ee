#!/usr/bin/python3
"""Golden answers: every recorded AdmissionReview gets a byte-identical answer.

tests/golden/answers.jsonl.gz holds (config, review, exit status, stdout) for every review the
fixture tests send (see record.py). This test replays each through
`$GMW_BIN mutate --review` and fails on the first byte that differs, printing both answers.
It is the guard for refactors and for the hot-path rewrite: behaviour that is meant to
change is re-recorded with record.py in the same commit.

Environment: GMW_BIN (the built gomemlimit-webhook).
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    binary = os.environ.get("GMW_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("FAIL: GMW_BIN is not set to an executable gomemlimit-webhook")
        return 1
    with gzip.open(os.path.join(HERE, "answers.jsonl.gz"), "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    if len(records) < 700:
        print("FAIL: only %d golden records (expected the full fixture set)" % len(records))
        return 1
    failed = 0
    with tempfile.TemporaryDirectory(prefix="gmw-golden-") as tmp:
        review_path = os.path.join(tmp, "review.json")
        config_path = os.path.join(tmp, "config.yaml")
        for i, rec in enumerate(records):
            with open(review_path, "w", encoding="utf-8") as f:
                f.write(rec["review"])
            cmd = [binary, "mutate", "--review", "-f", review_path]
            if rec["config"] is not None:
                with open(config_path, "w", encoding="utf-8") as f:
                    f.write(rec["config"])
                cmd += ["--config", config_path]
            p = subprocess.run(cmd, capture_output=True, timeout=60)
            got = p.stdout.decode("utf-8", "replace")
            if p.returncode != rec["exit"] or got != rec["stdout"]:
                failed += 1
                if failed <= 5:
                    print("FAIL record %d (exit %d, want %d)\n  review: %.300s\n  got:  %s\n  want: %s"
                          % (i, p.returncode, rec["exit"], rec["review"], got.strip(),
                             rec["stdout"].strip()))
    print("%d passed, %d failed" % (len(records) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
