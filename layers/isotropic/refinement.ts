/**
 * The second stage of network chunks (src/chunk/compute.ts, StagedChunk): a chunk
 * is first shown with its cheaper plane axis alone, then its fused voxels replace
 * those in place, with no blank in between. Refinements wait in the network queue
 * below every visible chunk's first stage and run only for chunks neuroglancer
 * still holds; a chunk that leaves the view keeps its first-stage voxels until it
 * comes back. A waiting refinement holds the chunk-sized sum of its first axis,
 * not the interpolated window: it reads and interpolates that again when it runs.
 */
import {ChunkPriorityTier, ChunkState} from 'neuroglancer/unstable/chunk_manager/base.js';
import {VolumeChunk} from 'neuroglancer/unstable/sliceview/volume/backend.js';
import type {RPC} from 'neuroglancer/unstable/worker_rpc.js';

/** A chunk that says whether its voxels are the first stage (frontend.ts reads the flag). */
export class IsotropicVolumeChunk extends VolumeChunk {
  provisional = false;
  /** Its second channel holds the computed confidence (`show=confidence`; until then it reads "confident"). */
  hasConfidence = false;
  /** Bumped by every download: a refinement started for an older one is dropped. */
  generation = 0;

  override serialize(msg: Record<string, unknown>, transfers: unknown[]): void {
    super.serialize(msg, transfers);
    msg.provisional = this.provisional;
    msg.hasConfidence = this.hasConfidence;
  }
}

interface ChunkState_ {
  state: ChunkState;
  priorityTier: ChunkPriorityTier;
}

/** States in which neuroglancer holds the chunk's voxels, in the worker or in the page. */
const HOLDS_DATA = new Set([ChunkState.SYSTEM_MEMORY_WORKER, ChunkState.SYSTEM_MEMORY, ChunkState.GPU_MEMORY]);

export function holdsData(chunk: IsotropicVolumeChunk): boolean {
  return HOLDS_DATA.has((chunk as unknown as ChunkState_).state);
}

export function isVisible(chunk: IsotropicVolumeChunk): boolean {
  return (chunk as unknown as ChunkState_).priorityTier === ChunkPriorityTier.VISIBLE;
}

/**
 * Puts the refined voxels (or the same image with its confidence) in place of
 * the chunk's. In the worker they are simply swapped; once neuroglancer has
 * moved the chunk to the page, the new voxels are sent as a new chunk under the
 * same key, in the state the old one had (frontend.ts frees the old one's texture).
 */
export function replaceChunkData(rpc: RPC, chunk: IsotropicVolumeChunk, data: ArrayBufferView, options: {hasConfidence?: boolean} = {}): void {
  chunk.data = data;
  chunk.provisional = false;
  chunk.hasConfidence = options.hasConfidence === true;
  const {state} = chunk as unknown as ChunkState_;
  if (state === ChunkState.SYSTEM_MEMORY_WORKER) return;
  const msg: Record<string, unknown> = {};
  const transfers: unknown[] = [];
  chunk.serialize(msg, transfers);
  msg.state = state;
  (rpc as unknown as {invoke(name: string, msg: unknown, transfers: unknown[]): void}).invoke('Chunk.update', msg, transfers);
}
