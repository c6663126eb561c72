#!/usr/bin/env bash
# The device kit's entry point (made by `npm run kit:device -- <folder>`), for a bare x86-64 Linux GPU node:
# no network, no Node.js. Unpacks the kit's Node.js and Dawn into a private folder, finds the Vulkan loader
# (or unpacks the kit's libvulkan1) and the GPU's Vulkan driver, prints the adapter, then runs the device
# runner, which writes at most 4 files under OUT (summary.json, run.log, model.json, weights.bin).
#   run.sh OUT [--dry-run] [--train-minutes N]
# --dry-run: tiny sizes, and a software WebGPU adapter (Chromium's SwiftShader) is allowed: for tests.
# Ends within about 8 minutes (NGI_KIT_DEADLINE_S seconds for the runner, default 450).
set -euo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  echo "usage: $0 OUT [--dry-run] [--train-minutes N]" >&2
  exit 2
fi
out="$(mkdir -p "$1" && cd "$1" && pwd)"
shift
dry=0
for a in "$@"; do [ "$a" = "--dry-run" ] && dry=1; done

work="$(mktemp -d "${TMPDIR:-/tmp}/ngi-kit.XXXXXX")"
trap 'rm -rf "$work"' EXIT

unxz_to() { # file.xz destination: xz where there is one, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  elif command -v python3 >/dev/null; then python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  else echo "run.sh: neither xz nor python3 here to unpack $1" >&2; exit 1; fi
}

# The kit's files are read where they are; only what is packed is unpacked, into the private folder.
mkdir -p "$work/bin" "$work/app"
unxz_to "$kit/node.xz" "$work/bin/node"
chmod +x "$work/bin/node"
if command -v xz >/dev/null; then tar -xJf "$kit/app.tar.xz" -C "$work/app"
else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$kit/app.tar.xz" "$work/app"; fi
for d in examples data; do if [ -e "$kit/$d" ]; then ln -s "$kit/$d" "$work/app/$d"; fi; done
export PATH="$work/bin:$PATH"

# The Vulkan loader: the system's, else the kit's .deb unpacked privately.
if ! { ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; }; then
  deb="$(ls "$kit"/debs/libvulkan1_*.deb)"
  mkdir -p "$work/vulkan"
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$deb" "$work/vulkan"
  else (cd "$work/vulkan" && python3 - "$deb" <<'PY'
import io, sys, tarfile, lzma
data = open(sys.argv[1], 'rb').read()
pos = 8  # ar archive: 60-byte member headers
while pos < len(data):
    name, size = data[pos:pos + 16].decode().strip(), int(data[pos + 48:pos + 58])
    body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall('.')
    pos += 60 + size + (size & 1)
PY
  ); fi
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "Vulkan loader: the kit's libvulkan1 (none installed here)"
fi

# The GPU's Vulkan driver (ICD), unless one is named already: NVIDIA's where it is (a dry run: SwiftShader's);
# else the loader's own search.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  if [ "$dry" = 1 ]; then candidates=(/usr/lib/chromium/vk_swiftshader_icd.json)
  else candidates=(/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json); fi
  for icd in "${candidates[@]}"; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
if [ "$dry" = 1 ]; then export NGI_WEBGPU_SOFTWARE=1; fi
echo "Vulkan driver: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-none found}}"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"
export NGI_TFJS_WASM_DIR="$kit/wasm/"

cd "$work/app"
node --version
timeout 480 node scripts/device/device-run.mjs "$out" --deadline-s "${NGI_KIT_DEADLINE_S:-450}" "$@"
