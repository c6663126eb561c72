/** Mean squared error between two equally long arrays. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  if (a.length === 0) throw new RangeError('mse of empty arrays');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return sum / a.length;
}

/**
 * Peak signal-to-noise ratio in dB, 10·log10(dataRange² / MSE), as scikit-image's
 * `peak_signal_noise_ratio`. Identical inputs give Infinity.
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, dataRange: number): number {
  if (!(dataRange > 0) || !Number.isFinite(dataRange)) throw new RangeError(`bad dataRange ${dataRange}`);
  const err = mse(a, b);
  return err === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / err);
}
