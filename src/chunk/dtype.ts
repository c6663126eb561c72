/** Conversion of computed float intensities back to the input's data type. */

export type VoxelArray = Uint8Array | Uint16Array | Float32Array;

export function toDtype(values: Float32Array, dtype: string): VoxelArray {
  if (dtype === 'float32') return values;
  const [Type, max] = dtype === 'uint8' ? [Uint8Array, 255] : dtype === 'uint16' ? [Uint16Array, 65535] : [undefined, 0];
  if (!Type) throw new Error(`unsupported data type ${dtype} (supported: uint8, uint16, float32)`);
  const out = new Type(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]);
    out[i] = v < 0 ? 0 : v > max ? max : v;
  }
  return out;
}

/** The value range of integer data (float data: 1, its range comes from the data). */
export function dtypeRange(dtype: string): number {
  return dtype === 'uint8' ? 255 : dtype === 'uint16' ? 65535 : 1;
}
