/**
 * Whole-volume reconstruction: interpolate z to isotropic spacing (output z
 * spacing = lateral spacing), super-resolve every xz plane (and optionally
 * every yz plane) with the network, fuse by the mean, return raw intensities.
 */
import {normalisationFor, type IsotropicModel, type Normalisation} from '../model/model.ts';
import {robustContrast} from '../volume/contrast.ts';
import {upsampleZ} from '../resample/axial.ts';
import type {InterpolationMethod} from '../resample/interpolate.ts';
import {superResolvePlanes, type PlaneInferenceOptions} from './planes.ts';

export type Fusion = 'xz' | 'xz+yz';

export interface VolumeInferenceOptions extends Partial<PlaneInferenceOptions> {
  fuse?: Fusion;
  /** The data's ρ (default: the model's; they agree within 2 % when the model fits). */
  rho?: number;
  /** Planes gathered per superResolvePlanes call (bounds host memory). */
  planesPerCall?: number;
  /** The volume's contrast for a per-volume model (default: measured on `volume` itself); other models use their own numbers. */
  normalisation?: Normalisation;
  onProgress?: (donePlanes: number, totalPlanes: number) => void;
}

export interface IsotropicVolume {
  data: Float32Array;
  /** [round(nz·ρ), ny, nx] */
  shape: [number, number, number];
}

/** Interpolation alone, in raw intensities: the baseline the network is compared with. */
export function interpolateVolume(
  volume: {data: ArrayLike<number>; shape: [number, number, number]},
  rho: number,
  method: InterpolationMethod,
): IsotropicVolume {
  return upsampleZ(Float32Array.from(volume.data), volume.shape, rho, method);
}

export async function reconstructVolume(
  model: IsotropicModel,
  volume: {data: ArrayLike<number>; shape: [number, number, number]},
  options: VolumeInferenceOptions = {},
): Promise<IsotropicVolume> {
  const {fuse = 'xz', planesPerCall = 32, onProgress, rho = model.metadata.rho, normalisation, ...planeOptions} = options;
  const perVolume = model.metadata.normalisation.perVolume;
  const {mean, std} = normalisationFor(model, perVolume ? (normalisation ?? robustContrast(volume.data)) : undefined);
  const normalised = new Float32Array(volume.data.length);
  for (let i = 0; i < normalised.length; i++) normalised[i] = (volume.data[i] - mean) / std;
  const iso = upsampleZ(normalised, volume.shape, rho, model.metadata.interpolation ?? 'cubic');
  const [nz, ny, nx] = iso.shape;
  const out = new Float32Array(iso.data.length);
  const axes: ('xz' | 'yz')[] = fuse === 'xz+yz' ? ['xz', 'yz'] : ['xz'];
  const total = axes.reduce((s, a) => s + (a === 'xz' ? ny : nx), 0);
  let done = 0;
  for (const axis of axes) {
    // xz planes: fixed y, rows z, cols x. yz planes: fixed x, rows z, cols y.
    const count = axis === 'xz' ? ny : nx;
    const cols = axis === 'xz' ? nx : ny;
    const index = (p: number, z: number, c: number) => (axis === 'xz' ? (z * ny + p) * nx + c : (z * ny + c) * nx + p);
    for (let p0 = 0; p0 < count; p0 += planesPerCall) {
      const n = Math.min(planesPerCall, count - p0);
      const planes = new Float32Array(n * nz * cols);
      for (let p = 0; p < n; p++) {
        for (let z = 0; z < nz; z++) {
          for (let c = 0; c < cols; c++) planes[(p * nz + z) * cols + c] = iso.data[index(p0 + p, z, c)];
        }
      }
      const result = await superResolvePlanes(model, planes, n, nz, cols, {...planeOptions, rho});
      for (let p = 0; p < n; p++) {
        for (let z = 0; z < nz; z++) {
          for (let c = 0; c < cols; c++) out[index(p0 + p, z, c)] += result[(p * nz + z) * cols + c];
        }
      }
      done += n;
      onProgress?.(done, total);
    }
  }
  const scale = std / axes.length;
  for (let i = 0; i < out.length; i++) out[i] = out[i] * scale + mean;
  return {data: out, shape: iso.shape};
}
