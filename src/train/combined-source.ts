/**
 * One training source over several volumes: their lateral planes, stacked. For
 * training one model on more than one dataset (a generic model on several
 * FlyEM regions). The planes must be alike: same data type, same lateral size
 * and spacing, and the same anisotropy (a fixed-ρ model learns the data's).
 */
import type {Vec3} from '../grid/box.ts';
import type {TrainingSource} from './session.ts';

/** Relative difference in spacing taken as equal (metadata rounding). */
const SAME_SPACING = 0.02;

export function combinedTrainingSource(sources: TrainingSource[], names: string[] = sources.map((_, i) => `input ${i + 1}`)): TrainingSource {
  if (sources.length === 0) throw new Error('no training input');
  if (sources.length === 1) return sources[0];
  const [first] = sources;
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
