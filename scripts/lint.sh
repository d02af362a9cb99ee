#!/usr/bin/env bash
# lint.sh: static analysis of the C sources; exit 1 on any finding.
#   scripts/lint.sh BUILD_DIR [cppcheck|clang-tidy|clang-format|all]     (default: all)
# BUILD_DIR holds compile_commands.json (CMAKE_EXPORT_COMPILE_COMMANDS is ON in every
# build dir; configure with GMW_BUILD_TESTS=ON so the test sources are in it).
#
# Checked: webhook/*/*.c (every layer and the shim), tests/unit/*/*.c, tests/shim/*.c, fuzz/*.c.
#   clang-tidy: the checks of the root .clang-tidy (all of them errors), files in parallel
#               (GMW_LINT_JOBS, default nproc).
#   cppcheck:   warning, performance and portability checks (errors always), C11.
# False positives are silenced where they occur, with a reason: NOLINTNEXTLINE(check) or
# cppcheck-suppress id. Before the real run each tool must report a deliberate finding in
# a canary file, so a broken configuration or tool cannot pass silently.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: scripts/lint.sh BUILD_DIR [cppcheck|clang-tidy|clang-format|all]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
what=${2:-all}
jobs=${GMW_LINT_JOBS:-$(nproc)}
case $what in cppcheck | clang-tidy | clang-format | all) ;; *)
    echo "lint: unknown tool '$what' (cppcheck, clang-tidy, clang-format or all)" >&2
    exit 2
    ;;
esac

shopt -s nullglob
files=(webhook/*/*.c tests/unit/*/*.c tests/shim/*.c fuzz/*.c)
tmp=$(mktemp -d /tmp/gmw-lint-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

need() {
    if ! command -v "$1" >/dev/null; then
        echo "lint: $1 is not installed (Debian package $1; scripts/install-deps.sh installs it)" >&2
        exit 1
    fi
}

# A file each tool must flag: an unchecked fopen() result dereferenced, an out-of-bounds
# write, an ignored fclose() of a written stream.
canary() {
    cat >"$tmp/canary.c" <<'EOF'
#include <stdio.h>
int canary(void);
int canary(void)
{
    char b[4];
    FILE *f = fopen("/nonexistent", "w");
    fputs("x", f);
    fclose(f);
    b[4] = 0;
    return b[0];
}
EOF
}

run_cppcheck() {
    need cppcheck
    local incs=() d
    for d in webhook/*/ webhook/*/internal/ tests/unit/ fuzz/; do incs+=(-I "${d%/}"); done
    local opts=(--quiet --inline-suppr --enable=warning,performance,portability --std=c11
        --error-exitcode=1 "${incs[@]}" --suppress=missingIncludeSystem)
    canary
    if cppcheck "${opts[@]}" "$tmp/canary.c" >"$tmp/canary.log" 2>&1; then
        cat "$tmp/canary.log" >&2
        echo "lint: cppcheck found nothing in the canary file: the check is broken" >&2
        return 1
    fi
    echo "lint: $(cppcheck --version), ${#files[@]} files"
    if ! cppcheck "${opts[@]}" "${files[@]}"; then
        echo "lint: cppcheck FAILED (fix the finding, or add // cppcheck-suppress id with a reason)" >&2
        return 1
    fi
    echo "lint: cppcheck clean"
}

run_clang_tidy() {
    need clang-tidy
    local db=$build/compile_commands.json
    if [ ! -f "$db" ]; then
        echo "lint: $db missing (configure $build with cmake first)" >&2
        return 1
    fi
    local missing=()
    for f in "${files[@]}"; do
        grep -qF "\"file\": \"$src/$f\"" "$db" || missing+=("$f")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "lint: not in $db (not built, or GMW_BUILD_TESTS=OFF): ${missing[*]}" >&2
        return 1
    fi
    canary
    if clang-tidy --quiet --config-file="$src/.clang-tidy" "$tmp/canary.c" -- -std=c17 \
        >"$tmp/canary.log" 2>&1; then
        cat "$tmp/canary.log" >&2
        echo "lint: clang-tidy found nothing in the canary file: the check is broken" >&2
        return 1
    fi
    echo "lint: $(clang-tidy --version | grep -m1 -o 'LLVM version [0-9.]*'), ${#files[@]} files, $jobs jobs"
    mkdir -p "$tmp/tidy"
    # One log per file; a file's log is kept only when clang-tidy fails on it.
    printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} sh -c '
        log="$1/tidy/$(echo "$2" | tr / _).log"
        if clang-tidy --quiet --config-file="$3/.clang-tidy" -p "$4" "$2" >"$log" 2>&1; then
            rm -f "$log"
        fi' sh "$tmp" {} "$src" "$build" || true
    local failed=("$tmp"/tidy/*.log)
    if [ ${#failed[@]} -gt 0 ]; then
        # The "N warnings generated." lines count system-header warnings that are filtered.
        grep -hv '^[0-9]* warnings\? generated\.$' "${failed[@]}" >&2 || true
        echo "lint: clang-tidy FAILED in ${#failed[@]} file(s) (fix the finding, or add" \
            "// NOLINTNEXTLINE(check) with a reason)" >&2
        return 1
    fi
    echo "lint: clang-tidy clean"
}

# The root .clang-format (100 columns, Linux braces): every C source and header must already
# be formatted. The canary is a file that is not, so a missing config or a tool that accepts
# anything cannot pass.
run_clang_format() {
    need clang-format
    local all=("${files[@]}" webhook/*/*.h webhook/*/internal/*.h tests/unit/*.h tests/unit/*/*.h tests/layering/*.c fuzz/*.h
        bench/*/*.c bench/*/*/*.c)
    printf 'int  canary( int a ){return a;}\n' >"$tmp/canary.c"
    if (cd "$tmp" && cp "$src/.clang-format" . && clang-format --dry-run -Werror canary.c) \
        >"$tmp/canary.log" 2>&1; then
        echo "lint: clang-format accepted a badly formatted canary file: the check is broken" >&2
        return 1
    fi
    echo "lint: $(clang-format --version | grep -o 'version [0-9.]*'), ${#all[@]} files"
    if ! clang-format --dry-run -Werror "${all[@]}"; then
        echo "lint: clang-format FAILED (run: clang-format -i FILE; style in .clang-format)" >&2
        return 1
    fi
    echo "lint: clang-format clean"
}

rc=0
if [ "$what" = clang-format ] || [ "$what" = all ]; then run_clang_format || rc=1; fi
if [ "$what" = cppcheck ] || [ "$what" = all ]; then run_cppcheck || rc=1; fi
if [ "$what" = clang-tidy ] || [ "$what" = all ]; then run_clang_tidy || rc=1; fi
exit $rc
