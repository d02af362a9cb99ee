#!/usr/bin/python3
"""Build the three benchmark AdmissionReviews from the admission fixtures.

    bench/reviews/make.py        (rewrites bench/reviews/*.json; deterministic)

- pod-5k6.json: the typical review (~5.6 KB): the envelope, userInfo and managedFields style
  of tests/fixtures/admission/01-kube-rs-echo-pod-v1-create.json (a real kube-apiserver
  capture), with a three-container Pod: probes, env, volumes, volumeMounts, memory limits.
- pod-minimal.json: the smallest Pod CREATE the engine patches (one container, one limit).
- pod-50.json: the same Pod with 50 containers (large; each patched).
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "..", "tests", "fixtures", "admission",
                       "01-kube-rs-echo-pod-v1-create.json")


def container(i, name, image, limit, extra_env=()):
    env = [{"name": "LOG_LEVEL", "value": "info"},
           {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                           "fieldPath": "metadata.name"}}}]
    env += list(extra_env)
    return {
        "name": name,
        "image": image,
        "ports": [{"name": "http-%d" % i, "containerPort": 8080 + i, "protocol": "TCP"}],
        "env": env,
        "resources": {"limits": {"cpu": "500m", "memory": limit},
                      "requests": {"cpu": "100m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"},
                         {"name": "kube-api-access-x7k2p", "readOnly": True,
                          "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + i, "scheme": "HTTP"},
                          "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 10,
                          "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080 + i, "scheme": "HTTP"},
                           "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1,
                           "failureThreshold": 3},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def review(containers, managed=True):
    base = json.load(open(FIXTURE, encoding="utf-8"))
    req = base["request"]
    req["uid"] = "5f3c1a9e-2b7d-4c41-8e0f-6a2d9b1c7e35"
    req["name"] = ""
    req["namespace"] = "shop"
    req["userInfo"] = {"username": "system:serviceaccount:kube-system:replicaset-controller",
                       "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                                  "system:authenticated"]}
    pod = req["object"]
    md = {"generateName": "api-7d9c6b5f4-", "namespace": "shop", "creationTimestamp": None,
          "labels": {"app.kubernetes.io/name": "api", "pod-template-hash": "7d9c6b5f4"},
          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                               "name": "api-7d9c6b5f4",
                               "uid": "0e2d4c6b-8a9f-4b1e-a3c5-d7e9f1a3b5c7",
                               "controller": True, "blockOwnerDeletion": True}]}
    if managed:
        fields = {"f:metadata": {"f:generateName": {}, "f:labels": {".": {},
                  "f:app.kubernetes.io/name": {}, "f:pod-template-hash": {}},
                  "f:ownerReferences": {".": {}, "k:{\"uid\":\"0e2d4c6b-8a9f-4b1e-a3c5-d7e9f1a3b5c7\"}": {}}},
                  "f:spec": {"f:containers": {}, "f:volumes": {}}}
        for c in containers:
            fields["f:spec"]["f:containers"]["k:{\"name\":\"%s\"}" % c["name"]] = {
                ".": {}, "f:env": {}, "f:image": {}, "f:imagePullPolicy": {},
                "f:livenessProbe": {}, "f:name": {}, "f:ports": {}, "f:readinessProbe": {},
                "f:resources": {".": {}, "f:limits": {}, "f:requests": {}},
                "f:volumeMounts": {}}
        md["managedFields"] = [{"manager": "kube-controller-manager", "operation": "Update",
                                "apiVersion": "v1", "time": "2026-11-30T10:12:44Z",
                                "fieldsType": "FieldsV1", "fieldsV1": fields}]
    pod["metadata"] = md
    spec = pod["spec"]
    spec["volumes"] = [{"name": "config", "configMap": {"name": "api-config", "defaultMode": 420}},
                       {"name": "kube-api-access-x7k2p", "projected": {"defaultMode": 420,
                        "sources": [{"serviceAccountToken": {"expirationSeconds": 3607,
                                                             "path": "token"}},
                                    {"configMap": {"name": "kube-root-ca.crt",
                                                   "items": [{"key": "ca.crt",
                                                              "path": "ca.crt"}]}}]}}]
    spec["containers"] = containers
    spec["serviceAccountName"] = "api"
    spec["serviceAccount"] = "api"
    return base


def dump(name, doc):
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(text)
    print("%s: %d bytes" % (name, len(text.encode("utf-8"))))


def main():
    three = [container(0, "api", "registry.example/shop/api:1.4.2", "512Mi",
                       [{"name": "GOMAXPROCS", "value": "2"}]),
             container(1, "metrics", "registry.example/exporter:0.9.1", "128Mi"),
             container(2, "proxy", "registry.example/envoy:1.28.0", "256Mi")]
    del three[2]["readinessProbe"]  # trims the typical review to ~5.6 KB
    dump("pod-5k6.json", review(three))
    minimal = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
               "request": {"uid": "0b7e1c52-3f7a-4d2e-9a61-5c8f0e4d2a19",
                           "kind": {"group": "", "version": "v1", "kind": "Pod"},
                           "resource": {"group": "", "version": "v1", "resource": "pods"},
                           "namespace": "shop", "operation": "CREATE",
                           "object": {"apiVersion": "v1", "kind": "Pod",
                                      "metadata": {"name": "tiny"},
                                      "spec": {"containers": [{"name": "app", "image": "app:1",
                                               "resources": {"limits": {"memory": "256Mi"}}}]}}}}
    dump("pod-minimal.json", minimal)
    fifty = [container(i, "c%02d" % i, "registry.example/worker:%d" % i, "%dMi" % (64 + 8 * i))
             for i in range(50)]
    dump("pod-50.json", review(fifty))


if __name__ == "__main__":
    main()
