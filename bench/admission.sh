#!/usr/bin/env bash
# admission.sh - gomemlimit-webhook `serve` against a lean Go webhook and the bare
# libmicrohttpd TLS ceiling, on the same AdmissionReview and certificate, in one run.
#
#   bench/admission.sh [BUILD_DIR]          full run (default BUILD_DIR build-bench, Release)
#   BENCH_SMOKE=1 bench/admission.sh BUILD  smoke: 1 round x 1 s + a 2 s fixed-rate run, using
#                                           the binaries already in BUILD (ctest bench_admission)
#
# Servers (all on 127.0.0.1, ephemeral ports, killed at exit):
#   ours     gomemlimit-webhook serve --threads 2 --log-level info (stderr -> a file: one JSON
#            line per admission, as in production)
#   go       bench/peers/go (Go net/http + encoding/json, same mutation; logs one line too)
#   ceiling  bench/peers/ceiling (libmicrohttpd + GnuTLS, same TLS settings, reads the body,
#            answers a fixed JSON)
# Throughput: GMW_BENCH_ROUNDS (3) interleaved rounds of `wrk -t2 -c16 -d GMW_BENCH_SECONDS (5)`
# (keep-alive, TLS) per server; medians of req/s, p50/p99/p99.9; peak RSS (VmHWM) per server;
# the server's own CPU time per request (user + system from /proc/PID/stat over the rounds:
# req/s alone on shared CPUs cannot tell the server's cost from the client's).
# Latency: h2load --h1 -c16 --rps (GMW_BENCH_RATE/16 per client, total 3200/s) for
# GMW_BENCH_RATE_SECONDS (15), per-request --log-file -> p50/p99 per server.
# GMW_BENCH_BASELINE=PATH adds a fourth server, "base": another gomemlimit-webhook binary
# (e.g. a build of an older commit) run exactly like ours, for before/after in one run.
# Review: GMW_BENCH_REVIEW (bench/reviews/pod-5k6.json). Every answer must be 2xx and one
# answer of each server is validated (bench/report.py check); timings are never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=${BENCH_SMOKE:-0}
build=${1:-build-bench}
rounds=${GMW_BENCH_ROUNDS:-3}
secs=${GMW_BENCH_SECONDS:-5}
rate=${GMW_BENCH_RATE:-3200}
rate_secs=${GMW_BENCH_RATE_SECONDS:-15}
review=${GMW_BENCH_REVIEW:-bench/reviews/pod-5k6.json}
sthreads=${GMW_BENCH_SERVER_THREADS:-2}
if [ "$smoke" = 1 ]; then
  rounds=1 secs=1 rate=320 rate_secs=2
