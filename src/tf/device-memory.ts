/**
 * What tfjs holds on the device, and a way to give back the buffers its WebGPU
 * backend keeps pooled for reuse. The pool only grows (one free list per buffer
 * size), so a long session of differently sized chunks would hold ever more
 * device memory without this.
 */
import * as tf from '@tensorflow/tfjs';

interface PooledBufferManager {
  freeBuffers: Map<string, {size: number; destroy(): void}[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/** Device bytes tfjs has allocated (in use and pooled), where the backend reports it. */
export function deviceBytes(): number | undefined {
  const m = tf.memory() as {numBytesAllocatedInGPU?: number; numBytesInGPUAllocated?: number; numBytesInGPU?: number};
  return m.numBytesAllocatedInGPU ?? m.numBytesInGPUAllocated ?? m.numBytesInGPU;
}

/** Destroys pooled (unused) WebGPU buffers until at most `budget` bytes stay allocated. Returns bytes freed. */
export function trimDevicePool(budget: number): number {
  if (tf.getBackend() !== 'webgpu') return 0;
  const manager = (tf.backend() as unknown as {bufferManager?: PooledBufferManager}).bufferManager;
  if (!manager?.freeBuffers) return 0;
  let freed = 0;
  for (const list of manager.freeBuffers.values()) {
    while (list.length && manager.numBytesAllocated > budget) {
      const buffer = list.pop()!;
      buffer.destroy();
      manager.numBytesAllocated -= buffer.size;
      manager.numFreeBuffers--;
      freed += buffer.size;
    }
  }
  return freed;
}
