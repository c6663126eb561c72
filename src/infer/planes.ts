/**
 * Super-resolution of axial planes (rows = the upsampled axis), in normalised
 * intensities. Planes up to `tile` in size go through the network whole, in
 * batches; larger ones are cut into overlapping tiles, blended with linear
 * ramps, so there are no seams. Tensors stay on the device between ops; one
 * readback per batch.
 */
import * as tf from '@tensorflow/tfjs';
import {sizeMultiple} from '../model/config.ts';
import {predict, predictInSteps, type IsotropicModel} from '../model/model.ts';
import {mirrorIndex} from '../resample/interpolate.ts';
import {rampWeights, tileGrid} from './tiles.ts';

export interface PlaneInferenceOptions {
  /** Largest plane edge processed whole; larger planes are tiled. */
  tile: number;
  /** Overlap between neighbouring tiles (voxels). */
  overlap: number;
  /** Planes (or tiles) per network call at most. */
  batch: number;
  /** Pixels per network call at most: bounds device memory (wasm has 4 GB in all). */
  maxPixels: number;
  /**
   * Test-time augmentation: also run the plane mirrored along x ('x'), or
   * along x, z and both ('xz'), and average. The network was trained with
   * these flips, so each is an equally valid estimate; costs 2× or 4×.
   */
  flips: 'none' | 'x' | 'xz';
  signal?: AbortSignal;
  /** Awaited before each network call and between its blocks: lets a scheduler run more urgent work in between. */
  yieldPoint?: () => Promise<void>;
  /** The section spacing the planes were interpolated from (lateral voxels): a ρ-conditioned model needs it. */
  rho?: number;
}

export const DEFAULT_PLANE_OPTIONS: PlaneInferenceOptions = {tile: 256, overlap: 48, batch: 8, maxPixels: 1 << 18, flips: 'none'};

/** planes: [n, rows, cols] → same shape. */
export async function superResolvePlanes(
  model: IsotropicModel,
  planes: Float32Array,
  n: number,
  rows: number,
  cols: number,
  options: Partial<PlaneInferenceOptions> = {},
): Promise<Float32Array> {
  const opts = {...DEFAULT_PLANE_OPTIONS, ...options};
  const multiple = sizeMultiple(model.metadata.config);
  const gridR = tileGrid(rows, opts.tile, opts.overlap, multiple);
  const gridC = tileGrid(cols, opts.tile, opts.overlap, multiple);
  const tileR = gridR.size;
  const tileC = gridC.size;
  const tiles: {plane: number; r: number; c: number}[] = [];
  for (let p = 0; p < n; p++) {
    gridR.origins.forEach((_, r) => gridC.origins.forEach((__, c) => tiles.push({plane: p, r, c})));
  }
  const whole = tiles.length === n;
  const out = new Float32Array(n * rows * cols);
  const weightSum = whole ? undefined : new Float32Array(n * rows * cols);
  const wr = gridR.origins.map((_, i) => rampWeights(gridR, i, tileR));
  const wc = gridC.origins.map((_, i) => rampWeights(gridC, i, tileC));
  const tileSize = tileR * tileC;
  // The network pads each tile to the size multiple: that is what a call holds in memory.
  const paddedTileSize = Math.ceil(tileR / multiple) * multiple * Math.ceil(tileC / multiple) * multiple;
  const perCall = Math.max(1, Math.min(opts.batch, Math.floor(opts.maxPixels / paddedTileSize)));

  for (let start = 0; start < tiles.length; start += perCall) {
    await opts.yieldPoint?.();
    opts.signal?.throwIfAborted();
    const batch = tiles.slice(start, start + perCall);
    const input = new Float32Array(batch.length * tileSize);
    batch.forEach((t, b) => copyTile(planes, t.plane, rows, cols, gridR.origins[t.r], gridC.origins[t.c], tileR, tileC, input, b * tileSize));
    const x = tf.tensor4d(input, [batch.length, tileR, tileC, 1]);
    let result: Float32Array;
    try {
      const y = await predictWithFlips(model, x, opts);
      try {
        result = (await y.data()) as Float32Array;
      } finally {
        y.dispose();
      }
    } finally {
      x.dispose();
    }
    batch.forEach((t, b) => {
      const r0 = gridR.origins[t.r], c0 = gridC.origins[t.c];
      for (let i = 0; i < tileR && r0 + i < rows; i++) {
        for (let j = 0; j < tileC && c0 + j < cols; j++) {
          const o = (t.plane * rows + r0 + i) * cols + c0 + j;
          const v = result[b * tileSize + i * tileC + j];
          if (weightSum) {
            const w = wr[t.r][i] * wc[t.c][j];
            out[o] += v * w;
            weightSum[o] += w;
          } else {
            out[o] = v;
          }
        }
      }
    });
  }
  if (weightSum) for (let i = 0; i < out.length; i++) out[i] /= weightSum[i];
  return out;
}

