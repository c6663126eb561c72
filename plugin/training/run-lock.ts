/**
 * One tab per training run: a tab holds a run's lock while it trains it, so two
 * tabs of one origin never write over each other's checkpoints. Built on the
 * Web Locks API, whose locks the browser releases by itself when the holding
 * tab closes or crashes; `steal` takes a run over from a tab that still holds it
 * (that tab is told, and stops writing).
 */

export interface HeldRun {
  release(): void;
}

export interface RunLocks {
  /**
   * Holds `runId`'s lock until release() or the tab closes. Undefined when another
   * tab holds it (unless `steal`). `onLost` runs if another tab steals it later.
   */
  acquire(runId: string, options: {steal?: boolean; onLost: () => void}): Promise<HeldRun | undefined>;
  /** Runs whose lock some tab (this one included) holds now. */
  held(): Promise<Set<string>>;
  /** Resolves once no tab holds `runId`'s lock (at once if none does). */
  whenFree(runId: string): Promise<void>;
}

const PREFIX = 'ng-isotropic-run:';

/** The Web Locks API of this browser; undefined where it has none (a page not served from a secure context). */
export function webRunLocks(locks: LockManager | undefined = globalThis.navigator?.locks): RunLocks | undefined {
  if (!locks) return undefined;
  return {
    acquire(runId, {steal = false, onLost}) {
      return new Promise<HeldRun | undefined>((resolve, reject) => {
        let granted = false;
        locks
          .request(PREFIX + runId, steal ? {steal: true} : {ifAvailable: true}, (lock) => {
            if (!lock) return resolve(undefined);
            granted = true;
            // The lock is held while this promise is pending.
            return new Promise<void>((release) => resolve({release: () => release()}));
          })
          .catch((e: Error) => {
            // A stolen lock rejects its request with AbortError.
            if (granted && e.name === 'AbortError') onLost();
            else if (!granted) reject(e);
          });
      });
    },
    async held() {
      // Only training holds a run exclusively; whenFree's brief shared grants are not a tab at work.
      const {held = []} = await locks.query();
      const names = held.filter((l) => l.mode === 'exclusive').map((l) => l.name ?? '');
      return new Set(names.filter((n) => n.startsWith(PREFIX)).map((n) => n.slice(PREFIX.length)));
    },
    async whenFree(runId) {
      // Shared: granted once no tab holds the run exclusively, released at once.
      await locks.request(PREFIX + runId, {mode: 'shared'}, () => undefined);
    },
  };
}
