/**
 * One work block of a batch reconstruction: the viewer's chunk computation
 * (src/chunk: planChunk + computeIsotropicChunk, halo = the model's size
 * multiple, as the isotropic layer uses it) over the block, converted to the
 * output data type. Runs in Node (wasm) and in the `--browser` page (WebGPU)
 * alike, so both produce the same numbers. No Node APIs, no DOM.
 */
import type {Box3} from '../chunk/box.ts';
import {computeIsotropicChunk, type ChunkTimings, type RegionReader} from '../chunk/compute.ts';
import {toDtype, type VoxelArray} from '../chunk/dtype.ts';
import {planChunk, type Fusion, type IsotropicGrid} from '../chunk/plan.ts';
import type {PlaneInferenceOptions} from '../infer/planes.ts';
import type {IsotropicModel} from '../model/model.ts';

export interface BlockSettings {
  fuse: Fusion;
  halo: number;
  multiple: number;
  /** Plane inference settings (tile size, batch, pixel budget per network call). */
  plane: Partial<PlaneInferenceOptions>;
  /** Output data type (the input's). */
  dtype: string;
}

export interface BlockResult {
  /** The block's voxels in the output data type, C order over the block (clipped to the volume). */
  data: VoxelArray;
  networkPixels: number;
  timings: ChunkTimings;
}

export type BlockComputer = (box: Box3, signal?: AbortSignal) => Promise<BlockResult>;

export function blockComputer(grid: IsotropicGrid, model: IsotropicModel, read: RegionReader, settings: BlockSettings): BlockComputer {
  return async (box, signal) => {
    // The viewer plans with cubic margins whatever the model's interpolation; so do we (same reads, same numbers).
    const plan = planChunk(grid, box, {halo: settings.halo, multiple: settings.multiple, fuse: settings.fuse, interpolation: 'cubic'});
    const result = await computeIsotropicChunk(plan, read, model, {fuse: settings.fuse, interpolation: 'cubic', plane: settings.plane, signal});
    return {data: toDtype(result.data, settings.dtype), networkPixels: result.networkPixels, timings: result.timings};
  };
}

/** Bytes of a typed array, for transport (base64 between the page and Node). */
export function voxelBytes(data: VoxelArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The inverse of voxelBytes (copies, so the result is aligned). */
export function voxelsFromBytes(bytes: Uint8Array, dtype: string): VoxelArray {
  const copy = bytes.slice();
  if (dtype === 'uint8') return copy;
  if (dtype === 'uint16') return new Uint16Array(copy.buffer, 0, copy.byteLength / 2);
  if (dtype === 'float32') return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  throw new Error(`unsupported data type ${dtype}`);
}
