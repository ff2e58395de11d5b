#!/usr/bin/env bash
# Installs headless Chromium and chromedriver from Debian's packages when
# missing: the browser tests drive them. Safe to run again.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  echo "installing Chromium and chromedriver from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "$(/usr/bin/chromedriver --version) is ready"
