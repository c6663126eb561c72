// Runs in headless Chromium: the run lock on the real Web Locks API. Requests from one page
// contend like those of two tabs, so a second holder is refused, a steal tells the first, and
// a waiter is let through once the holder lets go.
import {expect} from 'chai';
import {webRunLocks} from '../../plugin/training/run-lock.ts';

describe('run locks (Web Locks)', () => {
  it('one holder per run; held() lists it; steal tells the old holder; whenFree waits for release', async () => {
    const locks = webRunLocks()!;
    expect(locks, 'Web Locks available').to.not.equal(undefined);
    const runId = `test-${Math.random().toString(36).slice(2)}`;
    let firstLost = 0;
    const first = await locks.acquire(runId, {onLost: () => firstLost++});
    expect(first).to.not.equal(undefined);
    expect([...(await locks.held())]).to.include(runId);
    expect(await locks.acquire(runId, {onLost: () => undefined}), 'a second holder is refused').to.equal(undefined);

    const second = await locks.acquire(runId, {steal: true, onLost: () => undefined});
    expect(second).to.not.equal(undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(firstLost, 'the first holder is told').to.equal(1);

    let free = false;
    const waiting = locks.whenFree(runId).then(() => (free = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(free, 'still held').to.equal(false);
    second!.release();
    await waiting;
    expect(free).to.equal(true);
    expect([...(await locks.held())]).to.not.include(runId);
  });
});
