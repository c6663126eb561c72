// Fine-tuning (`train --init`): start from another model's weights with a fresh optimizer.
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {convertStack} from '../../src/convert/convert.ts';
import {regionTrainingSource} from '../../src/train/region.ts';
import {openLocal} from '../helpers/inputs.ts';
import {trainCommand} from '../../src/cli/train-command.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel, type ModelMetadata} from '../../src/model/model.ts';
import {loadModel, modelArtifacts, modelFromArtifacts, saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {prepareTraining} from '../../src/train/session.ts';
import {Trainer, type TrainOptions} from '../../src/train/trainer.ts';
import {tempDir, writePngStack} from '../helpers/fixtures.ts';

const options: Partial<TrainOptions> = {steps: 4, batchSize: 2, patchSize: 16, learningRate: 1e-3, validateEvery: 2, checkpointEvery: 2, validationPatches: 4};

async function weights(model: IsotropicModel): Promise<Float32Array[]> {
  return Promise.all([...model.params.values()].map(async (v) => (await v.data()) as Float32Array));
}

function readMetadata(dir: string): Promise<ModelMetadata> {
  return fs.readFile(path.join(dir, 'model.json'), 'utf8').then((t) => JSON.parse(t).userDefinedMetadata.isotropic);
}

describe('fine-tuning from an existing model (wasm, tiny preset)', () => {
  let dir: string;
  let volumePath: string;
  let initDir: string;
  let initHash: string;

  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir();
    await writePngStack(path.join(dir, 'png'), {width: 32, height: 32, depth: 24});
    volumePath = path.join(dir, 'aniso.ome.zarr');
    await convertStack({input: path.join(dir, 'png'), output: volumePath, voxelSize: [10, 10, 10], downsampleZ: 4, chunk: 16});
    // The init model: ρ = 4 like the volume, 3 steps "trained" already.
    initDir = path.join(dir, 'init');
    const init = createModel(
      {config: presetConfig('tiny'), rho: 4, normalisation: {mean: 120, std: 60}, dtype: 'uint8', channels: 1, trainingData: 'other.ome.zarr', steps: 3},
      7,
    );
    await saveModel(init, fileHandler(initDir));
    initHash = init.metadata.versionHash!;
    disposeModel(init);
  });

  after(async () => {
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('starts from the init model\'s weights, config and normalisation, and records the lineage', async () => {
    const expected = await loadModel(fileHandler(initDir));
    const session = await prepareTraining(regionTrainingSource(await openLocal(volumePath)), {trainingData: 'aniso.ome.zarr', initFrom: await loadModel(fileHandler(path.join(initDir, 'model.json')))});
    const {model} = session;
    assert.deepEqual(session.optimizerState, {});
    assert.deepEqual(await weights(model), await weights(expected.model));
    assert.deepEqual(model.metadata.config, expected.model.metadata.config);
    assert.deepEqual(model.metadata.normalisation, {mean: 120, std: 60});
    assert.deepEqual(model.metadata.fineTunedFrom, {versionHash: initHash, steps: 3});
    assert.equal(model.metadata.steps, 3);
    assert.equal(model.metadata.trainingData, 'aniso.ome.zarr');
    assert.equal(model.metadata.versionHash, undefined);

    const progress: number[] = [];
    const trainer = new Trainer(model, session.volume, options, {onProgress: (p) => progress.push(p.step)});
    assert.equal(await trainer.run(), 'done');
    // --steps counts the new steps; the metadata counts them all.
    assert.deepEqual(progress, [1, 2, 3, 4]);
    assert.equal(trainer.currentStep, 4);
    assert.equal(model.metadata.steps, 7);
    assert.notDeepEqual(await weights(model), await weights(expected.model));
    const {model: saved} = await modelFromArtifacts(await modelArtifacts(model));
    assert.deepEqual(saved.metadata.fineTunedFrom, {versionHash: initHash, steps: 3});
    assert.notEqual(saved.metadata.versionHash, initHash);
    trainer.dispose();
    [model, expected.model, saved].forEach(disposeModel);
  });

  it('a resumed fine-tuning run continues where it stopped: same data, schedule and (to float rounding) weights', async () => {
    const start = async () => prepareTraining(regionTrainingSource(await openLocal(volumePath)), {trainingData: 'aniso.ome.zarr', initFrom: await loadModel(fileHandler(initDir))});
    const straight = await start();
    const t1 = new Trainer(straight.model, straight.volume, options);
    await t1.run();
    const expected = await weights(straight.model);

    const first = await start();
    let saved: tf.io.ModelArtifacts | undefined;
    const t2 = new Trainer(first.model, first.volume, {...options, steps: 2}, {
      onCheckpoint: async (m, state) => {
        saved = await modelArtifacts(m, state);
      },
    });
    await t2.run();
    const resumed = await prepareTraining(regionTrainingSource(await openLocal(volumePath)), {
      trainingData: 'aniso.ome.zarr',
      resumeFrom: await modelFromArtifacts(saved!),
      initFrom: await loadModel(fileHandler(initDir)),
    });
    assert.equal(resumed.model.metadata.steps, 5);
    const t3 = new Trainer(resumed.model, resumed.volume, options);
    assert.equal(t3.currentStep, 2);
    await t3.restoreOptimizer(resumed.optimizerState);
    await t3.run();
    assert.equal(resumed.model.metadata.steps, 7);
    // tfjs Adam's setWeights recomputes β^t with pow where a running product kept it: last-bit differences,
    // not different data (other patches or another learning rate would move the weights by ~1e-3).
    (await weights(resumed.model)).forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= 1e-6 * (1 + Math.abs(v)), `weight ${i}[${j}]: ${v} vs ${expected[i][j]}`)));
    for (const t of [t1, t2, t3]) t.dispose();
    tf.dispose(Object.values(resumed.optimizerState));
    [straight.model, first.model, resumed.model].forEach(disposeModel);
  });

  it('rejects a conflicting preset and a model that does not fit the data', async () => {
    const vol = regionTrainingSource(await openLocal(volumePath));
    await assert.rejects(
      prepareTraining(vol, {trainingData: 'a', preset: 'default', initFrom: await loadModel(fileHandler(initDir))}),
      /preset "default" conflicts with the init model, a "tiny" model/,
    );
    // Naming the init model's own preset is fine.
    const ok = await prepareTraining(vol, {trainingData: 'a', preset: 'tiny', initFrom: await loadModel(fileHandler(initDir))});
    disposeModel(ok.model);
    const other = createModel({config: presetConfig('tiny'), rho: 2.5, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1}, 1);
    await assert.rejects(prepareTraining(vol, {trainingData: 'a', initFrom: {model: other, extra: {}}}), /trained for an anisotropy of ρ = 2.5.*has ρ = 4/);
    // Resuming with --init: the checkpoint must descend from the init model.
    const plain = createModel({config: presetConfig('tiny'), rho: 4, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1, steps: 2}, 1);
    await assert.rejects(
      prepareTraining(vol, {trainingData: 'a', resumeFrom: {model: plain, extra: {}}, initFrom: await loadModel(fileHandler(initDir))}),
      /the checkpoint was not fine-tuned from a model, not from the init model/,
    );
    disposeModel(plain);
  });

  it('prepareTraining decides the interpolation (new: cubic or the one asked for; fine-tuned: the init model\'s unless asked; resumed: the checkpoint\'s), the Trainer trains against it', async () => {
    const vol = regionTrainingSource(await openLocal(volumePath));
    const plain = await prepareTraining(vol, {trainingData: 'a', preset: 'tiny'});
    assert.equal(plain.model.metadata.interpolation, 'cubic');
    const linear = await prepareTraining(vol, {trainingData: 'a', preset: 'tiny', interpolation: 'linear'});
    assert.equal(linear.model.metadata.interpolation, 'linear');
    const trainer = new Trainer(linear.model, linear.volume, options);
    assert.equal(trainer.options.degrade.method, 'linear');
    trainer.dispose();
    // The init model has no interpolation of its own: cubic, the default everywhere.
    const tuned = await prepareTraining(vol, {trainingData: 'a', initFrom: await loadModel(fileHandler(initDir))});
    assert.equal(tuned.model.metadata.interpolation, 'cubic');
    const tunedLinear = await prepareTraining(vol, {trainingData: 'a', initFrom: await loadModel(fileHandler(initDir)), interpolation: 'linear'});
    assert.equal(tunedLinear.model.metadata.interpolation, 'linear');
    const resumed = await prepareTraining(vol, {trainingData: 'a', resumeFrom: {model: linear.model, extra: {}}});
    assert.equal(resumed.model.metadata.interpolation, 'linear');
    await assert.rejects(
      prepareTraining(vol, {trainingData: 'a', resumeFrom: {model: linear.model, extra: {}}, interpolation: 'cubic'}),
      /interpolation 'cubic' conflicts with the checkpoint, trained against 'linear'/,
    );
    [plain, linear, tuned, tunedLinear].forEach((s) => disposeModel(s.model));
  });

  it('`train --init` writes a model whose metadata records the total steps and the init model', async () => {
    const out = path.join(dir, 'tuned');
    const log = console.log;
    console.log = () => {};
    try {
      await trainCommand(volumePath, {out, init: initDir, resume: false, overwrite: false, browser: false, train: {...options, steps: 2}});
    } finally {
      console.log = log;
    }
    const m = await readMetadata(out);
    assert.equal(m.steps, 5);
    assert.deepEqual(m.fineTunedFrom, {versionHash: initHash, steps: 3});
    assert.equal(m.config.preset, 'tiny');
    await assert.rejects(
      trainCommand(volumePath, {out: path.join(dir, 'bad'), init: initDir, preset: 'default', resume: false, overwrite: false, browser: false, train: options}),
      /conflicts with the init model/,
    );
    await assert.rejects(
      trainCommand(volumePath, {out: path.join(dir, 'bad'), init: path.join(dir, 'nowhere'), resume: false, overwrite: false, browser: false, train: options}),
      /--init: no model at/,
    );
  });
});
