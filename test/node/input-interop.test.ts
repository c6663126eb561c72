// Every interop fixture (written by tensorstore) through the input seam, as the CLI and the chunk
// worker read them: voxels against the NumPy copy, placement, and the isotropic block each gives.
import {before, after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {readNpy} from '../helpers/npy.ts';
import {openLocal} from '../helpers/inputs.ts';
import {INTEROP_DIR, INTEROP_FIXTURES, JPEG_TOLERANCE, meanAndMaxError} from '../helpers/interop.ts';
import {readLevel} from '../../src/input/open-input.ts';
import {decodedBlockBytes} from '../../src/input/block-region.ts';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';
import {computeIsotropicBlock} from '../../src/chunk/block.ts';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import type {Box3} from '../../src/grid/box.ts';

const truth = readNpy(path.join(INTEROP_DIR, 'sections-zyx.npy'));

describe('interop fixtures through the input seam', () => {
  for (const fixture of INTEROP_FIXTURES) {
    it(`${fixture.name}: every voxel as NumPy has it${fixture.lossy ? ' (JPEG: within tolerance)' : ''}; 10×10×40 nm, ρ = 4`, async () => {
      const opened = await openLocal(path.join(INTEROP_DIR, fixture.name), fixture.spec);
      const {input} = opened;
      assert.equal(input.dtype, 'uint8');
      assert.equal(input.unit, 'nanometer');
      assert.deepEqual(input.levels[0].shape, [32, 128, 128]);
      assert.deepEqual(input.levels[0].scale, [40, 10, 10]);
      assert.equal(input.levels[0].rho, 4);
      const {data} = await readLevel(opened);
      if (fixture.lossy) {
        const err = meanAndMaxError(data, truth.data);
        assert.ok(err.mean <= JPEG_TOLERANCE.mean && err.max <= JPEG_TOLERANCE.max, `JPEG error mean ${err.mean.toFixed(2)}, max ${err.max}`);
      } else {
        let wrong = 0;
        for (let i = 0; i < data.length; i++) if (data[i] !== truth.data[i]) wrong++;
        assert.equal(wrong, 0, `${wrong} voxels differ`);
      }
    });
  }

  it('placement follows each format\'s convention: NGFF translation as written, precomputed and N5 voxel v at [v, v+1)·spacing', async () => {
    const translation = async (name: string, spec = {}) => (await openLocal(path.join(INTEROP_DIR, name), spec)).input.levels[0].translation;
    assert.deepEqual(await translation('zarr3-sharded.ome.zarr'), [15, 0, 0]);
    assert.deepEqual(await translation('ome04-tczyx.zarr'), [15, 0, 0]);
    assert.deepEqual(await translation('zarr2-blosc-plain.zarr', {voxel: [10, 10, 40]}), [0, 0, 0]);
    assert.deepEqual(await translation('n5-gzip.n5'), [20, 5, 5]);
    assert.deepEqual(await translation('precomputed-raw'), [20, 5, 5]);
    const levels = (await openLocal(path.join(INTEROP_DIR, 'precomputed-raw'))).input.levels;
    assert.deepEqual(levels.map((l) => l.rho), [4, 2]);
  });

  describe('the isotropic block each format gives equals the plain Zarr array\'s', () => {
    let model: IsotropicModel;
    before(async () => {
      await initBackend(['wasm']);
      model = createModel({config: presetConfig('tiny'), rho: 4, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1}, 5);
    });
    after(() => disposeModel(model));

    // Output slices 40–72, rows 20–28, columns 10–90: inside, so halos and cubic margins read real neighbours.
    const box: Box3 = {start: [40, 20, 10], end: [72, 28, 90]};
    const compute = async (name: string, spec = {}) => {
      const opened = await openLocal(path.join(INTEROP_DIR, name), spec);
      const level = opened.input.levels[0];
      const read = opened.reader(0, new ByteBudgetCache(1 << 26, decodedBlockBytes));
      return (await computeIsotropicBlock({shape: level.shape, rho: level.rho, coarse: 'z', read}, box, model, {fuse: 'xz+yz', dtype: 'uint8'})).data;
    };

    it('network chunk (xz+yz) from every format', async () => {
      const reference = await compute('zarr2-blosc-plain.zarr', {voxel: [10, 10, 40]});
      assert.equal(reference.length, 32 * 8 * 80);
      for (const fixture of INTEROP_FIXTURES.slice(1)) {
        const got = await compute(fixture.name, fixture.spec);
        if (fixture.lossy) {
          const err = meanAndMaxError(got, reference);
          assert.ok(err.mean <= 2 * JPEG_TOLERANCE.mean, `${fixture.name}: mean difference ${err.mean.toFixed(2)}`);
        } else {
          assert.deepEqual(got, reference, fixture.name);
        }
      }
    });
  });
});
