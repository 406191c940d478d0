# Sourced by the scripts that start Jupyter: everything Jupyter reads or writes stays in .jupyter/
# inside the checkout (the tslab kernel spec, runtime files, the notebook trust database), so
# nothing outside the project is touched. Debian's /usr/bin/jupyter is used explicitly: a pyenv or
# venv python3 earlier on PATH has no Jupyter.
LEMOL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JUPYTER_PATH="$LEMOL_ROOT/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export JUPYTER_DATA_DIR="$LEMOL_ROOT/.jupyter/data"
export JUPYTER_RUNTIME_DIR="$LEMOL_ROOT/.jupyter/runtime"
export JUPYTER_CONFIG_DIR="$LEMOL_ROOT/.jupyter/config"
JUPYTER=/usr/bin/jupyter
PYTHON=/usr/bin/python3
# The notebook server's options shared by main.sh and the server check: node_modules/ (the link that
# lets notebooks import "lemol") hidden from the file browser, a list option one item per flag (a
# list literal draws traitlets 5's FutureWarning at every start)
LEMOL_SERVER_FLAGS=()
for glob in __pycache__ '*.pyc' '*.pyo' .DS_Store '*~' node_modules; do LEMOL_SERVER_FLAGS+=(--ContentsManager.hide_globs="$glob"); done
