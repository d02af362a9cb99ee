#!/usr/bin/env bash
# test-dockerfile.sh: what can be checked about the Dockerfile without building the image
# (tests/deploy/test-image.sh builds and runs it for real):
#   - every file COPY'd from the build stage is produced by the CMake build (GMW_BUILD_DIR);
#   - the build stage runs the CMake build and the unit tests;
#   - `ldd` of the built webhook lists only libraries that the final stage's packages (or
#     their dependencies, or libc6 from the base image) provide, found with `dpkg -S`; every
#     library the binary itself links (NEEDED) comes from a package the final stage installs;
#   - the shim is static; the final stage runs as numeric non-root, installs with
#     --no-install-recommends and cleans the apt lists; ENTRYPOINT/CMD match the chart;
#   - .dockerignore keeps build directories and .tools out of the context.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GMW_SRC_DIR"
: "${GMW_BUILD_DIR:?run from ctest (GMW_BUILD_DIR), or set it to a CMake build directory}"
BIN=${GMW_BIN:-$GMW_BUILD_DIR/gomemlimit-webhook}
DF=Dockerfile
[ -f "$DF" ] || { echo "no Dockerfile"; exit 1; }

# Split the Dockerfile into stages (continuation lines joined).
joined=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DF" | grep -v '^[[:space:]]*#')
final=$(awk '/^FROM /{n++} {print n"\t"$0}' <<<"$joined" | awk -F'\t' -v last="$(grep -c '^FROM ' <<<"$joined")" '$1==last{print $2}')
build=$(awk '/^FROM /{n++} {print n"\t"$0}' <<<"$joined" | awk -F'\t' '$1==1{print $2}')

section "stages"
expect "two stages" test "$(grep -c '^FROM ' <<<"$joined")" = 2
expect "build stage FROM debian:12 AS build" grep -q '^FROM debian:12 AS build$' <<<"$build"
expect "final stage FROM debian:12" grep -q '^FROM debian:12$' <<<"$final"
expect "build stage installs musl-tools and the -dev packages" sh -c "grep -q 'musl-tools' <<'X'
$build
X
for p in libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libyaml-dev libcmocka-dev cmake; do grep -q \"\$p\" <<X || exit 1
$build
X
done"
expect "build stage runs the CMake build" grep -q 'cmake -S . -B build .*&& cmake --build build' <<<"$build"
expect "build stage runs the unit tests (ctest -L unit)" grep -q 'ctest --test-dir build -L unit' <<<"$build"

