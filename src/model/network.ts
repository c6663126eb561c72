/**
 * The A2I-3DEM transformer U-Net forward pass. Input: interpolated axial planes
 * [B, H, W, 1] (normalised intensities; H is the upsampled axis); output: the
 * same shape, the input plus a predicted residual. Any H×W works: the input is
 * padded (mirror) to a multiple of `sizeMultiple(config)` and the output cropped.
 *
 * `rho`: the anisotropy the planes were interpolated from, one for all or one per
 * plane; a ρ-conditioned network needs it, a fixed-ρ one ignores it.
 */
import * as tf from '@tensorflow/tfjs';
import {levelCount, sizeMultiple, type ModelConfig} from './config.ts';
import {conv, film, gelu, upsample, vitBlock} from './blocks.ts';
import {RHO_FEATURES, type Params} from './params.ts';
import {mirrorIndex} from '../resample/interpolate.ts';

export type PlaneRho = number | ArrayLike<number>;

export function forward(params: Params, config: ModelConfig, input: tf.Tensor4D, rho?: PlaneRho): tf.Tensor4D {
  return tf.tidy(() => {
    const {padded, crop} = padToMultiple(config, input);
    const steps = unetSteps(params, config, padded, rhoEmbedding(params, config, input.shape[0], rho), INSIDE_TIDY);
    let next = steps.next();
    while (!next.done) next = steps.next();
    return tf.add(input, crop(next.value)) as tf.Tensor4D;
  });
}

/**
 * The same forward pass, the same numbers, but it awaits `between()` after each
 * block of the U-Net, so that a long pass (seconds on a CPU, where the wasm
 * backend computes synchronously on the calling thread) lets the thread answer
 * messages and more urgent work run in between. Not for training: the
 * intermediate tensors are released as the pass goes.
 */
export async function forwardInSteps(
  params: Params,
  config: ModelConfig,
  input: tf.Tensor4D,
  between: () => Promise<void>,
  rho?: PlaneRho,
): Promise<tf.Tensor4D> {
  let crop!: (out: tf.Tensor4D) => tf.Tensor4D;
  const padded = tf.tidy(() => {
    const p = padToMultiple(config, input);
    crop = p.crop;
    return p.padded;
  });
  const embedding = tf.tidy(() => rhoEmbedding(params, config, input.shape[0], rho));
  const steps = unetSteps(params, config, padded, embedding, MANAGED);
  try {
    let next = steps.next();
    while (!next.done) {
      await between();
      next = steps.next();
    }
    const out = next.value;
    try {
      return tf.tidy(() => tf.add(input, crop(out)) as tf.Tensor4D);
    } finally {
      out.dispose();
    }
  } finally {
    await steps.return(undefined as never); // releases what an abort left
    if (padded !== input) padded.dispose();
    embedding?.dispose();
  }
}

/**
 * log ρ as the features the conditioning MLP reads: t = log₂ρ/2 − 1 (0 at ρ = 4,
 * ±0.5 at ρ = 2 and 8), t², t³. [B, RHO_FEATURES]
 */
function rhoFeatures(rho: ArrayLike<number>): tf.Tensor2D {
  const data = new Float32Array(rho.length * RHO_FEATURES);
  for (let i = 0; i < rho.length; i++) {
    if (!(rho[i] > 0 && Number.isFinite(rho[i]))) throw new RangeError(`ρ must be a positive number, got ${rho[i]}`);
    const t = Math.log2(rho[i]) / 2 - 1;
    data.set([t, t * t, t * t * t], i * RHO_FEATURES);
  }
  return tf.tensor2d(data, [rho.length, RHO_FEATURES]);
}

/** The ρ embedding [B, E] of a conditioned network (undefined for a fixed-ρ one). */
function rhoEmbedding(params: Params, config: ModelConfig, batch: number, rho: PlaneRho | undefined): tf.Tensor2D | undefined {
  if (!config.rhoConditioning) return undefined;
  if (rho === undefined) throw new Error('this ρ-conditioned model needs the anisotropy ρ of its input planes');
  const perPlane = typeof rho === 'number' ? new Array<number>(batch).fill(rho) : rho;
  if (perPlane.length !== batch) throw new RangeError(`${perPlane.length} values of ρ for ${batch} planes`);
  const w = params.get('rho.embed.w'), b = params.get('rho.embed.b');
  if (!w || !b) throw new Error('missing weight rho.embed');
  return gelu(tf.add(tf.matMul(rhoFeatures(perPlane), w as tf.Tensor2D), b)) as tf.Tensor2D;
}

