#!/usr/bin/python3
"""test_shim_delivery.py DRIVER - the shim delivery patches (webhook/engine/shim_delivery.c)
applied by an independent applier, Debian's python3-jsonpatch (never our own code).

DRIVER (tests/shim/delivery_driver.c) reads a Pod on stdin and prints
{"statuses": {...}, "patch": [...]} the way the engine uses the module: every container
and init container is offered for wrapping, container ops first, pod ops last.
"""
import copy
import json
import subprocess
import sys
import unittest

import jsonpatch  # /usr/bin/python3: Debian python3-jsonpatch

DRIVER = sys.argv.pop(1) if len(sys.argv) > 1 else "build/gmw_shim_delivery_driver"
SHIM = "/gomemlimit/gomemlimit-shim"
MOUNT = {"name": "gomemlimit-shim", "mountPath": "/gomemlimit", "readOnly": True}
RESIZE = {"resourceName": "memory", "restartPolicy": "RestartContainer"}


def drive(pod, *args):
    r = subprocess.run([DRIVER, *args], input=json.dumps(pod), capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"driver failed: {r.stderr}")
    out = json.loads(r.stdout)
    return out["statuses"], out["patch"]


def apply(pod, patch):
    """Apply with python3-jsonpatch; raises on any op that does not apply."""
    return jsonpatch.JsonPatch(patch).apply(copy.deepcopy(pod))


def container(name, command=None, args=None, **extra):
    c = {"name": name, "image": "example/app:1", "resources": {"limits": {"memory": "256Mi"}}}
    if command is not None:
        c["command"] = command
    if args is not None:
        c["args"] = args
    c.update(extra)
    return c


def pod(containers, **spec):
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
         "spec": {"containers": containers}}
    p["spec"].update(spec)
    return p


