#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium (browser tests drive it with Playwright:
# executable_path="/usr/bin/chromium"). Installs the Debian package when missing; never downloads
# a browser of its own.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "chromium.sh: installing Debian's chromium" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
