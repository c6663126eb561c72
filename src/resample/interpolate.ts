/**
 * Interpolation along axis 0 ("rows") of row-major Float32Array images / volumes.
 *
 * Conventions (shared by all of src/resample and src/degrade):
 * - A 2-D image is row-major [rows, cols]; the degraded / "z" axis is always the rows (axis 0).
 * - Row i has its centre at coordinate i; `positions` are such coordinates (fractional,
 *   possibly outside [0, rows − 1]).
 * - Boundary: scipy's 'mirror' (whole-sample symmetric: … c b | a b c d | c b a …),
 *   period 2(rows − 1).
 *
 * 'cubic' is cubic B-spline interpolation with prefiltering, i.e. what
 * scipy.ndimage.map_coordinates(order=3, mode='mirror') computes: it passes through
 * the samples. 'linear' is plain linear interpolation with the same boundary.
 *
 * Both are a fixed set of taps per output position, so taps and weights are computed
 * once per call (a "plan") and applied to every column.
 */

export type InterpolationMethod = 'linear' | 'cubic';

/** Per-position taps: output row p = Σ_k weight[p·taps + k] · coef[index[p·taps + k]]. */
export interface InterpolationPlan {
  method: InterpolationMethod;
  /** Number of source rows. */
  rows: number;
  /** Number of output positions. */
  count: number;
  taps: number;
  /** Mirrored source row indices, [count, taps]. */
  index: Int32Array;
  weight: Float64Array;
}

/** The cubic B-spline pole; the prefilter is the inverse of the [1 4 1]/6 kernel. */
const POLE = Math.sqrt(3) - 2;
/** Gain (1 − z)(1 − 1/z) of the recursive prefilter. */
const GAIN = 6;
/** Beyond this many terms z^k < 1e-17 and the causal initialisation sum is converged. */
const HORIZON = Math.ceil(Math.log(1e-17) / Math.log(Math.abs(POLE)));
/** Columns are prefiltered in blocks of about this many float64s (1 MiB, stays in cache). */
const BLOCK_ELEMENTS = 1 << 17;

