#!/usr/bin/env bash
# WebGPU in Node (Dawn) needs the Vulkan loader, libvulkan.so.1 (Debian's libvulkan1); without a GPU the tests
# run it on Chromium's SwiftShader driver. Installs the loader when it is missing, as root or where sudo needs no
# password; otherwise says so, and the WebGPU-in-Node tests are skipped with that reason. Never asks for a password.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then exit 0; fi
skipped="the WebGPU-in-Node tests will be skipped (install it by hand: sudo apt-get install libvulkan1)"
as_root=()
if [ "$(id -u)" != 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    echo "the Vulkan loader (libvulkan1) is missing and sudo here wants a password: $skipped" >&2
    exit 0
  fi
  as_root=(sudo -n)
fi
echo "the Vulkan loader (libvulkan.so.1) is missing: installing Debian's libvulkan1" >&2
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 >/dev/null; }; then
  echo "apt-get install libvulkan1 failed: $skipped" >&2
fi
