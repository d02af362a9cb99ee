#!/usr/bin/python3
"""check_rendered.py: assertions on a rendered gomemlimit-webhook chart (what matters for a
mutating webhook that must never block the cluster).

Usage: check_rendered.py RENDERED.yaml --namespace NS --certs-mode MODE --injection-mode MODE
           [--failure-policy P] [--ca-bundle-file PEM] [--expect-kind KIND ...] [--no-validation]
Prints one line per check group; exits 1 with every failure listed. Debian python3-yaml.
"""
import argparse
import base64
import sys

import yaml

SYSTEM_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease"}
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def one(objs, kind):
    found = [o for o in objs if o.get("kind") == kind]
    check(len(found) == 1, f"expected exactly one {kind}, found {len(found)}")
    return found[0] if found else {}


def check_security_context(pod_spec, what):
    psc = pod_spec.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, f"{what}: pod runAsNonRoot must be true")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{what}: pod seccompProfile RuntimeDefault")
    for c in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        name = f"{what} container {c.get('name')}"
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation must be false")
        check(sc.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem must be true")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: capabilities.drop must be [ALL]")
        check(not sc.get("privileged"), f"{name}: must not be privileged")
        check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{name}: runAsNonRoot")
        uid = sc.get("runAsUser", psc.get("runAsUser"))
        check(isinstance(uid, int) and uid > 0, f"{name}: numeric non-root runAsUser, got {uid}")
        check(c.get("resources", {}).get("limits", {}).get("memory"), f"{name}: memory limit")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rendered")
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--certs-mode", required=True)
    ap.add_argument("--injection-mode", required=True)
    ap.add_argument("--failure-policy", default="Ignore")
    ap.add_argument("--no-validation", action="store_true",
                    help="validation.enabled=false: no ValidatingWebhookConfiguration expected")
    ap.add_argument("--ca-bundle-file")
    args = ap.parse_args()
    objs = [d for d in yaml.safe_load_all(open(args.rendered, encoding="utf-8")) if d]
    ns = args.namespace

    # --- MutatingWebhookConfiguration -------------------------------------------------
    mwc = one(objs, "MutatingWebhookConfiguration")
    hooks = mwc.get("webhooks", [])
    # opt-out: one entry; opt-in: one for opted-in namespaces, one for labelled Pods (who
    # reaches which is checked by tests/deploy/webhook-reach.js).
    want_entries = 2 if args.injection_mode == "opt-in" else 1
    check(len(hooks) == want_entries, f"expected {want_entries} webhook entries, found {len(hooks)}")
    check(len({h.get("name") for h in hooks}) == len(hooks), "webhook entry names are unique")
    for hook in hooks[1:]:
        same = {k: v for k, v in hook.items() if k not in ("name", "namespaceSelector", "objectSelector")}
        first = {k: v for k, v in hooks[0].items() if k not in ("name", "namespaceSelector", "objectSelector")}
        check(same == first, f"entry {hook.get('name')} differs from {hooks[0].get('name')} beyond name and selectors")
    hook = hooks[0] if hooks else {}
    check(hook.get("sideEffects") == "None", f"sideEffects must be None, got {hook.get('sideEffects')}")
    check(hook.get("admissionReviewVersions") == ["v1"], "admissionReviewVersions must be [v1]")
    check(hook.get("failurePolicy") == args.failure_policy,
          f"failurePolicy must be {args.failure_policy}, got {hook.get('failurePolicy')}")
    check(hook.get("timeoutSeconds") == 5, f"timeoutSeconds must be 5, got {hook.get('timeoutSeconds')}")
    check(hook.get("reinvocationPolicy") == "IfNeeded", "reinvocationPolicy must be IfNeeded")
    rules = hook.get("rules", [])
    check(rules == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                     "scope": "Namespaced"}], f"rules must be pods CREATE only, got {rules}")
    svc_ref = hook.get("clientConfig", {}).get("service", {})
    check(svc_ref.get("namespace") == ns and svc_ref.get("path") == "/mutate" and svc_ref.get("port") == 443,
          f"clientConfig.service wrong: {svc_ref}")

    exprs = hook.get("namespaceSelector", {}).get("matchExpressions", [])
    check(not hook.get("namespaceSelector", {}).get("matchLabels"), "no matchLabels expected by default")
    names = [e for e in exprs if e.get("key") == "kubernetes.io/metadata.name"]
    check(len(names) == 1 and names[0].get("operator") == "NotIn",
          "namespaceSelector must exclude namespaces with kubernetes.io/metadata.name NotIn")
    excluded = set(names[0].get("values", [])) if names else set()
    check(SYSTEM_NAMESPACES | {ns} <= excluded, f"namespaceSelector must exclude {sorted(SYSTEM_NAMESPACES | {ns})}, got {sorted(excluded)}")
    for h in hooks:
        exprs_h = h.get("namespaceSelector", {}).get("matchExpressions", [])
        names_h = [e for e in exprs_h if e.get("key") == "kubernetes.io/metadata.name"]
        check(names_h and set(names_h[0].get("values", [])) == excluded,
              f"entry {h.get('name')} excludes the same namespaces")
        label = [e for e in exprs_h if e.get("key") == "gomemlimit.io/injection"]
        check(len(label) == 1, f"entry {h.get('name')}: exactly one gomemlimit.io/injection expression")
        pod = [e for e in h.get("objectSelector", {}).get("matchExpressions", []) if e.get("key") == "gomemlimit.io/inject"]
        check(len(pod) == 1, f"entry {h.get('name')}: exactly one gomemlimit.io/inject objectSelector expression")

    # --- certificates ------------------------------------------------------------------
    deployment = one(objs, "Deployment")
    pod_spec = deployment.get("spec", {}).get("template", {}).get("spec", {})
    tls_volume = [v for v in pod_spec.get("volumes", []) if v.get("name") == "tls"]
    check(len(tls_volume) == 1, "the Deployment mounts a 'tls' Secret volume")
    tls_secret_name = tls_volume[0].get("secret", {}).get("secretName") if tls_volume else None
    ca_bundle = hook.get("clientConfig", {}).get("caBundle")
    annotations = mwc.get("metadata", {}).get("annotations") or {}
    if args.certs_mode == "cert-manager":
        check(not ca_bundle, "cert-manager mode: no caBundle in the template (cainjector fills it)")
        inject = annotations.get("cert-manager.io/inject-ca-from", "")
        certs = {o["metadata"]["name"]: o for o in objs if o.get("kind") == "Certificate"}
        check(inject.startswith(ns + "/") and inject.split("/", 1)[1] in certs,
              f"cert-manager.io/inject-ca-from must name a Certificate in {ns}, got {inject!r}")
        serving = certs.get(inject.split("/", 1)[1], {}) if "/" in inject else {}
        check(serving.get("spec", {}).get("secretName") == tls_secret_name,
              "the injected Certificate writes the Secret the Deployment mounts")
        svc = svc_ref.get("name")
        want = [svc, f"{svc}.{ns}", f"{svc}.{ns}.svc", f"{svc}.{ns}.svc.cluster.local"]
        check(serving.get("spec", {}).get("dnsNames") == want, f"Certificate dnsNames must be {want}")
        check(any(o.get("kind") == "Issuer" for o in objs), "an Issuer is rendered")
        check(not [o for o in objs if o.get("kind") == "Secret"], "no Secret rendered in cert-manager mode")
    else:
        check("cert-manager.io/inject-ca-from" not in annotations, "no inject-ca-from outside cert-manager mode")
        check(bool(ca_bundle), "caBundle must be present")
        try:
            pem = base64.b64decode(ca_bundle or "", validate=True).decode()
        except Exception as e:  # noqa: BLE001 - any decode failure is the finding
            pem = ""
            check(False, f"caBundle is not base64 PEM: {e}")
        check(pem.startswith("-----BEGIN CERTIFICATE-----"), "caBundle decodes to a PEM certificate")
        if args.certs_mode == "self-signed":
            secret = one(objs, "Secret")
            check(secret.get("type") == "kubernetes.io/tls", "the Secret is kubernetes.io/tls")
            check(secret.get("metadata", {}).get("name") == tls_secret_name, "the Secret is the one mounted")
            data = secret.get("data", {})
            check(set(data) == {"ca.crt", "tls.crt", "tls.key"}, f"Secret keys must be ca.crt/tls.crt/tls.key, got {sorted(data)}")
            check(data.get("ca.crt") == ca_bundle, "caBundle must equal the Secret's ca.crt")
        if args.certs_mode == "secret":
            check(not [o for o in objs if o.get("kind") == "Secret"], "secret mode renders no Secret")
            if args.ca_bundle_file:
                want = base64.b64encode(open(args.ca_bundle_file, "rb").read()).decode()
                check(ca_bundle == want, "caBundle must be certs.secret.caBundle")

    # --- Deployment, Service, PDB, ServiceAccount --------------------------------------
    spec = deployment.get("spec", {})
    check(spec.get("replicas") == 2, "2 replicas")
    check_security_context(pod_spec, "Deployment")
    check(pod_spec.get("automountServiceAccountToken") is False, "no service account token mounted")
    c = (pod_spec.get("containers") or [{}])[0]
    check(c.get("args") == ["serve", "--config", "/etc/gomemlimit-webhook/config.yaml"], f"args: {c.get('args')}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and get.get("scheme") == "HTTPS", f"{probe} must GET {path} over HTTPS")
    check(c.get("resources", {}).get("requests", {}).get("memory"), "memory request set")
    spread = pod_spec.get("topologySpreadConstraints", [])
    check(any(t.get("topologyKey") == "kubernetes.io/hostname" for t in spread), "spread across nodes")
    check("checksum/restart-config" in deployment["spec"]["template"]["metadata"].get("annotations", {}),
          "checksum/restart-config annotation")
    for m in c.get("volumeMounts", []):
        check("subPath" not in m, f"volume {m.get('name')}: no subPath (it would break live reload)")
    svc = one(objs, "Service")
    ports = svc.get("spec", {}).get("ports", [])
    check(len(ports) == 1 and ports[0].get("port") == 443 and ports[0].get("targetPort") == "https",
          f"Service 443 -> https, got {ports}")
    check(svc.get("metadata", {}).get("name") == svc_ref.get("name"), "the webhook calls this Service")
    check(svc.get("spec", {}).get("selector") == spec.get("selector", {}).get("matchLabels"), "Service selects the Pods")
    pdb = one(objs, "PodDisruptionBudget")
    check(pdb.get("spec", {}).get("selector", {}).get("matchLabels") == spec.get("selector", {}).get("matchLabels"),
          "PDB selects the Pods")
    check(pdb.get("spec", {}).get("minAvailable") == 1, "PDB minAvailable 1")
    hooked = lambda o: o.get("metadata", {}).get("annotations", {}).get("helm.sh/hook") == "test"  # noqa: E731
    sas = [o for o in objs if o.get("kind") == "ServiceAccount" and not hooked(o)]
    check(len(sas) == 1, f"one ServiceAccount for the webhook, got {len(sas)}")
    check(bool(sas) and sas[0].get("automountServiceAccountToken") is False, "ServiceAccount automount off")
    rbac = [o for o in objs if o.get("kind") in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")]
    check(all(hooked(o) for o in rbac), "no RBAC for the webhook (it needs no API permissions); only helm test has some")
    for o in rbac:
        for r in o.get("rules", []):
            if o["kind"] == "ClusterRole":
                check(r.get("verbs") == ["get"] and r.get("resources") == ["mutatingwebhookconfigurations"]
                      and r.get("resourceNames") == [mwc.get("metadata", {}).get("name")],
                      f"helm test ClusterRole: only get of this MutatingWebhookConfiguration, got {r}")
            else:
                check(r.get("verbs") == ["create"] and r.get("resources") == ["pods"],
                      f"helm test Role: only create pods, got {r}")

    # --- config ------------------------------------------------------------------------
    cm = [o for o in objs if o.get("kind") == "ConfigMap" and "config.yaml" in o.get("data", {})]
    check(len(cm) == 1, "one ConfigMap with config.yaml")
    if cm:
        cfg = yaml.safe_load(cm[0]["data"]["config.yaml"])
        check(SYSTEM_NAMESPACES | {ns} <= set(cfg.get("excludeNamespaces", [])),
              "config excludeNamespaces include the system and release namespaces")
        check(set(cfg.get("excludeNamespaces", [])) == excluded, "config and namespaceSelector exclude the same namespaces")
        check(cfg.get("tls", {}).get("certFile", "").startswith("/var/run/gomemlimit-webhook/tls/"), "tls.certFile in the mount")
        check(cfg.get("listen") == ":8443", "listen :8443")
        check(str(cfg.get("defaults", {}).get("ratio")) == "0.9", "default ratio 0.9")

    # --- ValidatingWebhookConfiguration for workloads (issue 10) -----------------------
    vwcs = [o for o in objs if o.get("kind") == "ValidatingWebhookConfiguration"]
    if args.no_validation:
        check(not vwcs, "validation.enabled=false: no ValidatingWebhookConfiguration")
    elif check(len(vwcs) == 1, f"expected one ValidatingWebhookConfiguration, found {len(vwcs)}"):
        vwc = vwcs[0]
        vhooks = vwc.get("webhooks", [])
        # One workload entry per Pod webhook entry (gmw.webhookEntries): the same namespaceSelector;
        # no objectSelector (the apiserver would match it against the workload's own labels), the
        # Pod webhook's objectSelector applied to the pod template's labels by the chart's first
        # matchCondition instead (its meaning is checked by tests/deploy/workload-reach.js), then
        # the Pod webhook's own matchConditions (webhook.matchConditions).
        check(len(vhooks) == len(hooks), f"VWC: expected {len(hooks)} webhooks like the MWC, found {len(vhooks)}")
        for ph, wh in zip(hooks, vhooks):
            want_name = ph.get("name", "").replace("pods.gomemlimit.io", "workloads.gomemlimit.io")
            check(wh.get("name") == want_name, f"VWC webhook name: {wh.get('name')}, want {want_name}")
            check(wh.get("namespaceSelector") == ph.get("namespaceSelector"),
                  f"VWC namespaceSelector must equal the Pod webhook's: {wh.get('namespaceSelector')} != "
                  f"{ph.get('namespaceSelector')}")
            check("objectSelector" not in wh,
                  f"VWC {wh.get('name')}: no objectSelector (it would match the workload's own labels)")
            conds = wh.get("matchConditions") or []
            first = conds[0] if conds else {}
            expr = first.get("expression", "")
            check(first.get("name") == "gomemlimit-pod-template-labels",
                  f"VWC {wh.get('name')}: first matchCondition must be gomemlimit-pod-template-labels, got {first.get('name')}")
            for path in ("object.spec.template.metadata.labels", "object.spec.jobTemplate.spec.template.metadata.labels"):
                check(path in expr, f"VWC {wh.get('name')}: the template-labels condition must read {path}")
            check(conds[1:] == (ph.get("matchConditions") or []),
                  f"VWC {wh.get('name')}: matchConditions after the chart's must equal the Pod webhook's: "
                  f"{conds[1:]} != {ph.get('matchConditions')}")
        vh = vhooks[0] if vhooks else {}
        for wh in vhooks:
            check(wh.get("sideEffects") == "None", "VWC sideEffects must be None")
            check(wh.get("failurePolicy") == "Ignore", f"VWC failurePolicy must be Ignore, got {wh.get('failurePolicy')}")
            check(wh.get("admissionReviewVersions") == ["v1"], "VWC admissionReviewVersions must be [v1]")
        got = set()
        for r in vh.get("rules", []):
            check(r.get("scope") == "Namespaced", f"VWC rule scope Namespaced: {r}")
            for op in r.get("operations", []):
                for g in r.get("apiGroups", []):
                    for v in r.get("apiVersions", []):
                        for res in r.get("resources", []):
                            got.add((op, g, v, res))
        want = {(op, g, "v1", res) for op in ("CREATE", "UPDATE") for g, res in [
            ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
            ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"),
            ("", "replicationcontrollers")]}
        check(got == want, f"VWC rules: missing {sorted(want - got)}, extra {sorted(got - want)}")
        vref = vh.get("clientConfig", {}).get("service", {})
        check(vref.get("path") == "/validate" and vref.get("name") == svc_ref.get("name") and
              vref.get("namespace") == ns and vref.get("port") == svc_ref.get("port"),
              f"VWC clientConfig.service wrong: {vref}")
        check(vh.get("clientConfig", {}).get("caBundle") == hook.get("clientConfig", {}).get("caBundle"),
              "VWC caBundle must equal the MutatingWebhookConfiguration's")
        vann = vwc.get("metadata", {}).get("annotations") or {}
        check(vann.get("cert-manager.io/inject-ca-from") == annotations.get("cert-manager.io/inject-ca-from"),
              "VWC cert-manager.io/inject-ca-from must equal the MutatingWebhookConfiguration's")

    # --- helm test Pod (present unless --skip-tests) -----------------------------------
    tests = [o for o in objs if o.get("kind") == "Pod"]
    for t in tests:
        check(t["metadata"].get("annotations", {}).get("helm.sh/hook") == "test", "the Pod is a helm test hook")
        check_security_context(t["spec"], "helm test")
        roles = [o for o in objs if o.get("kind") == "Role"]
        test_ns = [o for o in objs if o.get("kind") == "Namespace" and hooked(o)]
        check(len(roles) == 1 and len(test_ns) == 1 and roles[0]["metadata"].get("namespace") == test_ns[0]["metadata"]["name"],
              "helm test may create Pods only in its own test namespace")
        check(not test_ns or test_ns[0]["metadata"]["name"] not in excluded, "the test namespace is not excluded")
        check(not test_ns or "gomemlimit.io/injection" not in test_ns[0]["metadata"].get("labels", {}),
              "the test namespace is not labelled (the test Pod opts in by its own label)")

    if failures:
        print(f"check_rendered: {len(failures)} failure(s) in {args.rendered}:")
        for f in failures:
            print(f"  FAIL {f}")
        return 1
    print(f"check_rendered: ok ({len(objs)} objects, certs={args.certs_mode}, injection={args.injection_mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
