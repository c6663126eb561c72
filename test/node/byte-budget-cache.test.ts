// The byte-budget LRU on lru-cache: what the product relies on beyond plain LRU eviction (which
// chunk.test.ts covers): shared loads that survive eviction pressure, abort only when every waiter
// has gone, and values larger than the budget served but not kept.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';

/** A load that resolves when told to, recording the calls and the signal it was given. */
function pendingLoad(bytes: number) {
  let finish!: () => void;
  const calls: AbortSignal[] = [];
  const load = (signal: AbortSignal) => {
    calls.push(signal);
    return new Promise<Uint8Array>((resolve) => (finish = () => resolve(new Uint8Array(bytes))));
  };
  return {load, calls, finish: () => finish()};
}

const now = (bytes: number) => async () => new Uint8Array(bytes);

describe('byte-budget cache', () => {
  it('a load pending while other values fill the budget stays shared, is served to every waiter and never aborted', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(250, (v) => v.byteLength);
    const slow = pendingLoad(100);
    const first = cache.get('slow', slow.load);
    for (const key of ['b', 'c', 'd', 'e']) await cache.get(key, now(100)); // evictions while 'slow' is pending
    const second = cache.get('slow', slow.load, new AbortController().signal);
    slow.finish();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, b);
    assert.equal(slow.calls.length, 1);
    assert.equal(slow.calls[0].aborted, false);
    assert.ok(cache.stats.bytes <= 250);
  });

  it('once every waiter has aborted, the next request loads afresh', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(1000, (v) => v.byteLength);
    const abandoned = pendingLoad(10);
    const controller = new AbortController();
    const gone = cache.get('k', abandoned.load, controller.signal);
    controller.abort(new Error('scrolled away'));
    await assert.rejects(gone, /scrolled away/);
    assert.equal(abandoned.calls[0].aborted, true);
    const value = await cache.get('k', now(20));
    assert.equal(value.byteLength, 20);
    abandoned.finish(); // the abandoned load ends late: its value is not kept
    await new Promise((r) => setTimeout(r, 0));
    assert.equal((await cache.get('k', now(30))).byteLength, 20);
    assert.deepEqual({hits: cache.stats.hits, misses: cache.stats.misses, entries: cache.stats.entries}, {hits: 1, misses: 2, entries: 1});
  });

  it('a value larger than the budget is served to every waiter but not kept', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(100, (v) => v.byteLength);
    await cache.get('small', now(60));
    const huge = pendingLoad(500);
    const [a, b] = [cache.get('huge', huge.load), cache.get('huge', huge.load)];
    huge.finish();
    assert.equal((await a).byteLength, 500);
    assert.equal(await a, await b);
    assert.equal(huge.calls.length, 1);
    assert.equal(cache.has('huge'), false);
    assert.equal(cache.has('small'), true);
    assert.deepEqual({bytes: cache.stats.bytes, peakBytes: cache.stats.peakBytes, entries: cache.stats.entries, evictions: cache.stats.evictions}, {bytes: 60, peakBytes: 60, entries: 1, evictions: 0});
  });

  it('clear drops the values held; a load in flight goes on and is kept', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(1000, (v) => v.byteLength);
    await cache.get('a', now(10));
    const pending = pendingLoad(20);
    const b = cache.get('b', pending.load);
    cache.clear();
    assert.equal(cache.has('a'), false);
    assert.equal(cache.stats.bytes, 0);
    pending.finish();
    assert.equal((await b).byteLength, 20);
    assert.equal(pending.calls[0].aborted, false);
    assert.equal(cache.has('b'), true);
    assert.deepEqual({bytes: cache.stats.bytes, entries: cache.stats.entries}, {bytes: 20, entries: 1});
  });

  it('a failed load is not kept: the next request tries again', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(1000, (v) => v.byteLength);
    await assert.rejects(cache.get('k', async () => Promise.reject(new Error('network down'))), /network down/);
    assert.equal((await cache.get('k', now(5))).byteLength, 5);
    assert.equal(cache.stats.misses, 2);
  });
});
