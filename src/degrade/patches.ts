/**
 * Self-supervised training data: square patches from lateral (xy) planes of an
 * anisotropic volume serve as ground truth; degradeRows makes them look axial.
 *
 * Conventions: volume [nz, ny, nx] (x fastest); patches [count, size, size] row-major,
 * and the degraded axis is the patch rows. Each patch gets one of the 8 dihedral
 * transforms (transpose or not × flip rows × flip cols) so that both lateral axes, in
 * both directions, serve as the degraded axis.
 */

import type {Rng} from '../util/random.ts';
import {degradeRows, type DegradeOptions} from './degrade.ts';

export interface PatchSource {
  data: ArrayLike<number>;
  /** [nz, ny, nx] */
  shape: readonly [number, number, number];
}

/**
 * Dihedral transform d ∈ [0, 8): bit 0 flips rows, bit 1 flips cols, bit 2 transposes.
 * Patch (r, c) reads block (y, x) = transpose ? (c', r') : (r', c') where r', c' are r, c
 * after the flips.
 */
export function copyDihedral(
  data: ArrayLike<number>,
  base: number,
  stride: number,
  size: number,
  d: number,
  normalise: (v: number) => number,
  out: Float32Array,
  offset: number,
): void {
  const flipR = (d & 1) !== 0, flipC = (d & 2) !== 0, transpose = (d & 4) !== 0;
  // Source offset of patch (r, c) = base + r·dr + c·dc after folding flips into start/steps.
  const rowStep = transpose ? 1 : stride, colStep = transpose ? stride : 1;
  const dr = flipR ? -rowStep : rowStep, dc = flipC ? -colStep : colStep;
  const s0 = base + (flipR ? (size - 1) * rowStep : 0) + (flipC ? (size - 1) * colStep : 0);
  let o = offset;
  for (let r = 0; r < size; r++) {
    let s = s0 + r * dr;
    for (let c = 0; c < size; c++, s += dc) out[o++] = normalise(data[s]);
  }
}

export function sampleLateralPatches(
  volume: PatchSource,
  count: number,
  size: number,
  rng: Rng,
  normalise: (v: number) => number = (v) => v,
): Float32Array {
  const [nz, ny, nx] = volume.shape;
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`sampleLateralPatches: size must be a positive integer, got ${size}`);
  if (size > ny || size > nx) {
    throw new RangeError(`sampleLateralPatches: patch size ${size} does not fit the lateral plane (${ny} × ${nx} voxels, y × x)`);
  }
  if (nz < 1) throw new RangeError('sampleLateralPatches: volume has no z slices');
  if (volume.data.length < nz * ny * nx) {
    throw new RangeError(`sampleLateralPatches: volume has ${volume.data.length} values, expected ${nz}×${ny}×${nx}`);
  }
  const out = new Float32Array(count * size * size);
  for (let p = 0; p < count; p++) {
    const z = rng.int(nz), y0 = rng.int(ny - size + 1), x0 = rng.int(nx - size + 1);
    const d = rng.int(8);
    copyDihedral(volume.data, (z * ny + y0) * nx + x0, nx, size, d, normalise, out, p * size * size);
  }
  return out;
}

/**
 * Degrades each ground-truth patch along its rows. `target` is gtPatches itself (not a
 * copy); `input` is a new buffer of the same shape.
 */
export function makeTrainingPairs(
  gtPatches: Float32Array,
  count: number,
  size: number,
  degradeOpts: DegradeOptions,
  rng: Rng,
): {input: Float32Array; target: Float32Array} {
  const n = size * size;
  if (gtPatches.length < count * n) throw new RangeError(`makeTrainingPairs: ${gtPatches.length} values, expected ${count} × ${size} × ${size}`);
  const input = new Float32Array(count * n);
  for (let p = 0; p < count; p++) {
    const o = p * n;
    degradeRows(gtPatches.subarray(o, o + n), size, size, degradeOpts, rng, input.subarray(o, o + n));
  }
  return {input, target: gtPatches};
}