class DeliveryTest(unittest.TestCase):
    def check_install_container(self, init, resources=True):
        self.assertEqual(init["name"], "gomemlimit-shim-install")
        self.assertEqual(init["image"], "gomemlimit-webhook:test")
        self.assertEqual(init["command"], ["/gomemlimit-shim", "--install", "/gomemlimit"])
        self.assertEqual(init["volumeMounts"],
                         [{"name": "gomemlimit-shim", "mountPath": "/gomemlimit"}])
        sc = init["securityContext"]
        self.assertIs(sc["runAsNonRoot"], True)
        self.assertEqual(sc["runAsUser"], 65532)
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertIs(sc["readOnlyRootFilesystem"], True)
        self.assertEqual(sc["capabilities"], {"drop": ["ALL"]})
        self.assertEqual(sc["seccompProfile"], {"type": "RuntimeDefault"})
        if resources:
            self.assertEqual(init["resources"]["requests"], {"cpu": "10m", "memory": "16Mi"})
            self.assertEqual(init["resources"]["limits"], {"cpu": "100m", "memory": "16Mi"})
        else:
            self.assertNotIn("resources", init)
        self.assertNotIn("restartPolicy", init)  # a plain init container: runs first, once

    def assert_idempotent(self, mutated, *args):
        statuses, patch = drive(mutated, *args)
        self.assertEqual(patch, [], "reinvocation on the mutated Pod must add nothing")
        return statuses

    def test_command_and_no_command_containers(self):
        original = pod([container("app", ["/app", "serve"], ["--port", "8080", ""]),
                        container("noentry", args=["x"])])
        statuses, patch = drive(original)
        self.assertEqual(statuses, {"/spec/containers/0": "wrapped",
                                    "/spec/containers/1": "no-command"})
        m = apply(original, patch)
        app, other = m["spec"]["containers"]
        self.assertEqual(app["command"], [SHIM, "--ratio", "0.9", "--", "/app", "serve"])
        self.assertEqual(app["args"], ["--port", "8080", ""])
        self.assertEqual(app["volumeMounts"], [MOUNT])
        self.assertEqual(app["resizePolicy"], [RESIZE])
        self.assertEqual(other, original["spec"]["containers"][1])  # untouched
        self.assertEqual(m["spec"]["volumes"],
                         [{"name": "gomemlimit-shim", "emptyDir": {"sizeLimit": "4Mi"}}])
        self.assertEqual(len(m["spec"]["initContainers"]), 1)
        self.check_install_container(m["spec"]["initContainers"][0])
        self.assertEqual(self.assert_idempotent(m),
                         {"/spec/containers/0": "already", "/spec/containers/1": "no-command"})

    def test_existing_arrays_are_appended_to(self):
        original = pod(
            [container("app", ["app"], volumeMounts=[{"name": "data", "mountPath": "/data"}],
                       resizePolicy=[{"resourceName": "cpu", "restartPolicy": "NotRequired"}]),
             container("keep-policy", ["app2"],
                       resizePolicy=[{"resourceName": "memory", "restartPolicy": "NotRequired"}])],
            volumes=[{"name": "data", "emptyDir": {}}],
            initContainers=[container("migrate", ["migrate", "--up"])])
        statuses, patch = drive(original, "--ratio-e4", "7500", "--force")
        self.assertEqual(set(statuses.values()), {"wrapped"})
        m = apply(original, patch)
        app, keep = m["spec"]["containers"]
        self.assertEqual(app["volumeMounts"], [{"name": "data", "mountPath": "/data"}, MOUNT])
        self.assertEqual(app["resizePolicy"],
                         [{"resourceName": "cpu", "restartPolicy": "NotRequired"}, RESIZE])
        self.assertEqual(app["command"], [SHIM, "--ratio", "0.75", "--force", "--", "app"])
        # NotRequired (the apiserver's default) becomes RestartContainer
        self.assertEqual(keep["resizePolicy"], [RESIZE])
        self.assertEqual([v["name"] for v in m["spec"]["volumes"]], ["data", "gomemlimit-shim"])
        # The installer runs first; the user's init container (wrapped at its original
        # index before the insertion) is now second, with no resizePolicy (forbidden on
        # plain init containers).
        inits = m["spec"]["initContainers"]
        self.assertEqual([c["name"] for c in inits], ["gomemlimit-shim-install", "migrate"])
        self.check_install_container(inits[0])
        self.assertEqual(inits[1]["command"],
                         [SHIM, "--ratio", "0.75", "--force", "--", "migrate", "--up"])
        self.assertEqual(inits[1]["volumeMounts"], [MOUNT])
        self.assertNotIn("resizePolicy", inits[1])
        self.assert_idempotent(m, "--ratio-e4", "7500", "--force")

    def test_memory_resize_policy(self):
        defaulted = [{"resourceName": "cpu", "restartPolicy": "NotRequired"},
                     {"resourceName": "memory", "restartPolicy": "NotRequired"}]
        original = pod([container("defaulted", ["a"], resizePolicy=defaulted),
                        container("restart", ["b"], resizePolicy=[RESIZE]),
                        container("none", ["c"])])
        _, patch = drive(original)
        self.assertIn({"op": "replace", "path": "/spec/containers/0/resizePolicy/1/restartPolicy",
                       "value": "RestartContainer"}, patch)
        m = apply(original, patch)
        a, b, c = m["spec"]["containers"]
        self.assertEqual(a["resizePolicy"], [defaulted[0], RESIZE])
        self.assertEqual(b["resizePolicy"], [RESIZE])
        self.assertEqual(c["resizePolicy"], [RESIZE])
        self.assert_idempotent(m)

    def test_pod_level_resources_installer_without_resources(self):
        # pod requests must be >= the aggregate container requests: 10m/16Mi could break it
        original = pod([container("app", ["app"])],
                       resources={"requests": {"cpu": "5m", "memory": "8Mi"},
                                  "limits": {"memory": "512Mi"}})
        _, patch = drive(original)
        m = apply(original, patch)
        self.assertEqual(m["spec"]["resources"], original["spec"]["resources"])
        self.check_install_container(m["spec"]["initContainers"][0], resources=False)
        self.assert_idempotent(m)
        # without pod-level resources (or null) the installer keeps its own
        for spec in ({}, {"resources": None}):
            original = pod([container("app", ["app"])], **spec)
            m = apply(original, drive(original)[1])
            self.check_install_container(m["spec"]["initContainers"][0], resources=True)

    def test_sidecar_gets_resize_policy(self):
        original = pod([container("app", ["app"])],
                       initContainers=[container("proxy", ["proxy"], restartPolicy="Always")])
        _, patch = drive(original)
        m = apply(original, patch)
        proxy = m["spec"]["initContainers"][1]
        self.assertEqual(proxy["name"], "proxy")
        self.assertEqual(proxy["resizePolicy"], [RESIZE])
        self.assert_idempotent(m)

    def test_nothing_wrappable_no_pod_ops(self):
        original = pod([container("a", args=["x"]),
                        container("b", ["b"],
                                  volumeMounts=[{"name": "mine", "mountPath": "/gomemlimit"}])],
                       volumes=[{"name": "mine", "emptyDir": {}}])
        statuses, patch = drive(original)
        self.assertEqual(statuses, {"/spec/containers/0": "no-command",
                                    "/spec/containers/1": "conflict"})
        self.assertEqual(patch, [])

    def test_partially_delivered_pod_is_completed(self):
        # A Pod that already has the volume (e.g. from a previous webhook version) but no
        # installer: only the missing pieces are added.
        original = pod([container("app", ["app"])],
                       volumes=[{"name": "gomemlimit-shim", "emptyDir": {}}])
        _, patch = drive(original)
        m = apply(original, patch)
        self.assertEqual(len(m["spec"]["volumes"]), 1)
        self.check_install_container(m["spec"]["initContainers"][0])

    def test_every_patch_applies_to_the_original(self):
        # Each op's path must exist in the document at the time it is applied: jsonpatch
        # raises otherwise (e.g. "/volumeMounts/-" without volumeMounts).
        shapes = [
            pod([container("a", ["a"])]),
            pod([container("a", ["a"], volumeMounts=[], resizePolicy=[])], volumes=[],
                initContainers=[]),
            pod([container("a", ["a"]), container("b", ["b"]), container("c", ["c"])],
                initContainers=[container("i1", ["i"]), container("i2", args=["j"])]),
            pod([container("a~/b", ["a"])]),
        ]
        for original in shapes:
            with self.subTest(pod=original):
                _, patch = drive(original)
                self.assertTrue(all(op["op"] in ("add", "replace") for op in patch))
                m = apply(original, patch)
                self.assertEqual(drive(m)[1], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
