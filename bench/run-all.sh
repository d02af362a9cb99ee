#!/usr/bin/env bash
# run-all.sh - the full benchmark run documented in bench/README.md and docs/benchmarks.md:
# a Release build in BUILD (default build-bench), then admission.sh (5.6 KB review, then the
# minimal and the 50-container ones), engine/run.sh and oom.sh. Bounded: about 12 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGMW_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
for r in pod-5k6 pod-minimal pod-50; do
  echo "== admission.sh, bench/reviews/$r.json"
  GMW_BENCH_PREBUILT=1 GMW_BENCH_REVIEW=bench/reviews/$r.json bench/admission.sh "$build" 2>&1 | grep -v 'certs: wrote'
done
echo "== engine/run.sh"
bench/engine/run.sh "$build"
echo "== oom.sh"
bench/oom.sh "$build" || [ $? = 77 ]
