#!/usr/bin/env bash
# admission.sh - throughput and latency of `serve` over TLS with keep-alive, measured as a
# ratio to the raw TLS ceiling of the same stack, both in one run on this machine.
#
#   bench/admission.sh [BUILD_DIR]     (default build; needs wrk: apt-get install wrk)
#
# The ceiling is GET /healthz: the same libmicrohttpd + GnuTLS server, TLS session and
# keep-alive handling, with a static response and no engine. POST /mutate sends a real
# AdmissionReview (a Pod with two containers with memory limits) through the engine, so
# mutate/healthz is the share of the TLS ceiling the admission path keeps.
# Environment: GMW_BENCH_SECONDS (default 10), GMW_BENCH_CONNECTIONS (default 32),
# GMW_BENCH_THREADS (wrk threads, default 1), GMW_BENCH_SERVER_THREADS (default 2).
# The server logs at info (one JSON line per admission, as in production) to a file.
# Loopback only; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/gomemlimit-webhook
secs=${GMW_BENCH_SECONDS:-10}
conns=${GMW_BENCH_CONNECTIONS:-32}
wthreads=${GMW_BENCH_THREADS:-1}
sthreads=${GMW_BENCH_SERVER_THREADS:-2}
body=${GMW_BENCH_BODY:-tests/integration/server/reviews/pod-create-memory-limits.json}
command -v wrk >/dev/null || { echo "admission.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "admission.sh: $bin not built" >&2; exit 1; }

work=$(mktemp -d /tmp/gmw-bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" certs --service gomemlimit-webhook --namespace gomemlimit-system --out "$work/tls" >/dev/null 2>&1
"$bin" serve --listen 127.0.0.1:0 --threads "$sthreads" --log-level info \
  --tls-cert-file "$work/tls/tls.crt" --tls-key-file "$work/tls/tls.key" 2>"$work/log" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$work/log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "admission.sh: server did not start" >&2; cat "$work/log" >&2; exit 1; }

run() {  # run ID LABEL URL [wrk args...] -> prints "LABEL rps p50 p99", writes ID.rps
  local name=$1 label=$2 url=$3; shift 3
  wrk -t"$wthreads" -c"$conns" -d"${secs}s" --latency "$@" "$url" >"$work/$name.txt"
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  if grep -q "Non-2xx\|Socket errors" "$work/$name.txt"; then
    echo "admission.sh: errors during $name:" >&2; cat "$work/$name.txt" >&2; exit 1
  fi
  printf '%-24s %10s req/s   p50 %-9s p99 %s\n' "$label" "$rps" "$p50" "$p99"
  echo "$rps" >"$work/$name.rps"
}

echo "server: $sthreads thread(s); wrk: $wthreads thread(s), $conns connections, ${secs}s each; $(nproc) CPUs"
run ceiling "GET /healthz (TLS ceiling)" "https://127.0.0.1:$port/healthz"
GMW_BENCH_BODY=$body run mutate "POST /mutate (admission)" "https://127.0.0.1:$port/mutate" -s bench/post.lua
awk -v a="$(cat "$work/mutate.rps")" -v b="$(cat "$work/ceiling.rps")" \
  'BEGIN { printf "ratio mutate/ceiling:  %.2f\n", a / b }'
