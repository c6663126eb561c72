/**
 * A no-reference measure of how much fine detail a reconstruction has along the
 * coarse axis: the mean power spectral density along z of reconstructed axial
 * planes, over the band the sections cannot carry (above their Nyquist
 * frequency 1/(2ρ) cycles per voxel, up to 1/2), relative to the density along
 * x of the same planes in the same band (x is sampled finely in the data
 * itself). So the ratio says how isotropic the reconstruction's fine detail
 * is: near 0 for interpolation, about 1 for isotropic tissue imaged
 * isotropically. It needs no ground truth, so it can be computed on a user's
 * own data while training. (It counts invented detail as detail: read it
 * beside the validation PSNR.)
 */
import FFT from 'fft.js';
import {nextPow2, tukeyWindow} from './fft2d.ts';

/** Tukey taper of each 1-D signal before its FFT (limits leakage from the ends). */
const TAPER = 0.25;

/** Planes [n, rows, cols] row-major; rows along the axis the spectrum is taken of when `along` is 'rows'. */
export interface PlaneStack {
  data: ArrayLike<number>;
  n: number;
  rows: number;
  cols: number;
}

/**
 * Mean power spectral density (per voxel², window-normalised) of every 1-D line
 * of the stack along `along`, averaged over frequencies in [lo, hi] cycles per voxel.
 */
export function bandDensity(stack: PlaneStack, along: 'rows' | 'cols', lo: number, hi: number): number {
  const {data, n, rows, cols} = stack;
  const length = along === 'rows' ? rows : cols;
  const lines = along === 'rows' ? cols : rows;
  if (length < 4) throw new RangeError(`bandDensity: lines of ${length} voxels are too short for a spectrum`);
  const size = nextPow2(length);
  const fft = new FFT(size);
  const window = tukeyWindow(length, TAPER);
  let energy = 0;
  for (const w of window) energy += w * w;
  const input = new Float64Array(size);
  const out = fft.createComplexArray() as number[];
  const first = Math.max(1, Math.ceil(lo * size)), last = Math.min(size / 2, Math.floor(hi * size));
  if (last < first) throw new RangeError(`bandDensity: no frequency bin in [${lo}, ${hi}] for lines of ${length} voxels`);
  let sum = 0;
  let count = 0;
  for (let p = 0; p < n; p++) {
    const base = p * rows * cols;
    for (let line = 0; line < lines; line++) {
      const at = (i: number) => data[along === 'rows' ? base + i * cols + line : base + line * cols + i];
      let mean = 0;
      for (let i = 0; i < length; i++) mean += at(i);
      mean /= length;
      input.fill(0);
      for (let i = 0; i < length; i++) input[i] = (at(i) - mean) * window[i];
      fft.realTransform(out, input as unknown as number[]);
      for (let k = first; k <= last; k++) sum += (out[2 * k] ** 2 + out[2 * k + 1] ** 2) / energy;
      count += last - first + 1;
    }
  }
  return sum / count;
}

/**
 * Fine detail along z as a share of that along x: `planes`, reconstructed axial
 * planes [n, rows = z at lateral spacing, cols = x]; ρ, the section spacing in
 * lateral voxels.
 */
export function axialDetail(planes: PlaneStack, rho: number): number {
  if (!(rho > 1)) throw new RangeError(`axialDetail: ρ must exceed 1, got ${rho}`);
  const lo = 1 / (2 * rho);
  const reference = bandDensity(planes, 'cols', lo, 0.5);
  return reference > 0 ? bandDensity(planes, 'rows', lo, 0.5) / reference : 0;
}

/** "23 % (interpolation 4 %)" */
export function axialDetailText(d: {network: number; interpolated: number}): string {
  const pct = (v: number) => `${(100 * v).toFixed(v < 0.1 ? 1 : 0)} %`;
  return `${pct(d.network)} of lateral (interpolation ${pct(d.interpolated)})`;
}
