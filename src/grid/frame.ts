/**
 * Volumes whose coarse axis is not z: the chunk computation works in a frame
 * (coarse, a, b) — the coarse axis first, the other two in z, y, x order — and
 * these helpers move boxes and data between that frame and the stored z, y, x.
 */
import type {Vec3} from './box.ts';
import {boxSize, type Box3} from './box.ts';
import type {RegionReader} from './region-reader.ts';

/** Index of each axis in z, y, x order. */
export const AXIS_INDEX = {z: 0, y: 1, x: 2} as const;
export type CoarseAxis = keyof typeof AXIS_INDEX;

/** The planes through the coarse axis that the network super-resolves: xz alone, or xz and yz averaged. */
export type Fusion = 'xz' | 'xz+yz';

/** Frame axis i is stored axis perm[i]. */
export function framePermutation(coarse: CoarseAxis): Vec3 {
  const c = AXIS_INDEX[coarse];
  return [c, ...[0, 1, 2].filter((i) => i !== c)] as Vec3;
}

export function permuteVec(v: Vec3, perm: Vec3): Vec3 {
  return [v[perm[0]], v[perm[1]], v[perm[2]]];
}

export function inversePermutation(perm: Vec3): Vec3 {
  const inv = [0, 0, 0] as Vec3;
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export function permuteBox(box: Box3, perm: Vec3): Box3 {
  return {start: permuteVec(box.start, perm), end: permuteVec(box.end, perm)};
}

/** C-order data of `shape` → C-order data whose axis i is input axis perm[i]. */
export function transposeVolume(data: Float32Array, shape: Vec3, perm: Vec3): Float32Array {
  if (perm[0] === 0 && perm[1] === 1 && perm[2] === 2) return data;
  const out = new Float32Array(data.length);
  const stride = [shape[1] * shape[2], shape[2], 1];
  const [n0, n1, n2] = permuteVec(shape, perm);
  const [s0, s1, s2] = permuteVec(stride as Vec3, perm);
  let o = 0;
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) for (let k = 0; k < n2; k++) out[o++] = data[i * s0 + j * s1 + k * s2];
  return out;
}

/** A reader of frame boxes over a reader of stored boxes. */
export function frameReader(read: RegionReader, perm: Vec3): RegionReader {
  const inverse = inversePermutation(perm);
  return async (box, signal) => {
    const stored = permuteBox(box, inverse);
    return transposeVolume(await read(stored, signal), boxSize(stored), perm);
  };
}
