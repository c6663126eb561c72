/**
 * One training source over several volumes: their lateral planes, stacked. For
 * training one model on more than one dataset (a generic model on several
 * FlyEM regions). The planes must be alike: same data type, same lateral size
 * and spacing, and the same anisotropy (a fixed-ρ model learns the data's).
 *
 * `mixed` (a ρ-conditioned model, which learns every ρ of its range whatever
 * the data's, normalising each volume by its own contrast): the volumes may
 * differ in lateral size, spacing and anisotropy. Their planes are cut into
 * square tiles of the smallest lateral side, and each volume's grey levels are
 * mapped onto the first's contrast (robustContrast), as the model will see
 * each one normalised by its own.
 */
import type {Vec3} from '../grid/box.ts';
import {robustContrast} from '../volume/contrast.ts';
import type {TrainingSource} from './session.ts';

export interface CombineOptions {
  mixed?: boolean;
}

/** Relative difference in spacing taken as equal (metadata rounding). */
const SAME_SPACING = 0.02;

export function combinedTrainingSource(
  sources: TrainingSource[],
  names: string[] = sources.map((_, i) => `input ${i + 1}`),
  options: CombineOptions = {},
): TrainingSource {
  if (sources.length === 0) throw new Error('no training input');
  if (sources.length === 1) return sources[0];
  const [first] = sources;
  if (options.mixed) return mixedSource(sources, names);
  const differs = (a: number, b: number) => Math.abs(a - b) > SAME_SPACING * Math.max(a, b);
  sources.forEach((s, i) => {
    const unlike = (what: string, a: string, b: string) => new Error(`training inputs differ in ${what}: ${names[0]} has ${a}, ${names[i]} has ${b}`);
    if (s.dtype !== first.dtype) throw unlike('data type', first.dtype, s.dtype);
    if (s.unit !== first.unit) throw unlike('unit', first.unit, s.unit);
    if (differs(s.scale[1], first.scale[1]) || differs(s.scale[2], first.scale[2])) {
      throw unlike('lateral spacing', `${first.scale[2]}×${first.scale[1]} ${first.unit}`, `${s.scale[2]}×${s.scale[1]} ${s.unit}`);
    }
    if (differs(s.rho, first.rho)) throw unlike('anisotropy', `ρ = ${first.rho.toFixed(3)}`, `ρ = ${s.rho.toFixed(3)}`);
  });
  return {
    rho: first.rho,
    unit: first.unit,
    dtype: first.dtype,
    scale: first.scale,
    async read() {
      const parts = [];
      for (const s of sources) parts.push(await s.read());
      const [, ny, nx] = parts[0].shape;
      parts.forEach((p, i) => {
        if (p.shape[1] !== ny || p.shape[2] !== nx) {
          throw new Error(`training inputs differ in lateral size: ${names[0]} is ${nx}×${ny}, ${names[i]} is ${p.shape[2]}×${p.shape[1]} voxels (x×y); crop them alike`);
        }
      });
      const nz = parts.reduce((n, p) => n + p.shape[0], 0);
      const data = new Float32Array(nz * ny * nx);
      let offset = 0;
      for (const p of parts) {
        data.set(p.data as ArrayLike<number>, offset);
        offset += p.data.length;
      }
      return {data, shape: [nz, ny, nx] as Vec3};
    },
  };
}

function mixedSource(sources: TrainingSource[], names: string[]): TrainingSource {
  const [first] = sources;
  sources.forEach((s, i) => {
    if (s.dtype !== first.dtype) throw new Error(`training inputs differ in data type: ${names[0]} has ${first.dtype}, ${names[i]} has ${s.dtype}`);
  });
  return {
    ...first,
    async read() {
      const parts = [];
      for (const s of sources) parts.push(await s.read());
      const side = Math.min(...parts.map((p) => Math.min(p.shape[1], p.shape[2])));
      const reference = robustContrast(parts[0].data);
      const tiled = parts.map((p) => {
        const {mean, std} = robustContrast(p.data);
        const gain = reference.std / std;
        return squareTiles(p.data, p.shape, side, (v) => (v - mean) * gain + reference.mean);
      });
      const nz = tiled.reduce((n, t) => n + t.length / (side * side), 0);
      const data = new Float32Array(nz * side * side);
      let offset = 0;
      for (const t of tiled) {
        data.set(t, offset);
        offset += t.length;
      }
      return {data, shape: [nz, side, side] as Vec3};
    },
  };
}

/** Every plane of `data` [nz, ny, nx] cut into side × side tiles spread evenly over it (as many as fit), mapped through `map`. */
function squareTiles(data: ArrayLike<number>, [nz, ny, nx]: Vec3, side: number, map: (v: number) => number): Float32Array {
  const starts = (n: number) => {
    const k = Math.floor(n / side);
    return Array.from({length: k}, (_, i) => (k === 1 ? Math.floor((n - side) / 2) : Math.round((i * (n - side)) / (k - 1))));
  };
  const ys = starts(ny), xs = starts(nx);
  const out = new Float32Array(nz * ys.length * xs.length * side * side);
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (const y0 of ys) {
      for (const x0 of xs) {
        for (let y = 0; y < side; y++) {
          const row = (z * ny + y0 + y) * nx + x0;
          for (let x = 0; x < side; x++) out[o++] = map(data[row + x]);
        }
      }
    }
  }
  return out;
}
