#!/usr/bin/env bash
# The main job: install, build, then run one random-policy episode of simple_push and print its
# rewards. Extra arguments go to `lemol demo` (e.g. --scenario simple_tag --animation ep.html).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== building"
npm run --silent build
echo "== lemol demo $*"
node dist/cli/main.js demo "$@"
