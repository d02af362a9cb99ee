#!/usr/bin/env bash
# test-dockerfile.sh: what can be checked about the Dockerfile without building the image
# (tests/deploy/test-image.sh builds and runs it for real):
#   - the build stage is debian:12 with the -dev packages and runs the CMake build and the
#     unit tests; the final stage is FROM scratch with one COPY of the assembled /src/rootfs;
#   - the build stage's rootfs command, run here against GMW_BUILD_DIR, produces exactly: the
#     stripped webhook, the shim, every library `ldd` lists for the webhook (byte-identical to
#     this Debian 12 machine's) and the loader, passwd/group with 65532, os-release, and a dpkg
#     status entry and copyright file for each package those libraries come from (dpkg -S) —
#     nothing else; that rootfs runs the webhook (`version`, `certs`) in a chroot as 65532,
#     and the same rootfs with one library removed does not (the check can fail);
#   - the shim is static; the final stage runs as numeric non-root; ENTRYPOINT/CMD match the
#     chart; .dockerignore keeps build directories and .tools out of the context.
# Needs root (chroot), like test-image.sh; without it it fails, it does not skip.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GMW_SRC_DIR"
: "${GMW_BUILD_DIR:?run from ctest (GMW_BUILD_DIR), or set it to a CMake build directory}"
BIN=${GMW_BIN:-$GMW_BUILD_DIR/gomemlimit-webhook}
SHIM=$GMW_BUILD_DIR/gomemlimit-shim
DF=Dockerfile
[ -f "$DF" ] || { echo "no Dockerfile"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test-dockerfile: needs root for chroot"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Split the Dockerfile into stages (continuation lines joined, comments dropped).
joined=$(grep -v '^[[:space:]]*#' "$DF" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
final=$(awk '/^FROM /{n++} {print n"\t"$0}' <<<"$joined" | awk -F'\t' -v last="$(grep -c '^FROM ' <<<"$joined")" '$1==last{print $2}')
build=$(awk '/^FROM /{n++} {print n"\t"$0}' <<<"$joined" | awk -F'\t' '$1==1{print $2}')

section "stages"
expect "two stages" test "$(grep -c '^FROM ' <<<"$joined")" = 2
expect "build stage FROM debian:12 AS build" grep -q '^FROM debian:12 AS build$' <<<"$build"
expect "build stage installs musl-tools and the -dev packages" sh -c "grep -q 'musl-tools' <<'X'
$build
X
for p in libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libyaml-dev libcmocka-dev cmake; do grep -q \"\$p\" <<'X' || exit 1
$build
X
done"
expect "build stage runs the CMake build" grep -q 'cmake -S . -B build .*&& cmake --build build' <<<"$build"
expect "build stage runs the unit tests (ctest -L unit)" grep -q 'ctest --test-dir build -L unit' <<<"$build"
expect "the build directory is /src/build (WORKDIR /src, -B build)" grep -q '^WORKDIR /src$' <<<"$build"
expect "the build stage copies the source tree into /src" grep -qx 'COPY \. \.' <<<"$build"
expect "the build stage has python3-jsonpatch (the JSON Patch oracle unit test)" grep -q python3-jsonpatch <<<"$build"

section "final stage: FROM scratch, one COPY of the assembled file system"
echo "$final" | sed 's/^/  | /'
expect "final stage FROM scratch" grep -qx 'FROM scratch' <<<"$final"
expect "exactly one COPY: --from=build /src/rootfs/ /" test "$(grep '^COPY' <<<"$final")" = "COPY --from=build /src/rootfs/ /"
expect "no RUN and no other instruction (scratch has no shell)" test \
    "$(grep -v -e '^FROM scratch$' -e '^COPY ' -e '^USER ' -e '^EXPOSE ' -e '^ENTRYPOINT ' -e '^CMD ' -e '^[[:space:]]*$' <<<"$final")" = ""

section "the build stage's rootfs command, run against $GMW_BUILD_DIR"
rootfs_cmd=$(grep '^RUN set -eu; rm -rf rootfs ' <<<"$build" | sed 's/^RUN //')
expect "the build stage has the rootfs command" test -n "$rootfs_cmd"
expect "... after the build and the unit tests" sh -c "grep -n -e 'ctest --test-dir build' -e '^RUN set -eu; rm -rf rootfs ' <<'X' | cut -d: -f1 | tr '\n' ' ' | awk '{exit !(\$1 < \$2)}'
$build
X"
ln -s "$(readlink -f "$GMW_BUILD_DIR")" "$work/build"
if (cd "$work" && sh -c "$rootfs_cmd") > "$work/cmd.log" 2>&1; then
    pass "the rootfs command succeeds"
else
    fail "the rootfs command failed:"; sed 's/^/    /' "$work/cmd.log"
fi
R=$work/rootfs
expect "the built webhook is the binary under test" test "$(readlink -f "$BIN")" = "$(readlink -f "$GMW_BUILD_DIR/gomemlimit-webhook")"

# What the rootfs must hold, computed here independently of the Dockerfile's command.
pkg_of() { # the Debian package that ships library path $1
    local p=$1 out cand
    for cand in "$p" "$(readlink -f "$p")" "/usr$p"; do
        out=$(dpkg -S "$cand" 2>/dev/null | head -1) && [ -n "$out" ] && { echo "${out%%:*}"; return 0; }
    done
    return 1
}
ldd_out=$(ldd "$BIN" 2>&1) || fail "ldd $BIN: $ldd_out"
expect "ldd finds every library of the webhook" sh -c "! grep -q 'not found' <<'X'
$ldd_out
X"
libs=$(awk '$2 == "=>" { print $3; next } $1 ~ /^\// { print $1 }' <<<"$ldd_out" | sort -u)
expect "ldd lists the webhook's libraries ($(wc -l <<<"$libs"))" test "$(wc -l <<<"$libs")" -ge 6
pkgs=""
for lib in $libs; do
    if p=$(pkg_of "$lib"); then pkgs+="$p"$'\n'; else fail "$lib: no Debian package ships it"; fi
done
pkgs=$(sort -u <<<"${pkgs%$'\n'}")
echo "  libraries from: $(tr '\n' ' ' <<<"$pkgs")"
{
    printf '%s\n' /usr/local/bin/gomemlimit-webhook /gomemlimit-shim /etc/passwd /etc/group /etc/os-release
    printf '%s\n' $libs
    for p in $pkgs; do printf '/var/lib/dpkg/status.d/%s\n/usr/share/doc/%s/copyright\n' "$p" "$p"; done
} | sort > "$work/expected"
# Every non-directory in the rootfs (symlinks included: there must be none).
rootfs_files() { (cd "$1" && find . ! -type d | sed 's|^\.||' | sort); }
rootfs_files "$R" > "$work/actual"
missing=$(comm -23 "$work/expected" "$work/actual")
extra=$(comm -13 "$work/expected" "$work/actual")
expect "every library ldd lists, the loader, the webhook, the shim, passwd/group/os-release, package metadata are there${missing:+ (missing: $missing)}" test -z "$missing"
expect "nothing else is there${extra:+ (extra: $extra)}" test -z "$extra"
expect "no symlinks (each library copied to the path ldd prints)" test -z "$(find "$R" -type l)"
for lib in $libs; do
    expect "$lib: the same bytes as this Debian 12 machine's" cmp -s "$R$lib" "$(readlink -f "$lib")"
done
interp=$(readelf -l "$BIN" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
expect "the loader (PT_INTERP $interp) is there" test -f "$R$interp"
for so in $(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    expect "NEEDED $so is there" sh -c "grep -q '/$so\$' '$work/actual'"
done
expect "the webhook is stripped (no .symtab)" sh -c "! readelf -S '$R/usr/local/bin/gomemlimit-webhook' | grep -q '\.symtab'"
expect "the shim is the build's, unchanged" cmp -s "$R/gomemlimit-shim" "$SHIM"
for p in $pkgs; do
    expect "dpkg status entry for $p (Package, installed, Version)" sh -c "grep -qx 'Package: $p' '$R/var/lib/dpkg/status.d/$p' &&
        grep -qx 'Status: install ok installed' '$R/var/lib/dpkg/status.d/$p' && grep -q '^Version: ' '$R/var/lib/dpkg/status.d/$p'"
done
expect "os-release is Debian 12" grep -q '^VERSION_ID="12"$' "$R/etc/os-release"
expect "passwd: nonroot is 65532 with no login shell" grep -qx 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' "$R/etc/passwd"
expect "group: nonroot is 65532" grep -qx 'nonroot:x:65532:' "$R/etc/group"

section "the rootfs alone runs the webhook (chroot, uid 65532)"
expect "'gomemlimit-webhook version' in the chroot" sh -c \
    "chroot --userspec=65532:65532 '$R' /usr/local/bin/gomemlimit-webhook version | grep -q '^gomemlimit-webhook [0-9]'"
mkdir -m 0777 "$R/out"
expect "'gomemlimit-webhook certs' in the chroot (OpenSSL at run time)" sh -c \
    "chroot --userspec=65532:65532 '$R' /usr/local/bin/gomemlimit-webhook certs --service s --namespace n --out /out >/dev/null 2>&1"
expect "'gomemlimit-webhook certs --check' in the chroot" sh -c \
    "chroot --userspec=65532:65532 '$R' /usr/local/bin/gomemlimit-webhook certs --check --cert /out/tls.crt --key /out/tls.key --ca /out/ca.crt --host s.n.svc >/dev/null"
rm -rf "$R/out"
# The check can fail: the same rootfs without libyaml does not run, and the file set differs.
cp -a "$R" "$work/broken"
rm -f "$work/broken"/lib/*/libyaml-0.so.2 "$work/broken"/usr/lib/*/libyaml-0.so.2
expect "without libyaml the chroot run fails (the check can fail)" sh -c \
    "! chroot --userspec=65532:65532 '$work/broken' /usr/local/bin/gomemlimit-webhook version >/dev/null 2>&1"
expect "... and the file-set comparison reports it missing" sh -c \
    "(cd '$work/broken' && find . ! -type d | sed 's|^\.||' | sort) | comm -23 '$work/expected' - | grep -q libyaml"

section "the shim"
if [ -x "$SHIM" ]; then
    expect "gomemlimit-shim has no program interpreter (static)" sh -c "! readelf -l '$SHIM' | grep -q 'Requesting program interpreter'"
    expect "gomemlimit-shim has no dynamic section" sh -c "readelf -d '$SHIM' 2>&1 | grep -q 'no dynamic section'"
    expect "ldd says the shim is not dynamic" sh -c "ldd '$SHIM' 2>&1 | grep -q -e 'not a dynamic executable' -e 'statically linked'"
    expect "the shim runs in the chroot (no libraries at all)" sh -c "chroot --userspec=65532:65532 '$R' /gomemlimit-shim --help >/dev/null"
else
    fail "$SHIM not built (GMW_BUILD_SHIM=OFF?): the image needs it"
fi

section "user, entrypoint, command"
expect "USER 65532:65532 (numeric, non-root)" grep -q '^USER 65532:65532$' <<<"$final"
expect "ENTRYPOINT is the webhook" grep -q '^ENTRYPOINT \["/usr/local/bin/gomemlimit-webhook"\]$' <<<"$final"
expect "CMD is serve --config /etc/gomemlimit-webhook/config.yaml" \
    grep -q '^CMD \["serve", "--config", "/etc/gomemlimit-webhook/config.yaml"\]$' <<<"$final"
DEP=charts/gomemlimit-webhook/templates/deployment.yaml
rendered_dep=$("$HELM" template gmw charts/gomemlimit-webhook --show-only templates/deployment.yaml 2>&1)
dep_field() { "$PY" -c 'import sys,yaml
d = yaml.safe_load(sys.stdin)["spec"]["template"]["spec"]
print({"args": " ".join(d["containers"][0]["args"][:3]), "user": d["securityContext"].get("runAsUser")}[sys.argv[1]])' "$1" <<<"$rendered_dep"; }
expect "the chart runs the same command (rendered)" test "$(dep_field args)" = "serve --config /etc/gomemlimit-webhook/config.yaml"
expect "the chart's configDir is /etc/gomemlimit-webhook" grep -q 'define "gmw.configDir" -}}/etc/gomemlimit-webhook{{' \
    charts/gomemlimit-webhook/templates/_helpers.tpl
expect "the chart runs as the image's user by default (rendered)" test "$(dep_field user)" = 65532
# The image has no shell and no /bin: nothing in the chart may exec a program other than ours.
expect "no exec hook or probe in the chart runs a program the image lacks" sh -c \
    "! grep -rn -A2 'exec:' charts/gomemlimit-webhook/templates | grep -E '/bin/|\"sh\"|sleep\"'"
expect "the preStop delay is the kubelet's sleep action (no /bin/sleep needed)" sh -c \
    "'$HELM' template t charts/gomemlimit-webhook | grep -A2 'preStop:' | grep -A1 '^ *sleep:\$' | grep -q '^ *seconds: 5\$'"
expect "the chart requires Kubernetes >= 1.30 (sleep action on by default)" \
    grep -qx 'kubeVersion: ">=1.30.0-0"' charts/gomemlimit-webhook/Chart.yaml

section ".dockerignore"
for p in .git .tools build 'build-\*' certs/out; do
    expect ".dockerignore excludes $p" grep -qx "$p" .dockerignore
done

finish
