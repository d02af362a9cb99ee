#!/usr/bin/env bash
# test-certs.sh: certs/gen-certs.sh and what it produces, end to end on loopback:
#   - --dry-run writes ca.crt, tls.crt, tls.key and the filled manifests, applies nothing;
#   - openssl verify, the four SANs via `openssl x509 -ext subjectAltName`, ECDSA P-256,
#     key matches certificate, --days honoured;
#   - the manifests: caBundle = base64(ca.crt), the Secret holds the three files, all validate;
#   - reuse without --renew, new certificates with --renew, bad arguments refused;
#   - the real server (`gomemlimit-webhook serve`) serves the pair on 127.0.0.1, curl trusts it
#     for <svc>.<ns>.svc, and the chart's `helm test` script (rendered in secret mode with this
#     CA) passes against it, and fails against a server whose certificate it must not trust.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tools
cd "$GMW_SRC_DIR"
BIN=${GMW_BIN:?GMW_BIN (the built gomemlimit-webhook) is required}
[ -x "$BIN" ] || { echo "GMW_BIN=$BIN is not executable"; exit 1; }
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
SVC=gomemlimit-webhook
NS=gomemlimit-system
HOST=$SVC.$NS.svc
out=$work/out

section "certs/gen-certs.sh --dry-run"
if GMW_BIN=$BIN KUBECTL=/nonexistent certs/gen-certs.sh --out "$out" --days 40 --dry-run > "$work/gen.log" 2>&1; then
    pass "gen-certs.sh --dry-run succeeded"
else
    fail "gen-certs.sh --dry-run failed:"; cat "$work/gen.log"
fi
for f in ca.crt tls.crt tls.key manifests/01-secret.yaml manifests/mutatingwebhookconfiguration.yaml; do
    expect "wrote $f" test -s "$out/$f"
