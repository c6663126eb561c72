/**
 * How much noise synthetic sections lack, estimated from the anisotropic volume itself.
 *
 * A real axial plane's rows are the volume's own voxels, each carrying the acquisition
 * noise σ. A synthetic section averages ρ lateral rows, so its noise is only σ/√ρ: a
 * network trained on those pairs has never seen inputs as noisy as the ones it will
 * get. Adding Gaussian noise of σ·√(1 − 1/ρ) to each synthetic section restores σ.
 * σ is measured on the lateral planes with Immerkær's estimator (a 3×3 Laplacian-
 * difference mask that cancels linear image structure; white noise assumed).
 */

import type {PatchSource} from './patches.ts';

/**
 * Immerkær (1996) noise standard deviation of one plane [rows, cols] read from `data`
 * at `offset`: σ = √(π/2) / (6 (W−2)(H−2)) · Σ |I ∗ N|, N = [1 −2 1; −2 4 −2; 1 −2 1].
 */
export function immerkaerNoiseSigma(data: ArrayLike<number>, rows: number, cols: number, offset = 0): number {
  if (rows < 3 || cols < 3) throw new RangeError(`immerkaerNoiseSigma: a plane of ${rows} × ${cols} is smaller than the 3 × 3 mask`);
  let sum = 0;
  for (let y = 1; y < rows - 1; y++) {
    const up = offset + (y - 1) * cols, mid = up + cols, down = mid + cols;
    for (let x = 1; x < cols - 1; x++) {
      const corners = data[up + x - 1] + data[up + x + 1] + data[down + x - 1] + data[down + x + 1];
      const edges = data[up + x] + data[mid + x - 1] + data[mid + x + 1] + data[down + x];
      sum += Math.abs(corners - 2 * edges + 4 * data[mid + x]);
    }
  }
  return (Math.sqrt(Math.PI / 2) * sum) / (6 * (rows - 2) * (cols - 2));
}

/** Median of the per-plane estimates over (at most `maxPlanes`, evenly spaced) lateral planes, in the data's units. */
export function lateralNoiseSigma(volume: PatchSource, maxPlanes = 16): number {
  const [nz, ny, nx] = volume.shape;
  if (nz < 1) throw new RangeError('lateralNoiseSigma: the volume has no lateral planes');
  const count = Math.min(nz, maxPlanes);
  const sigmas: number[] = [];
  for (let i = 0; i < count; i++) {
    const z = Math.floor(((i + 0.5) * nz) / count);
    sigmas.push(immerkaerNoiseSigma(volume.data, ny, nx, z * ny * nx));
  }
  sigmas.sort((a, b) => a - b);
  const m = count >> 1;
  return count % 2 === 1 ? sigmas[m] : (sigmas[m - 1] + sigmas[m]) / 2;
}

/**
 * Gaussian σ to add to sections averaged from ρ rows of noise σ so that they carry σ
 * again (for non-integer ρ the box's fractional end weights make it slightly off).
 */
export function matchedSectionNoise(sigma: number, rho: number): number {
  if (!(rho >= 1)) throw new RangeError(`matchedSectionNoise: ρ must be ≥ 1, got ${rho}`);
  return sigma * Math.sqrt(1 - 1 / rho);
}
