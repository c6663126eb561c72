// High and non-integer anisotropy (ρ 1.5 – 12, as FAFB, MICrONS, H01 and FANC have 8 – 11) through the
// degradation, training, the chunk pipeline (the viewer's, reconstruct's and evaluate's) and opening.
import {before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig, sizeMultiple} from '../../src/model/config.ts';
import {createModel, disposeModel} from '../../src/model/model.ts';
import {reconstructVolume} from '../../src/infer/volume.ts';
import {upsampleZ} from '../../src/resample/axial.ts';
import {computeIsotropicBlock} from '../../src/chunk/block.ts';
import {cropBox, type Box3} from '../../src/grid/box.ts';
import {isotropicGrid} from '../../src/chunk/plan.ts';
import {degradeRows} from '../../src/degrade/degrade.ts';
import {sectionCount} from '../../src/degrade/section-profile.ts';
import {Trainer} from '../../src/train/trainer.ts';
import {prepareTraining} from '../../src/train/session.ts';
import {regionTrainingSource} from '../../src/train/region.ts';
import {Random} from '../../src/util/random.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {openLocal} from '../helpers/inputs.ts';
import {INTEROP_DIR} from '../helpers/interop.ts';
import {readNpy} from '../helpers/npy.ts';

const RHOS = [1.5, 2.5, 8, 10.4, 12];
const npy = readNpy(path.join(INTEROP_DIR, 'sections-zyx.npy'));
/** A 12 × 24 × 64 crop of the fixture's sections, whatever ρ they are said to have. */
const shape: Vec3 = [12, 24, 64];
const crop = cropBox(Float32Array.from(npy.data), {start: [0, 0, 0], end: [32, 128, 128]}, {start: [10, 50, 30], end: [22, 74, 94]});
const read = async (box: Box3) => cropBox(crop, {start: [0, 0, 0], end: shape}, box);

describe('high and non-integer anisotropy', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  for (const rho of RHOS) {
    it(`ρ = ${rho}: blocks of the one pipeline (interpolation, and the network with halos) equal one whole-volume pass`, async () => {
      const grid = isotropicGrid(shape, rho);
      assert.equal(grid.shape[0], Math.round(12 * rho));
      const input = {shape, rho, coarse: 'z' as const, read};
      const model = createModel({config: presetConfig('tiny'), rho, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1}, 2);
      try {
        const cubic = upsampleZ(crop, shape, rho, 'cubic');
        const net = await reconstructVolume(model, {data: crop, shape}, {fuse: 'xz', rho});
        let worstCubic = 0;
        let worstNet = 0;
        const step = 2 * sizeMultiple(model.metadata.config);
        for (let z0 = 0; z0 < grid.shape[0]; z0 += step) {
          for (let y0 = 0; y0 < 24; y0 += 8) {
            const box: Box3 = {start: [z0, y0, 0], end: [Math.min(grid.shape[0], z0 + step), y0 + 8, 64]};
            const plain = (await computeIsotropicBlock(input, box, undefined, {fuse: 'xz'})).data;
            const got = (await computeIsotropicBlock(input, box, model, {fuse: 'xz'})).data;
            const [c, n] = [cropBox(cubic.data, {start: [0, 0, 0], end: cubic.shape}, box), cropBox(net.data, {start: [0, 0, 0], end: net.shape}, box)];
            for (let i = 0; i < c.length; i++) worstCubic = Math.max(worstCubic, Math.abs(plain[i] - c[i]));
            for (let i = 0; i < n.length; i++) worstNet = Math.max(worstNet, Math.abs(got[i] - n[i]));
          }
        }
        assert.ok(worstCubic < 0.01, `interpolation: largest difference ${worstCubic} grey levels`);
        assert.ok(worstNet < 0.02, `network: largest difference ${worstNet} grey levels`);
      } finally {
        disposeModel(model);
      }
    });
  }

  it('degradation at ρ = 10.4 and 12: a fractional section profile, and rows constant along the degraded axis come back', () => {
    const rng = new Random(4);
    for (const rho of [10.4, 12]) {
      const rows = 128;
      const cols = 8;
      const img = new Float32Array(rows * cols).map((_, i) => Math.sin(i % cols));
      const out = degradeRows(img, rows, cols, {rho, phase: 0.3}, rng);
      for (let i = 0; i < img.length; i++) assert.ok(Math.abs(out[i] - img[i]) < 1e-5, `ρ ${rho}: row ${Math.floor(i / cols)}`);
      assert.equal(sectionCount(rows, rho, 0.3), Math.floor((rows - 0.3) / rho));
    }
  });

  it('training at ρ = 10.4 on a tensorstore volume given that voxel size: steps run, validation PSNR measured', async () => {
    const opened = await openLocal(path.join(INTEROP_DIR, 'n5-gzip.n5'), {voxel: [10, 10, 104]});
    assert.equal(opened.input.levels[0].rho, 10.4);
    assert.equal(opened.input.levels[1].rho, 5.2, 'the coarser level keeps its own ρ');
    const session = await prepareTraining(regionTrainingSource(opened), {preset: 'tiny', trainingData: 'n5-gzip.n5'});
    assert.equal(session.model.metadata.rho, 10.4);
    const trainer = new Trainer(session.model, session.volume, {steps: 3, batchSize: 2, patchSize: 32, validateEvery: 3, checkpointEvery: 3, validationPatches: 2});
    try {
      assert.equal(await trainer.run(), 'done');
      assert.ok(Number.isFinite(trainer.lastValPsnr) && trainer.lastValPsnr! > 10, `validation PSNR ${trainer.lastValPsnr}`);
    } finally {
      trainer.dispose();
      disposeModel(session.model);
    }
  });
});
