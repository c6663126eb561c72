/**
 * The part of an anisotropic volume the viewer's training panel trains on:
 * every section of a lateral window around the current view (the default: the
 * tissue the user is looking at), or the whole volume when it fits in memory.
 * Read with zarrita through the same region reader the isotropic layer uses.
 */
import * as zarr from 'zarrita';
import type {Vec3} from '../io/ngff.ts';
import {checkSpacing, coarseRatio, type AnisotropicInput} from '../io/anisotropic-input.ts';
import {boxVoxels, type Box3} from '../chunk/box.ts';
import {ByteBudgetCache} from '../chunk/byte-budget-cache.ts';
import {decodedChunkBytes, strictChunkStore, zarrRegionReader, type DecodedChunk} from '../chunk/zarr-region.ts';
import {framePermutation, frameReader, permuteVec} from '../chunk/permute.ts';
import type {TrainingSource} from './session.ts';

/** Largest region read into memory for training (float32: 256 MiB). */
export const MAX_REGION_VOXELS = 64 * 2 ** 20;

export type RegionChoice =
  /** `center`: stored voxel indices (z, y, x) of the base level; `size`: lateral window edge in voxels. */
  | {kind: 'view'; center: Vec3; size: number}
  | {kind: 'whole'};

/**
 * The region in the coarse-axis frame (coarse, a, b): all sections, and either
 * the whole lateral extent or a `size`² window centred on the view (moved inside
 * the volume at its edges).
 */
export function trainingRegion(input: AnisotropicInput, choice: RegionChoice): Box3 {
  const perm = framePermutation(input.coarse);
  const shape = permuteVec(input.levels[0].shape, perm);
  let box: Box3 = {start: [0, 0, 0], end: [...shape] as Vec3};
  if (choice.kind === 'view') {
    if (!(choice.size >= 16)) throw new Error(`the training window must be at least 16 voxels wide (got ${choice.size})`);
    const center = permuteVec(choice.center, perm);
    const start = [0, 0, 0] as Vec3;
    const end = [shape[0], 0, 0] as Vec3;
    for (const i of [1, 2]) {
      const size = Math.min(choice.size, shape[i]);
      start[i] = Math.max(0, Math.min(shape[i] - size, Math.round(center[i] - size / 2)));
      end[i] = start[i] + size;
    }
    box = {start, end};
  }
  const voxels = boxVoxels(box);
  if (voxels > MAX_REGION_VOXELS) {
    throw new Error(
      `the ${choice.kind === 'whole' ? 'whole volume' : 'training window'} holds ${(voxels / 2 ** 20).toFixed(0)} M voxels, more than the ${MAX_REGION_VOXELS / 2 ** 20} M that training keeps in memory: train around the view with a smaller window`,
    );
  }
  return box;
}

/**
 * A training source over a region of the input's base level, in the coarse-axis
 * frame (its lateral planes are the training planes). `voxel` (x, y, z in the
 * input's unit) overrides the metadata's spacing, for data that lacks it.
 */
export function regionTrainingSource(input: AnisotropicInput, box: Box3, voxel?: [number, number, number]): TrainingSource {
  const level = input.levels[0];
  const scale: Vec3 = voxel ? [voxel[2], voxel[1], voxel[0]] : level.scale;
  checkSpacing(scale, input.coarse, input.unit);
  const rho = coarseRatio(scale, input.coarse);
  const perm = framePermutation(input.coarse);
  return {
    rho,
    unit: input.unit,
    dtype: input.dtype,
    scale: permuteVec(scale, perm),
    async read() {
      const array = await zarr.open(zarr.root(strictChunkStore(new zarr.FetchStore(level.arrayUrl))), {kind: 'array'});
      // Decoded chunks are used once: a cache as big as the region only shares loads in flight.
      const cache = new ByteBudgetCache<DecodedChunk>(4 * boxVoxels(box) + 2 ** 26, decodedChunkBytes);
      const read = frameReader(zarrRegionReader(array, cache, 'training'), perm);
      const data = await read(box);
      return {data, shape: [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]]};
    },
  };
}
