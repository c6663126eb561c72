// `npm run bench:speed`: plane inference of each preset on tfjs WebGPU, wasm and cpu: voxels/s, and achieved
// GFLOP/s as a fraction of a conv2d / matMul microbenchmark on the same backend, with the CPU threads of the
// backend (wasm; – on a GPU). In Node (WebGPU through Dawn where it finds a GPU adapter; NGI_WEBGPU_SOFTWARE=1
// allows a software one), or with --browser in headless Chromium (its WebGPU, wasm on every core).
// With wasm in Node it also times one isotropic chunk (--confidence-edge³ voxels, xz+yz, the first preset) with and without
// the per-voxel confidence: the confidence's cost as a ratio of inference times.
// Options: --backends webgpu,wasm,cpu --presets tiny,default,large --size 256 --planes 4 --repeats 3 --confidence-edge 32 --browser --json
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {withBrowserPage} from '../src/cli/browser/browser-page.ts';
import {initBackend, type BackendName} from '../src/tf/backend.ts';
import {nodeWebGpuHook} from '../src/tf/node-webgpu.ts';
import {confidenceCost, microbench, presetSpeeds, type PresetSpeed} from './bench/speed-measure.ts';

const {values} = parseArgs({
  options: {
    backends: {type: 'string', default: 'webgpu,wasm,cpu'},
    presets: {type: 'string', default: 'tiny,default,large'},
    size: {type: 'string', default: '256'},
    planes: {type: 'string', default: '4'},
    repeats: {type: 'string', default: '3'},
    'confidence-edge': {type: 'string', default: '32'},
    browser: {type: 'boolean', default: false},
    json: {type: 'boolean', default: false},
  },
});

interface SpeedRow {
  backend: string;
  threads: number | null;
  adapter: string;
  convGflops: number;
  matMulGflops: number;
  presets: PresetSpeed[];
}

// The pure-JS cpu backend is ~100× slower: keep it to the tiny preset and one plane.
const requestFor = (backend: string) => ({
  presets: backend === 'cpu' ? ['tiny'] : values.presets!.split(','),
  planeSize: +values.size!,
  planes: backend === 'cpu' ? 1 : +values.planes!,
  repeats: +values.repeats!,
});

const rows: SpeedRow[] = [];
let confidence: Awaited<ReturnType<typeof confidenceCost>> | undefined;
const unavailable: string[] = [];
if (values.browser) {
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-bench-')); // the page needs no data
  rows.push(
    ...(await withBrowserPage('scripts/bench/speed-page.ts', empty, async ({page, pageUrl}) => {
      const results: SpeedRow[] = [];
      for (const backend of values.backends!.split(',')) {
        await page.goto(pageUrl);
        await page.waitForFunction(() => (globalThis as {ngPageReady?: boolean}).ngPageReady === true);
        const req = {backend, ...requestFor(backend), wasmPaths: pageUrl};
        results.push(await page.evaluate((r) => (window as unknown as {runBench: (r: unknown) => Promise<SpeedRow>}).runBench(r), req));
      }
      return results;
    })),
  );
  await fs.rm(empty, {recursive: true, force: true});
} else {
  for (const backend of values.backends!.split(',') as BackendName[]) {
    const choice = await initBackend([backend], {nodeWebGpu: nodeWebGpuHook}).catch((e: Error) => e);
    if (choice instanceof Error) {
      unavailable.push(`${backend}: ${choice.message}`);
      continue;
    }
    const req = requestFor(backend);
    rows.push({backend, threads: choice.threads ?? null, adapter: choice.adapter ?? 'none', ...(await microbench(req.repeats)), presets: await presetSpeeds(req)});
    if (backend === 'wasm') confidence = await confidenceCost(req.presets[0], +values['confidence-edge']!, req.repeats);
  }
}

if (values.json) console.log(JSON.stringify({rows, unavailable, confidence}, null, 2));
else {
  console.log(`plane inference, ${values.size}² planes, median of ${values.repeats} runs after a warm-up`);
  console.log('backend  threads  adapter                  conv2d GF/s  matMul GF/s  preset   kFLOP/px   voxels/s     GF/s   of conv  of matMul');
  for (const r of rows) {
    for (const p of r.presets) {
      console.log(
        `${r.backend.padEnd(8)} ${String(r.threads ?? '–').padEnd(8)} ${r.adapter.slice(0, 24).padEnd(24)} ${r.convGflops.toFixed(2).padStart(11)}  ${r.matMulGflops.toFixed(2).padStart(11)}  ${p.preset.padEnd(8)} ${(p.flopsPerPixel / 1000).toFixed(1).padStart(8)}   ${p.voxelsPerSecond.toExponential(2).padStart(9)}  ${p.gflops.toFixed(2).padStart(7)}   ${((100 * p.gflops) / r.convGflops).toFixed(0).padStart(5)} %   ${((100 * p.gflops) / r.matMulGflops).toFixed(0).padStart(6)} %`,
      );
    }
  }
  for (const line of unavailable) console.log(`not measured: ${line}`);
  if (confidence) {
    const c = confidence;
    console.log(
      `confidence (wasm, ${c.preset}, one ${c.edge}³ chunk, xz+yz): ${c.plain.toFixed(2)} s without, ${c.withConfidence.toFixed(2)} s with → ×${c.ratio.toFixed(2)} the inference time`,
    );
  }
}
