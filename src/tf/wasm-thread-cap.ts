/**
 * The threaded tfjs wasm build takes at most half of navigator.hardwareConcurrency
 * threads, whatever setThreadsCount asks (it assumes two logical cores per
 * physical one): one thread on a 2-core machine. While it starts, the count it
 * reads is raised so that the threads asked for can be had; the real value is
 * back after. Both halves fail loudly: a navigator that will not take the
 * raised value, and a tfjs that started no more threads than without the raise.
 */
import {TfjsChangedError} from './tfjs-changed.ts';

/** Pthread workers the threaded build starts with (PTHREAD_POOL_SIZE of tfjs-backend-wasm 4.22): asking for more may not give more. */
const PTHREAD_POOL_SIZE = 8;

type NavigatorLike = {hardwareConcurrency: number};

/** Runs `start` with navigator.hardwareConcurrency raised to twice `threads` (no change without threads or a navigator). */
export async function withWasmThreadCap<T>(
  threads: number | undefined,
  start: () => Promise<T>,
  nav: NavigatorLike | undefined = globalNavigator(),
): Promise<T> {
  if (!threads || !nav) return start();
  const raised = 2 * threads;
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', {value: raised, configurable: true});
  } catch (e) {
    throw new Error(`cannot raise navigator.hardwareConcurrency for the wasm backend's threads (src/tf/wasm-thread-cap.ts): ${(e as Error).message}`);
  }
  if (nav.hardwareConcurrency !== raised) {
    const reads = nav.hardwareConcurrency;
    throw new Error(`navigator.hardwareConcurrency reads ${reads} after being raised to ${raised}: the wasm thread cap (src/tf/wasm-thread-cap.ts) fails here`);
  }
  try {
    return await start();
  } finally {
    delete (nav as {hardwareConcurrency?: number}).hardwareConcurrency;
  }
}

export interface WasmThreadsStarted {
  /** Threads asked for (setThreadsCount). */
  asked: number;
  /** Threads the backend reports (getThreadsCount). */
  started: number;
  /** navigator.hardwareConcurrency without the raise. */
  cores: number;
  /** The threaded build ran (cross-origin isolated, SIMD and threads supported). */
  threaded: boolean;
}

/**
 * Throws when the threaded build started exactly what it would have without
 * the raise, fewer than asked and than its pool allows: tfjs no longer caps
 * its threads by the value withWasmThreadCap raises.
 */
export function checkWasmThreadCap({asked, started, cores, threaded}: WasmThreadsStarted): void {
  if (!threaded) return;
  const unraised = Math.max(1, Math.floor(cores / 2));
  if (started === unraised && started < Math.min(asked, PTHREAD_POOL_SIZE)) {
    throw new TfjsChangedError(
      `its threaded wasm backend started ${started} thread${started > 1 ? 's' : ''} of the ${asked} asked for on ${cores} cores, ` +
        'as if navigator.hardwareConcurrency had not been raised: it no longer caps threads by that value',
      'the thread cap raise (src/tf/wasm-thread-cap.ts)',
    );
  }
}

function globalNavigator(): NavigatorLike | undefined {
  return typeof navigator !== 'undefined' ? (navigator as NavigatorLike) : undefined;
}
