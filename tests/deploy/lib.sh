# lib.sh: shared helpers for tests/deploy/*.sh (sourced, not run).
# Tools come from .tools/ (scripts/install-tools.sh); a missing tool is a failure, not a skip.

GMW_SRC_DIR=${GMW_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TOOLS=${GMW_TOOLS_DIR:-$GMW_SRC_DIR/.tools}
HELM=$TOOLS/bin/helm
KUBECTL=$TOOLS/bin/kubectl
PY=/usr/bin/python3                       # Debian's python3 with python3-yaml
CHART=$GMW_SRC_DIR/charts/gomemlimit-webhook
export NODE_PATH=$TOOLS/node/node_modules

T_PASS=0
T_FAIL=0
pass() { T_PASS=$((T_PASS + 1)); echo "  ok   $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "  FAIL $*"; }
# expect DESCRIPTION COMMAND...: the command must succeed.
expect() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
section() { echo "== $*"; }

require_tools() {
    local missing=0
    for t in "$HELM" "$KUBECTL"; do
        [ -x "$t" ] || { echo "missing $t: run scripts/install-tools.sh" >&2; missing=1; }
    done
    [ -d "$NODE_PATH/kubernetes-models" ] || { echo "missing kubernetes-models in $NODE_PATH: run scripts/install-tools.sh" >&2; missing=1; }
    for t in node openssl "$PY"; do
        command -v "$t" >/dev/null || { echo "missing $t: run scripts/install-deps.sh" >&2; missing=1; }
    done
    [ "$missing" = 0 ] || exit 1
}

# validate FILE.yaml: every object validates (tests/deploy/validate-manifests.js).
validate() {
    "$PY" "$GMW_SRC_DIR/tests/deploy/yaml2json.py" "$1" | node "$GMW_SRC_DIR/tests/deploy/validate-manifests.js"
}

# A free TCP port on 127.0.0.1.
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Closing line read by CI, and the exit code.
finish() {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" = 0 ]
}
