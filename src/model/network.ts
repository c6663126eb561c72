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
    const [, h, w] = input.shape;
    const multiple = sizeMultiple(config);
    const ph = (multiple - (h % multiple)) % multiple;
    const pw = (multiple - (w % multiple)) % multiple;
    // Whole-sample mirror padding by index, which (unlike tf.mirrorPad) works for any pad and size, even 1.
    const mirrored = (n: number, pad: number) => tf.tensor1d(Array.from({length: n + pad}, (_, i) => mirrorIndex(i, n)), 'int32');
    let x = input;
    if (ph) x = tf.gather(x, mirrored(h, ph), 1);
    if (pw) x = tf.gather(x, mirrored(w, pw), 2);
    const out = unet(params, config, x);
    const residual = ph || pw ? tf.slice(out, [0, 0, 0, 0], [-1, h, w, -1]) : out;
    return tf.add(input, residual);
  });
}

function unet(params: Params, config: ModelConfig, x: tf.Tensor4D): tf.Tensor4D {
  const k = levelCount(config);
  const block = (name: string, y: tf.Tensor4D, level: number) =>
    vitBlock(params, name, y, {attention: config.attention[level], window: config.window, heads: config.heads[level]});

  const stem = conv(params, 'stem', x); // [B, H, W, C]
  let y = stem;
  const skips: tf.Tensor4D[] = [];
  for (let level = 0; level < k; level++) {
    for (let i = 0; i < config.blocks[level]; i++) y = block(`enc${level}.block${i}`, y, level);
    skips.push(y);
    y = conv(params, `down${level}`, y, 2, 'valid'); // [B, H/2, W/2, 2C]
  }
  for (let i = 0; i < config.bottleneckBlocks; i++) y = block(`bottleneck.block${i}`, y, k);
  for (let level = k - 1; level >= 0; level--) {
    y = upsample(params, `up${level}`, y); // [B, 2H, 2W, C]
    y = conv(params, `fuse${level}`, tf.concat([y, skips[level]], 3), 1);
    for (let i = 0; i < config.blocks[level]; i++) y = block(`dec${level}.block${i}`, y, level);
  }
  return conv(params, 'projection', tf.add(y, stem)); // [B, H, W, 1]
}
