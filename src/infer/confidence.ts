/**
 * Per-voxel confidence of the isotropic image: how much the network's detail
 * can be trusted, from the network's disagreement with itself. Pure functions
 * (no tensors): the chunk computation (src/chunk/compute.ts) gathers the
 * estimates, this module turns them into a number per voxel and measures how
 * well such numbers rank the true error (bench:quality).
 *
 * Chosen by measurement (scripts/bench/confidence-candidates.ts: the generic
 * model on FlyEM held-out sample2, ×8, 88×64×64 voxels compared; share of the
 * squared error in the 10 % most uncertain voxels / Spearman with |error|):
 *   |xz − yz| (free with xz+yz fusion)            13.9 % / 0.11
 *   |network − cubic|                             11.1 % / 0.04
 *   change between the bracketing sections        10.2 % / 0.04
 *   spread over an x mirror / a z mirror           14.5 % / 0.14, 14.8 % / 0.14
 *   spread over x, z and xz mirrors (3 passes)     15.8 % / 0.18
 *   distance from the nearest section             14.8 % / 0.16
 *   spread over x, z, xz × (0.1 + distance)        17.7 % / 0.23   ← this one
 *   the same blurred (σ 1 voxel)                   17.8 % / 0.23   (not worth a halo)
 *   the true |error| itself / blurred σ 1 / σ 2    48.8 % / 41.1 % / 32.7 %
 * Self-disagreement ranks the error above chance but far from the truth: most
 * of the error at ×8 is detail that no section records and that the network
 * invents the same way however the plane is turned (and the truth's own noise).
 */
import type {Vec3} from '../grid/box.ts';
import {gaussianKernel1d} from '../metrics/gaussian.ts';
import type {PlaneMirror} from './planes.ts';

/** The test-time mirrorings of each plane whose estimates, with the plain one, give the spread. */
export const CONFIDENCE_MIRRORS: readonly PlaneMirror[] = ['cols', 'rows', 'both'];

/** One plane axis's estimates over the output (normalised intensities, output-sized). */
export interface AxisEstimates {
  /** The network's result (what the image shows of this axis). */
  result: Float32Array;
  /** The estimates on mirrored planes: their count, sum and sum of squares. */
  mirrored: {count: number; sum: Float32Array; squares: Float32Array};
}

/**
 * The expected |error| a unit of uncertainty (spread × section weight) stands for: the least-squares slope of
 * |error| on it, measured on FlyEM held-out data at ×8 (scripts/bench/confidence-candidates.ts).
 */
export const ESTIMATED_ERROR_PER_SPREAD = 17;

/** The section weight's floor: a voxel on a measured section still has its spread counted at this weight. */
export const SECTION_WEIGHT_FLOOR = 0.1;

/**
 * The expected error, in units of the data's contrast (the normalisation std), at
 * which the confidence is one half: ERROR_SCALE × std grey levels.
 */
export const ERROR_SCALE = 0.25;

/**
 * Confidence per voxel. The uncertainty is the spread (standard deviation) of the
 * network's estimates over test-time mirrorings of each plane, averaged over the
 * plane axes, weighted by how far the voxel lies from a measured section
 * (SECTION_WEIGHT_FLOOR + distance in section spacings, 0 to ½: between sections
 * the network has more to invent). Scaled to an expected error e, it maps to
 * 1 / (1 + (e / E)²) with E = ERROR_SCALE × std: 1 where the network gives the
 * same answer however the plane is turned, ½ at an expected error of E.
 *
 * `sectionDistance`: per output z slice; the voxels are (z, y, x), `slices` of them in z.
 */
export function confidenceFromEstimates(axes: readonly AxisEstimates[], sectionDistance?: ArrayLike<number>, slices = 1): Float32Array {
  if (axes.length === 0) throw new Error('confidence needs at least one plane axis');
  const n = axes[0].result.length;
  const perSlice = n / slices;
  const out = new Float32Array(n);
  const scale = ESTIMATED_ERROR_PER_SPREAD / ERROR_SCALE; // e / E per unit of weighted normalised spread
  for (let i = 0; i < n; i++) {
    let spread = 0;
    for (const {result, mirrored} of axes) spread += Math.sqrt(axisVariance(result[i], mirrored.count, mirrored.sum[i], mirrored.squares[i]));
    const weight = sectionDistance ? SECTION_WEIGHT_FLOOR + sectionDistance[Math.floor(i / perSlice)] : SECTION_WEIGHT_FLOOR + 0.25; // no section grid: a typical distance
    const ratio = (spread / axes.length) * weight * scale;
    out[i] = 1 / (1 + ratio * ratio);
  }
  return out;
}

/** Variance of the estimates {r, m₁…m_k} given r, k, Σm and Σm². */
function axisVariance(r: number, k: number, sum: number, squares: number): number {
  const mean = (r + sum) / (k + 1);
  return Math.max(0, (r * r + squares) / (k + 1) - mean * mean);
}

/** Below this confidence a voxel counts as low-confidence (the viewer's share in view). */
export const LOW_CONFIDENCE = 0.5;

/** What the confidence means, in a user's words. */
export const CONFIDENCE_MEANING = "where the network's detail is least certain";

/** How well a confidence ranks the true error. */
export interface Calibration {
  /** Share of the total squared error in the `fraction` of voxels with the lowest confidence (uniform: `fraction`). */
  lowShare: number;
  /** Spearman rank correlation of confidence and |error| (negative: lower confidence, larger error). */
  spearman: number;
}

/** Calibration of `confidence` against `error` (image − truth), voxel for voxel. */
export function calibration(confidence: ArrayLike<number>, error: ArrayLike<number>, fraction = 0.1): Calibration {
  const n = confidence.length;
  if (error.length !== n || n === 0) throw new Error(`calibration needs one error per confidence value (got ${error.length} and ${n})`);
  const order = Array.from({length: n}, (_, i) => i).sort((a, b) => confidence[a] - confidence[b]);
  let total = 0;
  for (let i = 0; i < n; i++) total += error[i] * error[i];
  let low = 0;
  const count = Math.round(fraction * n);
  for (let k = 0; k < count; k++) low += error[order[k]] ** 2;
  const absError = Float64Array.from({length: n}, (_, i) => Math.abs(error[i]));
  return {lowShare: total > 0 ? low / total : 0, spearman: pearson(ranks(confidence), ranks(absError))};
}

/** Ranks 0…n−1 with ties given their mean rank. */
function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({length: n}, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i]);
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const [da, db] = [a[i] - ma, b[i] - mb];
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** A Gaussian blur of a (z, y, x) volume along each axis, edges mirrored. */
export function smoothed(values: Float32Array, shape: Vec3, sigma: number): Float32Array {
  const kernel = gaussianKernel1d(sigma);
  const radius = (kernel.length - 1) / 2;
  let src = values;
  const strides = [shape[1] * shape[2], shape[2], 1];
  for (let axis = 0; axis < 3; axis++) {
    const dst = new Float32Array(src.length);
    const len = shape[axis];
    const stride = strides[axis];
    for (let i = 0; i < src.length; i++) {
      const pos = Math.floor(i / stride) % len;
      let s = 0;
      for (let k = -radius; k <= radius; k++) {
        let p = pos + k;
        if (p < 0) p = -p - 1;
        if (p >= len) p = 2 * len - p - 1;
        p = Math.min(len - 1, Math.max(0, p));
        s += kernel[k + radius] * src[i + (p - pos) * stride];
      }
      dst[i] = s;
    }
    src = dst;
  }
  return src;
}
