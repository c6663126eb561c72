import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {rampWeights, tileGrid} from '../../src/infer/tiles.ts';

describe('tile grid', () => {
  it('a plane that fits is one tile', () => {
    assert.deepEqual(tileGrid(100, 128, 32, 8), {origins: [0], covered: 100, size: 100});
  });

  it('covers the length padded to the multiple, with aligned origins, the last tile flush with the end', () => {
    const grid = tileGrid(250, 64, 16, 32);
    assert.equal(grid.covered, 256);
    assert.deepEqual(grid.origins, [0, 32, 64, 96, 128, 160, 192]);
    assert.ok(grid.origins.every((o) => o % 32 === 0));
  });

  it('blending weights of overlapping tiles sum to one everywhere', () => {
    const tile = 64;
    const grid = tileGrid(300, tile, 24, 8);
    const sum = new Float64Array(grid.covered);
    grid.origins.forEach((o, i) => rampWeights(grid, i, tile).forEach((w, j) => (sum[o + j] += w)));
    for (let i = 0; i < grid.covered; i++) assert.ok(Math.abs(sum[i] - 1) < 1e-6, `weight sum ${sum[i]} at ${i}`);
  });
});
