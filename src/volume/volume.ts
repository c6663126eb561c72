/** A dense 3-D block of voxels in z, y, x order (x fastest). */
export type VoxelArray = Uint8Array | Uint16Array | Float32Array;
export type VoxelDtype = 'uint8' | 'uint16' | 'float32';

export interface Volume<T extends VoxelArray = VoxelArray> {
  data: T;
  /** [nz, ny, nx] */
  shape: [number, number, number];
}

export function allocate(dtype: VoxelDtype, length: number): VoxelArray {
  if (dtype === 'uint8') return new Uint8Array(length);
  if (dtype === 'uint16') return new Uint16Array(length);
  return new Float32Array(length);
}

export function dtypeOf(data: VoxelArray): VoxelDtype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  return 'float32';
}

/** Integer dtypes are rounded to nearest and clamped into range. */
export function storeValue(data: VoxelArray, i: number, value: number): void {
  if (data instanceof Float32Array) data[i] = value;
  else {
    const max = data instanceof Uint8Array ? 255 : 65535;
    data[i] = Math.min(max, Math.max(0, Math.round(value)));
  }
}
