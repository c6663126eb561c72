/**
 * Simulates thick axial sections: averages fine rows of a 2-D image into sections.
 *
 * Conventions (shared by src/resample and src/degrade):
 * - A 2-D image is row-major Float32Array [rows, cols]; the degraded / "z" axis is
 *   always the rows (axis 0). Fine row i has its centre at coordinate i.
 * - Section k (ρ = section spacing in fine rows, phase 0 ≤ φ < ρ, both may be
 *   fractional) covers [kρ + φ − 0.5, (k+1)ρ + φ − 0.5); its centre is at
 *   kρ + φ + (ρ−1)/2. Only complete sections inside the image are produced:
 *   count = floor((rows − φ)/ρ).
 * - 'box': mean of the covered fine rows, a partly covered row weighted by its covered
 *   fraction. 'gaussian': Gaussian-weighted mean about the centre with FWHM = ρ, rows
 *   beyond the image mirrored.
 */

import {mirrorIndex} from '../resample/interpolate.ts';

export type SectionProfile = 'box' | 'gaussian';

/** Sparse [count × rows] averaging matrix: section k = Σ weight[j] · row index[j], j ∈ [start[k], start[k+1]). */
export interface SectionPlan {
  count: number;
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

/** FWHM = 2√(2 ln 2) σ. */
const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);
/** Gaussian taps reach this many σ (the tail beyond holds < 1e-6 of the weight, so truncation barely biases the centre). */
const GAUSSIAN_RADIUS = 5;

function check(rows: number, rho: number, phase: number): void {
  if (!(Number.isInteger(rows) && rows >= 0)) throw new RangeError(`sections: rows must be a non-negative integer, got ${rows}`);
  if (!(rho > 0 && Number.isFinite(rho))) throw new RangeError(`sections: rho must be positive, got ${rho}`);
  if (!(phase >= 0 && phase < rho)) throw new RangeError(`sections: phase must be in [0, rho), got ${phase} (rho ${rho})`);
}

/** Number of complete sections, floor((rows − φ)/ρ) (tolerant of rounding in the division). */
export function sectionCount(rows: number, rho: number, phase: number): number {
  check(rows, rho, phase);
  return Math.max(0, Math.floor((rows - phase) / rho + 1e-9));
}

/** Centre of section k in fine-row coordinates. */
export function sectionCentre(k: number, rho: number, phase: number): number {
  return k * rho + phase + (rho - 1) / 2;
}

export function planSections(rows: number, rho: number, phase: number, profile: SectionProfile): SectionPlan {
  const count = sectionCount(rows, rho, phase);
  const start = new Int32Array(count + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const sigma = rho / FWHM_PER_SIGMA;
  for (let k = 0; k < count; k++) {
    const first = index.length;
    let sum = 0;
    if (profile === 'box') {
      // Work in edge coordinates u = coordinate + 0.5: fine row i covers [i, i+1).
      const a = k * rho + phase, b = a + rho;
      const i0 = Math.max(0, Math.floor(a)), i1 = Math.min(rows - 1, Math.ceil(b) - 1);
      for (let i = i0; i <= i1; i++) {
        const w = Math.min(b, i + 1) - Math.max(a, i);
        if (w <= 1e-12) continue;
        index.push(i);
        weight.push(w);
        sum += w;
      }
    } else if (profile === 'gaussian') {
      const c = sectionCentre(k, rho, phase);
      const i0 = Math.ceil(c - GAUSSIAN_RADIUS * sigma), i1 = Math.floor(c + GAUSSIAN_RADIUS * sigma);
      for (let i = i0; i <= i1; i++) {
        const d = (i - c) / sigma;
        const w = Math.exp(-0.5 * d * d);
        index.push(mirrorIndex(i, rows));
        weight.push(w);
        sum += w;
      }
    } else {
      throw new RangeError(`sections: unknown profile '${profile as string}'`);
    }
    for (let j = first; j < weight.length; j++) weight[j] /= sum;
    start[k + 1] = index.length;
  }
  return {count, start, index: Int32Array.from(index), weight: Float64Array.from(weight)};
}

/** Applies a plan to img [rows, cols] → out [plan.count, cols]. */
export function applySectionPlan(img: Float32Array, cols: number, plan: SectionPlan, out?: Float32Array): Float32Array {
  const {count, start, index, weight} = plan;
  const sections = out ?? new Float32Array(count * cols);
  if (sections.length < count * cols) throw new RangeError(`sections: output has ${sections.length} values, expected ${count} × ${cols}`);
  for (let k = 0; k < count; k++) {
    const o = k * cols;
    sections.fill(0, o, o + cols);
    for (let j = start[k]; j < start[k + 1]; j++) {
      const r = index[j] * cols, w = weight[j];
      for (let x = 0; x < cols; x++) sections[o + x] += w * img[r + x];
    }
  }
  return sections;
}

export function averageSections(
  img: Float32Array,
  rows: number,
  cols: number,
  rho: number,
  phase: number,
  profile: SectionProfile = 'box',
  out?: Float32Array,
): {sections: Float32Array; count: number} {
  if (img.length < rows * cols) throw new RangeError(`sections: image has ${img.length} values, expected ${rows} × ${cols}`);
  const plan = planSections(rows, rho, phase, profile);
  return {sections: applySectionPlan(img, cols, plan, out), count: plan.count};
}
