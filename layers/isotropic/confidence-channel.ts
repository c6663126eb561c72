/**
 * The confidence view's second channel (`show=confidence`): an isotropic chunk
 * holds its image (channel 0) and the network's per-voxel confidence (channel 1),
 * neuroglancer's channel layout (x fastest, channel slowest), so the two share
 * one chunk grid and placement by construction. Confidence in [0, 1] is stored
 * in the image's data type (uint8: 0–255, uint16: 0–65535, float32: as is);
 * until it is computed the channel reads "confident", which the shader leaves
 * transparent.
 */
import {dtypeRange, type VoxelArray} from '../../src/chunk/dtype.ts';
import {LOW_CONFIDENCE} from '../../src/infer/confidence.ts';

/** Channels of a chunk with the confidence view: the image, then its confidence. */
export const CONFIDENCE_CHANNELS = 2;

/** The stored value of confidence 1 in `dtype` (uint8: 255, uint16: 65535, float32: 1). */
export function confidenceScale(dtype: string): number {
  return dtypeRange(dtype);
}

/** A confidence in [0, 1] as stored in `dtype`. */
function stored(confidence: number, scale: number): number {
  const c = confidence > 1 ? 1 : confidence >= 0 ? confidence : 0; // NaN reads as 0: nothing to trust
  return scale === 1 ? c : Math.round(c * scale);
}

/** Stored confidence values below this count as low confidence (the status line's share, the shader's colour). */
export function isLowStored(value: number, scale: number): boolean {
  return value / scale < LOW_CONFIDENCE;
}

/**
 * The chunk's voxels with both channels: `image` (its data type), then
 * `confidence` over the same voxels (C order), or "confident" everywhere while
 * it is not computed yet.
 */
export function withConfidenceChannel(image: VoxelArray, dtype: string, confidence?: Float32Array): VoxelArray {
  const n = image.length;
  if (confidence && confidence.length !== n) throw new Error(`the confidence has ${confidence.length} voxels for an image of ${n}`);
  const out = new (image.constructor as new (length: number) => VoxelArray)(n * CONFIDENCE_CHANNELS);
  out.set(image);
  const scale = confidenceScale(dtype);
  if (!confidence) out.fill(scale, n);
  else for (let i = 0; i < n; i++) out[n + i] = stored(confidence[i], scale);
  return out;
}

/** The image channel of a two-channel chunk (a view, not a copy). */
export function imageChannel(data: VoxelArray): VoxelArray {
  return data.subarray(0, data.length / CONFIDENCE_CHANNELS) as VoxelArray;
}

/** How many of a chunk's voxels have low confidence, read from its confidence channel. */
export interface ConfidenceCount {
  low: number;
  voxels: number;
}

export function countLowConfidence(data: ArrayLike<number>, dtype: string): ConfidenceCount {
  const n = data.length / CONFIDENCE_CHANNELS;
  const scale = confidenceScale(dtype);
  let low = 0;
  for (let i = n; i < 2 * n; i++) if (isLowStored(data[i], scale)) low++;
  return {low, voxels: n};
}