section "COPY --from=build: every file is produced by the CMake build"
copies=$(grep '^COPY --from=build ' <<<"$final")
expect "the final stage copies the webhook and the shim" test "$(wc -l <<<"$copies")" = 2
while read -r _ _ src dst; do
    rel=${src#/src/build/}
    if [ "$rel" = "$src" ]; then fail "COPY $src: not from the build directory /src/build"; continue; fi
    if [ -f "$GMW_BUILD_DIR/$rel" ] && [ -x "$GMW_BUILD_DIR/$rel" ]; then
        pass "COPY $src -> $dst: $GMW_BUILD_DIR/$rel is built"
    else
        fail "COPY $src -> $dst: $GMW_BUILD_DIR/$rel is not produced by the build"
    fi
done <<<"$copies"
expect "webhook installed at /usr/local/bin/gomemlimit-webhook" grep -q ' /usr/local/bin/gomemlimit-webhook$' <<<"$copies"
expect "shim installed at /gomemlimit-shim" grep -q '/gomemlimit-shim /gomemlimit-shim$' <<<"$copies"
expect "the build directory is /src/build (WORKDIR /src, -B build)" grep -q '^WORKDIR /src$' <<<"$build"
expect "the built webhook is the binary under test" test "$(readlink -f "$BIN")" = "$(readlink -f "$GMW_BUILD_DIR/gomemlimit-webhook")"

section "runtime libraries: ldd vs the final stage's packages"
pkgs=$(grep -o 'apt-get install .*' <<<"$final" | sed 's/&&.*//' | tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$')
echo "  final stage installs: $(tr '\n' ' ' <<<"$pkgs")"
expect "final stage installs exactly the five runtime libraries" test \
    "$(sort <<<"$pkgs" | tr '\n' ' ')" = "libgnutls30 libjansson4 libmicrohttpd12 libssl3 libyaml-0-2 "
expect "final stage uses --no-install-recommends" grep -q 'apt-get install -y --no-install-recommends' <<<"$final"
expect "final stage removes the apt lists" grep -q 'rm -rf /var/lib/apt/lists/\*' <<<"$final"
# The dependency closure of those packages (this machine is Debian 12 like the image).
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $pkgs 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
expect "apt-cache knows the final stage's packages" test "$(wc -l <<<"$closure")" -gt 5
pkg_of() { # the Debian package that ships library path $1
    local p=$1 out
    for cand in "$p" "$(readlink -f "$p")" "${p/#\/usr\/lib\//\/lib\/}" "${p/#\/lib\//\/usr\/lib\/}"; do
        out=$(dpkg -S "$cand" 2>/dev/null | head -1) && [ -n "$out" ] && { echo "${out%%:*}" | sed 's/:.*//'; return 0; }
    done
    return 1
}
if ! ldd_out=$(ldd "$BIN" 2>&1); then fail "ldd $BIN: $ldd_out"; fi
needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
n_libs=0
while read -r line; do
    case "$line" in *linux-vdso*|'') continue ;; esac
    name=$(awk '{print $1}' <<<"$line")
    path=$(awk '$2=="=>"{print $3} $2!="=>"{print $1}' <<<"$line")
    if [ "$path" = "not" ] || grep -q 'not found' <<<"$line"; then fail "$name: not found by ldd"; continue; fi
    pkg=$(pkg_of "$path") || { fail "$name ($path): no Debian package ships it"; continue; }
    n_libs=$((n_libs + 1))
    base=$(basename "$name")
    if grep -qx "$base" <<<"$needed"; then
        # Linked directly: the final stage must install it explicitly (or it is libc6).
        if grep -qx "$pkg" <<<"$pkgs"; then pass "NEEDED $base <- $pkg (installed by the final stage)"
        elif [ "$pkg" = libc6 ]; then pass "NEEDED $base <- libc6 (in the debian:12 base image)"
        else fail "NEEDED $base <- $pkg: the final stage does not install $pkg"; fi
    else
        if grep -qx "$pkg" <<<"$closure"; then pass "indirect $base <- $pkg (dependency of the final stage's packages)"
        else fail "indirect $base <- $pkg: not in the dependency closure of the final stage"; fi
    fi
done <<<"$ldd_out"
expect "ldd found the binary's libraries ($n_libs)" test "$n_libs" -ge 6
# A binary linking something else is caught: check the checker with a library outside the set.
probe=$(command -v curl)
if [ -n "$probe" ] && ldd "$probe" | grep -q libcurl; then
    curl_pkg=$(pkg_of "$(ldd "$probe" | awk '/libcurl/{print $3; exit}')")
    expect "the check would reject libcurl ($curl_pkg is not installed by the final stage)" sh -c "! grep -qx '$curl_pkg' <<'X'
$pkgs
X"
fi

section "the shim"
SHIM=$GMW_BUILD_DIR/gomemlimit-shim
if [ -x "$SHIM" ]; then
    expect "gomemlimit-shim has no program interpreter (static)" sh -c "! readelf -l '$SHIM' | grep -q 'Requesting program interpreter'"
    expect "gomemlimit-shim has no dynamic section" sh -c "readelf -d '$SHIM' 2>&1 | grep -q 'no dynamic section'"
    expect "ldd says the shim is not dynamic" sh -c "ldd '$SHIM' 2>&1 | grep -q -e 'not a dynamic executable' -e 'statically linked'"
else
    fail "$SHIM not built (GMW_BUILD_SHIM=OFF?): the image needs it"
fi

section "user, entrypoint, command"
expect "USER 65532:65532 (numeric, non-root)" grep -q '^USER 65532:65532$' <<<"$final"
expect "ENTRYPOINT is the webhook" grep -q '^ENTRYPOINT \["/usr/local/bin/gomemlimit-webhook"\]$' <<<"$final"
expect "CMD is serve --config /etc/gomemlimit-webhook/config.yaml" \
    grep -q '^CMD \["serve", "--config", "/etc/gomemlimit-webhook/config.yaml"\]$' <<<"$final"
expect "the chart runs the same command" grep -q 'args: \["serve", "--config", "{{ include "gmw.configDir" . }}/config.yaml"\]' \
    charts/gomemlimit-webhook/templates/deployment.yaml
expect "the chart's configDir is /etc/gomemlimit-webhook" grep -q 'define "gmw.configDir" -}}/etc/gomemlimit-webhook{{' \
    charts/gomemlimit-webhook/templates/_helpers.tpl
expect "the chart runs as the image's user" grep -q 'runAsUser: 65532' charts/gomemlimit-webhook/templates/deployment.yaml

section ".dockerignore"
for p in .git .tools build 'build-\*' certs/out; do
    expect ".dockerignore excludes $p" grep -qx "$p" .dockerignore
done
expect "the build stage copies the source tree into /src" grep -qx 'COPY \. \.' <<<"$build"
expect "the build stage has python3-jsonpatch (the JSON Patch oracle unit test)" grep -q python3-jsonpatch <<<"$build"

finish
