#!/usr/bin/env bash
# Tools both `make run` and `make test` need besides Python: Node.js/npm for the frontend build and
# gettext's msgfmt for the Dutch/English server messages. Installed with apt when root.
set -euo pipefail
missing=()
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "Installing ${missing[*]} with apt …"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "ERROR: missing ${missing[*]}. Install them (sudo apt-get install -y ${missing[*]}) and try again." >&2
  exit 1
fi
