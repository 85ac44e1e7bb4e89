#!/usr/bin/env bash
# Make sure axe-core (npm) is at .cache/axe/node_modules/axe-core/axe.min.js: the disclosure browser tests
# inject that file into Chromium pages. Installs it with npm when missing; prints the path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
axe="$root/.cache/axe/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe" ]; then
  echo "axe.sh: installing axe-core@4 into .cache/axe" >&2
  mkdir -p "$root/.cache/axe"
  npm install --prefix "$root/.cache/axe" --no-audit --no-fund --no-save axe-core@4 >&2
fi
echo "$axe"
