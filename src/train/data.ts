/**
 * Training data drawn from one anisotropic volume: its lateral planes, split
 * into training and held-out validation planes, and the intensity
 * normalisation the model will carry.
 */
import type {Normalisation} from '../model/model.ts';
import type {PatchSource} from '../degrade/patches.ts';
import {Random} from '../util/random.ts';

export interface TrainingVolume {
  data: ArrayLike<number>;
  /** [nz, ny, nx] */
  shape: [number, number, number];
  /** z spacing / lateral spacing. */
  rho: number;
  dtype: string;
  /** Largest representable value of the dtype (255 for uint8): the PSNR range. */
  dataRange: number;
  name?: string;
}

export interface PlaneSplit {
  train: PatchSource;
  validation: PatchSource;
}

/**
 * Every `every`-th lateral plane (starting at `every`/2) is held out for
 * validation, so validation patches never overlap training patches. Volumes
 * with few planes keep at least one for each side.
 */
export function splitPlanes(volume: TrainingVolume, every = 8): PlaneSplit {
  const [nz, ny, nx] = volume.shape;
  if (nz < 2) throw new Error('training needs at least 2 lateral planes (z slices)');
  const held = new Set<number>();
  for (let z = Math.floor(every / 2); z < nz; z += every) held.add(z);
  if (held.size === 0) held.add(nz - 1);
  const pick = (keep: (z: number) => boolean): PatchSource => {
    const planes = [...Array(nz).keys()].filter(keep);
    const plane = ny * nx;
    const data = new Float32Array(planes.length * plane);
    planes.forEach((z, i) => {
      for (let j = 0; j < plane; j++) data[i * plane + j] = volume.data[z * plane + j];
    });
    return {data, shape: [planes.length, ny, nx]};
  };
  return {train: pick((z) => !held.has(z)), validation: pick((z) => held.has(z))};
}

/** Mean and standard deviation of the volume (from random voxels, for big volumes: a stride could alias with the rows). */
export function computeNormalisation(data: ArrayLike<number>, maxSamples = 4_000_000): Normalisation {
  const all = data.length <= maxSamples;
  const rng = new Random(12345);
  const count = all ? data.length : maxSamples;
  let n = 0, sum = 0, sumSq = 0;
  for (; n < count; n++) {
    const v = data[all ? n : rng.int(data.length)];
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(sumSq / n - mean * mean, 0)) || 1;
  return {mean, std};
}
