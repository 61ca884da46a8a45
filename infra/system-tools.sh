#!/usr/bin/env bash
# Installs the system packages `make test` needs when they are missing
# (Debian/Ubuntu): headless Chromium (the API reference page test) and
# Node.js with npm (the TypeScript client generated from the contract).
set -euo pipefail
missing=()
command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 || missing+=(chromium-headless-shell)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-tools: please install ${missing[*]} (no apt-get here)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo -n"; fi
echo "system-tools: installing ${missing[*]} (first run only)..."
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
