#!/usr/bin/env bash
# The main job: set up everything a notebook user needs (Jupyter from Debian when missing, npm
# packages, the library build, the tslab kernel in the project's own .jupyter/), then start the
# Jupyter notebook server on notebooks/.
#
#   bash scripts/main.sh                          start the server; it prints the URL to open
#   bash scripts/main.sh --port 8890 --ip 0.0.0.0 ... on another port / interface
#   bash scripts/main.sh --execute 03-lemol-step-by-step [--size small|medium|full]
#                                                 run one notebook headless; writes
#                                                 build/notebooks/<name>.ipynb and <name>.html
#   bash scripts/main.sh --demo [lemol demo options]   one random-policy episode of simple_push
set -euo pipefail
cd "$(dirname "$0")/.."

mode=server
notebook=""
size="${LEMOL_NOTEBOOK_SIZE:-}"
port=8888
ip=127.0.0.1
timeout=86400
while [ $# -gt 0 ]; do
  case "$1" in
    --execute) mode=execute; notebook="${2:?--execute needs a notebook name}"; shift 2 ;;
    --size) size="${2:?--size needs small, medium or full}"; shift 2 ;;
    --port) port="${2:?}"; shift 2 ;;
    --ip) ip="${2:?}"; shift 2 ;;
    --timeout) timeout="${2:?}"; shift 2 ;;
    --demo) mode=demo; shift; break ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "main.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$mode" = demo ]; then
  bash scripts/setup.sh
  npm run --silent build
  exec node dist/cli/main.js demo "$@"
fi

bash scripts/setup.sh --notebooks
source scripts/jupyter-env.sh
[ -n "$size" ] && export LEMOL_NOTEBOOK_SIZE="$size"

if [ "$mode" = execute ]; then
  name="$(basename "${notebook%.ipynb}")"
  file="notebooks/$name.ipynb"
  if [ ! -f "$file" ]; then
    echo "main.sh: no notebook $file; there are:" >&2
    ls notebooks/*.ipynb | sed 's#notebooks/#  #; s#\.ipynb$##' >&2
    exit 2
  fi
  echo "== executing $file (size ${LEMOL_NOTEBOOK_SIZE:-the notebook default})"
  "$PYTHON" scripts/run_notebooks.py --timeout "$timeout" --out build/notebooks "$file"
  echo "executed notebook: build/notebooks/$name.ipynb"
  echo "HTML (self-contained, opens offline): build/notebooks/$name.html"
  exit 0
fi

allow_root=()
[ "$(id -u)" -eq 0 ] && allow_root=(--allow-root)
echo "== starting Jupyter on notebooks/ (kernel: TypeScript, tslab); stop with Ctrl-C"
echo "   open the http://$ip:$port/?token=... URL printed below; start with 03-lemol-step-by-step.ipynb"
exec "$JUPYTER" notebook --no-browser --ip="$ip" --port="$port" --notebook-dir="$PWD/notebooks" "${LEMOL_SERVER_FLAGS[@]}" "${allow_root[@]}"
