/**
 * A volume's own contrast, robust to outliers: its median grey level, and a
 * spread from its 1st and 99th percentiles scaled so that normally distributed
 * data gets its standard deviation. A generic model normalises every volume by
 * these numbers (model.ts, `perVolume`), so the same tissue imaged with another
 * gain or offset reaches the network as the same input: scale the grey levels
 * by a and shift them by b, and the median and spread follow exactly.
 */
import type {Normalisation} from '../model/model.ts';
import {Random} from '../util/random.ts';

/** p99 − p1 of a normal distribution, in standard deviations. */
const NORMAL_P1_P99 = 4.6527;
const LOW = 0.01;
const HIGH = 0.99;

/** Median and percentile spread of `data` (from `maxSamples` seeded random voxels where it holds more). */
export function robustContrast(data: ArrayLike<number>, maxSamples = 1 << 20): Normalisation {
  if (data.length === 0) throw new Error('cannot measure the contrast of an empty volume');
  const all = data.length <= maxSamples;
  const rng = new Random(2024);
  const samples = all ? Float64Array.from(data) : Float64Array.from({length: maxSamples}, () => data[rng.int(data.length)]);
  samples.sort();
  const at = (q: number) => {
    // Linear interpolation between order statistics: exact under v → a·v + b.
    const pos = q * (samples.length - 1);
    const i = Math.floor(pos);
    const f = pos - i;
    return i + 1 < samples.length ? samples[i] * (1 - f) + samples[i + 1] * f : samples[i];
  };
  const spread = (at(HIGH) - at(LOW)) / NORMAL_P1_P99;
  return {mean: at(0.5), std: spread > 0 ? spread : 1};
}
