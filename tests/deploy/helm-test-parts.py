#!/usr/bin/python3
"""helm-test-parts.py: split a chart render into what tests/deploy/test-certs.sh needs to run
the `helm test` Pod's script outside a cluster.

Usage: helm-test-parts.py RENDERED.yaml PREFIX
Writes PREFIX.sh (the test container's script), PREFIX.env (its env as `export` lines) and
PREFIX.mwc.json (the MutatingWebhookConfiguration, for tests/deploy/fake-kube-api.js)."""
import json
import shlex
import sys

import yaml

objs = [o for o in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")) if o]
pod = next(o for o in objs if o["kind"] == "Pod")
c = pod["spec"]["containers"][0]
prefix = sys.argv[2]
with open(f"{prefix}.sh", "w", encoding="utf-8") as f:
    f.write(c["args"][0])
with open(f"{prefix}.env", "w", encoding="utf-8") as f:
    for e in c.get("env", []):
        f.write(f"export {e['name']}={shlex.quote(e['value'])}\n")
with open(f"{prefix}.mwc.json", "w", encoding="utf-8") as f:
    json.dump(next(o for o in objs if o["kind"] == "MutatingWebhookConfiguration"), f)
