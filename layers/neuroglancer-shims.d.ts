// Declarations for the neuroglancer 2.41 modules we import whose .d.ts files the
// npm package lacks, typed only as far as we use them.
declare module 'neuroglancer/unstable/chunk_manager/frontend.js' {
  import type {RefCounted} from 'neuroglancer/unstable/util/disposable.js';
  import type {RPC} from 'neuroglancer/unstable/worker_rpc.js';

  export class CapacitySpecification {
    constructor(options?: {defaultItemLimit?: number; defaultSizeLimit?: number});
  }
  export class ChunkQueueManager extends RefCounted {
    constructor(rpc: RPC, gl: WebGL2RenderingContext, frameNumberCounter: unknown, capacities: Record<string, CapacitySpecification>);
    readonly rpc: RPC;
  }
  export class ChunkManager extends RefCounted {
    constructor(chunkQueueManager: ChunkQueueManager);
  }
}
