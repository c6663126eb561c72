/**
 * Runs jobs one at a time (the network saturates the device on its own; running
 * chunks side by side only makes each one late), highest priority first. The
 * priority is read when a job is picked, so chunks that became visible meanwhile
 * overtake. A job whose signal aborts while queued is dropped without running.
 * A running job may call `yieldTo` between its steps: waiting jobs that matter
 * more run first (nested, so still one at a time), then it carries on. Jobs
 * whose priority is below `minPriority` are parked, not run (the chunk is no
 * longer wanted, though nobody cancelled it); a timer looks at them again.
 */
interface Job {
  run: () => Promise<unknown>;
  priority: () => number;
  signal?: AbortSignal;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class ExclusiveQueue {
  private readonly jobs = new Set<Job>();
  private running = false;
  private recheck?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly minPriority = -Infinity,
    private readonly recheckMs = 250,
  ) {}

  get pending(): number {
    return this.jobs.size;
  }

  /** `priority`: larger runs first. */
  enqueue<T>(run: () => Promise<T>, priority: () => number = () => 0, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const job: Job = {run, priority, signal, resolve: resolve as (v: unknown) => void, reject};
      signal?.addEventListener(
        'abort',
        () => {
          if (this.jobs.delete(job)) reject(signal.reason);
        },
        {once: true},
      );
      this.jobs.add(job);
      this.pump();
    });
  }

  /**
   * Called by the running job between steps: runs every waiting job whose
   * priority exceeds `current()` by more than `margin`, then returns.
   */
  async yieldTo(current: () => number, margin = 0): Promise<void> {
    for (;;) {
      const next = this.best();
      if (!next || next.priority() <= current() + margin) return;
      this.jobs.delete(next);
      await next.run().then(next.resolve, next.reject);
    }
  }

  /** The most urgent runnable job. */
  private best(): Job | undefined {
    let best: Job | undefined;
    let bestPriority = -Infinity;
    for (const job of this.jobs) {
      const p = job.priority();
      if (p >= this.minPriority && (best === undefined || p > bestPriority)) {
        best = job;
        bestPriority = p;
      }
    }
    return best;
  }

  private pump(): void {
    if (this.running) return;
    const job = this.best();
    if (!job) {
      // Only parked jobs left: their priority may rise again (the chunk comes back into view).
      if (this.jobs.size && this.recheck === undefined) {
        this.recheck = setTimeout(() => {
          this.recheck = undefined;
          this.pump();
        }, this.recheckMs);
      }
      return;
    }
    this.jobs.delete(job);
    this.running = true;
    job.run().then(job.resolve, job.reject).finally(() => {
      this.running = false;
      this.pump();
    });
  }
}
