/**
 * A quality figure without ground truth: the lateral planes of the volume that
 * training holds out (src/train/data.ts splitPlanes), degraded along one lateral
 * axis exactly as training degrades its patches (degradeRows at the volume's ρ,
 * in the normalised units training works in, with training's section noise),
 * restored with cubic interpolation alone and with the model, and compared with
 * the planes as they were: PSNR and SSIM, a band of 2ρ rows excluded at both ends
 * of the degraded axis (the rows the interpolation extrapolates).
 *
 * Every held-out plane is degraded twice, along y and along x (the plane
 * transposed, rows being the degraded axis as in training patches), and both
 * count alike: PSNR from the mean squared error over all compared pixels, SSIM the
 * mean over all compared planes. Whole planes, not patches: the network sees the
 * planes through the same tiling as the viewer's (src/infer/planes.ts).
 *
 * It is a proxy of the axial quality: real axial planes also carry section jitter,
 * alignment errors and a section profile that synthetic sections do not.
 */
import type {PatchSource} from '../degrade/patches.ts';
import {degradeRows} from '../degrade/degrade.ts';
import type {PatchDegradation} from '../train/training-data.ts';
import {superResolvePlanes, type PlaneInferenceOptions} from '../infer/planes.ts';
import type {IsotropicModel, Normalisation} from '../model/model.ts';
import {ssim2d} from '../metrics/index.ts';
import {Random} from '../util/random.ts';
import {dtypeRange} from '../chunk/dtype.ts';

/** Seed of the degradation (section phases, noise): the same figure every time. */
export const LATERAL_SEED = 1;

/** Rows (and columns) compared at least, after the excluded band: room for the SSIM window and a few sections. */
export const MIN_COMPARED = 16;

/** Said wherever the figure is shown. */
export const LATERAL_PROXY_NOTE =
  'a proxy: held-out lateral planes degraded like axial ones; it cannot see section jitter or alignment errors of real axial planes';

export interface LateralScore {
  /** dB, in the data's range. */
  psnr: number;
  ssim: number;
}

export interface LateralFigure {
  rho: number;
  /** Held-out planes measured (each degraded along y and along x). */
  planes: number;
  /** [rows, cols] (y, x) of each plane. */
  planeShape: [number, number];
  /** Rows excluded at both ends of the degraded axis: 2ρ rounded up. */
  border: number;
  /** Gaussian σ added to each synthetic section, in the data's grey levels (0: none). */
  noiseSigma: number;
  /** Range PSNR and SSIM are measured in. */
  dataRange: number;
  cubic: LateralScore;
  model?: LateralScore;
}

export interface LateralCase {
  /** Held-out lateral planes in the data's own intensities. */
  planes: PatchSource;
  rho: number;
  /** What the planes are degraded in and the network sees: the model's normalisation for this volume. */
  normalisation: Normalisation;
  /** The degradation as training applies it (sectionDegradation: section noise resolved, `method` the model's interpolation). */
  degrade: PatchDegradation;
  /** Range of PSNR and SSIM. */
  dataRange: number;
  /** Integer data: results are clamped to [0, dataRange], as stored volumes would be. */
  clamp: boolean;
}

/** One degradation of every plane along one axis: normalised network inputs and the truth, [n, rows, cols], rows the degraded axis. */
export interface DegradedPlanes {
  input: Float32Array;
  truth: Float32Array;
  n: number;
  rows: number;
  cols: number;
}

/**
 * The held-out planes degraded along y, then along x (each plane transposed), in that
 * order with one Random(seed) for all: each plane's section phase and noise are drawn as
 * degradeRows draws them for a training patch. Inputs are normalised; truths are the
 * planes in their own intensities, in the same layout.
 */
export function degradeHeldOutPlanes(c: Omit<LateralCase, 'dataRange' | 'clamp'>, seed = LATERAL_SEED): [DegradedPlanes, DegradedPlanes] {
  const [n, ny, nx] = c.planes.shape;
  const {mean, std} = c.normalisation;
  const rng = new Random(seed);
  const along = (transpose: boolean): DegradedPlanes => {
    const [rows, cols] = transpose ? [nx, ny] : [ny, nx];
    const size = rows * cols;
    const truth = new Float32Array(n * size);
    const input = new Float32Array(n * size);
    const gt = new Float32Array(size);
    for (let p = 0; p < n; p++) {
      const base = p * ny * nx;
      for (let r = 0; r < rows; r++) {
        for (let q = 0; q < cols; q++) truth[p * size + r * cols + q] = c.planes.data[base + (transpose ? q * nx + r : r * nx + q)];
      }
      for (let i = 0; i < size; i++) gt[i] = (truth[p * size + i] - mean) / std;
      degradeRows(gt, rows, cols, {...c.degrade, rho: c.rho}, rng, input.subarray(p * size, (p + 1) * size));
    }
    return {input, truth, n, rows, cols};
  };
  return [along(false), along(true)];
}

/** Rows excluded at both ends of the degraded axis. */
export function lateralBorder(rho: number): number {
  return Math.ceil(2 * rho);
}

