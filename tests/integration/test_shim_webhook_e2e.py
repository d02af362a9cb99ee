#!/usr/bin/python3
"""test_shim_webhook_e2e.py SHIM - shim delivery end to end, without a cluster.

1. `gomemlimit-webhook mutate --review` (GMW_BIN) answers a Pod CREATE with shim.enabled.
2. Its patch is applied by Debian's python3-jsonpatch (independent of our code); a second
   review of the mutated Pod yields no patch (reinvocation is idempotent).
3. The mutated Pod is "run" the way the kubelet would: the injected init container's
   command (with /gomemlimit-shim = the built static SHIM) installs the shim into a
   directory standing in for the emptyDir; then the wrapped container's command runs with
   the Pod's env, /gomemlimit mapped to that directory and a fake cgroup tree whose limit
   was lowered after admission (as VPA would): the program sees GOMEMLIMIT from the
   cgroup, not the stale admission-time value.
"""
import base64
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import jsonpatch  # /usr/bin/python3: Debian python3-jsonpatch

SHIM = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build/gomemlimit-shim")
GMW_BIN = os.environ.get("GMW_BIN", "build/gomemlimit-webhook")
PY = "/usr/bin/python3"
MIB = 1 << 20


def review(pod):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "e2e-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "resource": {"group": "", "version": "v1", "resource": "pods"},
                        "operation": "CREATE", "namespace": "team-a", "object": pod}}


class ShimWebhookE2E(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gmw-shim-e2e-")
        self.cfg = os.path.join(self.tmp, "config.yaml")
        with open(self.cfg, "w") as f:
            f.write('shim:\n  enabled: true\n  image: "registry.example/gomemlimit-webhook:1"\n')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def mutate(self, pod):
        path = os.path.join(self.tmp, "review.json")
        with open(path, "w") as f:
            json.dump(review(pod), f)
        r = subprocess.run([GMW_BIN, "mutate", "--review", "-f", path, "--config", self.cfg],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        resp = json.loads(r.stdout)["response"]
        self.assertIs(resp["allowed"], True, resp)
        patch = json.loads(base64.b64decode(resp["patch"])) if "patch" in resp else []
        return patch, resp.get("warnings", [])

    def fake_cgroup(self, limit):
        root = os.path.join(self.tmp, "cgroot")
        os.makedirs(f"{root}/proc/self", exist_ok=True)
        with open(f"{root}/proc/self/cgroup", "w") as f:
            f.write("0::/\n")
        with open(f"{root}/proc/self/mountinfo", "w") as f:
            f.write("1200 1190 0:26 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n")
        os.makedirs(f"{root}/sys/fs/cgroup", exist_ok=True)
        with open(f"{root}/sys/fs/cgroup/memory.max", "w") as f:
            f.write(f"{limit}\n")
        return root

    def test_delivery_end_to_end(self):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"generateName": "api-", "namespace": "team-a"},
               "spec": {
                   "initContainers": [{"name": "migrate", "image": "app:1",
                                       "command": ["migrate"]}],
                   "containers": [
                       {"name": "api", "image": "app:1", "command": [PY, "-c"],
                        "args": ["import json,os,sys; print(json.dumps("
                                 "{'argv': sys.argv[1:], 'GOMEMLIMIT': os.environ.get('GOMEMLIMIT'),"
                                 " 'GOGC': os.environ.get('GOGC')}))", "a b", ""],
                        "resources": {"limits": {"memory": "256Mi"}}},
                       {"name": "worker", "image": "app:1",
                        "resources": {"limits": {"memory": "128Mi"}}}]}}
        patch, warnings = self.mutate(pod)
        mutated = jsonpatch.JsonPatch(patch).apply(copy.deepcopy(pod))
        spec = mutated["spec"]

        api, worker = spec["containers"]
        self.assertEqual(api["command"][:3], ["/gomemlimit/gomemlimit-shim", "--ratio", "0.9"])
        self.assertEqual(api["command"][-3:], ["--", PY, "-c"])
        self.assertEqual(api["args"], pod["spec"]["containers"][0]["args"])
        self.assertIn({"name": "gomemlimit-shim", "mountPath": "/gomemlimit", "readOnly": True},
                      api["volumeMounts"])
        self.assertIn({"resourceName": "memory", "restartPolicy": "RestartContainer"},
                      api["resizePolicy"])
        self.assertNotIn("command", worker)  # no command: env only, and a warning
        self.assertTrue(any("worker" in w and "docs/shim.md" in w for w in warnings), warnings)
        self.assertEqual([c["name"] for c in spec["initContainers"]],
                         ["gomemlimit-shim-install", "migrate"])
        self.assertEqual(spec["volumes"],
                         [{"name": "gomemlimit-shim", "emptyDir": {"sizeLimit": "4Mi"}}])
        installer = spec["initContainers"][0]
        self.assertEqual(installer["image"], "registry.example/gomemlimit-webhook:1")

        # Reinvocation: nothing more to do.
        again, _ = self.mutate(mutated)
        self.assertEqual(again, [])

        # "Run" the Pod: the installer, then the wrapped container.
        vol = os.path.join(self.tmp, "emptydir")
        os.makedirs(vol)
        cmd = installer["command"]
        self.assertEqual(cmd[0], "/gomemlimit-shim")
        cmd = [SHIM] + [vol if a == "/gomemlimit" else a for a in cmd[1:]]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

        env = {e["name"]: e["value"] for e in api.get("env", []) if "value" in e}
        self.assertEqual(env.get("GOMEMLIMIT"), "230MiB")  # admission-time value (256Mi)
        env["PATH"] = "/usr/bin:/bin"
        # The limit was lowered to 128Mi after admission (VPA): the shim must notice.
        env["GOMEMLIMIT_SHIM_ROOT"] = self.fake_cgroup(128 * MIB)
        argv = [vol + api["command"][0][len("/gomemlimit"):]] + api["command"][1:] + api["args"]
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["GOMEMLIMIT"], "115MiB")  # floor(128Mi x 0.9)
        self.assertEqual(out["GOGC"], "100")
        self.assertEqual(out["argv"], ["a b", ""])
        # The webhook's own value is replaced under --force, and the shim says so.
        self.assertIn("--force", api["command"])
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_user_gomemlimit_is_not_forced(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [
                   {"name": "api", "image": "app:1", "command": ["/app"],
                    "env": [{"name": "GOMEMLIMIT", "value": "100MiB"}],
                    "resources": {"limits": {"memory": "256Mi"}}}]}}
        patch, _ = self.mutate(pod)
        mutated = jsonpatch.JsonPatch(patch).apply(copy.deepcopy(pod))
        cmd = mutated["spec"]["containers"][0]["command"]
        self.assertEqual(cmd[0], "/gomemlimit/gomemlimit-shim")
        self.assertNotIn("--force", cmd)  # the user's value: kept by the shim while valid
        self.assertEqual(mutated["spec"]["containers"][0]["env"][0],
                         {"name": "GOMEMLIMIT", "value": "100MiB"})


if __name__ == "__main__":
    for p in (SHIM, GMW_BIN):
        if not os.access(p, os.X_OK):
            print(f"FAIL: not built: {p}")
            sys.exit(1)
    unittest.main(verbosity=2)
