import {allocate, dtypeOf, storeValue, type Volume, type VoxelArray} from './volume.ts';

type Vec3 = [number, number, number];

/**
 * Box-averages a volume by integer factors per axis (z, y, x). A trailing partial
 * box averages the voxels it has, so the output has ceil(n / f) voxels per axis.
 */
export function downsampleMean<T extends VoxelArray>(vol: Volume<T>, factors: Vec3): Volume<T> {
  const [nz, ny, nx] = vol.shape;
  const [fz, fy, fx] = factors;
  const shape: Vec3 = [Math.ceil(nz / fz), Math.ceil(ny / fy), Math.ceil(nx / fx)];
  const out = allocate(dtypeOf(vol.data), shape[0] * shape[1] * shape[2]) as T;
  const src = vol.data;
  let o = 0;
  for (let z = 0; z < shape[0]; z++) {
    const z0 = z * fz, z1 = Math.min(nz, z0 + fz);
    for (let y = 0; y < shape[1]; y++) {
      const y0 = y * fy, y1 = Math.min(ny, y0 + fy);
      for (let x = 0; x < shape[2]; x++, o++) {
        const x0 = x * fx, x1 = Math.min(nx, x0 + fx);
        let sum = 0;
        for (let zz = z0; zz < z1; zz++) {
          for (let yy = y0; yy < y1; yy++) {
            const row = (zz * ny + yy) * nx;
            for (let xx = x0; xx < x1; xx++) sum += src[row + xx];
          }
        }
        storeValue(out, o, sum / ((z1 - z0) * (y1 - y0) * (x1 - x0)));
      }
    }
  }
  return {data: out, shape};
}

/**
 * Downsampling factors for successive pyramid levels, each relative to the one
 * before. An axis is halved while its spacing is at most half the coarsest
 * spacing, so anisotropic data is first downsampled in x/y only until it is
 * near-isotropic; from then on all axes are halved together. With `levels`
 * undefined, levels are added until the whole volume fits in one chunk (at
 * least 2 levels in all); otherwise exactly `levels` levels (base included).
 */
export function pyramidFactors(scale: Vec3, shape: Vec3, chunk: Vec3, levels?: number): Vec3[] {
  const factors: Vec3[] = [];
  let s = [...scale] as Vec3;
  let n = [...shape] as Vec3;
  const more = () =>
    levels !== undefined ? factors.length + 1 < levels : factors.length < 1 || !n.every((v, i) => v <= chunk[i]);
  while (more()) {
    const coarsest = Math.max(...s);
    let f = s.map((v) => (v * 2 <= coarsest * (1 + 1e-6) ? 2 : 1)) as Vec3;
    if (f.every((v) => v === 1)) f = [2, 2, 2];
    // Never shrink an axis that is already a single voxel.
    f = f.map((v, i) => (n[i] === 1 ? 1 : v)) as Vec3;
    if (f.every((v) => v === 1)) break;
    factors.push(f);
    s = s.map((v, i) => v * f[i]) as Vec3;
    n = n.map((v, i) => Math.ceil(v / f[i])) as Vec3;
  }
  return factors;
}
