// `npm run bench:speed`: in headless Chromium, plane inference of each preset on tfjs WebGPU, wasm and cpu:
// voxels/s, and achieved GFLOP/s as a fraction of a conv2d / matMul microbenchmark on the same backend, with
// the CPU threads of the backend (wasm; – on a GPU).
// Options: --backends webgpu,wasm,cpu --presets tiny,default,large --size 256 --planes 4 --repeats 3 --json
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {withBrowserPage} from '../src/cli/browser/browser-page.ts';

const {values} = parseArgs({
  options: {
    backends: {type: 'string', default: 'webgpu,wasm,cpu'},
    presets: {type: 'string', default: 'tiny,default,large'},
    size: {type: 'string', default: '256'},
    planes: {type: 'string', default: '4'},
    repeats: {type: 'string', default: '3'},
    json: {type: 'boolean', default: false},
  },
});

// The pure-JS cpu backend is ~100× slower: keep it to the tiny preset and one plane.
const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-bench-')); // the page needs no data
const rows = await withBrowserPage('scripts/bench/speed-page.ts', empty, async ({page, pageUrl}) => {
  const results = [];
  for (const backend of values.backends!.split(',')) {
    await page.goto(pageUrl);
    await page.waitForFunction(() => (globalThis as {ngPageReady?: boolean}).ngPageReady === true);
    const presets = backend === 'cpu' ? ['tiny'] : values.presets!.split(',');
    results.push(
      await page.evaluate(
        (req) => (window as unknown as {runBench: (r: unknown) => Promise<unknown>}).runBench(req),
        {backend, presets, planeSize: +values.size!, planes: backend === 'cpu' ? 1 : +values.planes!, repeats: +values.repeats!, wasmPaths: pageUrl},
      ),
    );
  }
  return results;
});

await fs.rm(empty, {recursive: true, force: true});
if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`plane inference, ${values.size}² planes, median of ${values.repeats} runs after a warm-up`);
  console.log('backend  threads  adapter                  conv2d GF/s  matMul GF/s  preset   kFLOP/px   voxels/s     GF/s   of conv  of matMul');
  for (const r of rows as {backend: string; threads: number | null; adapter: string; convGflops: number; matMulGflops: number; presets: {preset: string; flopsPerPixel: number; voxelsPerSecond: number; gflops: number}[]}[]) {
    for (const p of r.presets) {
      console.log(
        `${r.backend.padEnd(8)} ${String(r.threads ?? '–').padEnd(8)} ${r.adapter.slice(0, 24).padEnd(24)} ${r.convGflops.toFixed(2).padStart(11)}  ${r.matMulGflops.toFixed(2).padStart(11)}  ${p.preset.padEnd(8)} ${(p.flopsPerPixel / 1000).toFixed(1).padStart(8)}   ${p.voxelsPerSecond.toExponential(2).padStart(9)}  ${p.gflops.toFixed(2).padStart(7)}   ${((100 * p.gflops) / r.convGflops).toFixed(0).padStart(5)} %   ${((100 * p.gflops) / r.matMulGflops).toFixed(0).padStart(6)} %`,
      );
    }
  }
}
