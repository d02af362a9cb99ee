#!/usr/bin/env bash
# profile.sh - where `serve` spends its time under load: perf record -g on the server while
# wrk (-t2 -c16, TLS, keep-alive) posts a review; prints the top shared objects and symbols.
#
#   bench/profile.sh BUILD_DIR [REVIEW] [SECONDS]     (needs perf, wrk; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
review=${2:-bench/reviews/pod-5k6.json}
secs=${3:-5}
bin=$build/gomemlimit-webhook
work=$(mktemp -d /tmp/gmw-prof.XXXXXX)
spid=""
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin" certs --service gomemlimit-webhook --namespace gomemlimit-system --out "$work/tls" >/dev/null 2>&1
"$bin" serve --listen 127.0.0.1:0 --threads 2 --log-level info \
  --tls-cert-file "$work/tls/tls.crt" --tls-key-file "$work/tls/tls.key" 2>"$work/log" &
spid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$work/log" 2>/dev/null | head -1 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "profile.sh: server did not start" >&2; exit 1; }
GMW_BENCH_BODY=$review wrk -t2 -c16 -d"$((secs + 2))s" -s bench/post.lua "https://127.0.0.1:$port" \
  >"$work/wrk" 2>&1 &
sleep 1
perf record -q -g -o "$work/perf.data" -p "$spid" -- sleep "$secs" >/dev/null 2>&1
wait %2 2>/dev/null || true
grep -E "Requests/sec" "$work/wrk"
echo "--- by shared object (self)"
perf report -i "$work/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
echo "--- top symbols (self)"
perf report -i "$work/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
