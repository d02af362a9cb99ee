#!/usr/bin/env bash
# run.sh - the engine alone: admissions/s on one core and instructions per admission
# (callgrind) for the small, typical (5.6 KB) and 50-container reviews.
#
#   bench/engine/run.sh BUILD_DIR     (needs BUILD_DIR/gmw-bench-engine and valgrind)
#   BENCH_SMOKE=1 ...                 0.2 s loops and 3 callgrind iterations (ctest)
# Instructions per admission = callgrind's Ir inside run_loop() / iterations; it does not
# move with machine load, so it is the number to compare between commits.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-bench}
eng=$build/gmw-bench-engine
[ -x "$eng" ] || { echo "run.sh: $eng not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "run.sh: valgrind not found" >&2; exit 1; }
secs=2 iters=50
[ "${BENCH_SMOKE:-0}" = 1 ] && secs=0.2 iters=3
work=$(mktemp -d /tmp/gmw-engine.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "| review | bytes | admissions/s (1 core) | us/admission | instructions/admission |"
echo "|---|---|---|---|---|"
for r in pod-minimal pod-5k6 pod-50; do
  f=bench/reviews/$r.json
  line=$("$eng" "$f" "$secs")
  rate=$(echo "$line" | sed -n 's/^admissions\/s \([0-9]*\) .*/\1/p')
  us=$(echo "$line" | sed -n 's/.*, \([0-9.]*\) us each.*/\1/p')
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect='run_loop*' \
    --callgrind-out-file="$work/cg.$r" "$eng" "$f" --iterations "$iters" >/dev/null 2>"$work/vg.$r" || {
    cat "$work/vg.$r" >&2; exit 1; }
  ir=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$work/cg.$r")
  [ -n "$rate" ] && [ -n "$ir" ] && [ "$ir" -gt 0 ] || { echo "run.sh: no numbers for $r" >&2; exit 1; }
  echo "| $r | $(wc -c <"$f") | $rate | $us | $((ir / iters)) |"
done
