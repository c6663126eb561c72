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
import {areaResample} from './area-resample.ts';

export interface PatchSource {
  data: ArrayLike<number>;
  /** [nz, ny, nx] */
  shape: readonly [number, number, number];
}

/**
 * Dihedral transform d ∈ [0, 8): bit 0 flips rows, bit 1 flips cols, bit 2 transposes.
 * Patch (r, c) reads block (y, x) = transpose ? (c', r') : (r', c') where r', c' are r, c
 * after the flips. The patch is `rows` × `cols` (default square); the block it reads is
 * rows × cols (y × x), or cols × rows when transposed.
 */
export function copyDihedral(
  data: ArrayLike<number>,
  base: number,
  stride: number,
  rows: number,
  d: number,
  normalise: (v: number) => number,
  out: Float32Array,
  offset: number,
  cols = rows,
): void {
  const flipR = (d & 1) !== 0, flipC = (d & 2) !== 0, transpose = (d & 4) !== 0;
  // Source offset of patch (r, c) = base + r·dr + c·dc after folding flips into start/steps.
  const rowStep = transpose ? 1 : stride, colStep = transpose ? stride : 1;
  const dr = flipR ? -rowStep : rowStep, dc = flipC ? -colStep : colStep;
  const s0 = base + (flipR ? (rows - 1) * rowStep : 0) + (flipC ? (cols - 1) * colStep : 0);
  let o = offset;
  for (let r = 0; r < rows; r++) {
    let s = s0 + r * dr;
    for (let c = 0; c < cols; c++, s += dc) out[o++] = normalise(data[s]);
  }
}

/**
 * Pixel-size augmentation: a share of the patches is read from a block up to `max`
 * times larger and shrunk to the patch (area mean), as if imaged with pixels that
 * much coarser. A network trained so holds up on data whose pixels are larger than
 * its training data's (a coarser pyramid level, another microscope).
 */
export interface LateralZoom {
  /** Largest factor (≥ 1); a patch whose block would not fit the plane gets a smaller one. */
  max: number;
  /** Share of the patches zoomed, in [0, 1]. */
  share: number;
}

/**
 * `count` patches of `size` × `size` from random lateral planes, each under a random
 * dihedral transform. With `margin` > 0 each is a strip of size + 2·margin rows (the
 * degraded axis) × size cols, for makeTrainingPairs to degrade whole and crop. With
 * `zoom`, a share of them is shrunk from larger blocks (LateralZoom).
 */
