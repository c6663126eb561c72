/**
 * Normalised 1-D Gaussian kernel built as scipy.ndimage's `gaussian_filter` builds
 * it: radius = floor(truncate·σ + 0.5), weights exp(−x²/2σ²) / Σ. σ = 1.5 with the
 * truncate of 3.5 that skimage's SSIM uses gives the 11 taps of Wang et al. 2004.
 */
export function gaussianKernel1d(sigma: number, truncate = 3.5): Float64Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`bad sigma ${sigma}`);
  const radius = Math.floor(truncate * sigma + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp((-0.5 * i * i) / (sigma * sigma));
    kernel[i + radius] = w;
    sum += w;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return kernel;
}
