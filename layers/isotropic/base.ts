/**
 * What the isotropic layer's frontend (main thread) and backend (chunk worker)
 * share: the chunk source parameters, which travel by structured clone, and the
 * status messages the backend sends back.
 */
import type {Vec3} from '../../src/grid/box.ts';
import type {Fusion} from '../../src/grid/frame.ts';
import type {CoarseAxis} from '../../src/grid/frame.ts';
import type {ChunkTimings} from '../../src/chunk/compute.ts';
import type {InputSpec} from '../../src/input/types.ts';

export const ISOTROPIC_CHUNK_SOURCE_RPC_ID = 'ng-isotropic/IsotropicVolumeChunkSource';
export const LAYER_STATUS_RPC_ID = 'ng-isotropic/IsotropicVolumeChunkSource.status';

export class IsotropicChunkSourceParameters {
  /** How to open the input in the worker (src/input): location, format, voxel, axis, missing. */
  input!: InputSpec;
  /** The input level this source computes from. */
  level!: number;
  /** Input level shape, z y x. */
  inputShape!: Vec3;
  /** The coarse axis of the input. */
  coarse!: CoarseAxis;
  /** Coarse spacing / lateral spacing of the input level. */
  rho!: number;
  dtype!: string;
  fuse!: Fusion;
  /** Set on the levels the network serves (the base level). */
  modelUrl?: string;
  /** Expected version hash of the model (from the view's URL). */
  modelVersion?: string;
  /** Budget for tfjs tensors and device buffers the layer holds, bytes. */
  memoryBudget!: number;
  /** tfjs backends to try, in order (default: WebGPU, WebGL, wasm, cpu). */
  backends?: ('webgpu' | 'webgl' | 'wasm' | 'cpu')[];
  /** `show=confidence`: chunks carry a second channel, the network's confidence (confidence-channel.ts). */
  confidence!: boolean;
  static RPC_ID = ISOTROPIC_CHUNK_SOURCE_RPC_ID;
}

export const DEFAULT_MEMORY_BUDGET = 512 * 2 ** 20;
export const DEFAULT_INPUT_CACHE_BYTES = 256 * 2 ** 20;

export interface ChunkReport {
  /** Output voxels. */
  voxels: number;
  /** Pixels sent through the network (with halos); 0 for interpolation. */
  networkPixels: number;
  timings: ChunkTimings;
  /** Time the chunk waited for the network queue, ms. */
  queued: number;
}

/** What a chunk report stands for: which result of which chunk. */
export interface ChunkKind {
  /** Computed by the network (planes from the shared cache included); false: interpolation. */
  usedModel: boolean;
  /** False for a chunk's first stage (its cheaper plane axis alone), refined later in place. */
  final: boolean;
  /** The second stage of a chunk, replacing its first (not what the chunk first showed). */
  refinement: boolean;
  /** The chunk was in view when this result was delivered (not prefetched, not only recently seen). */
  visible: boolean;
}

/** What one chunk source's visible chunks say of their confidence. */
export interface ConfidenceReport {
  /** Visible chunks whose confidence is computed: grid position (x, y, z), low-confidence voxels, voxels. */
  visible: {grid: number[]; low: number; voxels: number}[];
  /** Visible network chunks still waiting for their confidence. */
  pending: number;
}

export interface MemoryReport {
  /** Bytes held in tfjs tensors after the chunk. */
  tensorBytes: number;
  /** Largest `tensorBytes` so far in this worker. */
  maxHeldTensorBytes: number;
  /** The layer's tfjs memory budget (network calls are sized to half of it; pooled device buffers are trimmed to it). */
  budget: number;
  /** Device buffer bytes tfjs holds (allocated, pooled included), where the backend says. */
  deviceBytes?: number;
  inputCacheBytes: number;
  inputCacheBudget: number;
}

export type LayerStatus =
  | {kind: 'backend'; backend: string; notice?: string; threads?: number}
  | {kind: 'model'; state: 'loading' | 'ready' | 'failed'; url: string; version?: string; error?: string; name?: string}
  | {kind: 'chunk'; report: ChunkReport; memory: MemoryReport} & ChunkKind
  /** Visible chunks of one chunk source that still show their first stage. */
  | {kind: 'refining'; source: number; visible: number}
  /** Confidence over the visible chunks of one chunk source (`show=confidence`). */
  | {kind: 'confidence'; source: number; report: ConfidenceReport}
  | {kind: 'chunk-failed'; error: string}
  | {kind: 'recovered'; error: string};