export function sampleLateralPatches(
  volume: PatchSource,
  count: number,
  size: number,
  rng: Rng,
  normalise: (v: number) => number = (v) => v,
  margin = 0,
  zoom?: LateralZoom,
): Float32Array {
  const [nz, ny, nx] = volume.shape;
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`sampleLateralPatches: size must be a positive integer, got ${size}`);
  if (!(Number.isInteger(margin) && margin >= 0)) throw new RangeError(`sampleLateralPatches: margin must be an integer ≥ 0, got ${margin}`);
  const rows = size + 2 * margin;
  if (rows > ny || rows > nx) {
    const what = margin > 0 ? `patch size ${size} with a margin of ${margin} rows` : `patch size ${size}`;
    throw new RangeError(`sampleLateralPatches: ${what} does not fit the lateral plane (${ny} × ${nx} voxels, y × x)`);
  }
  if (nz < 1) throw new RangeError('sampleLateralPatches: volume has no z slices');
  if (volume.data.length < nz * ny * nx) {
    throw new RangeError(`sampleLateralPatches: volume has ${volume.data.length} values, expected ${nz}×${ny}×${nx}`);
  }
  const out = new Float32Array(count * rows * size);
  for (let p = 0; p < count; p++) {
    if (margin === 0 && !zoom) {
      // Kept draw for draw as before margins existed, so margin-free sampling is unchanged.
      const z = rng.int(nz), y0 = rng.int(ny - size + 1), x0 = rng.int(nx - size + 1);
      const d = rng.int(8);
      copyDihedral(volume.data, (z * ny + y0) * nx + x0, nx, size, d, normalise, out, p * size * size);
      continue;
    }
    const z = rng.int(nz), d = rng.int(8);
    if (zoom) {
      // Drawn for every patch, zoomed or not, so the draws that follow do not depend on the share.
      const pick = rng.next(), factor = 1 + rng.next() * (Math.min(zoom.max, Math.min(ny, nx) / rows) - 1);
      if (pick < zoom.share && factor > 1) {
        const bigRows = Math.min(Math.round(rows * factor), ny, nx), bigCols = Math.round((size * bigRows) / rows);
        const [h, w] = (d & 4) !== 0 ? [bigCols, bigRows] : [bigRows, bigCols];
        const y0 = rng.int(ny - h + 1), x0 = rng.int(nx - w + 1);
        const block = new Float32Array(bigRows * bigCols);
        copyDihedral(volume.data, (z * ny + y0) * nx + x0, nx, bigRows, d, normalise, block, 0, bigCols);
        out.set(areaResample(block, bigRows, bigCols, rows, size), p * rows * size);
        continue;
      }
    }
    // The block is rows × size (y × x), or size × rows when the transform transposes.
    const [h, w] = (d & 4) !== 0 ? [size, rows] : [rows, size];
    const y0 = rng.int(ny - h + 1), x0 = rng.int(nx - w + 1);
    copyDihedral(volume.data, (z * ny + y0) * nx + x0, nx, rows, d, normalise, out, p * rows * size, size);
  }
  return out;
}

/**
 * The margin (rows on each side along the degraded axis) that keeps mirror-extrapolated
 * rows out of training patches: 2ρ rounded up (the cubic B-spline's reach beyond the
 * last section centre plus one section), less where the planes are too small for it.
 */
export function degradeMargin(rho: number, size: number, plane: readonly [number, number]): number {
  const room = Math.floor((Math.min(plane[0], plane[1]) - size) / 2);
  return Math.max(0, Math.min(Math.ceil(2 * rho), room));
}

/**
 * Degrades each ground-truth patch along its rows. Without a margin, `target` is
 * gtPatches itself (not a copy) and `input` a new buffer of the same shape. With one,
 * gtPatches are strips of size + 2·margin rows (sampleLateralPatches with the same
 * margin): each strip is degraded and interpolated whole, and input and target are its
 * middle size × size, so neither holds rows the interpolation extrapolated past the
 * strip's first or last section.
 */
export function makeTrainingPairs(
  gtPatches: Float32Array,
  count: number,
  size: number,
  /** One degradation for all, or one per patch (e.g. each at its own ρ). */
  degradeOpts: DegradeOptions | ((patch: number) => DegradeOptions),
  rng: Rng,
  margin = 0,
): {input: Float32Array; target: Float32Array} {
  const optsOf = typeof degradeOpts === 'function' ? degradeOpts : () => degradeOpts;
  const n = size * size;
  const rows = size + 2 * margin;
  const strip = rows * size;
  if (gtPatches.length < count * strip) {
    throw new RangeError(`makeTrainingPairs: ${gtPatches.length} values, expected ${count} × ${rows} × ${size}`);
  }
  const input = new Float32Array(count * n);
  if (margin === 0) {
    for (let p = 0; p < count; p++) {
      const o = p * n;
      degradeRows(gtPatches.subarray(o, o + n), size, size, optsOf(p), rng, input.subarray(o, o + n));
    }
    return {input, target: gtPatches};
  }
  const target = new Float32Array(count * n);
  const degraded = new Float32Array(strip);
  const crop = margin * size;
  for (let p = 0; p < count; p++) {
    const gt = gtPatches.subarray(p * strip, (p + 1) * strip);
    degradeRows(gt, rows, size, optsOf(p), rng, degraded);
    input.set(degraded.subarray(crop, crop + n), p * n);
    target.set(gt.subarray(crop, crop + n), p * n);
  }
  return {input, target};
}
