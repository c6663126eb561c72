// Runs in headless Chromium for `npm run bench:speed`: plane-inference rate of each preset and a
// conv2d / matMul microbenchmark on one tfjs backend, so their ratio gives the network's utilisation.
import * as tf from '@tensorflow/tfjs';
import {initBackend, type BackendName} from '../../src/tf/backend.ts';
import {flopsPerPixel, presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel} from '../../src/model/model.ts';
import {superResolvePlanes} from '../../src/infer/planes.ts';
import {describeWebGpuAdapter} from '../../src/gpu/webgpu-adapter.ts';

interface BenchRequest {
  backend: BackendName;
  presets: string[];
  planeSize: number;
  planes: number;
  repeats: number;
  wasmPaths: string;
}

async function median(repeats: number, run: () => Promise<void>): Promise<number> {
  await run(); // warm-up: shader compilation, kernel caches
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] / 1000;
}

async function micro(repeats: number) {
  const x = tf.randomNormal([8, 64, 64, 32]) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, 32, 32]) as tf.Tensor4D;
  const a = tf.randomNormal([1024, 1024]) as tf.Tensor2D;
  const once = async (op: () => tf.Tensor) => {
    const y = op();
    await y.data();
    y.dispose();
  };
  const conv = (2 * 8 * 64 * 64 * 32 * 32 * 9) / (await median(repeats, () => once(() => tf.conv2d(x, f, 1, 'same')))) / 1e9;
  const matmul = (2 * 1024 ** 3) / (await median(repeats, () => once(() => tf.matMul(a, a)))) / 1e9;
  tf.dispose([x, f, a]);
  return {convGflops: conv, matMulGflops: matmul};
}

async function runBench(req: BenchRequest) {
  const choice = await initBackend([req.backend], {wasmPaths: req.wasmPaths});
  const microResult = await micro(req.repeats);
  const presets = [];
  for (const name of req.presets) {
    const config = presetConfig(name);
    const model = createModel({config, rho: 4, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1});
    const n = req.planes, s = req.planeSize;
    const planes = new Float32Array(n * s * s).map((_, i) => Math.sin(i * 0.01));
    const seconds = await median(req.repeats, async () => {
      await superResolvePlanes(model, planes, n, s, s, {batch: n, tile: s});
    });
    const voxelsPerSecond = (n * s * s) / seconds;
    presets.push({preset: name, flopsPerPixel: flopsPerPixel(config), secondsPerBatch: seconds, voxelsPerSecond, gflops: (voxelsPerSecond * flopsPerPixel(config)) / 1e9});
    disposeModel(model);
  }
  const gpu = (await describeWebGpuAdapter(navigator)).adapter;
  const adapter = gpu ? `${gpu.vendor} ${gpu.architecture}`.trim() : 'none';
  return {backend: choice.backend, threads: choice.threads ?? null, adapter, ...microResult, presets};
}


(window as unknown as {runBench: typeof runBench}).runBench = runBench;
(globalThis as {ngPageReady?: boolean}).ngPageReady = true;
