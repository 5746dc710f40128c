#!/usr/bin/env bash
# Install Debian's chromium for the dashboard's browser test (idempotent, quiet).
#   scripts/install_browser.sh        installs /usr/bin/chromium when it is missing
# Needs root (or passwordless sudo) and the Debian/Ubuntu package archive.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "install_browser: /usr/bin/chromium is missing and this user cannot install packages;" >&2
    echo "  run as root: apt-get install -y --no-install-recommends chromium" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: apt-get not found; install Chromium so that /usr/bin/chromium exists" >&2
    exit 1
fi

echo "install_browser: installing Debian's chromium (for the dashboard browser test)..."
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "install_browser: apt-get install chromium failed (see above)" >&2
    exit 1
fi
rm -f "$log"

if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser: chromium installed but /usr/bin/chromium is missing" >&2
    exit 1
fi
echo "install_browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) ready"
