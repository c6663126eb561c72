/**
 * Anisotropy and placement in physical terms: ρ of a level, the checks its
 * spacing must pass, and where a level's isotropic reconstruction lies.
 */
import type {Vec3} from '../grid/box.ts';
import {AXIS_INDEX, type CoarseAxis} from '../grid/frame.ts';
import type {InputLevel} from './types.ts';
import {InputOptionError} from './input-options.ts';

/** Spacing of the lateral (fine) axes: x, or y when x is the coarse one. */
export function lateralSpacing(scale: Vec3, coarse: CoarseAxis): number {
  return scale[coarse === 'x' ? 1 : 2];
}

/** ρ: coarse-axis spacing / lateral spacing (scale z, y, x). */
export function coarseRatio(scale: Vec3, coarse: CoarseAxis): number {
  return scale[AXIS_INDEX[coarse]] / lateralSpacing(scale, coarse);
}

/** Below this ρ a volume counts as isotropic already: there is nothing to super-resolve. */
export const MIN_ANISOTROPY = 1.1;

/** The two lateral spacings must agree and the coarse one must not be finer (scale z, y, x). */
export function checkSpacing(scale: Vec3, coarse: CoarseAxis, unit: string): void {
  const c = AXIS_INDEX[coarse];
  const [a, b] = (['z', 'y', 'x'] as const).filter((axis) => axis !== coarse);
  const [sa, sb] = [scale[AXIS_INDEX[a]], scale[AXIS_INDEX[b]]];
  if (!(sa > 0 && sb > 0 && scale[c] > 0)) throw new Error(`voxel sizes must be positive (got z ${scale[0]}, y ${scale[1]}, x ${scale[2]} ${unit})`);
  if (Math.abs(sa - sb) / sb > 1e-6) {
    throw new InputOptionError((o) => `${a} and ${b} spacings differ (${sa} vs ${sb} ${unit}); with ${coarse} as the coarse axis they must be equal (the option ${o.name('axis')} picks the coarse axis)`);
  }
  if (scale[c] < sb * (1 - 1e-6)) {
    throw new InputOptionError((o) => `${coarse} spacing ${scale[c]} is finer than the lateral spacing ${sb} ${unit}: nothing to make isotropic (the option ${o.name('axis')} picks the coarse axis)`);
  }
}

/** Refuses a volume that is isotropic already, in words. */
export function checkAnisotropic(scale: Vec3, coarse: CoarseAxis, unit: string): void {
  const rho = coarseRatio(scale, coarse);
  if (rho < MIN_ANISOTROPY) {
    throw new Error(`this volume is already isotropic (${coarse} spacing ${scale[AXIS_INDEX[coarse]]} vs lateral ${lateralSpacing(scale, coarse)} ${unit}, ρ = ${rho.toFixed(2)}): open it as a plain image layer`);
  }
}

/**
 * Centre of the isotropic reconstruction's voxel (0,0,0) for a level (z, y, x):
 * along the coarse axis, slices spaced `lateral` apart starting (ρ−1)/2 of them
 * before the first section's centre (src/resample/axial.ts).
 */
export function isotropicLevelOrigin(level: Pick<InputLevel, 'scale' | 'translation' | 'rho'>, coarse: CoarseAxis = 'z'): Vec3 {
  const origin = [...level.translation] as Vec3;
  origin[AXIS_INDEX[coarse]] -= (lateralSpacing(level.scale, coarse) * (level.rho - 1)) / 2;
  return origin;
}

/**
 * The pyramid levels an isotropic layer declares: fine to coarse, up to (not
 * including) the first whose coarse spacing is finer than its lateral one
 * (ρ < 1, e.g. lateral-only downsampling of a FAFB-like pyramid). Such a level
 * would need z downsampled rather than interpolated; coarser zoom levels show
 * the last level kept instead.
 */
export function isotropicLevels<L extends Pick<InputLevel, 'rho'>>(levels: readonly L[]): L[] {
  const first = levels.findIndex((l) => l.rho < 1 - 1e-6);
  return levels.slice(0, first < 0 ? levels.length : Math.max(1, first));
}

/** Shape (z, y, x) of a level's isotropic reconstruction: the coarse axis gains a factor ρ. */
export function isotropicLevelShape(level: Pick<InputLevel, 'shape' | 'rho'>, coarse: CoarseAxis = 'z'): Vec3 {
  const shape = [...level.shape] as Vec3;
  shape[AXIS_INDEX[coarse]] = Math.round(shape[AXIS_INDEX[coarse]] * level.rho);
  return shape;
}

/**
 * Where a level's isotropic voxels go in the viewer's model space, whose unit is
 * the base lateral spacing and where a voxel spans [j, j + 1) around its centre
 * (neuroglancer's convention): chunk coordinate c ↦ scale·c + translation, per
 * axis x, y, z. Voxel j's centre, c = j + ½, lands on origin + j·lateral.
 */
export function isotropicChunkToModel(level: InputLevel, base: InputLevel, coarse: CoarseAxis = 'z'): {scale: number; translation: Vec3} {
  const lateral0 = lateralSpacing(base.scale, coarse);
  const scale = lateralSpacing(level.scale, coarse) / lateral0;
  const origin = isotropicLevelOrigin(level, coarse);
  const at = (zyx: number) => origin[zyx] / lateral0 - scale / 2;
  return {scale, translation: [at(2), at(1), at(0)]};
}
