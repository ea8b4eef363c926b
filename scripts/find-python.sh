#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6 needs it), or explain and fail.
# Looks at $PYTHON, python3.13/python3.12/python3 on PATH, then pyenv's versions folder (its shims
# may not resolve, so the interpreters are used by full path).
set -euo pipefail

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.14 python3.13 python3.12 python3; do
  path=$(command -v "$name" 2>/dev/null || true)
  [ -n "$path" ] && candidates+=("$path")
done
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
  [ -x "$path" ] && candidates+=("$path")
done

for candidate in "${candidates[@]}"; do
  if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done

cat >&2 <<'MSG'
KennisCloud needs Python 3.12 or newer (Django 6 requires it), and none was found.
Looked at: $PYTHON, python3.14/3.13/3.12/python3 on PATH, ~/.pyenv/versions/3.1x, /usr/local/bin.
Install one, for example:
  - Debian 13 / Ubuntu 24.04:  sudo apt-get install -y python3 python3-venv
  - pyenv:                     pyenv install 3.12
then run the command again, or point to it explicitly:  make run PYTHON=/path/to/python3.12
MSG
exit 1
