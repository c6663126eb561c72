import {registerPromiseRPC, registerSharedObject, SharedObjectCounterpart, type RPC} from 'neuroglancer/unstable/worker_rpc.js';
import {DESCRIBE_WORKER_RPC_ID, WORKER_PROBE_RPC_ID, type WorkerDescription} from './base.ts';
import {describeWebGpuAdapter} from '../../src/gpu/webgpu-adapter.ts';

export class WorkerProbeBackend extends SharedObjectCounterpart {
  async describe(): Promise<WorkerDescription> {
    const gpu = await describeWebGpuAdapter((globalThis as {navigator?: Navigator}).navigator);
    return {workerName: (self as unknown as {name: string}).name, ...gpu};
  }
}
registerSharedObject(WORKER_PROBE_RPC_ID)(WorkerProbeBackend);

registerPromiseRPC(DESCRIBE_WORKER_RPC_ID, async function (this: RPC, x: {probe: number}) {
  const probe = this.get(x.probe) as WorkerProbeBackend;
  return {value: await probe.describe()};
});
