#!/usr/bin/env bash
# check.sh BUILD_DIR TARGET:HEADER... - the layering rule holds in the real build.
#
# For each layering_good_* target: it must build (the canary file itself is fine).
# For each layering_bad_* target (a lower layer's library including a higher layer's header):
# the build must fail, and fail because that header is not found, not for another reason.
# Then, independently of CMake, every #include "..." in webhook/<layer>/ must name a header
# of that layer (its folder or its internal/ folder) or of a layer below it (the table
# below is the rule in docs/architecture.md); internal/ headers of other layers never.
set -uo pipefail
build=$1; shift
fails=0; checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

for spec in "$@"; do
    target=${spec%%:*}; header=${spec#*:}
    checks=$((checks + 1))
    out=$(cmake --build "$build" --target "$target" 2>&1)
    rc=$?
    case $target in
    layering_good_*)
        [ $rc -eq 0 ] || fail "$target should build:"$'\n'"$out" ;;
    layering_bad_*)
        if [ $rc -eq 0 ]; then
            fail "$target built: a lower layer can include $header"
        elif ! grep -q "$header: No such file or directory" <<<"$out"; then
            fail "$target failed for another reason than the missing $header:"$'\n'"$out"
        fi ;;
    esac
done

# layer -> the folders whose headers it may include
declare -A allowed=(
    [core]="core"
    [engine]="engine core"
    [manifest]="manifest core"
    [server]="server engine core"
    [cli]="cli server manifest engine core"
    [shim]="shim core"
)
for layer in "${!allowed[@]}"; do
    for src in webhook/"$layer"/*.[ch]; do
        while IFS= read -r inc; do
            checks=$((checks + 1))
            ok=0
            for dir in ${allowed[$layer]}; do
                [ -f "webhook/$dir/$inc" ] && ok=1
            done
            # a layer's internal/ headers: for that layer's own files only
            [ -f "webhook/$layer/internal/$inc" ] && ok=1
            [ $ok -eq 1 ] || fail "$src includes \"$inc\", which is not in: ${allowed[$layer]}"
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src")
    done
done
echo "layering: $((checks - fails)) passed, $fails failed"
[ $fails -eq 0 ]
