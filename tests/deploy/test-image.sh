#!/usr/bin/env bash
# test-image.sh: build the Dockerfile for real and run the image under a memory limit.
#
# There is no Docker engine here: shared/tools/oci-build-and-run.sh builds with podman/buildah
# (daemonless, private storage under $WORK, a debootstrap Debian 12 base image tagged
# debian:12) and runs the result. INSTALL=1 lets it apt-get podman, buildah, runc and
# debootstrap the first time. The base image archive and the layer cache stay in
# WORK=/tmp/oci-build, so later runs only rebuild changed layers.
#
# Checks: the build (which runs the CMake build and the unit tests inside) succeeds; under
# --memory 256m the image runs `gomemlimit-webhook version` and `certs` (all runtime
# libraries present) as UID 65532; `/gomemlimit-shim --print` reports the 256 MiB cgroup
# limit and GOMEMLIMIT 230MiB (ratio 0.9); `/gomemlimit-shim --install DIR` (what the
# webhook's init container runs) copies a working shim into a volume; the image config has
# the numeric user, ENTRYPOINT and CMD. Prints the time of each step.
#
# Needs root (rootful podman) and Debian's apt mirror; without them it fails, it does not skip.
#   GMW_OCI_TOOL=path   the build-and-run script (default: ../shared/tools/oci-build-and-run.sh)
#   GMW_OCI_WORK=dir    its state directory (default /tmp/oci-build)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GMW_SRC_DIR"
TOOL=${GMW_OCI_TOOL:-$GMW_SRC_DIR/../shared/tools/oci-build-and-run.sh}
WORK=${GMW_OCI_WORK:-/tmp/oci-build}
TAG=localhost/gomemlimit-webhook:test
MEM=256m

[ "$(id -u)" = 0 ] || { echo "test-image: needs root for rootful podman"; exit 1; }
[ -f "$TOOL" ] || { echo "test-image: $TOOL not found (set GMW_OCI_TOOL)"; exit 1; }

t_start=$(date +%s)
lap() { echo "  [time] $1: $(( $(date +%s) - $2 ))s"; }

section "build the Dockerfile and run 'version' under --memory $MEM"
t0=$(date +%s)
if INSTALL=1 WORK=$WORK RUN_MEMORY=$MEM bash "$TOOL" -t "$TAG" . -- version > "$WORK.build.log" 2>&1; then
    pass "podman build + run succeeded"
else
    fail "podman build or run failed (last lines of $WORK.build.log):"
    tail -40 "$WORK.build.log"
    finish; exit 1
fi
lap "build + first run" "$t0"
grep '^\[timing\]' "$WORK.build.log" | sed 's/^/  /'
# The unit tests ran in this build, or the layer of the RUN step that runs them came from the
# cache (a RUN step whose command fails never produces a layer, so a cached one passed).
unit_tests_ran() {
    grep -q '100% tests passed' "$WORK.build.log" ||
        grep -A1 'STEP .*: RUN .*ctest --test-dir build -L unit' "$WORK.build.log" | grep -q -- '--> Using cache'
}
expect "the build stage ran the unit tests (now or in the cached layer)" unit_tests_ran
expect "'gomemlimit-webhook version' runs in the image" grep -q '^gomemlimit-webhook [0-9]' "$WORK.build.log"

# The tool leaves its private podman configuration in $WORK/conf: reuse it for more runs.
export CONTAINERS_STORAGE_CONF=$WORK/conf/storage.conf CONTAINERS_CONF=$WORK/conf/containers.conf
run() { podman run --rm --pull=never --network=none --memory "$MEM" --memory-swap "$MEM" "$@"; }

section "image configuration"
cfg=$(podman image inspect "$TAG" --format '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}')
echo "  $cfg"
expect "user 65532:65532" test "${cfg%%|*}" = "65532:65532"
expect "entrypoint /usr/local/bin/gomemlimit-webhook" grep -q '|\["/usr/local/bin/gomemlimit-webhook"\]|' <<<"$cfg"
expect "cmd serve --config /etc/gomemlimit-webhook/config.yaml" grep -q '|\["serve","--config","/etc/gomemlimit-webhook/config.yaml"\]$' <<<"$cfg"
size=$(podman image inspect "$TAG" --format '{{.Size}}')
echo "  image size: $((size / 1024 / 1024)) MiB"

section "runs under --memory $MEM"
t0=$(date +%s)
expect "runs as uid 65532" sh -c "podman run --rm --pull=never --network=none --entrypoint /usr/bin/id '$TAG' -u | grep -qx 65532"
certs_out=$(run --entrypoint /bin/sh "$TAG" -c \
    'gomemlimit-webhook certs --service s --namespace n --out /tmp/c >/dev/null 2>&1 && gomemlimit-webhook certs --check --cert /tmp/c/tls.crt --key /tmp/c/tls.key --ca /tmp/c/ca.crt --host s.n.svc' 2>&1)
expect "'certs' generates and checks a pair inside the image (OpenSSL at run time)" test $? = 0
print=$(run --entrypoint /gomemlimit-shim "$TAG" --print --ratio 0.9 2>&1)
echo "  shim --print: $print"
expect "the shim sees the 256 MiB cgroup limit and would set GOMEMLIMIT=230MiB" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["limitBytes"] == 256 * 1024 * 1024, d
assert d["GOMEMLIMIT"]["value"] == "230MiB", d
' "$print"
vol=$(mktemp -d)
chmod 0777 "$vol"   # an emptyDir is world-writable; the init container runs as 65532
expect "'/gomemlimit-shim --install /gomemlimit' (the init container's command) works" \
    run -v "$vol:/gomemlimit" --entrypoint /gomemlimit-shim "$TAG" --install /gomemlimit
expect "the installed shim runs" sh -c "'$vol/gomemlimit-shim' --print >/dev/null"
rm -rf "$vol"
expect "the shim execs a command under the limit" sh -c \
    "podman run --rm --pull=never --network=none --memory $MEM --memory-swap $MEM --entrypoint /gomemlimit-shim '$TAG' --quiet -- /bin/sh -c 'echo \$GOMEMLIMIT' | grep -qx 230MiB"
lap "runs" "$t0"

echo "  [time] total: $(( $(date +%s) - t_start ))s"
finish
