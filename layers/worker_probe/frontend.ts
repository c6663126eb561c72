import {registerSharedObjectOwner, SharedObject, type RPC} from 'neuroglancer/unstable/worker_rpc.js';
import {DESCRIBE_WORKER_RPC_ID, WORKER_PROBE_RPC_ID, type WorkerDescription} from './base.ts';

export class WorkerProbe extends SharedObject {
  constructor(rpc: RPC) {
    super();
    this.initializeCounterpart(rpc, {});
  }

  /** Asks the backend half, in the chunk worker, to describe its environment. */
  describe(): Promise<WorkerDescription> {
    return this.rpc!.promiseInvoke<WorkerDescription>(DESCRIBE_WORKER_RPC_ID, {probe: this.rpcId});
  }
}
registerSharedObjectOwner(WORKER_PROBE_RPC_ID)(WorkerProbe);
