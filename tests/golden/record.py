#!/usr/bin/python3
"""Record the golden answers: every AdmissionReview the fixture tests send, with its answer.

Runs the review-producing parts of tests/integration/test_fixtures.py (every fixture, every
limit/env/annotation/config variant, the hand-checked variants, the bad inputs) plus the
server's review files and examples/review.json through `$GMW_BIN mutate --review`, and
writes each (config, review bytes, exit status, exact stdout) to tests/golden/answers.jsonl.gz.

tests/golden/test_golden.py replays the file and asserts byte-identical answers. Re-record
only when a change of behaviour is intended, and say so in the commit:

    GMW_BIN=build/gomemlimit-webhook tests/golden/record.py
"""

import glob
import gzip
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import fixturelib as fl  # noqa: E402
import test_fixtures as tf  # noqa: E402


def main():
    binary = os.environ.get("GMW_BIN")
    if not binary:
        print("GMW_BIN must name the built gomemlimit-webhook", file=sys.stderr)
        return 2
    fixtures = tf.load_fixtures()
    records = []
    with tempfile.TemporaryDirectory(prefix="gmw-golden-") as tmp:
        runner = fl.Runner(binary, tmp)
        runner.record = records
        tf.test_fixtures(runner, fixtures)
        tf.test_limit_variants(runner, fixtures)
        tf.test_env_and_annotation_variants(runner, fixtures)
        tf.test_config_variants(runner, fixtures)
        tf.test_hand_checked(runner)
        tf.test_bad_inputs(runner)
        extra = sorted(glob.glob(os.path.join(SRC, "tests", "integration", "server", "reviews", "*.json")))
        extra.append(os.path.join(SRC, "examples", "review.json"))
        for path in extra:
            with open(path, encoding="utf-8") as f:
                runner.run(None, raw=f.read())
    if tf.failures:
        print("the fixture checks failed; not recording:\n" + "\n".join(tf.failures), file=sys.stderr)
        return 1
    out = os.path.join(HERE, "answers.jsonl.gz")
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        for r in records:
            f.write((json.dumps(r, sort_keys=True) + "\n").encode("utf-8"))
    print("recorded %d answers in %s" % (len(records), os.path.relpath(out, SRC)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
