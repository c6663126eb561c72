/**
 * Turns a lateral (xy) ground-truth patch into a synthetic axial-looking network input:
 * average fine rows into thick sections (section-profile.ts), add EM-like noise
 * (noise.ts), then interpolate back to every fine row with the same interpolation code
 * inference uses along z (resample/interpolate.ts), so training and inference inputs
 * share one distribution.
 *
 * Conventions: image [rows, cols] row-major, the degraded axis is the rows. Fine row y
 * sits at section coordinate t = (y − φ − (ρ−1)/2)/ρ; rows beyond the first/last section
 * centre are extrapolated by the mirror boundary.
 */

import {interpolateRows, type InterpolationMethod} from '../resample/interpolate.ts';
import type {Rng} from '../util/random.ts';
import {addEmNoise, type EmNoiseOptions} from './noise.ts';
import {averageSections, type SectionProfile} from './section-profile.ts';

export interface DegradeOptions {
  /** Section spacing in fine rows (z spacing / lateral spacing), may be non-integer. */
  rho: number;
  /** Section phase in [0, ρ); drawn uniformly at random when undefined. */
  phase?: number;
  /** Default 'box'. */
  profile?: SectionProfile;
  /** No noise when undefined. */
  noise?: EmNoiseOptions;
  /** Default 'cubic'; must match the inference method. */
  method?: InterpolationMethod;
}

/** Section coordinates t = (y − φ − (ρ−1)/2)/ρ of fine rows y = 0 … rows−1. */
export function fineRowPositions(rows: number, rho: number, phase: number): Float64Array {
  const t = new Float64Array(rows);
  const shift = phase + (rho - 1) / 2;
  for (let y = 0; y < rows; y++) t[y] = (y - shift) / rho;
  return t;
}

export function degradeRows(
  gt: Float32Array,
  rows: number,
  cols: number,
  opts: DegradeOptions,
  rng: Rng,
  out?: Float32Array,
): Float32Array {
  const {rho} = opts;
  const phase = opts.phase ?? rng.next() * rho;
  const {sections, count} = averageSections(gt, rows, cols, rho, phase, opts.profile ?? 'box');
  if (count < 1) {
    throw new RangeError(`degradeRows: ${rows} rows hold no complete section of ρ = ${rho} at phase ${phase}`);
  }
  if (opts.noise) addEmNoise(sections, count, cols, opts.noise, rng);
  return interpolateRows(sections, count, cols, fineRowPositions(rows, rho, phase), opts.method ?? 'cubic', out);
}
