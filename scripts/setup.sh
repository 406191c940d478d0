#!/usr/bin/env bash
# Installs what lemol needs on a fresh machine: npm packages (exactly as package-lock.json says).
# Safe to run again: it only installs when node_modules is missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "lemol needs Node.js >= $need_node_major (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages (and building the native kernels)"
  npm ci --no-audit --no-fund --loglevel=error
elif [ ! -f build/Release/lemol_native.node ] && [ "${LEMOL_NATIVE:-1}" != "0" ]; then
  echo "== building the native kernels"
  node scripts/build-native.mjs
fi
