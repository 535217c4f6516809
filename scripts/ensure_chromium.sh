#!/usr/bin/env bash
# Make sure a headless Chromium is available for the PDF reports and the browser tests.
#
# Idempotent; prints what it did. If `chromium` (or /usr/bin/chromium) is missing, installs
# Debian's `chromium` package with apt-get (needs root or passwordless sudo). Exit status 0
# when a browser is ready.
set -euo pipefail
say() { echo "ensure_chromium: $*"; }
die() { echo "ensure_chromium: FAILED: $*" >&2; exit 1; }

found() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }

if found; then
  say "chromium present ($( (chromium --version || /usr/bin/chromium --version) 2>/dev/null | head -n 1))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    die "chromium is missing and installing it needs root (or passwordless sudo)"
  fi
fi
command -v apt-get >/dev/null 2>&1 || die "chromium is missing and apt-get is not available"
export DEBIAN_FRONTEND=noninteractive
say "installing the Debian package chromium (apt-get)"
if ! $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; then
  $SUDO apt-get update -q >/dev/null || die "apt-get update failed (no network?)"
  $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null \
    || die "apt-get install chromium failed"
fi
found || die "chromium still not found after installing"
say "installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
