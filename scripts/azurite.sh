#!/usr/bin/env bash
# Throw-away Azurite (the Azure Storage emulator, npm `azurite`) for tests and CI.
#
#   scripts/azurite.sh start DIR   -> prints ONE line on stdout: the blob service connection string
#                                     (also written to DIR/connection-string); everything else on stderr
#   scripts/azurite.sh stop DIR    -> stops it and removes DIR
#
# Azurite is installed with npm into .cache/azurite/ of the project when missing (pinned version).
# It listens on 127.0.0.1 only, on a free port, with its data in DIR; the account is Azurite's
# well-known development account (a public test key, not a secret).
set -euo pipefail
readonly VERSION=3.37.0
here=$(cd "$(dirname "$0")/.." && pwd)
prefix="$here/.cache/azurite"
log() { printf 'azurite.sh: %s\n' "$*" >&2; }

install() {
  [ -x "$prefix/node_modules/.bin/azurite-blob" ] && return
  command -v npm >/dev/null || { log "error: npm is needed to install azurite"; exit 1; }
  log "installing azurite@$VERSION with npm into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --silent "azurite@$VERSION" >&2
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {
  local dir=$1
  if [ -f "$dir/connection-string" ] && [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    cat "$dir/connection-string"; return
  fi
  install
  mkdir -p "$dir/data"
  local port; port=$(free_port)
  "$prefix/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/data" \
    --skipApiVersionCheck --loose --silent >"$dir/azurite.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $port)))"; then
      local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
      printf 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/devstoreaccount1;\n' \
        "$key" "$port" | tee "$dir/connection-string"
      return
    fi
    sleep 0.1
  done
  log "error: azurite did not start within 10 s"; cat "$dir/azurite.log" >&2; exit 1
}

stop() {
  local dir=$1
  [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?DIR}" ;;
  stop) stop "${2:?DIR}" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
