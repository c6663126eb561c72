/**
 * What the model makes of a real axial plane: an xz patch of the training
 * region (at the view's y), interpolated to isotropic spacing with the model's
 * own interpolation, and super-resolved by the network. The panel shows both,
 * so the user sees the network's effect on their own data as it trains.
 */
import {interpolateVolume, reconstructVolume} from '../infer/volume.ts';
import type {IsotropicModel} from '../model/model.ts';
import type {TrainingVolume} from './data.ts';

export interface AxialPreview {
  /** Rows along the coarse axis (isotropic spacing), columns along x. */
  rows: number;
  cols: number;
  interpolated: Float32Array;
  network: Float32Array;
}

/** `row`: lateral row (y) of the plane; `col`/`width`: its x range, centred on `col` (clipped to the volume). */
export async function axialPreview(model: IsotropicModel, volume: TrainingVolume, row: number, col: number, width: number): Promise<AxialPreview> {
  const [nz, ny, nx] = volume.shape;
  const y = Math.max(0, Math.min(ny - 1, Math.round(row)));
  const w = Math.min(width, nx);
  const x0 = Math.max(0, Math.min(nx - w, Math.round(col - w / 2)));
  const slab = new Float32Array(nz * w);
  for (let z = 0; z < nz; z++) for (let x = 0; x < w; x++) slab[z * w + x] = volume.data[(z * ny + y) * nx + x0 + x];
  const plane = {data: slab, shape: [nz, 1, w] as [number, number, number]};
  const interpolated = interpolateVolume(plane, volume.rho, model.metadata.interpolation ?? 'cubic');
  const network = await reconstructVolume(model, plane, {fuse: 'xz', rho: volume.rho});
  return {rows: network.shape[0], cols: w, interpolated: interpolated.data, network: network.data};
}
