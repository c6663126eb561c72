#!/usr/bin/env bash
# The browser tests run in Debian's Chromium; install it when it is missing. Never asks for a password:
# as root it installs, otherwise only where sudo needs none (sudo -n); else it says what to install and fails.
set -euo pipefail
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium_path" ]; then exit 0; fi
by_hand="Chromium not found at $chromium_path, and the browser tests need it: install it by hand (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium"
as_root=()
if [ "$(id -u)" != 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    echo "$by_hand (sudo here wants a password, and the tests do not ask for one)" >&2
    exit 1
  fi
  as_root=(sudo -n)
fi
if ! command -v apt-get >/dev/null; then
  echo "$by_hand (no apt-get here to install it with)" >&2
  exit 1
fi
echo "Chromium not found at $chromium_path: installing Debian's chromium package" >&2
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
  echo "$by_hand (apt-get install chromium failed)" >&2
  exit 1
fi
"$chromium_path" --version