/** Refuses, in words, planes too small (or too few) to measure at ρ. */
export function checkLateralPlanes(shape: readonly [number, number, number], rho: number): void {
  const [n, ny, nx] = shape;
  if (n < 1) throw new Error('no held-out lateral planes to measure on');
  const need = 2 * lateralBorder(rho) + MIN_COMPARED;
  if (ny < need || nx < need) {
    throw new Error(
      `lateral planes of ${ny} × ${nx} voxels (y × x) are too small to measure at ρ = ${+rho.toFixed(3)}: ` +
        `${lateralBorder(rho)} rows are excluded at each end of the degraded axis, so they need at least ${need} × ${need}`,
    );
  }
}

export interface LateralOptions {
  /** Restore with this model too (its ρ range must serve ρ: the caller checks). */
  model?: IsotropicModel;
  flips?: PlaneInferenceOptions['flips'];
  seed?: number;
  /** Stages done of total: cubic, then the model along y and along x. */
  onProgress?: (stage: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The figure of one case: cubic alone, and the model when given. */
export async function evaluateLateralCase(c: LateralCase, opts: LateralOptions = {}): Promise<LateralFigure> {
  checkLateralPlanes(c.planes.shape, c.rho);
  const {model} = opts;
  const seed = opts.seed ?? LATERAL_SEED;
  const total = model ? 3 : 1;
  opts.onProgress?.('cubic', 0, total);
  // The model's inputs are interpolated with its own method; the cubic baseline gets the same sections (same seed) interpolated cubically.
  const forModel = degradeHeldOutPlanes(c, seed);
  const forCubic = (c.degrade.method ?? 'cubic') === 'cubic' ? forModel : degradeHeldOutPlanes({...c, degrade: {...c.degrade, method: 'cubic'}}, seed);
  const border = lateralBorder(c.rho);
  const score = new LateralScorer(c, forModel, border);
  const cubic = score.of(forCubic.map((d) => d.input));
  let modelScore: LateralScore | undefined;
  if (model) {
    const restored: Float32Array[] = [];
    for (const [i, d] of forModel.entries()) {
      opts.onProgress?.(i === 0 ? 'model along y' : 'model along x', i + 1, total);
      restored.push(await superResolvePlanes(model, d.input, d.n, d.rows, d.cols, {rho: c.rho, flips: opts.flips ?? 'none', signal: opts.signal}));
    }
    modelScore = score.of(restored);
  }
  opts.onProgress?.('done', total, total);
  const [n, ny, nx] = c.planes.shape;
  const sigma = c.degrade.noise?.gaussianSigma ?? 0;
  return {
    rho: c.rho,
    planes: n,
    planeShape: [ny, nx],
    border,
    noiseSigma: sigma * c.normalisation.std,
    dataRange: c.dataRange,
    cubic,
    ...(modelScore ? {model: modelScore} : {}),
  };
}

/** PSNR and SSIM of restored planes (normalised, along y then x) against the truth, the border rows left out. */
class LateralScorer {
  constructor(
    private readonly c: LateralCase,
    /** The degraded planes along y and x: their truths and layout. */
    private readonly truths: DegradedPlanes[],
    private readonly border: number,
  ) {}

  of(restored: Float32Array[]): LateralScore {
    const {mean, std} = this.c.normalisation;
    const {dataRange, clamp} = this.c;
    const b = this.border;
    let sumSq = 0, count = 0, ssimSum = 0, planes = 0;
    for (const [axis, t] of this.truths.entries()) {
      const height = t.rows - 2 * b;
      const size = height * t.cols;
      const a = new Float64Array(size);
      const ref = new Float64Array(size);
      for (let p = 0; p < t.n; p++) {
        const o = (p * t.rows + b) * t.cols;
        for (let i = 0; i < size; i++) {
          let v = restored[axis][o + i] * std + mean;
          if (clamp) v = Math.min(dataRange, Math.max(0, v));
          a[i] = v;
          ref[i] = t.truth[o + i];
          sumSq += (v - ref[i]) ** 2;
        }
        count += size;
        ssimSum += ssim2d(a, ref, t.cols, height, {dataRange});
        planes++;
      }
    }
    const mse = sumSq / count;
    return {psnr: mse === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / mse), ssim: ssimSum / planes};
  }
}

/**
 * At most `maxPlanes` of the held-out planes (evenly spaced) and the central
 * `maxSize`² of each: a cheaper figure on a large region, still on planes training never saw.
 */
export function heldOutSubset(planes: PatchSource, maxPlanes: number, maxSize: number): PatchSource {
  const [n, ny, nx] = planes.shape;
  const count = Math.min(n, maxPlanes);
  const [h, w] = [Math.min(ny, maxSize), Math.min(nx, maxSize)];
  if (count === n && h === ny && w === nx) return planes;
  const [y0, x0] = [Math.floor((ny - h) / 2), Math.floor((nx - w) / 2)];
  const data = new Float32Array(count * h * w);
  for (let k = 0; k < count; k++) {
    const p = Math.floor(((k + 0.5) * n) / count);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) data[(k * h + y) * w + x] = planes.data[(p * ny + y0 + y) * nx + x0 + x];
    }
  }
  return {data, shape: [count, h, w]};
}

/** Integer data: the dtype's range, results clamped to it as stored volumes would be; float data: the range of the planes measured. */
export function lateralRange(dtype: string, planes: PatchSource): {dataRange: number; clamp: boolean} {
  if (dtype !== 'float32') return {dataRange: dtypeRange(dtype), clamp: true};
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < planes.data.length; i++) {
    const v = planes.data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {dataRange: max - min || 1, clamp: false};
}
