/**
 * An anisotropic OME-Zarr volume in physical terms: its anisotropy ρ, and the
 * isotropic grid a reconstruction of it lives on.
 */
import * as zarr from 'zarrita';
import type {Vec3} from './ngff.ts';
import type {OmeZarrVolume} from './ome-zarr-reader.ts';
import {isotropicLevelOrigin, SUPPORTED_DTYPES} from './anisotropic-input.ts';

export interface Anisotropy {
  /** z spacing / lateral spacing. */
  rho: number;
  /** Lateral spacing: the isotropic output spacing. */
  lateral: number;
  unit: string;
}


export function anisotropyOf(vol: OmeZarrVolume): Anisotropy {
  const [sz, sy, sx] = vol.desc.levels[0].scale;
  if (Math.abs(sx - sy) / sx > 1e-6) {
    throw new Error(`x and y spacings differ (${sx} vs ${sy} ${vol.desc.unit}); only z may be the coarse axis`);
  }
  if (sz < sx * (1 - 1e-6)) {
    throw new Error(`z spacing ${sz} is finer than the lateral spacing ${sx}: nothing to make isotropic`);
  }
  if (!SUPPORTED_DTYPES.includes(vol.dtype)) throw new Error(`unsupported data type ${vol.dtype} (supported: ${SUPPORTED_DTYPES.join(', ')})`);
  return {rho: sz / sx, lateral: sx, unit: vol.desc.unit};
}

/**
 * Where the isotropic reconstruction's voxel (0,0,0) centre lies (z, y, x): its
 * slices are spaced `lateral` apart, slice j at section coordinate (j − (ρ−1)/2)/ρ.
 */
export function isotropicOrigin(vol: OmeZarrVolume): Vec3 {
  const {rho} = anisotropyOf(vol);
  const {scale, translation} = vol.desc.levels[0];
  return isotropicLevelOrigin({arrayUrl: '', shape: vol.shape, scale, translation, rho});
}

/** Reads the whole base level into memory (fine for the sizes training and evaluation use). */
export async function readBaseLevel(vol: OmeZarrVolume): Promise<{data: Uint8Array | Uint16Array | Float32Array; shape: Vec3}> {
  const chunk = await zarr.get(vol.arrays[0]);
  return {data: chunk.data as Uint8Array | Uint16Array | Float32Array, shape: vol.shape};
}

export function dtypeRange(dtype: string): number {
  return dtype === 'uint8' ? 255 : dtype === 'uint16' ? 65535 : 1;
}
