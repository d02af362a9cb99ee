#!/usr/bin/env bash
# test-image.sh: build the Dockerfile for real and run the image under a memory limit.
#
# scripts/build-image.sh builds it: with Docker when a working engine is present, else with
# rootful podman/buildah (private storage under $GMW_OCI_WORK, a debootstrap Debian 12 base
# image tagged debian:12 for the build stage; the final stage is FROM scratch). It apt-installs
# podman, buildah, runc and debootstrap the first time. The base image archive and the layer
# cache stay in GMW_OCI_WORK=/tmp/oci-build, so later runs only rebuild changed layers.
#
# Checks: the build (which runs the CMake build and the unit tests inside) succeeds; the image
# holds exactly the webhook, the shim, the libraries `ldd` lists for that webhook, passwd/group
# and the package metadata, and no shell; under --memory 256m it runs `gomemlimit-webhook
# version` and `certs` (generate, then --check: OpenSSL at run time) as UID 65532; `serve`
# answers /readyz and a real AdmissionReview over TLS on 127.0.0.1 and exits 0 on SIGTERM;
# `/gomemlimit-shim --print` reports the 256 MiB cgroup limit and GOMEMLIMIT 230MiB (ratio
# 0.9); the shim execs a command with that GOMEMLIMIT; `/gomemlimit-shim --install DIR` (what
# the webhook's init container runs) copies a working shim into a volume; the image config
# has the numeric user, ENTRYPOINT and CMD. Prints the time of each step and the image size.
#
# Needs root (rootful podman) and Debian's apt mirror, or a Docker engine; without them it
# fails, it does not skip.
#   GMW_OCI_ENGINE=auto|docker|podman   (scripts/build-image.sh)
#   GMW_OCI_WORK=dir    podman state directory (default /tmp/oci-build)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GMW_SRC_DIR" || exit 1
BUILD_IMAGE=$GMW_SRC_DIR/scripts/build-image.sh
export GMW_OCI_WORK=${GMW_OCI_WORK:-/tmp/oci-build}
TAG=localhost/gomemlimit-webhook:test
MEM=256m
LOG=$GMW_OCI_WORK.build.log

# The engine and the storage build-image.sh uses, for the commands below.
eval "$("$BUILD_IMAGE" --env)" || { echo "test-image: $BUILD_IMAGE --env failed"; exit 1; }
ENGINE=$GMW_OCI_ENGINE
echo "  engine: $ENGINE"
if [ "$ENGINE" = podman ] && [ "$(id -u)" != 0 ]; then
    echo "test-image: needs root for rootful podman (or a Docker engine)"; exit 1
fi

t_start=$(date +%s)
lap() { echo "  [time] $1: $(( $(date +%s) - $2 ))s"; }
scratch=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && "$ENGINE" rm -f "$server" >/dev/null 2>&1
    rm -rf "$scratch"
}
trap cleanup EXIT

section "build the Dockerfile and run 'version' under --memory $MEM"
t0=$(date +%s)
if "$BUILD_IMAGE" -t "$TAG" . > "$LOG" 2>&1 &&
    "$BUILD_IMAGE" --run -t "$TAG" --memory "$MEM" -- version >> "$LOG" 2>&1; then
    pass "$ENGINE build + run succeeded"
else
    fail "$ENGINE build or run failed (last lines of $LOG):"
    tail -40 "$LOG"
    finish; exit 1
fi
lap "build + first run" "$t0"
grep '^\[timing\]' "$LOG" | sed 's/^/  /'
# The unit tests ran in this build, or the layer of the RUN step that runs them came from the
# cache (a RUN step whose command fails never produces a layer, so a cached one passed).
unit_tests_ran() {
    grep -q '100% tests passed' "$LOG" ||
        grep -A1 'STEP .*: RUN .*ctest --test-dir build -L unit' "$LOG" | grep -q -- '--> Using cache' ||
        grep -A1 '\] RUN .*ctest --test-dir build -L unit' "$LOG" | grep -q ' CACHED$' # docker (BuildKit)
}
expect "the build stage ran the unit tests (now or in the cached layer)" unit_tests_ran
expect "'gomemlimit-webhook version' runs in the image" grep -q '^gomemlimit-webhook [0-9]' "$LOG"

run() { "$ENGINE" run --rm --pull=never --network=none --memory "$MEM" --memory-swap "$MEM" "$@"; }

