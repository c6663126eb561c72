// bench:speed's measurement on the tfjs backend in use, in a browser page or in Node: plane-inference rate of
// each preset and a conv2d / matMul microbenchmark, so that their ratio gives the network's utilisation.
import * as tf from '@tensorflow/tfjs';
import {flopsPerPixel, presetConfig, sizeMultiple} from '../../src/model/config.ts';
import {isotropicGrid, planChunk} from '../../src/chunk/plan.ts';
import {computeIsotropicChunk} from '../../src/chunk/compute.ts';
import {cropBox, type Box3} from '../../src/grid/box.ts';
import {createModel, disposeModel} from '../../src/model/model.ts';
import {superResolvePlanes} from '../../src/infer/planes.ts';

export interface SpeedRequest {
  presets: string[];
  planeSize: number;
  planes: number;
  repeats: number;
}

export interface PresetSpeed {
  preset: string;
  flopsPerPixel: number;
  secondsPerBatch: number;
  voxelsPerSecond: number;
  gflops: number;
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

/** Achieved GFLOP/s of a conv2d (8×64²×32 → 32, 3×3) and a 1024² matMul: what the backend can do at best. */
export async function microbench(repeats: number): Promise<{convGflops: number; matMulGflops: number}> {
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

/** Median time of superResolvePlanes on `planes` planes of `planeSize`² for each preset (random weights). */
export async function presetSpeeds(req: SpeedRequest): Promise<PresetSpeed[]> {
  const results: PresetSpeed[] = [];
  for (const name of req.presets) {
    const config = presetConfig(name);
    const model = createModel({config, rho: 4, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1});
    const n = req.planes;
    const s = req.planeSize;
    const planes = new Float32Array(n * s * s).map((_, i) => Math.sin(i * 0.01));
    const seconds = await median(req.repeats, async () => {
      await superResolvePlanes(model, planes, n, s, s, {batch: n, tile: s});
    });
    const voxelsPerSecond = (n * s * s) / seconds;
    results.push({preset: name, flopsPerPixel: flopsPerPixel(config), secondsPerBatch: seconds, voxelsPerSecond, gflops: (voxelsPerSecond * flopsPerPixel(config)) / 1e9});
    disposeModel(model);
  }
  return results;
}

/**
 * What the per-voxel confidence costs: one isotropic chunk (`edge`³ output voxels, fusion xz+yz, a synthetic
 * textured volume at ρ 4) computed with and without it, median seconds of each and their ratio.
 */
export async function confidenceCost(preset: string, edge: number, repeats: number): Promise<{preset: string; edge: number; plain: number; withConfidence: number; ratio: number}> {
  const rho = 4;
  const model = createModel({config: presetConfig(preset), rho, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1}, 1);
  try {
    const multiple = sizeMultiple(model.metadata.config);
    const input: [number, number, number] = [Math.ceil((edge + 2 * multiple) / rho) + 8, edge + 2 * multiple, edge + 2 * multiple];
    const volume = Float32Array.from({length: input[0] * input[1] * input[2]}, (_, i) => 128 + 60 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
    const grid = isotropicGrid(input, rho);
    const o = multiple;
    const plan = planChunk(grid, {start: [o, o, o], end: [o + edge, o + edge, o + edge]}, {halo: multiple, multiple, fuse: 'xz+yz', interpolation: 'cubic'});
    const read = async (box: Box3) => cropBox(volume, {start: [0, 0, 0], end: input}, box);
    const time = (confidence: boolean) => median(repeats, async () => void (await computeIsotropicChunk(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic', confidence})));
    const plain = await time(false);
    const withConfidence = await time(true);
    return {preset, edge, plain, withConfidence, ratio: withConfidence / plain};
  } finally {
    disposeModel(model);
  }
}
