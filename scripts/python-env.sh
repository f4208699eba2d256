#!/usr/bin/env bash
# Creates the Python eval worker's environment at .tools/python from the
# pinned python/requirements.txt, and links python/ into it so that
# `.tools/python/bin/python -m collm_eval` starts the worker from anywhere.
# Skipped when nothing changed since the last run (requirements, checkout
# path, interpreter); otherwise rebuilt from scratch. Safe to run again.
#   PYTHON=/path/to/python3.x bash scripts/python-env.sh   to choose the interpreter (>= 3.10)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/python
stamp="$venv/.collm-env"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null 2>&1 || { echo "python-env: '$python' not found; install Python >= 3.10 or set PYTHON" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  { echo "python-env: the worker needs Python >= 3.10, '$python' is $("$python" -V 2>&1); set PYTHON to a newer one" >&2; exit 1; }

# What the environment was built from: a change to any of these rebuilds it.
want="$(sha256sum python/requirements.txt | cut -d' ' -f1) $PWD $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c '' 2>/dev/null; then
  exit 0
fi

echo "setup: creating the Python eval worker's environment ($venv) from python/requirements.txt"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r python/requirements.txt
# A .pth file puts python/ on the venv's path: the worker runs from the checkout, no install step per edit.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$PWD/python" >"$site/collm-eval.pth"
"$venv/bin/python" -c 'import collm_eval.worker' # fails here, not in the first test, if something is missing
echo "$want" >"$stamp"
