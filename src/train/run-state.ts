/**
 * The one vocabulary for where a training run stands, shared by the Trainer's
 * `status`, the viewer's training worker and panel, and the run records kept in
 * IndexedDB.
 *
 * 'starting': not stepping yet (data, model or trainer being prepared, or run() not called).
 * 'pausing': pause() was asked for; the step in flight has not finished yet.
 * 'paused': the loop is waiting for resume() or stop().
 * 'stopped' / 'done' / 'failed': ended early on request / after every step / on an error.
 */
export type RunState = 'starting' | 'running' | 'pausing' | 'paused' | 'stopped' | 'done' | 'failed';

/** A run that has not ended (undefined, no run at all, is not active). */
export function isActive(state: RunState | undefined): boolean {
  return state === 'starting' || state === 'running' || state === 'pausing' || state === 'paused';
}

/** A run that has ended and will not step again (a stopped one can go on from its checkpoint, as a new run). */
export function isFinal(state: RunState | undefined): boolean {
  return state === 'stopped' || state === 'done' || state === 'failed';
}
