/**
 * One work block of a batch reconstruction: the viewer's own block computation
 * (src/chunk/block.ts, halo = the model's size multiple) over the block,
 * converted to the output data type. Runs in Node (wasm) and in the `--browser`
 * page (WebGPU) alike. No Node APIs, no DOM.
 */
import type {Box3} from '../grid/box.ts';
import {computeIsotropicBlock, type BlockInput, type BlockResult} from '../chunk/block.ts';
import type {VoxelArray} from '../chunk/dtype.ts';
import type {Fusion} from '../grid/frame.ts';
import type {PlaneInferenceOptions} from '../infer/planes.ts';
import type {IsotropicModel, Normalisation} from '../model/model.ts';

export interface BlockSettings {
  fuse: Fusion;
  halo: number;
  /** Plane inference settings (tile size, batch, pixel budget per network call). */
  plane: Partial<PlaneInferenceOptions>;
  /** Output data type (the input's). */
  dtype: string;
  /** Also compute the per-voxel confidence (`reconstruct --confidence`). */
  confidence?: boolean;
  /** The input's own contrast as the job records it (a per-volume model needs it). */
  contrast?: Normalisation;
}

export type {BlockResult};

export type BlockComputer = (box: Box3, signal?: AbortSignal) => Promise<BlockResult>;

export function blockComputer(input: BlockInput, model: IsotropicModel, settings: BlockSettings): BlockComputer {
  const withContrast = settings.contrast ? {...input, contrast: settings.contrast} : input;
  return (box, signal) => computeIsotropicBlock(withContrast, box, model, {
      fuse: settings.fuse,
      halo: settings.halo,
      plane: settings.plane,
      dtype: settings.dtype,
      confidence: settings.confidence,
      signal,
    });
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
