#!/usr/bin/env bash
# Run the test command given as arguments against a throw-away PostgreSQL server.
# Without PostgreSQL (and not under CI=true) it says so and skips; under CI=true it installs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${CI:-}" != "true" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: skipping the PostgreSQL run (it is mandatory under CI=true)" >&2
  exit 0
fi
dir=$(mktemp -d /tmp/synthguard-pg.XXXXXX)
trap '"$here/postgres.sh" stop "$dir" >/dev/null 2>&1 || true' EXIT
url=$("$here/postgres.sh" start "$dir")
echo "PostgreSQL run against ${url%%@*}@…" >&2
SYNTHGUARD_TEST_DATABASE_URL="$url" "$@"
