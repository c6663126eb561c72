/**
 * The contrast of an opened input, measured the same way wherever it is opened
 * (viewer, `reconstruct`, `evaluate`): on a central box of the base level, the
 * whole of it where it is small. The base level, not a coarse one: averaging
 * voxels into a pyramid level removes noise and narrows the spread (by 8 % on a
 * 4×4×50 nm ssTEM volume's ×2 level), and the box is a few chunks' reading.
 */
import type {Vec3} from '../grid/box.ts';
import type {Normalisation} from '../model/model.ts';
import {oneTimeReader, type OpenedInput} from '../input/open-input.ts';
import {robustContrast} from './contrast.ts';

/** Voxels read at most. */
export const CONTRAST_SAMPLE_VOXELS = 1 << 22;
/** Sections the box spans at most (then it is cut laterally). */
const SAMPLE_SECTIONS = 64;

/** The central box of a level of `shape` (z, y, x) that the contrast is measured on. */
export function contrastSampleBox(shape: Vec3, budget = CONTRAST_SAMPLE_VOXELS): {start: Vec3; end: Vec3} {
  const nz = Math.min(shape[0], SAMPLE_SECTIONS);
  const side = Math.max(1, Math.floor(Math.sqrt(budget / nz)));
  const size: Vec3 = [nz, Math.min(shape[1], side), Math.min(shape[2], side)];
  const start = size.map((s, i) => Math.floor((shape[i] - s) / 2)) as unknown as Vec3;
  return {start, end: start.map((s, i) => s + size[i]) as unknown as Vec3};
}

export async function measureInputContrast(opened: OpenedInput, signal?: AbortSignal): Promise<Normalisation> {
  return robustContrast(await oneTimeReader(opened, 0)(contrastSampleBox(opened.input.levels[0].shape), signal));
}
