/**
 * A least-recently-used cache with a byte budget, for decoded input chunks that
 * neighbouring output chunks share: lru-cache weighs and evicts the values and
 * shares loads in flight (a second request for the same key waits for the first
 * load). What this class adds is the abort rule: a load is aborted only when
 * every request waiting for it has been aborted, so one cancelled chunk never
 * spoils a neighbour's read.
 */
import {LRUCache} from 'lru-cache';

/** One load in flight and the requests waiting for it. */
interface Flight<V> {
  load: (signal: AbortSignal) => Promise<V>;
  /** The load's own signal: aborted once its last waiter is. */
  controller: AbortController;
  waiters: number;
  promise?: Promise<V>;
}

export interface CacheStats {
  bytes: number;
  peakBytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class ByteBudgetCache<V extends {}> {
  private readonly lru: LRUCache<string, V, Flight<V>>;
  private readonly flights = new Map<string, Flight<V>>();
  private readonly counts = {peakBytes: 0, hits: 0, misses: 0, evictions: 0};

  constructor(
    readonly budgetBytes: number,
    sizeOf: (value: V) => number,
  ) {
    this.lru = new LRUCache<string, V, Flight<V>>({
      // lru-cache weighs in positive integers: a budget below one byte keeps nothing but empty values.
      maxSize: Math.max(1, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(budgetBytes))),
      sizeCalculation: (value) => Math.max(1, Math.ceil(sizeOf(value))),
      // A load in flight takes no room; its value is weighed when it arrives (and is served but not kept when larger than the budget).
      backgroundFetchSize: 0,
      // The loader gets its flight's signal, not lru-cache's: lru-cache aborts its own when it evicts or deletes a pending
      // entry, which must not cancel a read that requests still wait for (ignoreFetchAbort lets such a load finish and be served).
      fetchMethod: (_key, _stale, {context}) => context.load(context.controller.signal),
      ignoreFetchAbort: true,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.counts.evictions++;
      },
      onInsert: () => {
        this.counts.peakBytes = Math.max(this.counts.peakBytes, this.lru.calculatedSize);
      },
    });
  }

  get stats(): CacheStats {
    let entries = 0;
    for (const _ of this.lru.keys()) entries++; // settled values only: lru-cache skips loads in flight
    return {bytes: this.lru.calculatedSize, entries, ...this.counts};
  }

  async get(key: string, load: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    signal?.throwIfAborted();
    let flight = this.flights.get(key);
    if (!flight) {
      const candidate: Flight<V> = {load, controller: new AbortController(), waiters: 0};
      const status: LRUCache.Status<string, V, Flight<V>> = {};
      const promise = this.lru.fetch(key, {context: candidate, status}) as Promise<V>;
      if (status.fetch === 'hit') {
        this.counts.hits++;
        return promise;
      }
      this.counts.misses++;
      candidate.promise = promise;
      const settled = () => {
        if (this.flights.get(key) === candidate) this.flights.delete(key);
      };
      promise.then(settled, settled);
      this.flights.set(key, candidate);
      flight = candidate;
    }
    return this.wait(key, flight, signal);
  }

  /** Whether `key` is held (not counted as a hit or a miss). */
  has(key: string): boolean {
    return this.lru.has(key);
  }

  /** Drops every entry (e.g. when the data behind the keys may have changed); loads in flight go on. */
  clear(): void {
    for (const key of [...this.lru.keys()]) this.lru.delete(key);
  }

  private wait(key: string, flight: Flight<V>, signal?: AbortSignal): Promise<V> {
    const promise = flight.promise!;
    flight.waiters++;
    if (!signal) return promise;
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        if (--flight.waiters === 0) this.abandon(key, flight, signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, {once: true});
      promise.then(
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

  /** Every waiter has gone: abort the load, and forget it now so that the next request loads afresh. */
  private abandon(key: string, flight: Flight<V>, reason: unknown): void {
    flight.controller.abort(reason);
    if (this.flights.get(key) !== flight) return;
    this.flights.delete(key);
    if (!this.lru.has(key)) this.lru.delete(key); // the pending entry, not a value stored meanwhile
  }
}
