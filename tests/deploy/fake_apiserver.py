#!/usr/bin/python3
"""fake_apiserver.py: the smallest Kubernetes API that `helm template --dry-run=server` needs to
run the chart's `lookup` (discovery, and GET of one Secret). Plain HTTP on 127.0.0.1 only.

Usage: fake_apiserver.py PORTFILE [SECRET.json]
Serves SECRET.json (a v1 Secret) at /api/v1/namespaces/<ns>/secrets/<name>; every other
object is 404. Writes the chosen port to PORTFILE, logs requests to stderr, exits on SIGTERM.
"""
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None

# Every kind the chart renders (with its defaults), so helm can map them.
RESOURCES = {
    "v1": [("secrets", "Secret", True), ("configmaps", "ConfigMap", True), ("services", "Service", True),
           ("serviceaccounts", "ServiceAccount", True), ("pods", "Pod", True),
           ("namespaces", "Namespace", False)],
    "apps/v1": [("deployments", "Deployment", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "admissionregistration.k8s.io/v1": [("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False),
                                        ("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False)],
}


def resource_list(group_version):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": [
        {"name": n, "singularName": k.lower(), "namespaced": ns, "kind": k, "verbs": ["get", "list"]}
        for n, k, ns in RESOURCES[group_version]]}


DISCOVERY = {
    "/version": {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"},
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
         "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
        for gv in RESOURCES if "/" in gv]},
    "/api/v1": resource_list("v1"),
}
DISCOVERY.update({f"/apis/{gv}": resource_list(gv) for gv in RESOURCES if "/" in gv})


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server API
        path = self.path.split("?", 1)[0]
        if path in DISCOVERY:
            return self.reply(200, DISCOVERY[path])
        if SECRET is not None:
            meta = SECRET["metadata"]
            if path == f"/api/v1/namespaces/{meta['namespace']}/secrets/{meta['name']}":
                return self.reply(200, SECRET)
        return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                "reason": "NotFound", "code": 404, "message": f"{path} not found"})

    def do_POST(self):  # noqa: N802 - a server-side dry-run create: echo the object
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply(201, json.loads(body or b"{}"))

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-apiserver: " + (fmt % args) + "\n")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
