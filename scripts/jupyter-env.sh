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
