#!/usr/bin/env bash
# run.sh: build the libFuzzer targets (clang, build-fuzz/) and run each for SECONDS.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      default: 30 seconds, every target
#
# Each target starts from its working corpus (kept in $GMW_FUZZ_WORK/corpus/TARGET, so longer
# runs build on earlier ones), seeds made from the project's test data (fuzz/make_corpus.py),
# the committed fuzz/seeds/TARGET and every earlier crash (fuzz/regressions/TARGET), with its
# dictionary. One summary line per target: executions, exec/s, edges covered out of the
# instrumented total, features, corpus size. A crash, leak, timeout (60 s for one input:
# the timer is wall-clock, and a starved machine once stretched a 10 ms input past 10 s) or
# failed invariant fails the run; the input is saved as $GMW_FUZZ_WORK/artifacts/TARGET-crash-* (copy it into
# fuzz/regressions/TARGET and fix the code: the ctest test fuzz_replay_TARGET replays it).
# After fuzz_review, fuzz/check_patches.py re-checks every review in its corpus with an
# independent JSON Patch applier (python3-jsonpatch) when a normal build exists ($GMW_BIN,
# default build/gomemlimit-webhook).
#
# Environment:
#   GMW_FUZZ_BUILD=build-fuzz        the clang build directory
#   GMW_FUZZ_WORK=$GMW_FUZZ_BUILD/work   corpora, artifacts and logs
#   GMW_FUZZ_RUNS=N                  also stop each target after N executions (-runs)
#   GMW_FUZZ_FLAGS="..."             extra libFuzzer flags
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
shift || true
all=(review quantity annotations config manifest cgroup mountinfo jsonload)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
case $secs in '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number (got '$secs')" >&2; exit 2 ;; esac
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "run.sh: unknown target '$t' (${all[*]})" >&2; exit 2; }
done

build=${GMW_FUZZ_BUILD:-build-fuzz}
work=${GMW_FUZZ_WORK:-$build/work}
command -v clang >/dev/null || { echo "run.sh: clang is not installed (scripts/install-deps.sh)" >&2; exit 1; }

echo "== fuzz: build ($build)"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMW_FUZZ=ON \
  -DGMW_BUILD_TESTS=OFF -DGMW_BUILD_SHIM=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_all >/dev/null

# Longest input per target: what the parser meets in practice, with room to spare (longer
# inputs only slow the search down).
max_len_of() {
  case $1 in
    review | manifest | jsonload) echo 65536 ;;
    config | annotations) echo 16384 ;;
    cgroup | mountinfo) echo 8192 ;;
    quantity) echo 1024 ;;
  esac
}

dicts_of() {
  case $1 in
    review | jsonload) echo json ;;
    quantity) echo quantity ;;
    annotations) echo "annotations quantity" ;;
    config | manifest) echo "yaml json" ;;
    cgroup | mountinfo) echo cgroup ;;
  esac
}

mkdir -p "$work/artifacts" "$work/logs"
failed=()
printf '%-12s %12s %9s %16s %8s %10s\n' target executions exec/s "edges (of total)" features corpus
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t seeds=$work/seeds/$t dict=$work/$t.dict log=$work/logs/$t.log
  mkdir -p "$corpus"
  /usr/bin/python3 fuzz/make_corpus.py "$t" "$seeds" >/dev/null
  : > "$dict"
  for d in $(dicts_of "$t"); do cat "fuzz/dict/$d.dict" >> "$dict"; done
  flags=(-max_total_time="$secs" -timeout=60 -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" -print_final_stats=1
         -dict="$dict" -artifact_prefix="$work/artifacts/$t-")
  [ -n "${GMW_FUZZ_RUNS:-}" ] && flags+=(-runs="$GMW_FUZZ_RUNS")
  # shellcheck disable=SC2206 # word splitting of the extra flags is intended
  [ -n "${GMW_FUZZ_FLAGS:-}" ] && flags+=($GMW_FUZZ_FLAGS)
  rc=0
  "$build/fuzz/fuzz_$t" "${flags[@]}" "$corpus" "$seeds" "fuzz/seeds/$t" "fuzz/regressions/$t" \
    > "$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  total=$(sed -n 's/^INFO: Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  printf '%-12s %12s %9s %16s %8s %10s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?} (of ${total:-?})" \
    "${ft:-?}" "${corp:-?}"
  if [ "$rc" != 0 ]; then
    failed+=("$t")
    echo "   FAIL fuzz_$t (exit $rc), log $log:"
    { grep -E -A12 'fuzz invariant failed|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error' \
        "$log" || tail -20 "$log"; } | head -40 | sed 's/^/     /'
    for a in "$work/artifacts/$t-"*; do [ -e "$a" ] && echo "     artifact: $a"; done
  fi
done

bin=${GMW_BIN:-build/gomemlimit-webhook}
if [[ " ${targets[*]} " == *" review "* ]]; then
  if [ -x "$bin" ]; then
    echo "== fuzz: the review corpus through $bin with python3-jsonpatch"
    /usr/bin/python3 fuzz/check_patches.py "$bin" "$work/corpus/review" fuzz/seeds/review \
      fuzz/regressions/review ||
      failed+=(check_patches)
  else
    echo "== fuzz: no $bin: skipping fuzz/check_patches.py (build the project first)"
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets x ${secs}s, no crash"
