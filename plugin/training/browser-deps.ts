/** The training controller's parts in a browser tab: the training worker, IndexedDB's stored runs, Web Locks. */
import type {ControllerDeps, WorkerPort} from './training-controller.ts';
import {deleteRun, savedRuns} from './run-store.ts';
import {webRunLocks} from './run-lock.ts';

export function browserControllerDeps(): ControllerDeps {
  return {
    createWorker: () => new Worker(new URL('./training-worker.ts', import.meta.url), {type: 'module', name: 'isotropic-training'}) as unknown as WorkerPort,
    runs: {list: savedRuns, remove: deleteRun},
    locks: webRunLocks(),
  };
}