section "image configuration"
cfg=$("$ENGINE" image inspect "$TAG" --format '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}')
echo "  $cfg"
expect "user 65532:65532" test "${cfg%%|*}" = "65532:65532"
expect "entrypoint /usr/local/bin/gomemlimit-webhook" grep -q '|\["/usr/local/bin/gomemlimit-webhook"\]|' <<<"$cfg"
expect "cmd serve --config /etc/gomemlimit-webhook/config.yaml" grep -q '|\["serve","--config","/etc/gomemlimit-webhook/config.yaml"\]$' <<<"$cfg"
size=$("$ENGINE" image inspect "$TAG" --format '{{.Size}}')
echo "  image size: $size bytes ($((size / 1024 / 1024)) MiB)"
expect "one layer (FROM scratch + one COPY)" test "$("$ENGINE" image inspect "$TAG" --format '{{len .RootFS.Layers}}')" = 1

section "contents: exactly what the webhook needs"
# The image's file system, unpacked from `save` (the same for docker and podman: manifest.json
# lists the layer tars in order), and its own webhook resolved by ldd on this host (Debian 12
# like the build stage).
root=$scratch/rootfs
unpack_image() {
    mkdir -p "$scratch/save" "$root" &&
        "$ENGINE" save -o "$scratch/image.tar" "$TAG" > "$scratch/save.log" 2>&1 &&
        tar -C "$scratch/save" -xf "$scratch/image.tar" &&
        "$PY" -c 'import json, sys; [print(l) for l in json.load(open(sys.argv[1]))[0]["Layers"]]' \
            "$scratch/save/manifest.json" > "$scratch/layers" &&
        while read -r layer; do tar -C "$root" -xf "$scratch/save/$layer" || return 1; done < "$scratch/layers"
}
if unpack_image; then
    (cd "$root" && find . ! -type d | sed 's|^\.||' | sort) > "$scratch/files"
    echo "  $(wc -l < "$scratch/files") files:"; sed 's/^/    /' "$scratch/files"
    libs=$(ldd "$root/usr/local/bin/gomemlimit-webhook" | awk '$2 == "=>" { print $3; next } $1 ~ /^\// { print $1 }' | sort)
    expect "ldd resolves every library of the image's webhook" sh -c "! ldd '$root/usr/local/bin/gomemlimit-webhook' | grep -q 'not found'"
    missing=$(comm -23 <(echo "$libs") "$scratch/files")
    expect "every library ldd lists ($(wc -l <<<"$libs")) is in the image${missing:+ (missing: $missing)}" test -z "$missing"
    interp=$(readelf -l "$root/usr/local/bin/gomemlimit-webhook" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
    expect "the loader $interp is in the image" grep -qx "$interp" "$scratch/files"
    extra=$(grep -vx -F -f <(printf '%s\n' "$libs" /usr/local/bin/gomemlimit-webhook /gomemlimit-shim \
        /etc/passwd /etc/group /etc/os-release) "$scratch/files" |
        grep -v -e '^/var/lib/dpkg/status\.d/[a-z0-9.+-]*$' -e '^/usr/share/doc/[a-z0-9.+-]*/copyright$')
    expect "nothing else but dpkg status entries and copyright files${extra:+ (extra: $extra)}" test -z "$extra"
    expect "no shell, no package manager" sh -c "! grep -q -e '^/bin/' -e '^/usr/bin/' -e '^/usr/sbin/' -e '^/sbin/' '$scratch/files'"
    expect "os-release says Debian 12" grep -q '^VERSION_ID="12"$' "$root/etc/os-release"
    expect "passwd names uid 65532" grep -q '^nonroot:x:65532:65532:' "$root/etc/passwd"
else
    fail "$ENGINE save $TAG and unpacking its layers failed:"
    cat "$scratch/save.log"
fi
rm -rf "$scratch/save" "$scratch/image.tar"
expect "'/bin/sh' does not exist in the image" sh -c "! '$ENGINE' run --rm --pull=never --network=none --entrypoint /bin/sh '$TAG' -c true >/dev/null 2>&1"

section "runs under --memory $MEM"
t0=$(date +%s)
out=$scratch/out; mkdir "$out"; chmod 0777 "$out"   # like an emptyDir: world-writable
expect "'certs' generates a pair inside the image (OpenSSL at run time)" \
    sh -c "'$ENGINE' run --rm --pull=never --network=none --memory $MEM --memory-swap $MEM -v '$out:/out' '$TAG' \
        certs --service s --namespace n --out /out >/dev/null 2>&1"
expect "... as uid 65532 (the files it wrote are owned by 65532)" test "$(stat -c %u:%g "$out/tls.crt")" = "65532:65532"
expect "'certs --check' accepts the pair inside the image" \
    sh -c "'$ENGINE' run --rm --pull=never --network=none --memory $MEM --memory-swap $MEM -v '$out:/out' '$TAG' \
        certs --check --cert /out/tls.crt --key /out/tls.key --ca /out/ca.crt --host s.n.svc >/dev/null"

print=$(run --entrypoint /gomemlimit-shim "$TAG" --print --ratio 0.9 2>&1)
echo "  shim --print: $print"
expect "the shim sees the 256 MiB cgroup limit and would set GOMEMLIMIT=230MiB" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["limitBytes"] == 256 * 1024 * 1024, d
assert d["GOMEMLIMIT"]["value"] == "230MiB", d
' "$print"
# No shell in the image: the command the shim execs is a second shim, which reports the
# GOMEMLIMIT it found in its environment as "current".
inner=$(run --entrypoint /gomemlimit-shim "$TAG" --quiet -- /gomemlimit-shim --print 2>&1)
expect "the shim execs a command with GOMEMLIMIT=230MiB in its environment" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["GOMEMLIMIT"]["current"] == "230MiB", d
' "$inner"
vol=$scratch/vol; mkdir "$vol"; chmod 0777 "$vol"
expect "'/gomemlimit-shim --install /gomemlimit' (the init container's command) works" \
    run -v "$vol:/gomemlimit" --entrypoint /gomemlimit-shim "$TAG" --install /gomemlimit
expect "the installed shim runs" sh -c "'$vol/gomemlimit-shim' --print >/dev/null"
lap "runs" "$t0"

section "serve: TLS on 127.0.0.1 inside the image, SIGTERM"
t0=$(date +%s)
port=$(free_port)
printf 'listen: "127.0.0.1:%s"\ntls: {certFile: /out/tls.crt, keyFile: /out/tls.key}\n' "$port" > "$out/config.yaml"
chmod 0644 "$out/config.yaml"
# Host network, bound to loopback only: the test's curl reaches it, nothing else does.
server=$("$ENGINE" run -d --pull=never --network=host --memory "$MEM" --memory-swap "$MEM" \
    -v "$out:/out:ro" "$TAG" serve --config /out/config.yaml)
ready=""
for _ in $(seq 1 50); do
    ready=$(curl -s --max-time 2 --cacert "$out/ca.crt" --resolve "s.n.svc:$port:127.0.0.1" \
        "https://s.n.svc:$port/readyz" 2>/dev/null) && [ -n "$ready" ] && break
    sleep 0.2
done
expect "/readyz answers over TLS, trusted with the generated CA" test -n "$ready"
"$PY" - > "$scratch/review.json" <<'PY'
import json
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
    "uid": "1e4d5c3b-0000-4000-8000-00000000abcd", "operation": "CREATE", "namespace": "default",
    "kind": {"group": "", "version": "v1", "kind": "Pod"},
    "resource": {"group": "", "version": "v1", "resource": "pods"},
    "userInfo": {"username": "test"}, "dryRun": False,
    "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
               "spec": {"containers": [{"name": "app", "image": "app:1",
                                        "resources": {"limits": {"memory": "256Mi"}}}]}}}}))
