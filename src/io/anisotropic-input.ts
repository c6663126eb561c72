/**
 * An anisotropic input volume as the isotropic layer sees it: every pyramid
 * level with its array location, shape, voxel size, NGFF translation and
 * anisotropy. Opens OME-Zarr groups (NGFF 0.4/0.5) and plain 3-D Zarr arrays
 * (whose voxel size the caller supplies).
 */
import * as zarr from 'zarrita';
import type {Vec3} from './ngff.ts';
import {openOmeZarr} from './ome-zarr-reader.ts';
import {AXIS_INDEX, type CoarseAxis} from '../chunk/permute.ts';

export const SUPPORTED_DTYPES = ['uint8', 'uint16', 'float32'];

export interface InputLevel {
  /** Location of the level's array: a URL (or path) ending in '/'. */
  arrayUrl: string;
  /** z, y, x */
  shape: Vec3;
  /** Voxel spacing z, y, x, in `unit`. */
  scale: Vec3;
  /** Centre of voxel (0, 0, 0), z, y, x, in `unit`. */
  translation: Vec3;
  /** Coarse-axis spacing / lateral spacing (1 once the level is isotropic). */
  rho: number;
}

export interface AnisotropicInput {
  name: string;
  /** The axis sampled coarsely (z for serial-section and FIB-SEM stacks). */
  coarse: CoarseAxis;
  unit: string;
  dtype: string;
  /** Zarr chunk shape of the base level (z, y, x). */
  chunks: Vec3;
  levels: InputLevel[];
}

/** Spacing of the lateral (fine) axes: x, or y when x is the coarse one. */
export function lateralSpacing(scale: Vec3, coarse: CoarseAxis): number {
  return scale[coarse === 'x' ? 1 : 2];
}

/** ρ: coarse-axis spacing / lateral spacing (scale z, y, x). */
export function coarseRatio(scale: Vec3, coarse: CoarseAxis): number {
  return scale[AXIS_INDEX[coarse]] / lateralSpacing(scale, coarse);
}

/** The two lateral spacings must agree and the coarse one must not be finer (scale z, y, x). */
export function checkSpacing(scale: Vec3, coarse: CoarseAxis, unit: string): void {
  const c = AXIS_INDEX[coarse];
  const [a, b] = (['z', 'y', 'x'] as const).filter((axis) => axis !== coarse);
  const [sa, sb] = [scale[AXIS_INDEX[a]], scale[AXIS_INDEX[b]]];
  if (!(sa > 0 && sb > 0 && scale[c] > 0)) throw new Error(`voxel sizes must be positive (got z ${scale[0]}, y ${scale[1]}, x ${scale[2]} ${unit})`);
  if (Math.abs(sa - sb) / sb > 1e-6) {
    throw new Error(`${a} and ${b} spacings differ (${sa} vs ${sb} ${unit}); with ${coarse} as the coarse axis they must be equal (option axis= picks the coarse axis)`);
  }
  if (scale[c] < sb * (1 - 1e-6)) {
    throw new Error(`${coarse} spacing ${scale[c]} is finer than the lateral spacing ${sb} ${unit}: nothing to make isotropic (option axis= picks the coarse axis)`);
  }
}

/** `voxel`: x, y, z spacing in nanometres, required for a plain array. */
export async function openAnisotropicInput(datasetUrl: string, voxel?: [number, number, number], coarse: CoarseAxis = 'z'): Promise<AnisotropicInput> {
  const rhoOf = (scale: Vec3) => coarseRatio(scale, coarse);
  const base = datasetUrl.endsWith('/') ? datasetUrl : `${datasetUrl}/`;
  const store = new zarr.FetchStore(base);
  let node: zarr.Array<zarr.DataType, zarr.Readable> | zarr.Group<zarr.Readable>;
  try {
    node = await zarr.open(zarr.root(store));
  } catch (e) {
    if (e instanceof zarr.NotFoundError) throw new Error(`no Zarr group or array at ${base} (no zarr.json, .zgroup or .zarray found)`);
    throw new Error(`cannot read ${base}: ${(e as Error).message}`);
  }
  let input: AnisotropicInput;
  if (node instanceof zarr.Array) {
    if (!voxel) throw new Error(`${base} is a plain Zarr array without voxel sizes: add the option voxel=x,y,z (nm)`);
    if (node.shape.length !== 3) throw new Error(`expected a 3-D volume, found ${node.shape.length} dimensions (shape ${node.shape.join('×')})`);
    const [vx, vy, vz] = voxel;
    input = {
      name: base.replace(/\/$/, '').split('/').pop() ?? '',
      unit: 'nanometer',
      dtype: node.dtype,
      chunks: node.chunks as Vec3,
      coarse,
      levels: [{arrayUrl: base, shape: node.shape as Vec3, scale: [vz, vy, vx], translation: [0, 0, 0], rho: rhoOf([vz, vy, vx])}],
    };
  } else {
    const vol = await openOmeZarr(store).catch((e: Error) => {
      throw new Error(`${base} is not an OME-Zarr volume: ${e.message}`);
    });
    input = {
      name: vol.desc.name,
      coarse,
      unit: vol.desc.unit,
      dtype: vol.dtype,
      chunks: vol.arrays[0].chunks as Vec3,
      levels: vol.desc.levels.map((level, i) => ({
        arrayUrl: new URL(`${level.path.replace(/\/$/, '')}/`, base).href,
        shape: vol.arrays[i].shape as Vec3,
        scale: level.scale,
        translation: level.translation,
        rho: rhoOf(level.scale),
      })),
    };
  }
  checkInput(input);
  return input;
}

function checkInput(input: AnisotropicInput): void {
  if (!SUPPORTED_DTYPES.includes(input.dtype)) {
    throw new Error(`unsupported data type ${input.dtype} (supported: ${SUPPORTED_DTYPES.join(', ')})`);
  }
  checkSpacing(input.levels[0].scale, input.coarse, input.unit);
  if (input.levels[0].shape.some((n) => n < 2)) throw new Error(`volume of shape ${input.levels[0].shape.join('×')} is not 3-D data (a dimension has fewer than 2 voxels)`);
}

/**
 * Centre of the isotropic reconstruction's voxel (0,0,0) for a level (z, y, x):
 * along the coarse axis, slices spaced `lateral` apart starting (ρ−1)/2 of them
 * before the first section's centre (src/resample/axial.ts).
 */
export function isotropicLevelOrigin(level: InputLevel, coarse: CoarseAxis = 'z'): Vec3 {
  const origin = [...level.translation] as Vec3;
  origin[AXIS_INDEX[coarse]] -= (lateralSpacing(level.scale, coarse) * (level.rho - 1)) / 2;
  return origin;
}

/** Shape (z, y, x) of a level's isotropic reconstruction: the coarse axis gains a factor ρ. */
export function isotropicLevelShape(level: InputLevel, coarse: CoarseAxis = 'z'): Vec3 {
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
