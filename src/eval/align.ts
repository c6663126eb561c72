/**
 * Puts a reconstruction and a ground-truth volume on one voxel grid using their
 * world coordinates (origin of voxel centres + spacing, z, y, x order), and
 * crops both to the shared voxels minus a border.
 */
import type {Vec3} from '../grid/box.ts';

export interface GriddedVolume {
  data: ArrayLike<number>;
  shape: Vec3;
  origin: Vec3;
  spacing: Vec3;
}

export interface AlignedPair {
  a: Float32Array;
  b: Float32Array;
  shape: Vec3;
  /** First compared voxel in b's (the truth's) index space. */
  start: Vec3;
}

export function alignAndCrop(a: GriddedVolume, b: GriddedVolume, border: number): AlignedPair {
  const start: number[] = [];
  const end: number[] = [];
  const offset: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (Math.abs(a.spacing[i] - b.spacing[i]) > 1e-6 * b.spacing[i]) {
      throw new Error(`voxel spacings differ on axis ${'zyx'[i]}: ${a.spacing[i]} vs ${b.spacing[i]}`);
    }
    const shift = (b.origin[i] - a.origin[i]) / b.spacing[i]; // b index 0 sits at a index `shift`
    if (Math.abs(shift - Math.round(shift)) > 1e-3) {
      throw new Error(`grids are offset by ${shift.toFixed(3)} voxels on axis ${'zyx'[i]}: not comparable voxel for voxel`);
    }
    offset.push(Math.round(shift));
    start.push(Math.max(0, -offset[i]) + border);
    end.push(Math.min(b.shape[i], a.shape[i] - offset[i]) - border);
    if (end[i] <= start[i]) throw new Error(`no shared voxels on axis ${'zyx'[i]} after a border of ${border}`);
  }
  const shape = end.map((e, i) => e - start[i]) as Vec3;
  const crop = (v: GriddedVolume, shift: number[]) => {
    const out = new Float32Array(shape[0] * shape[1] * shape[2]);
    let o = 0;
    for (let z = 0; z < shape[0]; z++) {
      for (let y = 0; y < shape[1]; y++) {
        const row = ((start[0] + z + shift[0]) * v.shape[1] + start[1] + y + shift[1]) * v.shape[2] + start[2] + shift[2];
        for (let x = 0; x < shape[2]; x++) out[o++] = v.data[row + x];
      }
    }
    return out;
  };
  return {a: crop(a, offset), b: crop(b, [0, 0, 0]), shape, start: start as Vec3};
}
