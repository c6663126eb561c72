/**
 * The training signal that looks at real axial planes: a few xz planes of the
 * training volume (its measured sections, not synthetic ones), reconstructed by
 * the network as it trains, scored by the no-reference axial detail measure
 * (src/metrics/axial-detail.ts: z against x detail of the output) beside
 * interpolation's score on the same planes.
 * Lateral validation PSNR says how well the network undoes the synthetic
 * degradation; this says what it does to the data it will serve.
 */
import {axialDetail, type PlaneStack} from '../metrics/axial-detail.ts';
import {extractPlane} from '../metrics/planes.ts';
import {interpolateVolume, reconstructVolume} from '../infer/volume.ts';
import type {IsotropicModel} from '../model/model.ts';
import type {InterpolationMethod} from '../resample/interpolate.ts';
import type {TrainingVolume} from './data.ts';
import {MIN_NETWORK_RHO} from '../model/generic.ts';

/** Planes probed, their width and the sections each spans at most (bounds the cost: ~4 · 48ρ · 128 pixels). */
const PLANES = 4;
const WIDTH = 128;
const MAX_SECTIONS = 48;
/** Fewest reconstructed rows worth a spectrum. */
const MIN_ROWS = 32;

export class AxialProbe {
  /** Interpolation's score on the probe planes. */
  readonly interpolated: number;
  private constructor(
    private readonly rho: number,
    private readonly slab: {data: Float32Array; shape: [number, number, number]},
    method: InterpolationMethod,
  ) {
    const interpolated = interpolateVolume(slab, rho, method);
    this.interpolated = axialDetail(asPlanes(interpolated.data, interpolated.shape), rho);
  }

  /** Undefined when the volume has no axial planes worth probing (ρ < 1.5, or too few sections). */
  static of(volume: TrainingVolume, method: InterpolationMethod): AxialProbe | undefined {
    const [nz, ny, nx] = volume.shape;
    const {rho} = volume;
    const sections = Math.min(nz, MAX_SECTIONS);
    if (rho < MIN_NETWORK_RHO || sections * rho < MIN_ROWS || nx < 8) return undefined;
    const z0 = Math.floor((nz - sections) / 2);
    const w = Math.min(WIDTH, nx);
    const x0 = Math.floor((nx - w) / 2);
    const ys = Array.from({length: Math.min(PLANES, ny)}, (_, i) => Math.floor(((i + 0.5) * ny) / Math.min(PLANES, ny)));
    // A [sections, planes, w] volume whose xz planes are the probe planes.
    const data = new Float32Array(sections * ys.length * w);
    for (let z = 0; z < sections; z++) {
      ys.forEach((y, p) => {
        for (let x = 0; x < w; x++) data[(z * ys.length + p) * w + x] = volume.data[((z0 + z) * ny + y) * nx + x0 + x];
      });
    }
    return new AxialProbe(rho, {data, shape: [sections, ys.length, w]}, method);
  }

  async measure(model: IsotropicModel): Promise<number> {
    const out = await reconstructVolume(model, this.slab, {fuse: 'xz', rho: this.rho});
    return axialDetail(asPlanes(out.data, out.shape), this.rho);
  }
}

/** The xz planes of a (z, y, x) volume as a stack [y][z][x]. */
function asPlanes(data: Float32Array, shape: readonly [number, number, number]): PlaneStack {
  const [nz, ny, nx] = shape;
  const planes = new Float64Array(data.length);
  for (let y = 0; y < ny; y++) extractPlane(data, shape, 'xz', y, planes.subarray(y * nz * nx, (y + 1) * nz * nx));
  return {data: planes, n: ny, rows: nz, cols: nx};
}
