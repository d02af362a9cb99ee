#!/usr/bin/env bash
# test-chart.sh: the Helm chart. helm lint --strict; helm template for every certs.mode x
# injection.mode; every rendered object validated (kubernetes-models + strict field names,
# structural checks for cert-manager and ServiceMonitor); assertions on what matters
# (check_rendered.py); the self-signed certificate (SANs, chain, key, caBundle = ca.crt);
# bad values rejected by values.schema.json; deploy/ in sync with the chart; the values
# table in the chart README covers values.yaml; the dashboard queries the server's metrics.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tools
cd "$GMW_SRC_DIR"
work=$(mktemp -d)
trap '[ -n "${fake_pid:-}" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$work"' EXIT
NS=gmw-test-ns

# A CA for certs.mode=secret renders.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
    -out "$work/ca.crt" -days 2 -subj "/CN=test-ca" 2>/dev/null
CA_B64=$(base64 -w0 "$work/ca.crt")

section "validator self-check: known-bad objects are rejected"
out=$("$PY" tests/deploy/yaml2json.py tests/deploy/bad-manifests/invalid-objects.yaml | node tests/deploy/validate-manifests.js)
rc=$?
n_bad=$(grep -c '^INVALID' <<<"$out")
n_docs=$("$PY" tests/deploy/yaml2json.py tests/deploy/bad-manifests/invalid-objects.yaml | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect "validator exits 1 on bad objects" test "$rc" = 1
expect "validator rejects all $n_docs bad objects (got $n_bad)" test "$n_bad" = "$n_docs"

section "helm lint --strict"
expect "lint defaults" "$HELM" lint --strict "$CHART" >/dev/null
expect "lint cert-manager + opt-in + monitoring" "$HELM" lint --strict "$CHART" --set certs.mode=cert-manager \
    --set injection.mode=opt-in --set metrics.serviceMonitor.enabled=true --set metrics.dashboard.enabled=true >/dev/null
expect "lint secret mode" "$HELM" lint --strict "$CHART" --set certs.mode=secret --set certs.secret.caBundle="$CA_B64" >/dev/null

section "helm template: every certs.mode x injection.mode"
for certs in self-signed cert-manager secret; do
    for inj in opt-out opt-in; do
        f="$work/render-$certs-$inj.yaml"
        extra=()
        [ "$certs" = secret ] && extra=(--set certs.secret.caBundle="$CA_B64")
        if ! "$HELM" template gmw "$CHART" --namespace "$NS" --set certs.mode="$certs" --set injection.mode="$inj" \
            --set metrics.serviceMonitor.enabled=true --set metrics.dashboard.enabled=true "${extra[@]}" > "$f"; then
            fail "render $certs/$inj"
            continue
        fi
        pass "render $certs/$inj"
        if v=$(validate "$f"); then pass "validate $certs/$inj: $(tail -1 <<<"$v")"; else fail "validate $certs/$inj"; echo "$v"; fi
        cargs=(--namespace "$NS" --certs-mode "$certs" --injection-mode "$inj")
        [ "$certs" = secret ] && cargs+=(--ca-bundle-file "$work/ca.crt")
        if c=$("$PY" tests/deploy/check_rendered.py "$f" "${cargs[@]}"); then pass "$c"; else fail "assertions $certs/$inj"; echo "$c"; fi
    done
done
# Values users change most.
f="$work/render-fail.yaml"
"$HELM" template gmw "$CHART" --namespace "$NS" --set webhook.failurePolicy=Fail > "$f"
expect "failurePolicy=Fail is rendered" "$PY" tests/deploy/check_rendered.py "$f" --namespace "$NS" \
    --certs-mode self-signed --injection-mode opt-in --failure-policy Fail >/dev/null
f="$work/render-extra.yaml"
"$HELM" template gmw "$CHART" --namespace "$NS" --set 'config.excludeNamespaces={batch-jobs}' \
    --set 'webhook.objectSelector.matchLabels.team=go' \
    --set 'webhook.matchConditions[0].name=not-kube' --set-string 'webhook.matchConditions[0].expression=true' > "$f"
expect "extra excludes, objectSelector and matchConditions validate" validate "$f" >/dev/null
expect "config.excludeNamespaces reaches the namespaceSelector" \
    grep -q 'values: \["batch-jobs","gmw-test-ns","kube-node-lease","kube-public","kube-system"\]' "$f"
expect "objectSelector rendered" grep -q '^    objectSelector:' "$f"
expect "matchConditions rendered" grep -q '^    matchConditions:' "$f"
expect "still passes the assertions" "$PY" tests/deploy/check_rendered.py "$f" --namespace "$NS" \
    --certs-mode self-signed --injection-mode opt-in >/dev/null
expect "objectSelector only in the two Pod entries; matchConditions in all four (the workload entries: template labels first)" \
    test "$(grep -c '^    objectSelector:' "$f")/$(grep -c '^    matchConditions:' "$f")" = 2/4
# The validating webhook for workloads (issue 10): on by default, off by a value.
f="$work/render-novalidation.yaml"
"$HELM" template gmw "$CHART" --namespace "$NS" --set validation.enabled=false > "$f"
expect "validation.enabled=false: no ValidatingWebhookConfiguration" "$PY" tests/deploy/check_rendered.py "$f" \
    --namespace "$NS" --certs-mode self-signed --injection-mode opt-in --no-validation >/dev/null
expect "validation.enabled=false leaves the Pod webhook as it is" \
    grep -q '^kind: MutatingWebhookConfiguration$' "$f"
f="$work/render-preview.yaml"
"$HELM" template gmw "$CHART" --namespace "$NS" --set config.preview=always > "$f"
expect "config.preview reaches the ConfigMap" grep -q '^    preview: always$' "$f"
expect "config.preview=sometimes is rejected by the schema" \
    bash -c '! "$0" template gmw "$1" --set config.preview=sometimes >/dev/null 2>&1' "$HELM" "$CHART"
# The checksum changes only for keys that cannot reload live.
sum() { "$HELM" template gmw "$CHART" --namespace "$NS" --show-only templates/deployment.yaml "$@" | grep 'checksum/restart-config'; }
base=$(sum)
expect "ratio change does not roll the Pods (live reload)" test "$base" = "$(sum --set config.defaults.ratio=0.8)"
expect "logLevel change does not roll the Pods (live reload)" test "$base" = "$(sum --set server.logLevel=debug)"
expect "threads change rolls the Pods" test "$base" != "$(sum --set server.threads=8)"
expect "idleTimeout change rolls the Pods" test "$base" != "$(sum --set server.idleTimeout=150s)"
expect "headerTimeout change rolls the Pods" test "$base" != "$(sum --set server.headerTimeout=5s)"
expect "perIpConnectionLimit change rolls the Pods" test "$base" != "$(sum --set server.perIpConnectionLimit=64)"
expect "maxBody change does not roll the Pods (live reload)" test "$base" = "$(sum --set server.maxBody=4Mi)"
expect "port change rolls the Pods" test "$base" != "$(sum --set server.port=9443)"

section "the rendered config.yaml is what the real server reads"
BIN=${GMW_BIN:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
    fail "GMW_BIN (the built gomemlimit-webhook) is needed to parse the rendered config"
else
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: x\n    resources: {limits: {memory: 512Mi}}\n' > "$work/pod.yaml"
    for certs in self-signed cert-manager secret; do
        for inj in opt-out opt-in; do
            "$PY" -c 'import sys,yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o and o["kind"]=="ConfigMap" and "config.yaml" in o.get("data",{}): open(sys.argv[2],"w").write(o["data"]["config.yaml"])' \
                "$work/render-$certs-$inj.yaml" "$work/cfg-$certs-$inj.yaml"
            expect "config ($certs/$inj) parses: gomemlimit-webhook mutate --config" sh -c \
                "'$BIN' mutate --config '$work/cfg-$certs-$inj.yaml' --namespace apps -f '$work/pod.yaml' 2>/dev/null | grep -q '460MiB'"
        done
    done
    expect "the server's config skips the release namespace too" sh -c \
        "'$BIN' mutate --config '$work/cfg-self-signed-opt-out.yaml' --namespace '$NS' -f '$work/pod.yaml' 2>&1 | grep -q 'namespace $NS is excluded'"
    "$HELM" template gmw "$CHART" --namespace "$NS" --set config.defaults.ratio=0.5 --set config.defaults.gogc=off \
        --set config.defaults.requestPolicy=keep --set server.logLevel=debug --set config.shim.enabled=true \
        --set config.invalidAnnotations=warn --set 'config.excludeNamespaces={batch}' --set server.maxBody=4Mi \
        --set server.idleTimeout=150 --set server.threads=3 --set server.headerTimeout=5s \
        --set server.perIpConnectionLimit=0 --show-only templates/configmap.yaml |
        "$PY" -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["data"]["config.yaml"])' > "$work/cfg-custom.yaml"
    out=$("$BIN" mutate --config "$work/cfg-custom.yaml" --namespace apps -f "$work/pod.yaml" -o json 2>&1)
    expect "non-default values reach the server (ratio 0.5 -> 256MiB, GOGC off)" sh -c "grep -q '256MiB' <<'X'
$out
X
grep -q '\"off\"' <<'X'
$out
X"
    expect "config.excludeNamespaces reaches the server" sh -c \
        "'$BIN' mutate --config '$work/cfg-custom.yaml' --namespace batch -f '$work/pod.yaml' 2>&1 | grep -q 'namespace batch is excluded'"
    "$HELM" template gmw "$CHART" --namespace "$NS" --set config.malformedGOMEMLIMIT=deny \
        --set 'config.exclude.images={docker.io/library/nginx*}' --show-only templates/configmap.yaml |
        "$PY" -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["data"]["config.yaml"])' > "$work/cfg-issue9.yaml"
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: x\n    env: [{name: GOMEMLIMIT, value: 512Mi}]\n    resources: {limits: {memory: 1Gi}}\n  - name: web\n    image: docker.io/library/nginx:1.27\n    resources: {limits: {memory: 1Gi}}\n' > "$work/pod9.yaml"
    out=$("$BIN" mutate --config "$work/cfg-issue9.yaml" --namespace apps -f "$work/pod9.yaml" 2>&1)
    expect "config.malformedGOMEMLIMIT=deny reaches the server" grep -q 'GOMEMLIMIT="512Mi" makes Go abort at start; use 512MiB' <<<"$out"
    "$HELM" template gmw "$CHART" --namespace "$NS" --set 'config.exclude.images={docker.io/library/nginx*}' \
        --show-only templates/configmap.yaml |
        "$PY" -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["data"]["config.yaml"])' > "$work/cfg-issue9b.yaml"
    out=$("$BIN" mutate --config "$work/cfg-issue9b.yaml" --namespace apps -f "$work/pod9.yaml" 2>&1)
    expect "config.exclude.images reaches the server" grep -q 'container web: skipped, image docker.io/library/nginx:1.27 is in exclude.images' <<<"$out"
    expect "the default malformedGOMEMLIMIT (repair) reaches the server" grep -q 'GOMEMLIMIT="512Mi" (a quantity, Go aborts on it) set to 512MiB' <<<"$out"
    bad_cfg="$work/cfg-custom.yaml.bad"; sed 's/^minLimit:.*/minLimit: "lots"/' "$work/cfg-custom.yaml" > "$bad_cfg"
    expect "the parser check can fail (a bad minLimit is refused)" sh -c "! '$BIN' mutate --config '$bad_cfg' -f '$work/pod.yaml' >/dev/null 2>&1"
