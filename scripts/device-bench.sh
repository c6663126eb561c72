#!/usr/bin/env bash
# The speed figures on a real GPU: bench:speed and bench:viewer in headless Chromium
# with WebGPU through Vulkan (and wasm on the same machine's cores, for comparison).
# Writes the outputs and a markdown table under OUT (default bench-gpu/); ends within
# about 8 minutes. Needs node ≥ 20, Chromium (installed from Debian when missing and
# reachable) and the npm packages (npm ci when node_modules is missing).
# Usage: bash scripts/device-bench.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-bench-gpu}}"
mkdir -p "$out"

bash scripts/ensure-chromium.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/index.html ] || npx vite build >"$out/build.log" 2>&1

# Without a Vulkan driver Chromium would quietly fall back to SwiftShader: say so first.
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"; fi
ldconfig -p | grep -q libvulkan || echo "warning: no libvulkan on this machine; WebGPU will not reach the GPU" | tee -a "$out/gpu.txt"

export NGI_CHROMIUM_GPU=1
run() { # name, seconds, command…
  local name=$1 limit=$2
  shift 2
  echo "== $name" >&2
  timeout "$limit" "$@" >"$out/$name.txt" 2>"$out/$name.err" || echo "$name: exit $? (see $out/$name.err)" | tee -a "$out/failures.txt"
}
run speed 150 npm run -s bench:speed -- --browser --backends webgpu,wasm --presets default --size 256 --planes 8
run viewer-webgpu 150 npm run -s bench:viewer -- --tfjs webgpu --steps 4 --plane-steps 4 --json
run viewer-wasm 150 npm run -s bench:viewer -- --tfjs wasm --steps 4 --plane-steps 4 --json

# One table from the two viewer runs' last lines (their JSON summaries).
node -e '
const fs = require("fs");
const out = process.argv[1];
const rows = [];
for (const tfjs of ["webgpu", "wasm"]) {
  const lines = fs.existsSync(`${out}/viewer-${tfjs}.txt`) ? fs.readFileSync(`${out}/viewer-${tfjs}.txt`, "utf8").trim().split("\n") : [];
  let j;
  try { j = JSON.parse(lines.at(-1)); } catch { rows.push(`| ${tfjs} | no result | | | | | | |`); continue; }
  const s = (ms) => (ms / 1000).toFixed(2);
  rows.push(`| ${tfjs} | ${j.threads ?? "–"} | ${s(j.raw.panelMs)} | ${s(j.isotropic.panelMs)} | ${s(j.isotropic.firstNetworkMs)} | ${s(j.raw.stepMs)} / ${s(j.isotropic.stepMs)} | ${s(j.raw.planeStepMs)} / ${s(j.isotropic.planeStepMs)} | ${(j.isotropic.panelMs / j.raw.panelMs).toFixed(2)}× |`);
}
const table = ["| backend | threads | raw panel s | isotropic panel s | first network s | 16-plane step s (raw / iso) | one-plane step s (raw / iso) | iso/raw panel |", "|---|---|---|---|---|---|---|---|", ...rows].join("\n");
fs.writeFileSync(`${out}/viewer-table.md`, table + "\n");
console.log(table);
' "$out"
cat "$out/speed.txt"
