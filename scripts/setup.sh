#!/usr/bin/env bash
# Installs everything tkms needs on a fresh Debian 12 machine: Debian packages (idempotent,
# `apt-get update` first) and the npm packages pinned by package-lock.json (`npm ci`).
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev valgrind
    libssl-dev libsecp256k1-dev libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev
    libsqlite3-dev libcmocka-dev zlib1g-dev wrk ca-certificates python3
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# @noble/curves 2.x needs node >= 20.19.
node -e 'const [a,b]=process.versions.node.split(".").map(Number);
  if (a < 20 || (a === 20 && b < 19)) { console.error("setup: node >= 20.19 required, have " + process.versions.node); process.exit(1); }'

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ok"
