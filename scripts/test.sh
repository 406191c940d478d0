#!/usr/bin/env bash
# The whole test suite: install, type-check (strict), build, then every test under test/.
# Ends with the test runner's summary ("ℹ tests N", "ℹ pass N", "ℹ fail N").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== type-checking"
npx tsc -p tsconfig.json --noEmit
echo "== building"
npm run --silent build
echo "== testing"
node scripts/run-tests.mjs "$@"
