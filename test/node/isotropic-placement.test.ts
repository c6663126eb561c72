import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {isotropicChunkToModel, isotropicLevelOrigin, isotropicLevels, isotropicLevelShape} from '../../src/input/placement.ts';
import type {InputLevel} from '../../src/input/types.ts';
import {openLocal} from '../helpers/inputs.ts';

async function levels(name: string): Promise<InputLevel[]> {
  return (await openLocal(path.resolve('examples', name), {}, {requireAnisotropic: false})).input.levels;
}

describe('where isotropic voxels land', () => {
  it('the base level lands exactly on the grid of the isotropic acquisition (the example truth)', async () => {
    const [aniso] = await levels('medulla-aniso.ome.zarr');
    const [truth] = await levels('medulla-iso.ome.zarr');
    assert.deepEqual(isotropicLevelOrigin(aniso), truth.translation);
    const {scale, translation} = isotropicChunkToModel(aniso, aniso);
    assert.equal(scale, 1);
    // The viewer reads the truth's OME-Zarr with chunk c ↦ c + translation/scale − ½ (model units of 10 nm).
    translation.forEach((t, d) => assert.equal(t, truth.translation[2 - d] / truth.scale[2 - d] - 0.5));
  });

  it('every pyramid level puts voxel j at origin + j·lateral, in world units', async () => {
    const all = await levels('medulla-aniso.ome.zarr');
    const lateral0 = all[0].scale[2];
    for (const level of all) {
      const {scale, translation} = isotropicChunkToModel(level, all[0]);
      const origin = isotropicLevelOrigin(level);
      for (const j of [0, 1, 7]) {
        for (let d = 0; d < 3; d++) {
          const world = (scale * (j + 0.5) + translation[d]) * lateral0; // voxel centre
          assert.ok(Math.abs(world - (origin[2 - d] + j * level.scale[2])) < 1e-9, `level ${level.location} axis ${d} voxel ${j}`);
        }
      }
    }
    // Level 1 (20 nm): its voxel 0 is the centre of truth voxels 0 and 1 along every axis.
    assert.deepEqual(isotropicLevelOrigin(all[1]), [5, 5, 5]);
  });

  it('a coarse x axis: x gains the factor ρ and the shift, y and z stay', () => {
    const level: InputLevel = {location: '0/', chunks: [64, 64, 64], shape: [100, 80, 20], scale: [8, 8, 30], translation: [4, 4, 11], rho: 30 / 8};
    assert.deepEqual(isotropicLevelShape(level, 'x'), [100, 80, 75]);
    assert.deepEqual(isotropicLevelOrigin(level, 'x'), [4, 4, 11 - (8 * (30 / 8 - 1)) / 2]);
    const {scale, translation} = isotropicChunkToModel(level, level, 'x');
    assert.equal(scale, 1);
    assert.deepEqual(translation, [(11 - 11) / 8 - 0.5, 4 / 8 - 0.5, 4 / 8 - 0.5]);
  });
});

describe('which pyramid levels an isotropic layer declares', () => {
  it('fine to coarse up to the first whose coarse spacing is finer than its lateral one (ρ < 1)', () => {
    // A FAFB-like pyramid, 4×4×40 nm, downsampled 2×2×1: ρ = 10, 5, 2.5, 1.25, 0.625, 0.3125.
    const pyramid = [10, 5, 2.5, 1.25, 0.625, 0.3125].map((rho, i) => ({rho, name: `s${i}`}));
    assert.deepEqual(isotropicLevels(pyramid).map((l) => l.name), ['s0', 's1', 's2', 's3']);
    // ρ = 1 (to rounding) is kept: its isotropic reconstruction is the level itself.
    assert.deepEqual(isotropicLevels([{rho: 4}, {rho: 2}, {rho: 1 - 1e-9}, {rho: 0.5}]).length, 3);
    assert.deepEqual(isotropicLevels([{rho: 4}, {rho: 2}]).length, 2);
  });
});