PY
answer=$(curl -s --max-time 5 --cacert "$out/ca.crt" --resolve "s.n.svc:$port:127.0.0.1" \
    -H 'Content-Type: application/json' --data-binary @"$scratch/review.json" "https://s.n.svc:$port/mutate")
echo "  /mutate: ${answer:0:300}"
expect "POST /mutate answers the review with a patch setting GOMEMLIMIT=230MiB" "$PY" -c '
import base64, json, sys
r = json.loads(sys.argv[1])["response"]
assert r["uid"] == "1e4d5c3b-0000-4000-8000-00000000abcd" and r["allowed"] is True, r
patch = json.loads(base64.b64decode(r["patch"]))
values = [v for op in patch for v in (op.get("value") if isinstance(op.get("value"), list) else [op.get("value")])]
assert {"name": "GOMEMLIMIT", "value": "230MiB"} in values, patch
' "$answer"
"$ENGINE" stop -t 25 "$server" >/dev/null 2>&1
code=$("$ENGINE" inspect "$server" --format '{{.State.ExitCode}}')
expect "SIGTERM: the server drains and exits 0 (exit code $code)" test "$code" = 0
expect "... and says it stopped" sh -c "'$ENGINE' logs '$server' 2>&1 | grep -q '\"msg\":\"stopped\"'"
"$ENGINE" rm -f "$server" >/dev/null 2>&1; server=""
lap "serve" "$t0"

echo "  [time] total: $(( $(date +%s) - t_start ))s"
finish
