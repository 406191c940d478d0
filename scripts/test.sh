#!/usr/bin/env bash
# The whole test suite: install (npm packages and the Debian packages the tests use: Jupyter,
# Chromium, numpy, jupyter_kernel_test), type-check (strict), build, run every test under test/,
# then execute every notebook headless and check its HTML export in Chromium (notebooks:test).
# Ends with the test runner's summary ("ℹ tests N", "ℹ pass N", "ℹ fail N") and the notebooks'.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# setup.sh builds the native kernels (unless LEMOL_NATIVE=0): their tests must then run, not skip
if [ "${LEMOL_NATIVE:-1}" != "0" ]; then export LEMOL_EXPECT_NATIVE=1; fi
echo "== type-checking"
npx tsc -p tsconfig.json --noEmit
echo "== lint (ESLint) and formatting (Prettier): npm run format fixes the formatting"
npm run --silent lint
echo "== building"
npm run --silent build
echo "== unit and integration tests"
status=0
node scripts/run-tests.mjs "$@" || status=1
if [ $# -eq 0 ]; then
  echo "== notebooks"
  bash scripts/notebooks-test.sh || status=1
fi
exit $status