async function predictWithFlips(model: IsotropicModel, x: tf.Tensor4D, opts: PlaneInferenceOptions): Promise<tf.Tensor4D> {
  const {flips, yieldPoint, signal, rho} = opts;
  if (flips === 'none') {
    if (!yieldPoint) return predict(model, x, rho);
    // Between the network's blocks as well: one call can take seconds on a CPU.
    return predictInSteps(
      model,
      x,
      async () => {
        await yieldPoint();
        signal?.throwIfAborted();
      },
      rho,
    );
  }
  const axesSets: number[][] = flips === 'x' ? [[], [2]] : [[], [2], [1], [1, 2]];
  return tf.tidy(() => {
    const estimates = axesSets.map((axes) =>
      axes.length ? tf.reverse(predict(model, tf.reverse(x, axes), rho), axes) : predict(model, x, rho),
    );
    return tf.div(tf.addN(estimates), estimates.length) as tf.Tensor4D;
  });
}

/** Copies a tile of a plane, mirroring past the plane's edges. */
function copyTile(
  planes: Float32Array, p: number, rows: number, cols: number,
  r0: number, c0: number, tileR: number, tileC: number,
  out: Float32Array, offset: number,
): void {
  const base = p * rows * cols;
  for (let i = 0; i < tileR; i++) {
    const r = mirrorIndex(r0 + i, rows);
    for (let j = 0; j < tileC; j++) out[offset + i * tileC + j] = planes[base + r * cols + mirrorIndex(c0 + j, cols)];
  }
}

/** A mirroring of planes: along their columns (x of an xz plane), their rows (z), or both. */
export type PlaneMirror = 'cols' | 'rows' | 'both';

/**
 * The network's estimates on mirrored copies of the planes (each mirrored back),
 * as two arrays laid end to end: their sum, then the sum of their squares, each
 * [n, rows, cols]. With the unmirrored result they give the spread of the
 * network's estimates over test-time mirrorings (src/infer/confidence.ts). Each
 * mirrored estimate is one plain pass (no test-time flips of its own).
 */
export async function mirroredMoments(
  model: IsotropicModel,
  planes: Float32Array,
  n: number,
  rows: number,
  cols: number,
  mirrors: readonly PlaneMirror[],
  options: Partial<PlaneInferenceOptions> = {},
): Promise<Float32Array> {
  const size = n * rows * cols;
  const moments = new Float32Array(2 * size);
  for (const mirror of mirrors) {
    const estimate = mirrorPlanes(await superResolvePlanes(model, mirrorPlanes(planes, n, rows, cols, mirror), n, rows, cols, {...options, flips: 'none'}), n, rows, cols, mirror);
    for (let i = 0; i < size; i++) {
      moments[i] += estimate[i];
      moments[size + i] += estimate[i] * estimate[i];
    }
  }
  return moments;
}

/** Planes [n, rows, cols] mirrored (its own inverse). */
export function mirrorPlanes(planes: Float32Array, n: number, rows: number, cols: number, mirror: PlaneMirror): Float32Array {
  const out = new Float32Array(n * rows * cols);
  const flipRows = mirror !== 'cols';
  const flipCols = mirror !== 'rows';
  for (let p = 0; p < n; p++) {
    for (let r = 0; r < rows; r++) {
      const src = (p * rows + (flipRows ? rows - 1 - r : r)) * cols;
      const dst = (p * rows + r) * cols;
      if (flipCols) for (let c = 0; c < cols; c++) out[dst + c] = planes[src + cols - 1 - c];
      else out.set(planes.subarray(src, src + cols), dst);
    }
  }
  return out;
}
