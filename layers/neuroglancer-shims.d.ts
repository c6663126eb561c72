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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Constructor<T> = new (...args: any[]) => T;
  export function WithParameters<T extends Constructor<object>, P>(
    base: T,
    parametersConstructor: {new (): P; RPC_ID: string},
  ): T & Constructor<{parameters: P}>;
}

declare module 'neuroglancer/unstable/chunk_manager/backend.js' {
  import type {RPC} from 'neuroglancer/unstable/worker_rpc.js';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Constructor<T> = new (...args: any[]) => T;
  export function WithParameters<T extends Constructor<object>, P>(
    base: T,
    parametersConstructor: {new (): P; RPC_ID: string},
  ): T & Constructor<{parameters: P; rpc: RPC | null; rpcId: number | null; chunkManager: unknown}>;
}

declare module 'neuroglancer/unstable/layer/index.js' {
  import type {ManagedUserLayer} from 'neuroglancer/unstable/layer/index.js';
  export function makeLayer(manager: unknown, name: string, spec: unknown): ManagedUserLayer;
}
