/**
 * A least-recently-used cache with a byte budget, for decoded input chunks that
 * neighbouring output chunks share. Loads in flight are shared too: a second
 * request for the same key waits for the first load. A load is aborted only when
 * every request waiting for it has been aborted, so one cancelled chunk never
 * spoils a neighbour's read.
 */

interface InFlight<V> {
  promise: Promise<V>;
  controller: AbortController;
  waiters: number;
}

export interface CacheStats {
  bytes: number;
  peakBytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class ByteBudgetCache<V> {
  private readonly entries = new Map<string, {value: V; bytes: number}>();
  private readonly inFlight = new Map<string, InFlight<V>>();
  readonly stats: CacheStats = {bytes: 0, peakBytes: 0, entries: 0, hits: 0, misses: 0, evictions: 0};

  constructor(
    public budgetBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  async get(key: string, load: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    signal?.throwIfAborted();
    const cached = this.entries.get(key);
    if (cached) {
      // Re-insert: Map iteration order is the recency order.
      this.entries.delete(key);
      this.entries.set(key, cached);
      this.stats.hits++;
      return cached.value;
    }
    let flight = this.inFlight.get(key);
    if (!flight) {
      this.stats.misses++;
      const controller = new AbortController();
      const promise = load(controller.signal).then((value) => {
        if (this.inFlight.get(key) === flight) {
          this.inFlight.delete(key);
          this.store(key, value);
        }
        return value;
      });
      promise.catch(() => {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      });
      flight = {promise, controller, waiters: 0};
      this.inFlight.set(key, flight);
    }
    return this.wait(key, flight, signal);
  }

  /** Whether `key` is held (not counted as a hit or a miss). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Drops every entry (e.g. when the data behind the keys may have changed). */
  clear(): void {
    this.entries.clear();
    this.stats.bytes = 0;
    this.stats.entries = 0;
  }

  private wait(key: string, flight: InFlight<V>, signal?: AbortSignal): Promise<V> {
    flight.waiters++;
    if (!signal) return flight.promise;
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        if (--flight.waiters === 0) {
          flight.controller.abort(signal.reason);
          if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, {once: true});
      flight.promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private store(key: string, value: V): void {
    const bytes = this.sizeOf(value);
    if (bytes > this.budgetBytes) return; // larger than the whole budget: serve it, keep nothing
    this.entries.set(key, {value, bytes});
    this.stats.bytes += bytes;
    this.stats.entries++;
    for (const [oldKey, old] of this.entries) {
      if (this.stats.bytes <= this.budgetBytes) break;
      this.entries.delete(oldKey);
      this.stats.bytes -= old.bytes;
      this.stats.entries--;
      this.stats.evictions++;
    }
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.bytes);
  }
}