fi
for t in wrk h2load go python3 curl; do
  command -v $t >/dev/null || { echo "admission.sh: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
done

if [ "$smoke" != 1 ] && [ "${GMW_BENCH_PREBUILT:-0}" != 1 ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGMW_BUILD_TESTS=OFF -DGMW_BUILD_SHIM=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target gomemlimit-webhook gmw-bench-ceiling >/dev/null
fi
bin=$build/gomemlimit-webhook
ceiling=$build/gmw-bench-ceiling
for b in "$bin" "$ceiling"; do
  [ -x "$b" ] || { echo "admission.sh: $b not built" >&2; exit 1; }
done
mkdir -p "$build/bench"
peer=$(cd "$build" && pwd)/bench/go-peer
(cd bench/peers/go && GOFLAGS=-mod=mod GOPROXY=off go build -o "$peer" .)

work=$(mktemp -d /tmp/gmw-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" certs --service gomemlimit-webhook --namespace gomemlimit-system --out "$work/tls" >/dev/null
crt=$work/tls/tls.crt key=$work/tls/tls.key

wait_port() {  # FILE SED-EXPR -> port on stdout
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n "$2" "$1" 2>/dev/null | head -1 || true)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  echo "admission.sh: a server did not start:" >&2; cat "$1" >&2; return 1
}

"$bin" serve --listen 127.0.0.1:0 --threads "$sthreads" --log-level info \
  --tls-cert-file "$crt" --tls-key-file "$key" 2>"$work/ours.log" &
pids+=($!); declare -A pid port; pid[ours]=$!
port[ours]=$(wait_port "$work/ours.log" 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p')
"$peer" -cert "$crt" -key "$key" >"$work/go.log" 2>"$work/go.err" &
pids+=($!); pid[go]=$!
port[go]=$(wait_port "$work/go.err" 's/^port \([0-9]*\)$/\1/p')
"$ceiling" "$crt" "$key" "$sthreads" >"$work/ceiling.out" 2>"$work/ceiling.err" &
pids+=($!); pid[ceiling]=$!
port[ceiling]=$(wait_port "$work/ceiling.out" 's/^port \([0-9]*\)$/\1/p')
servers=(ours go ceiling)
if [ -n "${GMW_BENCH_BASELINE:-}" ]; then
  "$GMW_BENCH_BASELINE" serve --listen 127.0.0.1:0 --threads "$sthreads" --log-level info \
    --tls-cert-file "$crt" --tls-key-file "$key" 2>"$work/base.log" &
  pids+=($!); pid[base]=$!
  port[base]=$(wait_port "$work/base.log" 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p')
  servers+=(base)
fi

# One answer from each server, validated (ours and go: the same decoded patch).
for s in "${servers[@]}"; do
  curl -sS --fail -k -H 'Content-Type: application/json' --data-binary "@$review" \
    -o "$work/$s.answer" "https://127.0.0.1:${port[$s]}/mutate?timeout=10s"
done
python3 bench/report.py check "$review" "$work/ours.answer" "$work/go.answer" "$work/ceiling.answer"
if [ -n "${GMW_BENCH_BASELINE:-}" ]; then
  cmp -s "$work/ours.answer" "$work/base.answer" || { echo "admission.sh: ours and base answer differently" >&2; exit 1; }
fi

echo "review $review ($(wc -c <"$review") bytes); $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "throughput: $rounds interleaved round(s) x ${secs}s of wrk -t2 -c16 (TLS, keep-alive) per server"
# CPU seconds (user + system) a server process has used so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq "$rounds"); do
  for s in "${servers[@]}"; do
    t0=$(cpu_ticks "${pid[$s]}")
    GMW_BENCH_BODY=$review wrk -t2 -c16 -d"${secs}s" --latency -s bench/post.lua \
      "https://127.0.0.1:${port[$s]}" >"$work/wrk.$s.$r" 2>&1 || {
      echo "admission.sh: wrk failed against $s" >&2; cat "$work/wrk.$s.$r" >&2; exit 1; }
    echo "BENCH cputicks $(( $(cpu_ticks "${pid[$s]}") - t0 ))" >>"$work/wrk.$s.$r"
  done
done
for s in "${servers[@]}"; do
  grep -o '^VmHWM:.*' "/proc/${pid[$s]}/status" | awk '{print $2}' >"$work/rss.$s"
done

echo "fixed rate: h2load --h1 -c16 --rps $((rate / 16)) per connection (${rate}/s) for ${rate_secs}s"
for s in "${servers[@]}"; do
  h2load --h1 -c16 --rps=$((rate / 16)) -D "$rate_secs" -d "$review" \
    -H 'Content-Type: application/json' --log-file="$work/h2.$s" \
    "https://127.0.0.1:${port[$s]}/mutate?timeout=10s" >"$work/h2out.$s" 2>&1 || {
    echo "admission.sh: h2load failed against $s" >&2; cat "$work/h2out.$s" >&2; exit 1; }
done
for s in "${servers[@]}"; do
  grep -o '^VmHWM:.*' "/proc/${pid[$s]}/status" | awk '{print $2}' >"$work/rss.$s"
done
python3 bench/report.py table "$work" "$rounds" "$(getconf CLK_TCK)" "${servers[@]}"
