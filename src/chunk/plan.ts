/**
 * Which part of an anisotropic volume one isotropic output chunk needs, and
 * where. One plan serves the viewer's chunks and batch reconstruction alike.
 *
 * The isotropic grid has round(nz·ρ) slices; slice j sits at section coordinate
 * (j − (ρ−1)/2)/ρ (src/resample/axial.ts). A chunk's planes go through the
 * network with `halo` voxels of context on each side of the output, in a window
 * whose origin and size are multiples of the network's size multiple, so the
 * attention windows fall exactly as in a whole-volume pass and the window edges,
 * where the network sees less context, are cropped away. Along z the window is
 * built by interpolating the sections it spans, plus a margin so that the cubic
 * B-spline prefilter of the smaller block agrees with the whole-axis one.
 */
import type {Vec3} from '../grid/box.ts';
import {isotropicPositions} from '../resample/axial.ts';
import type {InterpolationMethod} from '../resample/interpolate.ts';
import {clipBox, formatBox, type Box3} from '../grid/box.ts';
import type {Fusion} from '../grid/frame.ts';

export interface IsotropicGrid {
  /** Shape of the anisotropic input (sections, y, x). */
  input: Vec3;
  /** z spacing / lateral spacing. */
  rho: number;
  /** Shape of the isotropic output: [round(nz·ρ), ny, nx]. */
  shape: Vec3;
}

export function isotropicGrid(input: Vec3, rho: number): IsotropicGrid {
  if (!(rho >= 1 && Number.isFinite(rho))) throw new RangeError(`ρ must be ≥ 1, got ${rho}`);
  return {input, rho, shape: [Math.round(input[0] * rho), input[1], input[2]]};
}

export interface ChunkPlanOptions {
  /** Context for the network on each side of the output, in plane axes (0: no network). */
  halo: number;
  /** Network windows start and end on multiples of this (the network's size multiple). */
  multiple: number;
  fuse: Fusion;
  interpolation: InterpolationMethod;
}

export interface ChunkPlan {
  /** The output chunk, isotropic voxels. */
  output: Box3;
  /** The isotropic region interpolated and handed to the network (contains `output`). */
  window: Box3;
  /** The anisotropic region read: sections, y, x. */
  read: Box3;
  /** Section coordinate of every window slice, relative to the first section read. */
  positions: Float64Array;
  /** The grid's section spacing in lateral voxels (what a ρ-conditioned network is told). */
  rho: number;
}

/**
 * Sections beyond the cubic taps that make a block's B-spline prefilter match the
 * whole axis: the mismatch decays as |√3 − 2|^margin (8 → 3e-5 of the range).
 */
export const PREFILTER_MARGIN = 8;

export function planChunk(grid: IsotropicGrid, output: Box3, options: ChunkPlanOptions): ChunkPlan {
  const clipped = clipBox(output, grid.shape);
  if (clipped.end.some((e, i) => e <= clipped.start[i])) {
    throw new RangeError(`chunk ${formatBox(output)} lies outside the isotropic volume ${grid.shape.join('×')}`);
  }
  const {halo, multiple, fuse} = options;
  const [nz, ny, nx] = grid.shape;
  const z = contextRange(clipped.start[0], clipped.end[0], nz, halo, multiple);
  const x = contextRange(clipped.start[2], clipped.end[2], nx, halo, multiple);
  // xz planes need no context in y; yz planes (fused) need it in y as in x.
  const y = fuse === 'xz+yz' ? contextRange(clipped.start[1], clipped.end[1], ny, halo, multiple) : [clipped.start[1], clipped.end[1]];
  const window: Box3 = {start: [z[0], y[0], x[0]], end: [z[1], y[1], x[1]]};

  const all = isotropicPositions(grid.input[0], grid.rho);
  const t0 = all[z[0]];
  const t1 = all[z[1] - 1];
  const cubic = options.interpolation === 'cubic';
  const below = cubic ? 1 + PREFILTER_MARGIN : 0;
  const above = cubic ? 3 + PREFILTER_MARGIN : 2;
  const s0 = Math.max(0, Math.floor(t0) - below);
  const s1 = Math.min(grid.input[0], Math.floor(t1) + above);
  const positions = all.slice(z[0], z[1]).map((t) => t - s0);
  return {
    output: clipped,
    window,
    read: {start: [s0, window.start[1], window.start[2]], end: [s1, window.end[1], window.end[2]]},
    positions,
    rho: grid.rho,
  };
}

/** [start, end) of the network window along one axis of length n. */
export function contextRange(o0: number, o1: number, n: number, halo: number, multiple: number): [number, number] {
  if (halo <= 0) return [o0, o1];
  const w0 = Math.max(0, Math.floor((o0 - halo) / multiple) * multiple);
  const w1 = Math.min(n, w0 + Math.ceil((Math.min(n, o1 + halo) - w0) / multiple) * multiple);
  return [w0, w1];
}
