#!/usr/bin/env bash
# Build (once) the virtual environment holding the re-identification peers, Anonymeter and SDMetrics.
# They pin numpy < 1.27, pyarrow < 22 and pandas < 3, which conflict with SynthGuard's own environment,
# so they live apart: the agreement test and benchmarks/risk.py run them in a subprocess.
# Usage: scripts/risk-peers.sh [DIR]   (default .cache/peers/risk); prints the venv's python.
set -euo pipefail
dir="${1:-$(dirname "$0")/../.cache/peers/risk}"
stamp="$dir/.installed-v1"
if [[ ! -f "$stamp" ]]; then
  rm -rf "$dir"
  python3 -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check \
    "anonymeter==1.1.0" "sdmetrics==0.32.0" "numpy<1.27" >&2
  touch "$stamp"
fi
cd "$dir" && echo "$(pwd)/bin/python"
