#!/usr/bin/env bash
# Executes every notebook headless at the small size and checks the results for real:
#   1. notebooks/*.ipynb are up to date with notebooks/source/*.ts
#   2. each notebook runs to the end with the tslab kernel (per-cell timeouts, never --allow-errors);
#      the executed notebooks and their HTML exports go to build/notebooks/
#   3. each HTML export, opened offline in headless Chromium, shows every plot and animation, with
#      no console errors and no network requests; a PNG screenshot is saved next to it
#   3b. each executed notebook rendered by JupyterLab 4's own output renderers (untrusted, trusted,
#      live) and by an nbviewer-like static render shows every figure, table, animation and error
#      (check-frontends.mjs; screenshots in build/notebooks/frontends/)
#   4. the executed notebooks travel: each under 800 KB, no plotly bundle or absolute path stored,
#      a static image for every figure, and a second run gives the same outputs byte for byte
#      apart from timings (check_notebooks.py)
#   5. a real Notebook server in Chromium: opening and saving a shipped notebook changes nothing,
#      and figures show untrusted and trusted-before-running (check-notebook-server.mjs)
#   6. the notebook server starts with main.sh's options and prints no warning
#   7. the kernel smoke test (jupyter_kernel_test) and the interrupt test against a live kernel
# LEMOL_NOTEBOOK_SIZE overrides the size (default small). Exit status 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
source scripts/jupyter-env.sh
export LEMOL_NOTEBOOK_SIZE="${LEMOL_NOTEBOOK_SIZE:-small}"

echo "== notebooks are up to date with their sources"
node scripts/notebooks.mjs check

echo "== executing notebooks (size $LEMOL_NOTEBOOK_SIZE)"
rm -rf build/notebooks
status=0
"$PYTHON" scripts/run_notebooks.py --timeout 600 --out build/notebooks notebooks/[0-9]*.ipynb || status=1

echo "== HTML exports in headless Chromium (offline)"
shopt -s nullglob
html=(build/notebooks/*.html)
if [ ${#html[@]} -gt 0 ]; then node scripts/check-html.mjs "${html[@]}" || status=1; else status=1; fi

echo "== JupyterLab 4's output renderers (untrusted, trusted, live) and a static render, in Chromium"
ipynb=(build/notebooks/[0-9]*.ipynb)
if [ ${#ipynb[@]} -gt 0 ]; then node scripts/check-frontends.mjs --screenshots build/notebooks/frontends "${ipynb[@]}" || status=1; else status=1; fi

echo "== executing again: the outputs must not change"
rm -rf build/notebooks-again
"$PYTHON" scripts/run_notebooks.py --timeout 600 --no-html --out build/notebooks-again notebooks/[0-9]*.ipynb || status=1
"$PYTHON" scripts/check_notebooks.py build/notebooks build/notebooks-again --max-kb 800 || status=1

echo "== a Notebook server in Chromium: open and save, untrusted and trusted figures"
node scripts/check-notebook-server.mjs build/notebooks || status=1

echo "== the notebook server starts with main.sh's options and no warning"
port=$((20000 + RANDOM % 20000))
log=$(mktemp)
"$JUPYTER" notebook --no-browser --allow-root --ip=127.0.0.1 --port="$port" --port-retries=0 --notebook-dir="$PWD/notebooks" "${LEMOL_SERVER_FLAGS[@]}" >"$log" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "is running at" "$log" && break; sleep 0.2; done
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
if ! grep -q "is running at" "$log"; then echo "FAIL the notebook server did not start:"; tail -5 "$log"; status=1
elif grep -E "Warning|deprecated" "$log"; then echo "FAIL the notebook server warned at start-up (above)"; status=1
else echo "PASS the notebook server started without a warning"; fi
rm -f "$log"

echo "== kernel smoke test and interrupt test"
"$PYTHON" -m unittest discover -s test/kernel -p "test_*.py" 2>&1 | tail -n 25 || status=1

if [ "$status" -ne 0 ]; then echo "notebooks:test FAILED"; exit 1; fi
echo "notebooks:test passed"
