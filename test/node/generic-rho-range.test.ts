// A generic model at the far end of its range (ρ 14 and 16) through the chunk pipeline, and the
// output of a per-volume model following a change of the volume's gain and offset.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig, sizeMultiple} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {readLocalCrop} from '../helpers/inputs.ts';
import {reconstructVolume} from '../../src/infer/volume.ts';
import {cropBox, type Box3, type Vec3} from '../../src/grid/box.ts';
import {isotropicGrid, planChunk} from '../../src/chunk/plan.ts';
import {computeIsotropicChunk} from '../../src/chunk/compute.ts';
import type {RegionReader} from '../../src/grid/region-reader.ts';
import {robustContrast} from '../../src/volume/contrast.ts';
import {DEFAULT_RHO_RANGE} from '../../src/train/session.ts';
import {saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {reconstructCommand} from '../../src/cli/reconstruct-command.ts';
import {measureInputContrast} from '../../src/volume/input-contrast.ts';
import {jobOf} from '../../src/reconstruct/job.ts';
import {toDtype} from '../../src/chunk/dtype.ts';
import {openLocal} from '../helpers/inputs.ts';
import {openNgffStore} from '../helpers/ngff-store.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {reconstructOptions, writeVolume} from '../helpers/reconstruct-fixtures.ts';
import {promises as fs} from 'node:fs';
import * as zarr from 'zarrita';

const EXAMPLE = path.resolve('examples/medulla-aniso.ome.zarr');

const reader = (data: Float32Array, shape: Vec3): RegionReader => async (box) => cropBox(data, {start: [0, 0, 0], end: shape}, box);

describe('a per-volume generic model at ρ 14 and 16 (wasm, tiny-generic)', () => {
  let model: IsotropicModel;
  let volume: Float32Array;
  const shape: Vec3 = [6, 16, 64];

  before(async () => {
    await initBackend(['wasm']);
    volume = await readLocalCrop(EXAMPLE, [20, 100, 100], shape);
    model = createModel(
      {config: presetConfig('tiny-generic'), rho: 1, rhoRange: DEFAULT_RHO_RANGE, normalisation: {mean: 128, std: 40, perVolume: true}, dtype: 'uint8', channels: 1},
      3,
    );
    // FiLM weights start at zero (ρ has no effect): give them values so that ρ 14 and 16 really differ.
    let seed = 11;
    for (const [name, v] of model.params) if (name.endsWith('film.w')) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', seed++));
  });
  after(() => disposeModel(model));

  for (const rho of [14, 16]) {
    it(`ρ ${rho}: chunks with halos equal one whole-volume pass`, async () => {
      const contrast = robustContrast(volume);
      const whole = await reconstructVolume(model, {data: volume, shape}, {fuse: 'xz+yz', rho, normalisation: contrast});
      const grid = isotropicGrid(shape, rho);
      assert.equal(grid.shape[0], Math.round(6 * rho));
      const multiple = sizeMultiple(model.metadata.config);
      let worst = 0;
      for (let z0 = 0; z0 < grid.shape[0]; z0 += 32) {
        for (let x0 = 0; x0 < 64; x0 += 32) {
          const box: Box3 = {start: [z0, 0, x0], end: [Math.min(z0 + 32, grid.shape[0]), 16, x0 + 32]};
          const plan = planChunk(grid, box, {halo: 2 * multiple, multiple, fuse: 'xz+yz', interpolation: 'cubic'});
          const {data} = await computeIsotropicChunk(plan, reader(volume, shape), model, {fuse: 'xz+yz', interpolation: 'cubic', normalisation: contrast});
          const ref = cropBox(whole.data, {start: [0, 0, 0], end: whole.shape}, plan.output);
          for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - ref[i]));
        }
      }
      assert.ok(worst < 0.02 * 255, `largest difference ${worst.toFixed(3)} grey levels`);
    });
  }

  it('the volume with its grey levels × 0.7 + 30 gives the output × 0.7 + 30, within 2 grey levels', async () => {
    const scaled = volume.map((v) => Math.round(0.7 * v + 30));
    const rho = 12.5;
    const grid = isotropicGrid(shape, rho);
    const plan = planChunk(grid, {start: [16, 0, 0], end: [48, 16, 64]}, {halo: 0, multiple: sizeMultiple(model.metadata.config), fuse: 'xz+yz', interpolation: 'cubic'});
    const run = (data: Float32Array) =>
      computeIsotropicChunk(plan, reader(data, shape), model, {fuse: 'xz+yz', interpolation: 'cubic', normalisation: robustContrast(data)});
    const [a, b] = [await run(volume), await run(scaled)];
    let worst = 0, moved = 0;
    for (let i = 0; i < a.data.length; i++) {
      worst = Math.max(worst, Math.abs(0.7 * a.data[i] + 30 - b.data[i]));
      moved = Math.max(moved, Math.abs(a.data[i] - b.data[i]));
    }
    assert.ok(worst <= 2, `largest difference ${worst.toFixed(2)} grey levels`);
    assert.ok(moved > 20, 'the two volumes do differ');
    // A model with fixed numbers does not follow: the same comparison is far off.
    const fixed = {...model, metadata: {...model.metadata, normalisation: {mean: 128, std: 40}}};
    const c = await computeIsotropicChunk(plan, reader(scaled, shape), fixed, {fuse: 'xz+yz', interpolation: 'cubic'});
    let fixedWorst = 0;
    for (let i = 0; i < a.data.length; i++) fixedWorst = Math.max(fixedWorst, Math.abs(0.7 * a.data[i] + 30 - c.data[i]));
    assert.ok(fixedWorst > 4, `fixed numbers: ${fixedWorst.toFixed(2)}`);
  });

  it('reconstruct at ρ 16 records the input\'s contrast in its job and its blocks equal a whole pass normalised with it', async () => {
    const dir = await tempDir('ngi-generic-rho16-');
    try {
      const input = path.join(dir, 'thick.ome.zarr');
      const data = Uint8Array.from(volume);
      await writeVolume(input, data, shape, [64, 4, 4], [0, 0, 0], [6, 16, 32]);
      const modelDir = path.join(dir, 'generic');
      await saveModel(model, fileHandler(modelDir));
      const output = path.join(dir, 'iso.ome.zarr');
      await reconstructCommand(input, output, reconstructOptions(modelDir, {fuse: 'xz+yz', chunk: 32}));
      const contrast = await measureInputContrast(await openLocal(input));
      const store = await openNgffStore(output);
      assert.deepEqual(jobOf(store.desc)?.contrast, {mean: contrast.mean, std: contrast.std});
      const got = (await zarr.get(store.arrays[0])).data as Uint8Array;
      const want = toDtype((await reconstructVolume(model, {data: volume, shape}, {fuse: 'xz+yz', rho: 16, normalisation: contrast})).data, 'uint8');
      assert.equal(got.length, want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst <= 0.02 * 255, `largest difference ${worst} grey levels`);
    } finally {
      await fs.rm(dir, {recursive: true, force: true});
    }
  });
});
