/**
 * Neuroglancer's `DataManagementContext` spawns its own chunk worker bundle, a
 * path fixed inside the library. This one is the same in every respect but the
 * worker, which is ours (`chunk_worker.ts`): neuroglancer's worker modules plus
 * the backend modules of our layers.
 */
import {CapacitySpecification, ChunkManager, ChunkQueueManager} from 'neuroglancer/unstable/chunk_manager/frontend.js';
import type {DataManagementContext} from 'neuroglancer/unstable/data_management_context.js';
import {RefCounted} from 'neuroglancer/unstable/util/disposable.js';
import {RPC} from 'neuroglancer/unstable/worker_rpc.js';

export class PluginDataContext extends RefCounted {
  readonly worker = new Worker(new URL('./chunk_worker.ts', import.meta.url), {type: 'module', name: 'chunk-worker'});
  readonly chunkQueueManager: ChunkQueueManager;
  readonly chunkManager: ChunkManager;

  constructor(
    public gl: WebGL2RenderingContext,
    public frameNumberCounter: unknown,
  ) {
    super();
    // Same capacities as neuroglancer's own DataManagementContext.
    this.chunkQueueManager = this.registerDisposer(
      new ChunkQueueManager(new RPC(this.worker, /*waitUntilReady=*/ true), this.gl, this.frameNumberCounter, {
        gpuMemory: new CapacitySpecification({defaultItemLimit: 1e6, defaultSizeLimit: 1e9}),
        systemMemory: new CapacitySpecification({defaultItemLimit: 1e7, defaultSizeLimit: 2e9}),
        download: new CapacitySpecification({defaultItemLimit: 100, defaultSizeLimit: Number.POSITIVE_INFINITY}),
        compute: new CapacitySpecification({defaultItemLimit: 128, defaultSizeLimit: 5e8}),
      }),
    );
    this.chunkQueueManager.registerDisposer(() => this.worker.terminate());
    this.chunkManager = this.registerDisposer(new ChunkManager(this.chunkQueueManager));
  }

  get rpc(): RPC {
    return this.chunkQueueManager.rpc;
  }

  /** The Viewer only uses the members above; the cast documents that it accepts this shape. */
  asDataManagementContext(): DataManagementContext {
    return this as unknown as DataManagementContext;
  }
}
