#!/usr/bin/env bash
# Installs what lemol needs on a fresh machine. Safe to run again: each step only acts when needed.
#
#   bash scripts/setup.sh               npm packages (as package-lock.json says) and the native kernels
#   bash scripts/setup.sh --notebooks   also Jupyter from Debian, the library build, the tslab kernel
#                                       registered in .jupyter/ (project-local), `lemol` importable
#                                       from notebooks/ by its package name
#   bash scripts/setup.sh --tests       also what the test suite uses: numpy, jupyter_kernel_test,
#                                       Chromium (Debian's) for the HTML export and front-end checks
#                                       (nbconvert comes with --notebooks), clang-format
#                                       (npm run lint checks the C++ formatting)
set -euo pipefail
cd "$(dirname "$0")/.."

notebooks=0
tests=0
for arg in "$@"; do
  case "$arg" in
    --notebooks) notebooks=1 ;;
    --tests) notebooks=1; tests=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "lemol needs Node.js >= $need_node_major (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Debian packages: install the missing ones (apt-get update only if the install needs it).
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "setup.sh: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "== installing Debian packages: ${missing[*]}"
  local apt=($sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0)
  if ! "${apt[@]}" install "${missing[@]}" >/tmp/lemol-apt.log 2>&1; then
    $sudo apt-get -q update >/dev/null
    "${apt[@]}" install "${missing[@]}" >/tmp/lemol-apt.log 2>&1 || { tail -20 /tmp/lemol-apt.log >&2; exit 1; }
  fi
}

if [ "$notebooks" = 1 ]; then
  apt_install jupyter-notebook jupyter-nbconvert python3-nbclient
fi
if [ "$tests" = 1 ]; then
  apt_install python3-numpy python3-jupyter-kernel-test chromium redis-server clang-format
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages (and building the native kernels)"
  npm ci --no-audit --no-fund --loglevel=error
elif [ "${LEMOL_NATIVE:-1}" != "0" ] && { [ ! -f build/Release/lemol_native.node ] || [ -n "$(find src/nn/native binding.gyp -newer build/Release/lemol_native.node | head -1)" ]; }; then
  # (also when the C++ changed since the addon was built: a stale addon lacks new exports)
  echo "== building the native kernels"
  node scripts/build-native.mjs
fi

if [ "$notebooks" = 1 ]; then
  echo "== building the library (notebooks import the built package)"
  npm run --silent build
  # `import ... from "lemol"` in notebooks/ resolves here, as it would for an installed package
  mkdir -p notebooks/node_modules
  ln -sfn ../.. notebooks/node_modules/lemol
  # lemol's kernel (tslab's, with error outputs, a truthful busy status and interrupts that keep
  # the cell's variables: src/notebook/kernel.ts) under the name "tslab", in the project's own
  # Jupyter prefix, with absolute paths
  spec=.jupyter/share/jupyter/kernels/tslab/kernel.json
  if [ ! -f "$spec" ] || ! grep -q "\"$PWD/dist/notebook/kernel.js\"" "$spec" || ! grep -q "\"$(command -v node)\"" "$spec"; then
    echo "== registering lemol's TypeScript kernel in .jupyter/"
    node dist/notebook/kernel.js install --prefix "$PWD/.jupyter" >/dev/null
  fi
fi