fi

section "self-signed certificate"
f="$work/render-self-signed-opt-out.yaml"
"$PY" - "$f" "$work" <<'PY'
import base64, sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
secret = next(o for o in objs if o["kind"] == "Secret")
for k, v in secret["data"].items():
    open(f"{sys.argv[2]}/ss-{k}", "wb").write(base64.b64decode(v))
mwc = next(o for o in objs if o["kind"] == "MutatingWebhookConfiguration")
open(f"{sys.argv[2]}/ss-cabundle.pem", "wb").write(base64.b64decode(mwc["webhooks"][0]["clientConfig"]["caBundle"]))
PY
expect "tls.crt verifies against ca.crt" openssl verify -CAfile "$work/ss-ca.crt" "$work/ss-tls.crt" >/dev/null
expect "the caBundle is the Secret's ca.crt" cmp -s "$work/ss-ca.crt" "$work/ss-cabundle.pem"
sans=$(openssl x509 -in "$work/ss-tls.crt" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
want="DNS:gmw-gomemlimit-webhook,DNS:gmw-gomemlimit-webhook.$NS,DNS:gmw-gomemlimit-webhook.$NS.svc,DNS:gmw-gomemlimit-webhook.$NS.svc.cluster.local"
expect "SANs are <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local (got $sans)" test "$sans" = "$want"
expect "serving certificate is for TLS servers" sh -c "openssl x509 -in '$work/ss-tls.crt' -noout -ext extendedKeyUsage | grep -q 'TLS Web Server Authentication'"
expect "tls.key matches tls.crt" test "$(openssl pkey -in "$work/ss-tls.key" -pubout)" = "$(openssl x509 -in "$work/ss-tls.crt" -noout -pubkey)"
expect "ECDSA P-256 key" sh -c "openssl pkey -in '$work/ss-tls.key' -noout -text | grep -q 'prime256v1'"
expect "valid for more than a year" sh -c "openssl x509 -in '$work/ss-tls.crt' -noout -checkend $((366 * 86400)) >/dev/null"
expect "ca.crt is a CA" sh -c "openssl x509 -in '$work/ss-ca.crt' -noout -ext basicConstraints | grep -q 'CA:TRUE'"

section "self-signed certificate reused on upgrade (lookup, against a fake API server on 127.0.0.1)"
# helm template --dry-run=server runs `lookup` against the cluster in the kubeconfig: here a
# minimal fake API (tests/deploy/fake_apiserver.py) that holds the Secret of a first install.
fake_pid=""
start_fake() { # start_fake SECRET-JSON|"": sets KUBECONFIG for the upgrade renders
    [ -n "$fake_pid" ] && { kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; }
    rm -f "$work/fake.port"
    "$PY" tests/deploy/fake_apiserver.py "$work/fake.port" ${1:+"$1"} 2>>"$work/fake.log" &
    fake_pid=$!
    for _ in $(seq 1 50); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
    printf 'apiVersion: v1\nkind: Config\nclusters: [{name: f, cluster: {server: "http://127.0.0.1:%s"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: f, user: u}}]\ncurrent-context: c\n' \
        "$(cat "$work/fake.port")" > "$work/kubeconfig"
}
upgrade_render() { KUBECONFIG=$work/kubeconfig "$HELM" template gmw "$CHART" --namespace "$NS" --dry-run=server \
    --disable-openapi-validation > "$1" 2>"$1.err"; }
tls_of() { "$PY" -c 'import sys,yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o and o["kind"]=="Secret": print(o["data"]["tls.crt"], o["data"]["ca.crt"])
    if o and o["kind"]=="MutatingWebhookConfiguration": print(o["webhooks"][0]["clientConfig"]["caBundle"])' "$1"; }
# The first install's Secret, as the cluster returns it (with Helm's ownership metadata).
"$PY" - "$work/render-self-signed-opt-out.yaml" "$work/installed-secret.json" "$NS" <<'PY'
import json, sys, yaml
s = next(o for o in yaml.safe_load_all(open(sys.argv[1])) if o and o["kind"] == "Secret")
s["metadata"].setdefault("annotations", {}).update({"meta.helm.sh/release-name": "gmw", "meta.helm.sh/release-namespace": sys.argv[3]})
json.dump(s, open(sys.argv[2], "w"))
PY
first=$(tls_of "$work/render-self-signed-opt-out.yaml")
start_fake "$work/installed-secret.json"
if upgrade_render "$work/upgrade.yaml"; then
    second=$(tls_of "$work/upgrade.yaml")
    expect "upgrade keeps the Secret's certificate and CA" test "$(head -1 <<<"$second")" = "$(head -1 <<<"$first")"
    expect "upgrade keeps the caBundle (= the existing ca.crt)" test "$(tail -1 <<<"$second")" = "$(awk '{print $2}' <<<"$(head -1 <<<"$first")")"
    expect "the lookup really asked the API for the Secret" grep -q "GET /api/v1/namespaces/$NS/secrets/gmw-gomemlimit-webhook-tls HTTP/1.1\" 200" "$work/fake.log"
else
    fail "helm template --dry-run=server against the fake API: $(cat "$work/upgrade.yaml.err")"
fi
# Controls: no Secret, or an incomplete one, means a new certificate.
start_fake ""
if upgrade_render "$work/fresh.yaml"; then
    expect "no existing Secret: a new certificate is generated" test "$(t=$(tls_of "$work/fresh.yaml"); head -1 <<<"$t")" != "$(head -1 <<<"$first")"
else
    fail "render against an empty fake API: $(cat "$work/fresh.yaml.err")"
fi
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); del s["data"]["tls.key"]; json.dump(s,open(sys.argv[2],"w"))' \
    "$work/installed-secret.json" "$work/broken-secret.json"
start_fake "$work/broken-secret.json"
if upgrade_render "$work/broken.yaml"; then
    expect "an incomplete Secret (no tls.key) is replaced" test "$(t=$(tls_of "$work/broken.yaml"); head -1 <<<"$t")" != "$(head -1 <<<"$first")"
else
    fail "render against a fake API with an incomplete Secret: $(cat "$work/broken.yaml.err")"
fi
kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; fake_pid=""

section "who reaches the webhook: rendered selectors evaluated as the apiserver does (webhook-reach.js, real CEL)"
if out=$(HELM="$HELM" CHART="$CHART" PY="$PY" node tests/deploy/webhook-reach.js tests/deploy/reach-table.json 2>&1); then
    pass "$(tail -1 <<<"$out")"
else
    fail "webhook-reach: $(grep -c '^FAIL' <<<"$out") rows disagree"; grep -v '^ok' <<<"$out"
fi
# The evaluator can fail: an opt-out render judged against the opt-in expectations.
"$PY" - tests/deploy/reach-table.json "$work/reach-neg.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["variants"] = {"opt-in": t["variants"]["opt-out"]}
json.dump(t, open(sys.argv[2], "w"))
PY
neg=$(HELM="$HELM" CHART="$CHART" PY="$PY" node tests/deploy/webhook-reach.js "$work/reach-neg.json" 2>&1)
expect "the evaluator fails an opt-out render against opt-in expectations ($(grep -c '^FAIL' <<<"$neg") rows)" sh -c "! grep -q '^webhook-reach: \([0-9]*\)/\1 ' <<'X'
$neg
X"
expect "the default injection.mode is opt-in" sh -c "'$HELM' template gmw '$CHART' --show-only templates/configmap.yaml >/dev/null && grep -q '^  mode: opt-in' '$CHART/values.yaml'"

section "which workloads reach the validating webhook: template labels, evaluated as the apiserver does (workload-reach.js, real CEL)"
if out=$(HELM="$HELM" CHART="$CHART" PY="$PY" node tests/deploy/workload-reach.js tests/deploy/workload-reach-table.json 2>&1); then
    pass "$(tail -1 <<<"$out")"
else
    fail "workload-reach: $(grep -c '^FAIL' <<<"$out") checks disagree"; grep -v '^ok' <<<"$out"
fi
# The evaluator can fail: the shape before issue 10's fix (the Pod objectSelector on the
# workload's own labels, no template condition) misses a workload whose template opts in.
"$HELM" template gmw "$CHART" --namespace gmw-system --skip-tests --set injection.mode=opt-in \
    --show-only templates/mutatingwebhookconfiguration.yaml --show-only templates/validatingwebhookconfiguration.yaml |
    "$PY" -c 'import sys, yaml
objs = [o for o in yaml.safe_load_all(sys.stdin) if o]
mwc = next(o for o in objs if o["kind"] == "MutatingWebhookConfiguration")
vwc = next(o for o in objs if o["kind"] == "ValidatingWebhookConfiguration")
for p, w in zip(mwc["webhooks"], vwc["webhooks"]):
    w["objectSelector"] = p["objectSelector"]
    w["matchConditions"] = [c for c in w["matchConditions"] if c["name"] != "gomemlimit-pod-template-labels"]
yaml.safe_dump_all(objs, open(sys.argv[1], "w"))' "$work/vwc-old-shape.yaml"
"$PY" - tests/deploy/workload-reach-table.json "$work/wreach-neg.json" "$work/vwc-old-shape.yaml" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["variants"] = {"opt-in": {"manifest": sys.argv[3]}}
json.dump(t, open(sys.argv[2], "w"))
PY
neg=$(HELM="$HELM" CHART="$CHART" PY="$PY" node tests/deploy/workload-reach.js "$work/wreach-neg.json" 2>&1)
expect "the evaluator fails the old shape (objectSelector on the workload's labels): a template-labelled Deployment is missed" \
    grep -q '^FAIL opt-in: Deployment, template inject=true, Deployment unlabelled, namespace unlabelled: not sent' <<<"$neg"
expect "... and a Deployment labelled itself, template not, is previewed ($(grep -c '^FAIL' <<<"$neg") checks fail)" \
    grep -q '^FAIL opt-in: Deployment labelled inject=true, template not, namespace unlabelled: reaches' <<<"$neg"

# ... and the no-error check can fail: the same condition without its has() guards errors on a
# workload without template labels (failurePolicy Ignore would then skip it silently).
"$PY" - "$work/vwc-old-shape.yaml" "$work/vwc-unguarded.yaml" <<'PY'
import sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
vwc = next(o for o in objs if o["kind"] == "ValidatingWebhookConfiguration")
for w in vwc["webhooks"]:
    w.pop("objectSelector")
    w["matchConditions"] = [{"name": "gomemlimit-pod-template-labels", "expression":
        '[has(object.spec.jobTemplate) ? object.spec.jobTemplate.spec.template.metadata.labels : '
        'object.spec.template.metadata.labels].all(labels, '
        '"gomemlimit.io/inject" in labels && labels["gomemlimit.io/inject"] in ["true"])'}]
yaml.safe_dump_all(objs, open(sys.argv[2], "w"))
PY
sed "s|$work/vwc-old-shape.yaml|$work/vwc-unguarded.yaml|" "$work/wreach-neg.json" > "$work/wreach-neg2.json"
neg=$(HELM="$HELM" CHART="$CHART" PY="$PY" node tests/deploy/workload-reach.js "$work/wreach-neg2.json" 2>&1)
expect "the evaluator fails an unguarded template condition: CEL error on a template without labels" \
    grep -q '^FAIL opt-in: pod-label.workloads.gomemlimit.io gomemlimit-pod-template-labels on template metadata without labels: CEL error' <<<"$neg"

section "PodDisruptionBudget only where it cannot block a drain"
pdbs() { "$HELM" template gmw "$CHART" --namespace "$NS" "$@" | "$PY" -c 'import sys,yaml
print(" ".join(str(sorted((o["spec"].get("minAvailable"), o["spec"].get("maxUnavailable")), key=str)) for o in yaml.safe_load_all(sys.stdin) if o and o["kind"]=="PodDisruptionBudget") or "none")'; }
expect "2 replicas: PDB minAvailable 1" test "$(pdbs)" = "[1, None]"
expect "1 replica: no PDB (minAvailable 1 would block every drain)" test "$(pdbs --set replicaCount=1)" = "none"
expect "1 replica + maxUnavailable 1: PDB maxUnavailable 1" test "$(pdbs --set replicaCount=1 --set podDisruptionBudget.maxUnavailable=1)" = "[1, None]"
expect "3 replicas + maxUnavailable 1: maxUnavailable replaces minAvailable" sh -c \
    "'$HELM' template gmw '$CHART' --set replicaCount=3 --set podDisruptionBudget.maxUnavailable=1 --show-only templates/poddisruptionbudget.yaml | grep -q '^  maxUnavailable: 1\$' && ! '$HELM' template gmw '$CHART' --set replicaCount=3 --set podDisruptionBudget.maxUnavailable=1 --show-only templates/poddisruptionbudget.yaml | grep -q minAvailable"
expect "disabled: no PDB" test "$(pdbs --set podDisruptionBudget.enabled=false)" = "none"

section "image, security contexts, hostNetwork, extras, probes, update strategy, NetworkPolicy"
img() { "$HELM" template gmw "$CHART" --show-only templates/deployment.yaml "$@" | "$PY" -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["spec"]["template"]["spec"]["containers"][0]["image"])'; }
D=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
expect "default image gomemlimit-webhook:0.1.0" test "$(img)" = "gomemlimit-webhook:0.1.0"
expect "registry + tag" test "$(img --set image.registry=reg.example.com:5000/platform --set image.tag=1.2)" = "reg.example.com:5000/platform/gomemlimit-webhook:1.2"
expect "digest wins over the tag" test "$(img --set image.registry=reg.example.com --set image.tag=1.2 --set image.digest=$D)" = "reg.example.com/gomemlimit-webhook@$D"
expect "the shim image follows the webhook image" sh -c "'$HELM' template gmw '$CHART' --set image.digest=$D --show-only templates/configmap.yaml | grep -q 'image: \"gomemlimit-webhook@$D\"'"
f="$work/render-custom.yaml"
if "$HELM" template gmw "$CHART" --namespace "$NS" --set hostNetwork=true --set server.port=10250 \
    --set 'extraArgs={--reload-interval,5s}' --set 'extraEnv[0].name=TZ' --set 'extraEnv[0].value=UTC' \
    --set 'extraVolumes[0].name=extra' --set 'extraVolumes[0].emptyDir.sizeLimit=1Mi' \
    --set 'extraVolumeMounts[0].name=extra' --set 'extraVolumeMounts[0].mountPath=/extra' \
    --set readinessProbe.periodSeconds=7 --set updateStrategy.rollingUpdate.maxSurge=0 --set updateStrategy.rollingUpdate.maxUnavailable=1 \
    --set networkPolicy.enabled=true --set 'networkPolicy.ingressFrom[0].ipBlock.cidr=10.0.0.0/8' \
    --set podSecurityContext.runAsUser=null --set podSecurityContext.runAsGroup=null --set podSecurityContext.fsGroup=null \
    --set image.registry=reg.example.com > "$f"; then
    pass "render with every new value"
    if v=$(validate "$f"); then pass "validates: $(tail -1 <<<"$v")"; else fail "custom render does not validate"; echo "$v"; fi
    expect "custom values take effect" "$PY" - "$f" <<'PY'
import sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
dep = next(o for o in objs if o["kind"] == "Deployment")
ps = dep["spec"]["template"]["spec"]
c = ps["containers"][0]
np = next(o for o in objs if o["kind"] == "NetworkPolicy")
checks = {
    "hostNetwork": ps.get("hostNetwork") is True and ps.get("dnsPolicy") == "ClusterFirstWithHostNet",
    "port": c["ports"][0]["containerPort"] == 10250,
    "args": c["args"] == ["serve", "--config", "/etc/gomemlimit-webhook/config.yaml", "--reload-interval", "5s"],
    "env": c.get("env") == [{"name": "TZ", "value": "UTC"}],
    "volume": {"name": "extra", "emptyDir": {"sizeLimit": "1Mi"}} in ps["volumes"],
    "mount": {"name": "extra", "mountPath": "/extra"} in c["volumeMounts"],
    "probe": c["readinessProbe"]["periodSeconds"] == 7 and c["readinessProbe"]["httpGet"]["path"] == "/readyz",
    "strategy": dep["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
    "platform UIDs": "runAsUser" not in ps["securityContext"] and ps["securityContext"]["runAsNonRoot"] is True,
    "networkpolicy": np["spec"]["ingress"] == [{"ports": [{"port": 10250, "protocol": "TCP"}], "from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]
                     and np["spec"]["egress"] == [] and np["spec"]["policyTypes"] == ["Ingress", "Egress"],
}
bad = [k for k, ok in checks.items() if not ok]
print("wrong:", bad) if bad else None
sys.exit(1 if bad else 0)
PY
else
    fail "render with every new value"
fi
expect "no NetworkPolicy by default" sh -c "! '$HELM' template gmw '$CHART' | grep -q '^kind: NetworkPolicy'"
expect "restricted security contexts by default (check_rendered)" "$PY" tests/deploy/check_rendered.py "$work/render-self-signed-opt-in.yaml" \
    --namespace "$NS" --certs-mode self-signed --injection-mode opt-in >/dev/null

section "values.schema.json rejects bad values"
reject() { # reject DESCRIPTION EXPECTED-MESSAGE-FRAGMENT HELM-ARGS...
    local d=$1 frag=$2; shift 2
    local out
    if out=$("$HELM" template gmw "$CHART" --namespace "$NS" "$@" 2>&1 >/dev/null); then
        fail "$d: accepted"
    elif grep -qi -- "$frag" <<<"$out"; then
        pass "$d: rejected"
    else
        fail "$d: failed without naming '$frag': $out"
    fi
}
reject "ratio 0" "ratio" --set config.defaults.ratio=0
reject "ratio 1.5" "ratio" --set config.defaults.ratio=1.5
reject "ratio -0.5" "ratio" --set config.defaults.ratio=-0.5
reject "ratio with 5 decimals" "ratio" --set config.defaults.ratio=0.12345
reject "ratio as text" "ratio" --set-string config.defaults.ratio=ninety
reject "ratio string 0.0" "ratio" --set config.defaults.ratio=0.0
reject "ratio string 1.01" "ratio" --set config.defaults.ratio=1.01
reject "ratio string 0.00001" "ratio" --set config.defaults.ratio=0.00001
reject "failurePolicy Foo" "failurePolicy" --set webhook.failurePolicy=Foo
reject "injection.mode bogus" "mode" --set injection.mode=bogus
reject "certs.mode bogus" "mode" --set certs.mode=bogus
reject "gogc 0" "gogc" --set config.defaults.gogc=0
reject "gogc on" "gogc" --set config.defaults.gogc=on
reject "requestPolicy bogus" "requestPolicy" --set config.defaults.requestPolicy=bogus
reject "timeoutSeconds 31" "timeoutSeconds" --set webhook.timeoutSeconds=31
reject "reinvocationPolicy bogus" "reinvocationPolicy" --set webhook.reinvocationPolicy=Sometimes
reject "minLimit 1GB" "minLimit" --set config.minLimit=1GB
reject "invalidAnnotations bogus" "invalidAnnotations" --set config.invalidAnnotations=ignore
reject "caBundle not base64" "caBundle" --set certs.mode=secret --set certs.secret.caBundle='not base64!'
reject "misspelled top-level key" "replicas" --set replicas=3
reject "misspelled nested key" "failurPolicy" --set webhook.failurPolicy=Fail
reject "idleTimeout 2 days" "idleTimeout" --set server.idleTimeout=2d
reject "headerTimeout 0 (the server needs >= 1s)" "headerTimeout" --set server.headerTimeout=0
reject "perIpConnectionLimit negative" "perIpConnectionLimit" --set server.perIpConnectionLimit=-1
reject "idleTimeout 0 (the server needs >= 1s)" "idleTimeout" --set server.idleTimeout=0
reject "requestTimeout 0 (the server needs >= 1s)" "requestTimeout" --set server.requestTimeout=0
reject "excluded namespace not a DNS label" "excludeNamespaces" --set 'config.excludeNamespaces={Bad_NS}'
reject "malformedGOMEMLIMIT bogus" "malformedGOMEMLIMIT" --set config.malformedGOMEMLIMIT=fix
reject "exclude.images with a space" "images" --set-json 'config.exclude.images=["a b"]'
reject "image digest not sha256" "digest" --set image.digest=latest
reject "image registry with a scheme" "registry" --set image.registry=https://reg.example.com
reject "privileged container" "privileged" --set securityContext.privileged=true
reject "privilege escalation" "allowPrivilegeEscalation" --set securityContext.allowPrivilegeEscalation=true
reject "root allowed" "runAsNonRoot" --set podSecurityContext.runAsNonRoot=false
reject "runAsUser 0" "runAsUser" --set securityContext.runAsUser=0
reject "capabilities not dropping ALL" "drop" --set 'securityContext.capabilities.drop={NET_RAW}'
reject "adding SYS_ADMIN" "add" --set 'securityContext.capabilities.add={SYS_ADMIN}'
reject "seccomp Unconfined" "type" --set podSecurityContext.seccompProfile.type=Unconfined
reject "unknown securityContext field" "runAsUsr" --set securityContext.runAsUsr=1000
reject "hostNetwork not a boolean" "hostNetwork" --set-string hostNetwork=yes
reject "updateStrategy type bogus" "type" --set updateStrategy.type=Bogus
reject "minAvailable 2 with 2 replicas (blocks drains)" "must be below replicaCount" --set podDisruptionBudget.minAvailable=2
reject "PDB maxUnavailable 0 (blocks drains)" "maxUnavailable" --set podDisruptionBudget.maxUnavailable=0
reject "extraEnv without a name" "name" --set 'extraEnv[0].value=x'
reject "extraArgs not strings" "extraArgs" --set-json 'extraArgs=[1]'
reject "extraVolumeMounts without mountPath" "mountPath" --set 'extraVolumeMounts[0].name=x'
reject "probe with an unknown field" "periodSecond" --set livenessProbe.periodSecond=3
reject "networkPolicy misspelled" "enable" --set networkPolicy.enable=true
reject "a user matchCondition with the name of the chart's own workload condition" "gomemlimit-pod-template-labels" \
    --set-json 'webhook.matchConditions=[{"name":"gomemlimit-pod-template-labels","expression":"true"}]'
reject "webhook.objectSelector with an operator LabelSelectors do not have" "operator \"Gt\"" \
    --set-json 'webhook.objectSelector.matchExpressions=[{"key":"tier","operator":"Gt","values":["1"]}]'
# Controls: the edges of the accepted range render.
expect "ratio 1 accepted" "$HELM" template gmw "$CHART" --set config.defaults.ratio=1 >/dev/null
expect "ratio 0.0001 accepted" "$HELM" template gmw "$CHART" --set config.defaults.ratio=0.0001 >/dev/null
expect "ratio .5 accepted" "$HELM" template gmw "$CHART" --set config.defaults.ratio=.5 >/dev/null
expect "ratio 0.8500 accepted" "$HELM" template gmw "$CHART" --set config.defaults.ratio=0.8500 >/dev/null
expect "ratio 0.9 from a values file (a number) accepted" sh -c "printf 'config:\n  defaults:\n    ratio: 0.9\n    gogc: \"100\"\n    requestPolicy: match\n' > '$work/v.yaml' && '$HELM' template gmw '$CHART' -f '$work/v.yaml' >/dev/null"
expect "ratio 0.12345 from a values file (a number) rejected" sh -c "printf 'config:\n  defaults:\n    ratio: 0.12345\n    gogc: \"100\"\n    requestPolicy: match\n' > '$work/v.yaml' && ! '$HELM' template gmw '$CHART' -f '$work/v.yaml' >/dev/null 2>&1"
expect "ratio 0.75 renders as 0.75" sh -c "'$HELM' template gmw '$CHART' --set config.defaults.ratio=0.75 --show-only templates/configmap.yaml | grep -q '^      ratio: 0.75\$'"
expect "gogc off accepted" "$HELM" template gmw "$CHART" --set config.defaults.gogc=off >/dev/null
expect "gogc 100000 accepted" "$HELM" template gmw "$CHART" --set config.defaults.gogc=100000 >/dev/null
expect "OpenShift-style: runAsUser/runAsGroup/fsGroup null accepted" "$HELM" template gmw "$CHART" --set podSecurityContext.runAsUser=null \
    --set podSecurityContext.runAsGroup=null --set podSecurityContext.fsGroup=null >/dev/null
expect "PDB maxUnavailable 50% accepted" "$HELM" template gmw "$CHART" --set podDisruptionBudget.maxUnavailable=50% >/dev/null
expect "Recreate strategy accepted" "$HELM" template gmw "$CHART" --set updateStrategy.type=Recreate --set updateStrategy.rollingUpdate=null >/dev/null

section "deploy/ in sync with the chart (defaults + certs.mode=secret)"
expect "scripts/render-deploy.sh --check" scripts/render-deploy.sh --check
expect "deploy/ validates" sh -c "cat deploy/*.yaml | '$PY' tests/deploy/yaml2json.py | node tests/deploy/validate-manifests.js >/dev/null"
cat deploy/*.yaml > "$work/deploy.yaml"
expect "deploy/ passes the assertions (secret mode, caBundle to be filled)" sh -c \
    "'$PY' tests/deploy/check_rendered.py '$work/deploy.yaml' --namespace gomemlimit-system --certs-mode secret --injection-mode opt-in 2>&1 | grep -q 'caBundle must be present'"
expect "deploy/ has one empty caBundle per webhook entry (2, opt-in) for certs/gen-certs.sh" test "$(grep -c '^      caBundle: ""$' deploy/mutatingwebhookconfiguration.yaml)" = 2
# A stale deploy/ is detected (the check can fail).
cp -r deploy "$work/deploy-copy"
sed -i 's/timeoutSeconds: 5/timeoutSeconds: 7/' deploy/mutatingwebhookconfiguration.yaml
if scripts/render-deploy.sh --check >/dev/null 2>&1; then fail "a modified deploy/ was not detected"; else pass "a modified deploy/ is detected"; fi
cp "$work/deploy-copy/mutatingwebhookconfiguration.yaml" deploy/mutatingwebhookconfiguration.yaml

section "NOTES.txt"
notes=$("$HELM" install --dry-run=client gmw "$CHART" --namespace "$NS" 2>&1 | sed -n '/^NOTES:/,$p')
expect "NOTES tell how to verify with a server-side dry run" grep -q 'apply --dry-run=server' <<<"$notes"
expect "NOTES give the expected GOMEMLIMIT for 512Mi at ratio 0.9 (460MiB)" grep -q '"460MiB"' <<<"$notes"
expect "NOTES point to helm test" grep -q "helm test gmw -n $NS" <<<"$notes"
expect "NOTES (default, opt-in) say which Pods are affected and how to opt in" sh -c "grep -q 'Affected: only Pods' <<'X'
$notes
X
grep -q 'kubectl label namespace NAME gomemlimit.io/injection=enabled' <<'X'
$notes
X
grep -q 'gomemlimit.io/inject: \"true\"' <<'X'
$notes
X"
expect "NOTES warn that the default image is not published" grep -q 'WARNING: image gomemlimit-webhook:0.1.0 is the chart.s default' <<<"$notes"
n2=$("$HELM" install --dry-run=client gmw "$CHART" --namespace "$NS" --set image.registry=reg.example.com --set injection.mode=opt-out 2>&1 | sed -n '/^NOTES:/,$p')
expect "no image warning once a registry is set" sh -c "! grep -q 'WARNING: image' <<'X'
$n2
X"
expect "NOTES in opt-out mode say EVERY Pod is affected" grep -q 'Affected: EVERY Pod' <<<"$n2"
notes=$("$HELM" install --dry-run=client gmw "$CHART" --namespace "$NS" --set certs.mode=secret 2>&1 | sed -n '/^NOTES:/,$p')
expect "NOTES warn when secret mode has no caBundle" grep -q 'WARNING: certs.secret.caBundle is empty' <<<"$notes"
notes=$("$HELM" install --dry-run=client gmw "$CHART" --namespace "$NS" --set certs.mode=secret --set certs.secret.caBundle="$CA_B64" --set image.registry=r.example 2>&1 | sed -n '/^NOTES:/,$p')
expect "and do not warn when it is set" sh -c "! grep -q WARNING <<'X'
$notes
X"

section "chart README documents every value; dashboard uses the server's metrics"
missing=$("$PY" - "$CHART" <<'PY' || echo "(check failed)"
import sys, yaml
chart = sys.argv[1]
values = yaml.safe_load(open(f"{chart}/values.yaml"))
readme = open(f"{chart}/README.md").read()
def leaves(d, prefix=""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and k not in ("resources", "labels", "podSecurityContext", "securityContext", "updateStrategy", "livenessProbe", "readinessProbe"):
            yield from leaves(v, key + ".")
        else:
            yield key
print(" ".join(k for k in leaves(values) if f"`{k}`" not in readme))
PY
)
expect "README values table covers values.yaml (missing: ${missing:-none})" test -z "$missing"
expect "dashboard JSON parses and queries admissions, latency, containers, denials, cert expiry" "$PY" - "$CHART/dashboards/gomemlimit-webhook.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exprs = " ".join(t["expr"] for p in d["panels"] for t in p.get("targets", []))
need = ["gomemlimit_webhook_admission_requests_total", "gomemlimit_webhook_admission_duration_seconds_bucket",
        "histogram_quantile(0.99", "gomemlimit_webhook_containers_total", 'result="denied"',
        "gomemlimit_webhook_cert_expiry_timestamp_seconds"]
missing = [n for n in need if n not in exprs]
sys.exit(1 if missing else 0)
PY

section "monitoring: PrometheusRule, dashboards, deploy/monitoring/ (docs/monitoring.md)"
for inj in opt-out opt-in; do
    f="$work/render-monitoring-$inj.yaml"
    "$HELM" template gmw "$CHART" --namespace "$NS" --set injection.mode="$inj" --set prometheusRule.enabled=true \
        --set metrics.serviceMonitor.enabled=true --set metrics.dashboard.enabled=true > "$f"
    if v=$(validate "$f"); then pass "validate with prometheusRule + dashboards ($inj): $(tail -1 <<<"$v")"; else fail "validate monitoring ($inj)"; echo "$v"; fi
    expect "one PrometheusRule and two dashboard ConfigMaps ($inj)" test \
        "$(grep -c '^kind: PrometheusRule$' "$f"):$(grep -c '^    grafana_dashboard: "1"$' "$f")" = "1:2"
done
expect "lint with prometheusRule" "$HELM" lint --strict "$CHART" --set prometheusRule.enabled=true \
    --set 'prometheusRule.labels.release=prom' --set 'prometheusRule.alertLabels.team=platform' >/dev/null
reject "prometheusRule.enabled not a boolean" "enabled" --set-string prometheusRule.enabled=yes
reject "prometheusRule misspelled key" "alertLabel" --set prometheusRule.alertLabel.team=x
expect "deploy/monitoring/ validates" sh -c "cat deploy/monitoring/*.yaml | '$PY' tests/deploy/yaml2json.py | node tests/deploy/validate-manifests.js >/dev/null"
expect "deploy/monitoring/ holds the ServiceMonitor, the PrometheusRule and both dashboards" test \
    "$(cat deploy/monitoring/*.yaml | grep -c '^kind: \(ServiceMonitor\|PrometheusRule\|ConfigMap\)$')" = 4
expect "the default kubectl apply -f deploy/ set has no CRD objects" sh -c "! grep -q '^apiVersion: monitoring.coreos.com' deploy/*.yaml"
cp deploy/monitoring/prometheusrule.yaml "$work/pr-copy.yaml"
sed -i 's/for: 5m/for: 6m/' deploy/monitoring/prometheusrule.yaml
if scripts/render-deploy.sh --check >/dev/null 2>&1; then fail "a modified deploy/monitoring/ was not detected"; else pass "a modified deploy/monitoring/ is detected"; fi
cp "$work/pr-copy.yaml" deploy/monitoring/prometheusrule.yaml

finish
