#!/usr/bin/env bash
# test.sh: install what is missing, build, and run every test twice: once in a normal
# build and once under AddressSanitizer + UndefinedBehaviorSanitizer; in between, a short
# run of every fuzz target (fuzz/run.sh).
#   scripts/test.sh            everything
#   GMW_SKIP_ASAN=1 ...        skip the sanitizer pass (local iteration only)
#   GMW_SKIP_FUZZ=1 ...        skip the fuzz smoke run (7 targets x 30 s; local iteration only)
#   GMW_FUZZ_SECONDS=N ...     seconds per fuzz target (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh

echo "== build (release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900

if [ "${GMW_SKIP_FUZZ:-0}" != 1 ]; then
  # Smoke run: every libFuzzer target for 30 s (clang build in build-fuzz/), then the review
  # corpus re-checked with python3-jsonpatch; fuzz/README.md has the long run.
  echo "== fuzz (smoke, ${GMW_FUZZ_SECONDS:-30} s per target)"
  GMW_BIN=build/gomemlimit-webhook fuzz/run.sh "${GMW_FUZZ_SECONDS:-30}"
fi

if [ "${GMW_SKIP_ASAN:-0}" != 1 ]; then
  echo "== build (ASan+UBSan)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGMW_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$jobs"
  echo "== tests (ASan+UBSan)"
  # The sanitized pass runs unit and integration tests of our C code; the image build
  # and chart tests do not depend on how the C code is compiled and ran above.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE nosan
fi
echo "== all tests passed"
