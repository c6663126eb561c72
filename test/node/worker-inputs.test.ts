// The chunk worker's opened inputs: one opening per input while it is among the last used, a bounded number
// kept, and an input that was dropped (or failed to open) opened again.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {MAX_OPEN_INPUTS, OpenedInputs} from '../../layers/isotropic/worker-inputs.ts';
import type {InputSpec} from '../../src/input/types.ts';

const spec = (i: number): InputSpec => ({location: `https://example.org/volume-${i}.zarr`, axis: 'z', missing: 'error'});

describe('inputs opened in the chunk worker', () => {
  it('opens each input once, keeps the last few and opens a dropped one again', async () => {
    const openings: string[] = [];
    const inputs = new OpenedInputs(async (s) => {
      openings.push(s.location);
      return {location: s.location};
    });
    const first = await inputs.get(spec(0));
    assert.equal(await inputs.get(spec(0)), first, 'every source of one input shares its opening');
    assert.equal(openings.length, 1);
    for (let i = 1; i <= MAX_OPEN_INPUTS; i++) await inputs.get(spec(i));
    assert.equal(inputs.size, MAX_OPEN_INPUTS, 'no more than the last few inputs are kept');
    assert.equal(openings.length, MAX_OPEN_INPUTS + 1);
    const reopened = await inputs.get(spec(0));
    assert.notEqual(reopened, first, 'the input used longest ago was dropped and is opened again');
    assert.deepEqual(openings.slice(-1), [spec(0).location]);
    // The most recently used ones are still held.
    await inputs.get(spec(MAX_OPEN_INPUTS));
    assert.equal(openings.length, MAX_OPEN_INPUTS + 2);
  });

  it('a failed opening is not kept: the next source tries again', async () => {
    let tries = 0;
    const inputs = new OpenedInputs(async () => {
      if (++tries === 1) throw new Error('the server did not answer');
      return {tries};
    });
    await assert.rejects(inputs.get(spec(0)), /did not answer/);
    assert.deepEqual(await inputs.get(spec(0)), {tries: 2});
    assert.equal(inputs.size, 1);
  });
});
