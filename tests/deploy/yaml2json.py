#!/usr/bin/python3
"""yaml2json.py: multi-document YAML on stdin (or files) -> one JSON array of the non-empty
documents on stdout. Debian python3-yaml; run with /usr/bin/python3."""
import json
import sys

import yaml


def main() -> int:
    docs = []
    sources = sys.argv[1:] or ["-"]
    for src in sources:
        text = sys.stdin.read() if src == "-" else open(src, encoding="utf-8").read()
        docs.extend(d for d in yaml.safe_load_all(text) if d is not None)
    json.dump(docs, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
