import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {downsampleMean, pyramidFactors} from '../../src/volume/downsample.ts';

describe('downsampleMean', () => {
  it('averages boxes and keeps a trailing partial box', () => {
    // 1 × 1 × 5 row: [1, 3, 5, 7, 10] → [2, 6, 10]
    const out = downsampleMean({data: new Float32Array([1, 3, 5, 7, 10]), shape: [1, 1, 5]}, [1, 1, 2]);
    assert.deepEqual(out.shape, [1, 1, 3]);
    assert.deepEqual([...out.data], [2, 6, 10]);
  });

  it('rounds and clamps integer types', () => {
    const out = downsampleMean({data: new Uint8Array([1, 2, 255, 255]), shape: [2, 1, 2]}, [2, 1, 1]);
    assert.deepEqual([...out.data], [128, 129]);
    assert.ok(out.data instanceof Uint8Array);
  });
});

describe('pyramidFactors', () => {
  it('downsamples x/y only until near-isotropic, then all axes', () => {
    assert.deepEqual(pyramidFactors([40, 10, 10], [63, 250, 250], [64, 64, 64]), [[1, 2, 2], [1, 2, 2]]);
    assert.deepEqual(pyramidFactors([10, 10, 10], [250, 250, 250], [64, 64, 64]), [[2, 2, 2], [2, 2, 2]]);
  });

  it('makes at least two levels by default and exactly `levels` when asked', () => {
    assert.deepEqual(pyramidFactors([10, 10, 10], [8, 8, 8], [64, 64, 64]), [[2, 2, 2]]);
    assert.deepEqual(pyramidFactors([10, 10, 10], [250, 250, 250], [64, 64, 64], 1), []);
    assert.equal(pyramidFactors([10, 10, 10], [250, 250, 250], [64, 64, 64], 4).length, 3);
  });

  it('never halves an axis that is one voxel thick', () => {
    assert.deepEqual(pyramidFactors([10, 10, 10], [1, 100, 100], [64, 64, 64]), [[1, 2, 2]]);
  });
});
