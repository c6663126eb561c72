/**
 * Half-open voxel boxes in z, y, x order (arrays are stored C order, x fastest).
 */
/** A triple in z, y, x order. */
export type Vec3 = [number, number, number];

export interface Box3 {
  /** First voxel, inclusive (z, y, x). */
  start: Vec3;
  /** Last voxel + 1 (z, y, x). */
  end: Vec3;
}

export function boxSize(box: Box3): Vec3 {
  return [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
}

export function boxVoxels(box: Box3): number {
  const [a, b, c] = boxSize(box);
  return Math.max(0, a) * Math.max(0, b) * Math.max(0, c);
}

/** The box clipped to [0, shape). */
export function clipBox(box: Box3, shape: Vec3): Box3 {
  const start = box.start.map((s, i) => Math.min(shape[i], Math.max(0, s))) as Vec3;
  const end = box.end.map((e, i) => Math.min(shape[i], Math.max(start[i], e))) as Vec3;
  return {start, end};
}

export function formatBox(box: Box3): string {
  return `z ${box.start[0]}–${box.end[0]}, y ${box.start[1]}–${box.end[1]}, x ${box.start[2]}–${box.end[2]}`;
}

/** Copies `inner` (a sub-box of `outer`) out of a C-order array laid out over `outer` (into `out`, float32 by default). */
export function cropBox(data: ArrayLike<number>, outer: Box3, inner: Box3): Float32Array;
export function cropBox<T extends {[i: number]: number}>(data: ArrayLike<number>, outer: Box3, inner: Box3, out: T): T;
export function cropBox(data: ArrayLike<number>, outer: Box3, inner: Box3, out: {[i: number]: number} = new Float32Array(boxVoxels(inner))) {
  const [, oy, ox] = boxSize(outer);
  const [nz, ny, nx] = boxSize(inner);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const src = ((z + inner.start[0] - outer.start[0]) * oy + (y + inner.start[1] - outer.start[1])) * ox + (inner.start[2] - outer.start[2]);
      const dst = (z * ny + y) * nx;
      for (let x = 0; x < nx; x++) out[dst + x] = data[src + x];
    }
  }
  return out;
}
