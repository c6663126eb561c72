/**
 * How much memory a forward pass holds at its peak, so that callers can size
 * network calls under a byte budget. Measured, not guessed: tfjs's profile of
 * two passes of different sizes gives a fixed part (relative-position tables,
 * padding indices) and a part per input pixel (activations, attention scores).
 */
import * as tf from '@tensorflow/tfjs';
import {sizeMultiple} from './config.ts';
import {predict, type IsotropicModel} from './model.ts';

export interface ForwardMemory {
  fixedBytes: number;
  bytesPerPixel: number;
}

async function peakBytes(model: IsotropicModel, side: number): Promise<number> {
  const x = tf.zeros([1, side, side, 1]) as tf.Tensor4D;
  const before = tf.memory().numBytes;
  // Any ρ the model serves: the conditioning costs the same at every one.
  const info = await tf.profile(() => predict(model, x, model.metadata.rhoRange?.[0] ?? model.metadata.rho));
  tf.dispose([x, info.result as tf.Tensor]);
  return info.peakBytes - before;
}

export async function measureForwardMemory(model: IsotropicModel): Promise<ForwardMemory> {
  const side = 2 * sizeMultiple(model.metadata.config);
  const small = await peakBytes(model, side);
  const large = await peakBytes(model, 2 * side);
  const bytesPerPixel = Math.max(1, (large - small) / (3 * side * side));
  return {fixedBytes: Math.max(0, small - bytesPerPixel * side * side), bytesPerPixel};
}

/** Pixels (padded to the size multiple) one call may take so that weights + the pass's peak stay within `budget`. */
export function pixelsWithin(model: IsotropicModel, memory: ForwardMemory, budget: number): number {
  const weights = [...model.params.values()].reduce((s, v) => s + v.size * 4, 0);
  const side = 2 * sizeMultiple(model.metadata.config);
  // 10 % margin: the peak is measured on two sizes only.
  const pixels = Math.floor((0.9 * budget - weights - memory.fixedBytes) / memory.bytesPerPixel);
  return Math.max(side * side, Math.min(1 << 20, pixels));
}
