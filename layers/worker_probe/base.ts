/**
 * The worker probe: a shared object whose backend half lives in the chunk worker.
 * It proves our backend modules are loaded there and reports what the worker
 * sees of WebGPU, which is where the network will run.
 */
export const WORKER_PROBE_RPC_ID = 'ng-isotropic/WorkerProbe';
export const DESCRIBE_WORKER_RPC_ID = 'ng-isotropic/WorkerProbe.describe';

export interface WebGpuAdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
}

export interface WorkerDescription {
  /** The worker's global name (set by the data context that spawned it). */
  workerName: string;
  /** `undefined` when the worker found no WebGPU adapter. */
  adapter?: WebGpuAdapterSummary;
  /** Why there is no adapter, in plain words. */
  noAdapterReason?: string;
}
