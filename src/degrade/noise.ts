/**
 * EM-like noise on simulated sections ([count, cols] row-major, one row per section),
 * in normalised intensity units (the volume's intensity standard deviation), applied in place. In order:
 * 1. per-section brightness jitter: x ← x·(1 + g) + o, with g, o ~ N(0, sectionJitter)
 *    drawn once per section (EM sections differ in thickness / staining / exposure);
 * 2. signal-dependent shot noise: x ← x + √(max(x, 0)·poissonGain)·N(0, 1) (inputs are z-scored, so it
 *    grows with brightness above the volume's mean);
 * 3. additive Gaussian noise: x ← x + gaussianSigma·N(0, 1).
 */

import type {Rng} from '../util/random.ts';

export interface EmNoiseOptions {
  /** Std of additive Gaussian noise. */
  gaussianSigma: number;
  /** 0 = off; shot-noise variance = x · poissonGain. */
  poissonGain: number;
  /** Std of the per-section gain and offset jitter. */
  sectionJitter: number;
}

export function addEmNoise(
  sections: Float32Array,
  count: number,
  cols: number,
  opts: EmNoiseOptions,
  rng: Rng,
): Float32Array {
  const {gaussianSigma, poissonGain, sectionJitter} = opts;
  for (const [name, v] of Object.entries(opts)) {
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`addEmNoise: ${name} must be a finite number ≥ 0, got ${v}`);
  }
  if (sections.length < count * cols) throw new RangeError(`addEmNoise: sections has ${sections.length} values, expected ${count} × ${cols}`);
  if (gaussianSigma === 0 && poissonGain === 0 && sectionJitter === 0) return sections;
  for (let k = 0; k < count; k++) {
    const o = k * cols;
    const gain = sectionJitter > 0 ? 1 + sectionJitter * rng.normal() : 1;
    const offset = sectionJitter > 0 ? sectionJitter * rng.normal() : 0;
    for (let x = 0; x < cols; x++) {
      let v = sections[o + x] * gain + offset;
      if (poissonGain > 0) v += Math.sqrt(Math.max(v, 0) * poissonGain) * rng.normal();
      if (gaussianSigma > 0) v += gaussianSigma * rng.normal();
      sections[o + x] = v;
    }
  }
  return sections;
}
