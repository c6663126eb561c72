/** The voxel data types the readers decode, as zarrita, N5 and precomputed name them, with their typed arrays. */
export const TYPED_ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export type TypedArrayDtype = keyof typeof TYPED_ARRAYS;

/** Decoded voxels of any of these types. */
export type VoxelData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