/** Mirror-pads H and W to the network's size multiple; `crop` undoes it on the output. */
function padToMultiple(config: ModelConfig, input: tf.Tensor4D): {padded: tf.Tensor4D; crop: (out: tf.Tensor4D) => tf.Tensor4D} {
  const [, h, w] = input.shape;
  const multiple = sizeMultiple(config);
  const ph = (multiple - (h % multiple)) % multiple;
  const pw = (multiple - (w % multiple)) % multiple;
  // Whole-sample mirror padding by index, which (unlike tf.mirrorPad) works for any pad and size, even 1.
  const mirrored = (n: number, pad: number) => tf.tensor1d(Array.from({length: n + pad}, (_, i) => mirrorIndex(i, n)), 'int32');
  let x = input;
  if (ph) x = tf.gather(x, mirrored(h, ph), 1);
  if (pw) x = tf.gather(x, mirrored(w, pw), 2);
  return {padded: x, crop: (out) => (ph || pw ? tf.slice(out, [0, 0, 0, 0], [-1, h, w, -1]) : out)};
}

/** How the steps hold tensors: inside one tidy (and a gradient tape) nothing is freed early. */
interface TensorScope {
  run<T extends tf.Tensor>(f: () => T): T;
  release(t: tf.Tensor): void;
}
const INSIDE_TIDY: TensorScope = {run: (f) => f(), release: () => {}};
const MANAGED: TensorScope = {run: (f) => tf.tidy(f), release: (t) => t.dispose()};

/** The U-Net, one block per step; returns the projection's output (the residual, padded). */
function* unetSteps(
  params: Params,
  config: ModelConfig,
  x: tf.Tensor4D,
  rhoEmbedding: tf.Tensor2D | undefined,
  scope: TensorScope,
): Generator<void, tf.Tensor4D> {
  const k = levelCount(config);
  const block = (name: string, y: tf.Tensor4D, level: number) =>
    vitBlock(params, name, y, {attention: config.attention[level], window: config.window, heads: config.heads[level], rhoEmbedding});

  const stem = scope.run(() => {
    const features = conv(params, 'stem', x); // [B, H, W, C]
    return rhoEmbedding ? film(params, 'stem.film', features, rhoEmbedding) : features;
  });
  const skips: tf.Tensor4D[] = [];
  let y = stem;
  const held = () => [stem, ...skips];
  /** y ← f(y), freeing the old y unless the stem or a skip still needs it. */
  const advance = (f: (y: tf.Tensor4D) => tf.Tensor4D) => {
    const next = scope.run(() => f(y));
    if (!held().includes(y)) scope.release(y);
    y = next;
  };
  try {
    for (let level = 0; level < k; level++) {
      for (let i = 0; i < config.blocks[level]; i++) {
        advance((y) => block(`enc${level}.block${i}`, y, level));
        yield;
      }
      skips.push(y);
      advance((y) => conv(params, `down${level}`, y, 2, 'valid')); // [B, H/2, W/2, 2C]
    }
    for (let i = 0; i < config.bottleneckBlocks; i++) {
      advance((y) => block(`bottleneck.block${i}`, y, k));
      yield;
    }
    for (let level = k - 1; level >= 0; level--) {
      const skip = skips[level];
      // [B, 2H, 2W, C], fused with the skip
      advance((y) => conv(params, `fuse${level}`, tf.concat([upsample(params, `up${level}`, y), skip], 3), 1));
      skips.pop();
      scope.release(skip);
      for (let i = 0; i < config.blocks[level]; i++) {
        advance((y) => block(`dec${level}.block${i}`, y, level));
        yield;
      }
    }
    const out = scope.run(() => conv(params, 'projection', tf.add(y, stem))); // [B, H, W, 1]
    if (y !== stem) scope.release(y);
    y = stem;
    return out;
  } finally {
    // Normal end: only the stem is left; after an abort, whatever the pass held.
    for (const t of new Set([y, ...held()])) scope.release(t);
  }
}
