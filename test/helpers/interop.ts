/**
 * The interop fixtures (../shared/data/interop, written by tensorstore, not by
 * this project): one small volume in every format users publish, with the
 * same voxels as sections-zyx.npy (32×128×128, z y x, uint8, 10×10×40 nm).
 */
import path from 'node:path';
import type {InputSpec} from '../../src/input/types.ts';

export const INTEROP_DIR = path.resolve('../shared/data/interop');

export interface InteropFixture {
  name: string;
  /** Options the volume needs (a plain array has no voxel size). */
  spec: Partial<InputSpec>;
  /** Lossy (JPEG): compare within a tolerance. */
  lossy?: boolean;
}

export const INTEROP_FIXTURES: InteropFixture[] = [
  {name: 'zarr2-blosc-plain.zarr', spec: {voxel: [10, 10, 40]}},
  {name: 'zarr3-sharded.ome.zarr', spec: {}},
  {name: 'ome04-tczyx.zarr', spec: {}},
  {name: 'n5-gzip.n5', spec: {}},
  {name: 'precomputed-raw', spec: {}},
  {name: 'precomputed-gzip-sharded-murmur', spec: {}},
  {name: 'precomputed-jpeg-sharded', spec: {}, lossy: true},
];

/** JPEG (quality 75) against the original voxels, as measured on the fixture: mean |Δ| 2.19, max 15. */
export const JPEG_TOLERANCE = {mean: 2.6, max: 20};

export function meanAndMaxError(a: ArrayLike<number>, b: ArrayLike<number>): {mean: number; max: number} {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return {mean: sum / a.length, max};
}
