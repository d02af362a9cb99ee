#!/usr/bin/env bash
# check.sh BUILD_DIR - GMW_MUST_CHECK (core/compiler.h) is enforced by the real build: the
# canary that uses the result of a marked function builds, the one that drops it fails,
# and fails because of the dropped result, not for another reason.
set -uo pipefail
build=$1
fails=0
out=$(cmake --build "$build" --target must_check_good 2>&1) ||
    { echo "FAIL: must_check_good should build:"; echo "$out"; fails=$((fails + 1)); }
if out=$(cmake --build "$build" --target must_check_bad 2>&1); then
    echo "FAIL: must_check_bad built: a dropped GMW_MUST_CHECK result went unnoticed"
    fails=$((fails + 1))
elif ! grep -q "unused-result" <<<"$out"; then
    echo "FAIL: must_check_bad failed for another reason:"; echo "$out"
    fails=$((fails + 1))
fi
echo "must_check: $((2 - fails)) passed, $fails failed"
[ $fails -eq 0 ]