done
expect "--dry-run applies nothing (KUBECTL was never needed)" grep -q 'nothing applied' "$work/gen.log"
expect "tls.key is private (0600)" test "$(stat -c %a "$out/tls.key")" = 600
expect "openssl verify -CAfile ca.crt tls.crt" openssl verify -CAfile "$out/ca.crt" "$out/tls.crt"
sans=$(openssl x509 -in "$out/tls.crt" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
want="DNS:$SVC,DNS:$SVC.$NS,DNS:$SVC.$NS.svc,DNS:$SVC.$NS.svc.cluster.local"
expect "SANs: $want (got $sans)" test "$sans" = "$want"
expect "ECDSA P-256 serving key" sh -c "openssl pkey -in '$out/tls.key' -noout -text | grep -q prime256v1"
expect "tls.key matches tls.crt" test "$(openssl pkey -in "$out/tls.key" -pubout)" = "$(openssl x509 -in "$out/tls.crt" -noout -pubkey)"
expect "--days 40: valid in 39 days" sh -c "openssl x509 -in '$out/tls.crt' -noout -checkend $((39 * 86400)) >/dev/null"
expect "--days 40: expired in 41 days" sh -c "! openssl x509 -in '$out/tls.crt' -noout -checkend $((41 * 86400)) >/dev/null"
expect "server authentication usage" sh -c "openssl x509 -in '$out/tls.crt' -noout -ext extendedKeyUsage | grep -q 'TLS Web Server Authentication'"

section "the filled manifests"
ca_b64=$(base64 -w0 "$out/ca.crt")
expect "caBundle in the MutatingWebhookConfiguration is base64(ca.crt)" \
    grep -q "^      caBundle: \"$ca_b64\"$" "$out/manifests/mutatingwebhookconfiguration.yaml"
expect "caBundle in the ValidatingWebhookConfiguration is base64(ca.crt)" \
    grep -q "^      caBundle: \"$ca_b64\"$" "$out/manifests/validatingwebhookconfiguration.yaml"
expect "the printed caBundle is the same" grep -q "caBundle $ca_b64" "$work/gen.log"
expect "Secret holds ca.crt, tls.crt, tls.key" "$PY" - "$out" <<'PY'
import base64, sys, yaml
out = sys.argv[1]
s = yaml.safe_load(open(f"{out}/manifests/01-secret.yaml"))
assert s["type"] == "kubernetes.io/tls" and s["metadata"]["name"] == "gomemlimit-webhook-tls"
assert s["metadata"]["namespace"] == "gomemlimit-system"
for k in ("ca.crt", "tls.crt", "tls.key"):
    assert base64.b64decode(s["data"][k]) == open(f"{out}/{k}", "rb").read(), k
PY
expect "every filled manifest validates" sh -c "cat '$out'/manifests/*.yaml | '$PY' tests/deploy/yaml2json.py | node tests/deploy/validate-manifests.js >/dev/null"
expect "deploy/ itself is untouched (still the empty caBundle)" grep -q '^      caBundle: ""$' deploy/mutatingwebhookconfiguration.yaml
"$PY" tests/deploy/check_rendered.py <(cat $(ls "$out"/manifests/*.yaml | grep -v 01-secret.yaml)) --namespace "$NS" --certs-mode secret \
    --injection-mode opt-out --ca-bundle-file "$out/ca.crt" > "$work/check.log" 2>&1 \
    && pass "filled manifests pass the chart assertions (secret mode)" \
    || { fail "filled manifests fail the chart assertions"; cat "$work/check.log"; }

# An expiring set is replaced without --renew.
mkdir -p "$work/short"
"$BIN" certs --service "$SVC" --namespace "$NS" --out "$work/short" --days 5 >/dev/null 2>&1
short_fp=$(openssl x509 -in "$work/short/tls.crt" -noout -fingerprint)
expect "a set expiring within 30 days is replaced" sh -c "GMW_BIN='$BIN' certs/gen-certs.sh --out '$work/short' --dry-run >/dev/null 2>&1 && test \"$short_fp\" != \"\$(openssl x509 -in '$work/short/tls.crt' -noout -fingerprint)\""

section "reuse and renewal"
before=$(openssl x509 -in "$out/tls.crt" -noout -fingerprint)
GMW_BIN=$BIN certs/gen-certs.sh --out "$out" --dry-run > "$work/gen2.log" 2>&1
expect "a second run reuses valid certificates" test "$before" = "$(openssl x509 -in "$out/tls.crt" -noout -fingerprint)"
expect "and says so" grep -q reusing "$work/gen2.log"
expect "--renew succeeds" sh -c "GMW_BIN='$BIN' certs/gen-certs.sh --out '$out' --dry-run --renew --days 40 > '$work/gen3.log' 2>&1"
expect "--renew makes new ones" test "$before" != "$(openssl x509 -in "$out/tls.crt" -noout -fingerprint)"
ca_b64=$(base64 -w0 "$out/ca.crt")
expect "--renew refills the caBundle" grep -q "caBundle: \"$ca_b64\"" "$out/manifests/mutatingwebhookconfiguration.yaml"
expect "--days abc is refused" sh -c "! GMW_BIN='$BIN' certs/gen-certs.sh --out '$work/x' --days abc --dry-run 2>/dev/null"
expect "an unknown option is refused" sh -c "! GMW_BIN='$BIN' certs/gen-certs.sh --bogus 2>/dev/null"
expect "a missing binary is refused" sh -c "! GMW_BIN=/nonexistent certs/gen-certs.sh --out '$work/y' --dry-run 2>/dev/null"
expect "without --dry-run and without kubectl it fails (never silently)" sh -c \
    "! PATH=/usr/bin:/bin GMW_BIN='$BIN' KUBECTL=/nonexistent certs/gen-certs.sh --out '$out' 2>/dev/null"

# Without --dry-run it applies the filled manifests (a stub kubectl records the call).
printf '#!/bin/sh\necho "$@" > "%s/kubectl.args"\n' "$work" > "$work/kubectl-stub"
chmod +x "$work/kubectl-stub"
expect "without --dry-run: kubectl apply succeeds" sh -c "GMW_BIN='$BIN' KUBECTL='$work/kubectl-stub' certs/gen-certs.sh --out '$out' >/dev/null 2>&1"
expect "it ran 'kubectl apply -f OUT/manifests/'" test "$(cat "$work/kubectl.args" 2>/dev/null)" = "apply -f $out/manifests/"

section "the real server serves the pair; curl trusts it; the helm test script passes"
port=$(free_port)
cat > "$work/config.yaml" <<EOF
listen: "127.0.0.1:$port"
tls:
  certFile: $out/tls.crt
  keyFile: $out/tls.key
threads: 2
EOF
"$BIN" serve --config "$work/config.yaml" > "$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 1 50); do
    if curl -sS --max-time 2 --cacert "$out/ca.crt" --resolve "$HOST:$port:127.0.0.1" "https://$HOST:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [ "$ready" = 1 ]; then pass "server ready; curl --cacert ca.crt trusts $HOST"; else fail "server not ready"; cat "$work/server.log"; fi
expect "curl refuses the server without the CA" sh -c \
    "! curl -sS --max-time 3 --resolve '$HOST:$port:127.0.0.1' 'https://$HOST:$port/healthz' >/dev/null 2>&1"
expect "curl refuses a name not in the SANs" sh -c \
    "! curl -sS --max-time 3 --cacert '$out/ca.crt' --resolve 'other.$NS.svc:$port:127.0.0.1' 'https://other.$NS.svc:$port/healthz' >/dev/null 2>&1"

# The helm test Pod's script, rendered in secret mode with this CA, run here: a curl wrapper
# resolves the Service name to the loopback server (the script itself is unchanged).
"$HELM" template "$SVC" "$CHART" --namespace "$NS" --set certs.mode=secret --set certs.secret.caBundle="$ca_b64" \
    --show-only templates/tests/test-admission.yaml > "$work/test-pod.yaml"
"$PY" - "$work/test-pod.yaml" "$work" <<'PY'
import shlex, sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
c = pod["spec"]["containers"][0]
open(f"{sys.argv[2]}/helm-test.sh", "w").write(c["args"][0])
with open(f"{sys.argv[2]}/helm-test.env", "w") as f:
    for e in c["env"]:
        f.write(f"export {e['name']}={shlex.quote(e['value'])}\n")
PY
mkdir -p "$work/bin" "$work/pod-work"
cat > "$work/bin/curl" <<EOF
#!/bin/sh
exec $(command -v curl) --resolve "$HOST:$port:127.0.0.1" "\$@"
EOF
chmod +x "$work/bin/curl"
run_helm_test() { # run_helm_test CA-PEM-FILE
    (
        source "$work/helm-test.env"
        export CA_PEM; CA_PEM=$(cat "$1")
        export WEBHOOK_URL="https://$HOST:$port/mutate?timeout=5s" WORK_DIR="$work/pod-work"
        PATH="$work/bin:$PATH" sh "$work/helm-test.sh"
    )
}
if run_helm_test "$out/ca.crt" > "$work/helm-test.log" 2>&1 && grep -q '^PASS' "$work/helm-test.log"; then
    pass "helm test script: $(grep '^PASS' "$work/helm-test.log")"
else
    fail "helm test script against the real server:"; cat "$work/helm-test.log"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/other.key" \
    -out "$work/other-ca.crt" -days 1 -subj "/CN=other" 2>/dev/null
sed -i 's/--retry 5 /--retry 0 /' "$work/helm-test.sh"   # fail fast for the negative case
if run_helm_test "$work/other-ca.crt" > "$work/helm-test-neg.log" 2>&1; then
    fail "helm test script passed with a CA that did not sign the server's certificate"
else
    pass "helm test script fails with the wrong CA"
fi

# The Grafana dashboard queries only series this server exports, with label values it uses.
# One denied review first (an invalid ratio annotation), so a result="denied" series exists.
deny_review='{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"apps","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"gomemlimit.io/ratio":"2"}},"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"memory":"256Mi"}}}]}}}}'
deny=$(curl -sS --max-time 5 --cacert "$out/ca.crt" --resolve "$HOST:$port:127.0.0.1" -H 'Content-Type: application/json' \
    --data-binary "$deny_review" "https://$HOST:$port/mutate")
expect "an invalid annotation is denied by the server" grep -Eq '"allowed" *: *false' <<<"$deny"
curl -sS --max-time 5 --cacert "$out/ca.crt" --resolve "$HOST:$port:127.0.0.1" "https://$HOST:$port/metrics" > "$work/metrics.txt"
dash_check() { "$PY" - "$1" "$work/metrics.txt" <<'PY'
import json, re, sys
exprs = [t["expr"] for p in json.load(open(sys.argv[1]))["panels"] for t in p.get("targets", [])]
metrics = open(sys.argv[2]).read()
problems = []
for e in exprs:
    for name, labels in re.findall(r"(gomemlimit_webhook_[a-z_]+)(\{[^}]*\})?", e):
        if not re.search(rf"^{name}[{{ ]", metrics, re.M):
            problems.append(f"{name} not exported")
        for key, val in re.findall(r'([a-z_]+)="([^"$]*)"', labels or ""):
            if not re.search(rf'^{name}\{{[^}}]*{key}="{re.escape(val)}"', metrics, re.M):
                problems.append(f'{name} has no series with {key}="{val}"')
    for key in re.findall(r"by \(([a-z_, ]+)\)", e):
        for k in [x.strip() for x in key.split(",") if x.strip() != "le"]:
            name = re.search(r"gomemlimit_webhook_[a-z_]+", e).group(0)
            if not re.search(rf'^{name}[a-z_]*\{{[^}}]*\b{k}="', metrics, re.M):
                problems.append(f"{name} has no label {k}")
print("; ".join(sorted(set(problems))) or "ok")
PY
}
result=$(dash_check "$CHART/dashboards/gomemlimit-webhook.json")
expect "the dashboard's queries match the server's /metrics ($result)" test "$result" = ok
sed -e 's/containers_total/containerz_total/' -e 's/result=\\"denied\\"/result=\\"refused\\"/' \
    "$CHART/dashboards/gomemlimit-webhook.json" > "$work/bad-dashboard.json"
result=$(dash_check "$work/bad-dashboard.json")
expect "a dashboard with a wrong metric is caught" grep -q 'containerz_total not exported' <<<"$result"
expect "a dashboard with a wrong label value is caught" grep -q 'result="refused"' <<<"$result"

kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=""
expect "server exits 0 on SIGTERM" test "$rc" = 0

finish
