/**
 * The A2I-3DEM transformer U-Net forward pass. Input: interpolated axial planes
 * [B, H, W, 1] (normalised intensities; H is the upsampled axis); output: the
 * same shape, the input plus a predicted residual. Any H×W works: the input is
 * padded (mirror) to a multiple of `sizeMultiple(config)` and the output cropped.
 */
import * as tf from '@tensorflow/tfjs';
import {levelCount, sizeMultiple, type ModelConfig} from './config.ts';
import {conv, upsample, vitBlock} from './blocks.ts';
import type {Params} from './params.ts';
import {mirrorIndex} from '../resample/interpolate.ts';

export function forward(params: Params, config: ModelConfig, input: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const {padded, crop} = padToMultiple(config, input);
    const steps = unetSteps(params, config, padded, INSIDE_TIDY);
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
export async function forwardInSteps(params: Params, config: ModelConfig, input: tf.Tensor4D, between: () => Promise<void>): Promise<tf.Tensor4D> {
  let crop!: (out: tf.Tensor4D) => tf.Tensor4D;
  const padded = tf.tidy(() => {
    const p = padToMultiple(config, input);
    crop = p.crop;
    return p.padded;
  });
  const steps = unetSteps(params, config, padded, MANAGED);
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
  }
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
function* unetSteps(params: Params, config: ModelConfig, x: tf.Tensor4D, scope: TensorScope): Generator<void, tf.Tensor4D> {
  const k = levelCount(config);
  const block = (name: string, y: tf.Tensor4D, level: number) =>
    vitBlock(params, name, y, {attention: config.attention[level], window: config.window, heads: config.heads[level]});

  const stem = scope.run(() => conv(params, 'stem', x)); // [B, H, W, C]
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
