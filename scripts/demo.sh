#!/usr/bin/env bash
# demo.sh - the README's "run the main job": install what is missing, build, generate a
# dev CA and serving certificate with `gomemlimit-webhook certs`, start the TLS webhook on
# 127.0.0.1, send it a real AdmissionReview with curl (--cacert, --resolve for the
# Service DNS name, exactly what the kube-apiserver does), print the decoded JSON Patch
# and the warnings, then stop the server with SIGTERM (graceful, exit 0).
#   GMW_DEMO_REVIEW=FILE  send this AdmissionReview instead of examples/review.json
#   GMW_DEMO_BUILD=DIR    build directory (default build)
#   GMW_SKIP_INSTALL=1    do not run scripts/install-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${GMW_SKIP_INSTALL:-0}" != 1 ]; then
  GMW_SKIP_NPM_TOOLS=1 scripts/install-deps.sh
fi

build=${GMW_DEMO_BUILD:-build}
echo "== build ($build)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target gomemlimit-webhook >/dev/null
bin="$build/gomemlimit-webhook"

review=${GMW_DEMO_REVIEW:-examples/review.json}
[ -f "$review" ] || review=tests/integration/server/reviews/pod-create-memory-limits.json

work=$(mktemp -d /tmp/gomemlimit-demo.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

svc=gomemlimit-webhook ns=gomemlimit-system host=$svc.$ns.svc
echo "== certificates: CA + serving certificate for $host (ECDSA P-256)"
"$bin" certs --service "$svc" --namespace "$ns" --out "$work/tls" >"$work/cabundle"
echo "   caBundle (base64, for the MutatingWebhookConfiguration): $(cut -c1-48 "$work/cabundle")..."

echo "== serve on 127.0.0.1 (port chosen by the kernel)"
"$bin" serve --listen 127.0.0.1:0 --tls-cert-file "$work/tls/tls.crt" \
  --tls-key-file "$work/tls/tls.key" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$work/server.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "demo: the server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "   listening on 127.0.0.1:$port"

echo "== POST /mutate?timeout=10s  ($review)"
curl -sS --fail-with-body --max-time 10 --cacert "$work/tls/ca.crt" \
  --resolve "$host:$port:127.0.0.1" -H 'Content-Type: application/json' \
  --data-binary @"$review" "https://$host:$port/mutate?timeout=10s" >"$work/response.json"

echo "== response"
jq '{uid: .response.uid, allowed: .response.allowed, patchType: .response.patchType,
     status: .response.status, auditAnnotations: .response.auditAnnotations}
    | with_entries(select(.value != null))' "$work/response.json"
echo "== decoded patch"
if jq -e '.response.patch' "$work/response.json" >/dev/null; then
  jq -r '.response.patch' "$work/response.json" | base64 -d | jq .
else
  echo "(no patch: nothing to change)"
fi
echo "== warnings (what kubectl shows as 'Warning: ...')"
jq -r '.response.warnings // [] | .[] | "Warning: " + .' "$work/response.json"

echo "== server log (JSON lines)"
cat "$work/server.log"

echo "== SIGTERM: graceful shutdown"
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
tail -n 2 "$work/server.log"
echo "== server exited with $rc"
exit "$rc"
