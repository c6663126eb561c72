// Runs in headless Chromium for `npm run bench:speed -- --browser`: speed-measure.ts on one tfjs backend of the page.
import {initBackend, type BackendName} from '../../src/tf/backend.ts';
import {microbench, presetSpeeds} from './speed-measure.ts';
import {describeWebGpuAdapter} from '../../src/gpu/webgpu-adapter.ts';

interface BenchRequest {
  backend: BackendName;
  presets: string[];
  planeSize: number;
  planes: number;
  repeats: number;
  wasmPaths: string;
}

async function runBench(req: BenchRequest) {
  const choice = await initBackend([req.backend], {wasmPaths: req.wasmPaths});
  const microResult = await microbench(req.repeats);
  const presets = await presetSpeeds(req);
  const gpu = (await describeWebGpuAdapter(navigator)).adapter;
  const adapter = gpu ? `${gpu.vendor} ${gpu.architecture}`.trim() : 'none';
  return {backend: choice.backend, threads: choice.threads ?? null, adapter, ...microResult, presets};
}

(window as unknown as {runBench: typeof runBench}).runBench = runBench;
(globalThis as {ngPageReady?: boolean}).ngPageReady = true;
