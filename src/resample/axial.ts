/**
 * Inference-side resampling of an anisotropic volume to isotropic spacing along z.
 *
 * Conventions: volumes are [nz, ny, nx] (x fastest); ρ = z spacing / lateral spacing
 * (may be non-integer). The output has round(nz·ρ) slices and output slice z sits at
 * section coordinate t = (z − (ρ−1)/2)/ρ, i.e. the degradation convention with phase 0:
 * when each section averages ρ fine slices (NGFF translation (ρ−1)/2 fine spacings), the
 * output voxels land on the grid of the original fine acquisition. The interpolation is
 * interpolateAxis0 — the same code that degradeRows uses to build training inputs.
 */

import {interpolateAxis0, type InterpolationMethod} from './interpolate.ts';
import {fineRowPositions} from '../degrade/degrade.ts';

/** Section coordinate of fine (isotropic) slice z, for phase 0. */
export function sectionCoordinate(z: number, rho: number): number {
  return (z - (rho - 1) / 2) / rho;
}

/** Section coordinates of the round(nSections·ρ) isotropic output slices. */
export function isotropicPositions(nSections: number, rho: number): Float64Array {
  if (!(Number.isInteger(nSections) && nSections >= 0)) {
    throw new RangeError(`isotropicPositions: nSections must be a non-negative integer, got ${nSections}`);
  }
  if (!(rho > 0 && Number.isFinite(rho))) throw new RangeError(`isotropicPositions: rho must be positive, got ${rho}`);
  // The training convention (degrade.ts) with phase 0: one formula for both sides.
  return fineRowPositions(Math.round(nSections * rho), rho, 0);
}

export function upsampleZ(
  vol: Float32Array,
  shape: readonly [number, number, number],
  rho: number,
  method: InterpolationMethod = 'cubic',
): {data: Float32Array; shape: [number, number, number]} {
  const [nz, ny, nx] = shape;
  if (vol.length < nz * ny * nx) throw new RangeError(`upsampleZ: volume has ${vol.length} values, expected ${nz}×${ny}×${nx}`);
  const positions = isotropicPositions(nz, rho);
  const data = interpolateAxis0(vol, shape, positions, method);
  return {data, shape: [positions.length, ny, nx]};
}
