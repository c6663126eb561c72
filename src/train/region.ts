/**
 * What training reads from an input (src/input): the whole base level (CLI), or
 * for the viewer's training panel every section of a lateral window around the
 * current view (the default: the tissue the user is looking at), or the whole
 * volume when it fits in memory. Read through the same region reader the
 * isotropic layer uses, in the coarse-axis frame (its lateral planes are the
 * training planes).
 */
import type {Vec3} from '../grid/box.ts';
import type {AnisotropicInput} from '../input/types.ts';
import {oneTimeReader, type OpenedInput} from '../input/open-input.ts';
import {checkSpacing, coarseRatio} from '../input/placement.ts';
import {boxSize, boxVoxels, type Box3} from '../grid/box.ts';
import {framePermutation, frameReader, permuteVec} from '../grid/frame.ts';
import type {TrainingSource} from './session.ts';

/** Largest region read into memory for training (float32: 256 MiB). */
export const MAX_REGION_VOXELS = 64 * 2 ** 20;

export type RegionChoice =
  /** `center`: stored voxel indices (z, y, x) of the base level; `size`: lateral window edge in voxels. */
  | {kind: 'view'; center: Vec3; size: number}
  | {kind: 'whole'};

/** The whole base level in the coarse-axis frame (coarse, a, b). */
export function wholeRegion(input: AnisotropicInput): Box3 {
  return {start: [0, 0, 0], end: permuteVec(input.levels[0].shape, framePermutation(input.coarse))};
}

/**
 * The region in the coarse-axis frame (coarse, a, b): all sections, and either
 * the whole lateral extent or a `size`² window centred on the view (moved inside
 * the volume at its edges).
 */
export function trainingRegion(input: AnisotropicInput, choice: RegionChoice): Box3 {
  const perm = framePermutation(input.coarse);
  let box = wholeRegion(input);
  if (choice.kind === 'view') {
    if (!(choice.size >= 16)) throw new Error(`the training window must be at least 16 voxels wide (got ${choice.size})`);
    const shape = box.end;
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
 * A training source over `box` (coarse-axis frame; default the whole base level)
 * of an opened input. `voxel` (x, y, z in the input's unit) overrides the
 * spacing, as the training panel's voxel-size fields do.
 */
export function regionTrainingSource(opened: OpenedInput, box: Box3 = wholeRegion(opened.input), voxel?: [number, number, number]): TrainingSource {
  const {input} = opened;
  const scale: Vec3 = voxel ? [voxel[2], voxel[1], voxel[0]] : input.levels[0].scale;
  checkSpacing(scale, input.coarse, input.unit);
  const perm = framePermutation(input.coarse);
  return {
    rho: coarseRatio(scale, input.coarse),
    unit: input.unit,
    dtype: input.dtype,
    scale: permuteVec(scale, perm),
    async read() {
      const data = await frameReader(oneTimeReader(opened, 0), perm)(box);
      return {data, shape: boxSize(box)};
    },
  };
}