/** Maps any integer index onto [0, n) by whole-sample mirror symmetry. */
export function mirrorIndex(i: number, n: number): number {
  if (n <= 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - k;
}

export function planInterpolation(
  rows: number,
  positions: ArrayLike<number>,
  method: InterpolationMethod,
): InterpolationPlan {
  if (!(Number.isInteger(rows) && rows >= 1)) throw new RangeError(`interpolate: rows must be a positive integer, got ${rows}`);
  if (method !== 'linear' && method !== 'cubic') throw new RangeError(`interpolate: unknown method '${method}'`);
  const count = positions.length;
  const taps = method === 'cubic' ? 4 : 2;
  const index = new Int32Array(count * taps);
  const weight = new Float64Array(count * taps);
  for (let p = 0; p < count; p++) {
    const t = positions[p];
    if (!Number.isFinite(t)) throw new RangeError(`interpolate: position ${p} is not finite (${t})`);
    const i = Math.floor(t);
    const f = t - i;
    const o = p * taps;
    if (taps === 2) {
      index[o] = mirrorIndex(i, rows);
      index[o + 1] = mirrorIndex(i + 1, rows);
      weight[o] = 1 - f;
      weight[o + 1] = f;
    } else {
      // Cubic B-spline basis at distances 1 + f, f, 1 − f, 2 − f.
      const f2 = f * f, f3 = f2 * f, g = 1 - f;
      for (let k = 0; k < 4; k++) index[o + k] = mirrorIndex(i - 1 + k, rows);
      weight[o] = (g * g * g) / 6;
      weight[o + 1] = (3 * f3 - 6 * f2 + 4) / 6;
      weight[o + 2] = (-3 * f3 + 3 * f2 + 3 * f + 1) / 6;
      weight[o + 3] = f3 / 6;
    }
  }
  return {method, rows, count, taps, index, weight};
}

let scratch = new Float64Array(0);
let accumulator = new Float64Array(0);

function ensureScratch(n: number, cols: number): void {
  if (scratch.length < n) scratch = new Float64Array(n);
  if (accumulator.length < cols) accumulator = new Float64Array(cols);
}

/**
 * In place: turns `rows` samples per column of c ([rows, bc] row-major, already multiplied
 * by GAIN) into cubic B-spline coefficients, with scipy's mirror initialisation.
 */
function prefilterBlock(c: Float64Array, rows: number, bc: number): void {
  const z = POLE;
  // Causal initialisation: c[0] = Σ_{i<n−1} z^i (c[i] + z^(n−1) c[n−1−i]) / (1 − z^(2(n−1))).
  const zn1 = Math.pow(z, rows - 1);
  const terms = Math.min(rows - 1, HORIZON);
  const acc = accumulator;
  acc.fill(0, 0, bc);
  let zi = 1;
  for (let i = 0; i < terms; i++) {
    const a = i * bc, b = (rows - 1 - i) * bc;
    for (let x = 0; x < bc; x++) acc[x] += zi * (c[a + x] + zn1 * c[b + x]);
    zi *= z;
  }
  const norm = 1 / (1 - zn1 * zn1);
  for (let x = 0; x < bc; x++) c[x] = acc[x] * norm;
  // Causal pass.
  for (let i = 1; i < rows; i++) {
    const a = i * bc, b = a - bc;
    for (let x = 0; x < bc; x++) c[a + x] += z * c[b + x];
  }
  // Anticausal initialisation and pass.
  const last = (rows - 1) * bc, prev = last - bc;
  const k = z / (z * z - 1);
  for (let x = 0; x < bc; x++) c[last + x] = (z * c[prev + x] + c[last + x]) * k;
  for (let i = rows - 2; i >= 0; i--) {
    const a = i * bc, b = a + bc;
    for (let x = 0; x < bc; x++) c[a + x] = z * (c[b + x] - c[a + x]);
  }
}

/** Applies a plan to src [plan.rows, cols] → out [plan.count, cols]. */
export function interpolateRowsWithPlan(
  src: Float32Array,
  cols: number,
  plan: InterpolationPlan,
  out?: Float32Array,
): Float32Array {
  const {rows, count, index, weight} = plan;
  if (!(Number.isInteger(cols) && cols >= 0)) throw new RangeError(`interpolate: cols must be a non-negative integer, got ${cols}`);
  if (src.length < rows * cols) throw new RangeError(`interpolate: source has ${src.length} values, expected ${rows} × ${cols}`);
  const result = out ?? new Float32Array(count * cols);
  if (result.length < count * cols) throw new RangeError(`interpolate: output has ${result.length} values, expected ${count} × ${cols}`);
  if (count === 0 || cols === 0) return result;

  if (plan.taps === 2) {
    for (let p = 0; p < count; p++) {
      const r0 = index[2 * p] * cols, r1 = index[2 * p + 1] * cols;
      const w0 = weight[2 * p], w1 = weight[2 * p + 1];
      const o = p * cols;
      for (let x = 0; x < cols; x++) result[o + x] = w0 * src[r0 + x] + w1 * src[r1 + x];
    }
    return result;
  }

  // Cubic: prefilter a block of columns into float64 scratch, then evaluate that block.
  const bc = Math.max(1, Math.min(cols, Math.floor(BLOCK_ELEMENTS / rows)));
  ensureScratch(rows * bc, bc);
  const c = scratch;
  for (let c0 = 0; c0 < cols; c0 += bc) {
    const w = Math.min(bc, cols - c0);
    // A single sample is its own coefficient (scipy leaves length-1 lines alone).
    const gain = rows > 1 ? GAIN : 1;
    for (let i = 0; i < rows; i++) {
      const s = i * cols + c0, d = i * w;
      for (let x = 0; x < w; x++) c[d + x] = gain * src[s + x];
    }
    if (rows > 1) prefilterBlock(c, rows, w);
    for (let p = 0; p < count; p++) {
      const t = 4 * p;
      const r0 = index[t] * w, r1 = index[t + 1] * w, r2 = index[t + 2] * w, r3 = index[t + 3] * w;
      const w0 = weight[t], w1 = weight[t + 1], w2 = weight[t + 2], w3 = weight[t + 3];
      const o = p * cols + c0;
      for (let x = 0; x < w; x++) {
        result[o + x] = w0 * c[r0 + x] + w1 * c[r1 + x] + w2 * c[r2 + x] + w3 * c[r3 + x];
      }
    }
  }
  return result;
}

/** Interpolates src [rows, cols] along the rows at `positions` → [positions.length, cols]. */
export function interpolateRows(
  src: Float32Array,
  rows: number,
  cols: number,
  positions: ArrayLike<number>,
  method: InterpolationMethod,
  out?: Float32Array,
): Float32Array {
  return interpolateRowsWithPlan(src, cols, planInterpolation(rows, positions, method), out);
}

/**
 * Interpolates a [n0, n1, n2] array along axis 0 (z of a z,y,x volume) → [positions.length,
 * n1, n2]. Axis 0 of a row-major 3-D array is the rows of a [n0, n1·n2] image, so this is
 * the very same code path as interpolateRows.
 */
export function interpolateAxis0(
  vol: Float32Array,
  shape: readonly [number, number, number],
  positions: ArrayLike<number>,
  method: InterpolationMethod,
  out?: Float32Array,
): Float32Array {
  const [n0, n1, n2] = shape;
  return interpolateRows(vol, n0, n1 * n2, positions, method, out);
}
