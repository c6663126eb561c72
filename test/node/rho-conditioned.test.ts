// ρ-conditioned ("generic") models: ρ as a network input, the ρ range in the model file,
// checkModelFits over the range, training at random ρ, and a fixed-ρ model turned into one.
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {checkModelFits, createModel, disposeModel, predict, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, modelArtifacts, modelFromArtifacts, saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {prepareTraining, type TrainingSource} from '../../src/train/session.ts';
import {TrainingData} from '../../src/train/training-data.ts';
import {combinedTrainingSource} from '../../src/train/combined-source.ts';
import {Trainer} from '../../src/train/trainer.ts';
import {Random} from '../../src/util/random.ts';
import {tempDir} from '../helpers/fixtures.ts';

const normalisation = {mean: 128, std: 50};

function generic(rhoRange: [number, number] = [2, 12], seed = 3): IsotropicModel {
  return createModel({config: presetConfig('tiny-generic'), rho: 1, rhoRange, normalisation, dtype: 'uint8', channels: 1}, seed);
}

/** Gives every FiLM weight a random value (they start at zero: the identity). */
function randomiseFilm(model: IsotropicModel): void {
  let seed = 11;
  for (const [name, v] of model.params) if (name.endsWith('film.w')) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', seed++));
}

function plane(): tf.Tensor4D {
  const rng = new Random(5);
  return tf.tensor4d(Float32Array.from({length: 32 * 32}, () => rng.next() * 2 - 1), [1, 32, 32, 1]);
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A random texture volume [nz, ny, nx] in 0…255 as a training source of spacing (z, lateral). */
function textureSource(shape: [number, number, number], rho: number, seed = 1): TrainingSource {
  const rng = new Random(seed);
  const data = Float32Array.from({length: shape[0] * shape[1] * shape[2]}, () => Math.round(rng.next() * 255));
  return {rho, unit: 'nanometer', dtype: 'uint8', scale: [10 * rho, 10, 10], read: async () => ({data, shape})};
}

describe('ρ-conditioned models (wasm, tiny-generic preset)', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  it('the same plane at two ρ gives different outputs; a fixed-ρ model ignores ρ', async () => {
    const model = generic();
    randomiseFilm(model);
    const x = plane();
    const at4 = await values(predict(model, x, 4));
    const at10 = await values(predict(model, x, 10));
    const again4 = await values(predict(model, x, 4));
    assert.ok(maxDiff(at4, at10) > 1e-3, `outputs at ρ 4 and 10 differ by ${maxDiff(at4, at10)}`);
    assert.equal(maxDiff(at4, again4), 0, 'the same ρ gives the same output');
    // One ρ per plane: a batch of the plane at 4 and 10 answers like the two calls.
    const both = await values(predict(model, tf.concat([x, x]) as tf.Tensor4D, [4, 10]));
    assert.ok(maxDiff(both.subarray(0, 1024), at4) < 1e-5 && maxDiff(both.subarray(1024), at10) < 1e-5);
    assert.throws(() => predict(model, x), /needs the anisotropy ρ/);

    const fixed = createModel({config: presetConfig('tiny'), rho: 4, normalisation, dtype: 'uint8', channels: 1});
    assert.equal(maxDiff(await values(predict(fixed, x, 4)), await values(predict(fixed, x, 10))), 0);
    x.dispose();
    disposeModel(model);
    disposeModel(fixed);
  });

  it('checkModelFits accepts any ρ in the range (± 2 %) and refuses the others by name', () => {
    const {metadata} = generic([2, 12]);
    for (const rho of [1.97, 2, 2.5, 4, 8.25, 10, 12, 12.2]) assert.doesNotThrow(() => checkModelFits(metadata, {rho, dtype: 'uint8'}), `ρ ${rho}`);
    for (const rho of [1, 1.9, 12.5, 40]) {
      assert.throws(() => checkModelFits(metadata, {rho, dtype: 'uint8', name: 'fafb'}), /serves anisotropies ρ = 2–12.*"fafb" has ρ = /, `ρ ${rho}`);
    }
    assert.throws(() => checkModelFits(metadata, {rho: 4, dtype: 'uint16'}), /trained on uint8 data/);
    // A fixed-ρ model trained at one ρ is not used for another.
    const fixed = {...metadata, kind: 'fixed-rho' as const, rho: 4, rhoRange: undefined};
    assert.throws(() => checkModelFits(fixed, {rho: 8, dtype: 'uint8'}), /trained for an anisotropy of ρ = 4.*has ρ = 8/);
  });

  it('model files round-trip with their kind and ρ range, and the same outputs', async () => {
    const dir = await tempDir();
    try {
      const model = generic([2.5, 11]);
      randomiseFilm(model);
      await saveModel(model, fileHandler(dir));
      const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
      assert.equal(json.userDefinedMetadata.isotropic.kind, 'rho-conditioned');
      assert.deepEqual(json.userDefinedMetadata.isotropic.rhoRange, [2.5, 11]);
      const {model: loaded} = await loadModel(fileHandler(dir));
      assert.equal(loaded.metadata.kind, 'rho-conditioned');
      assert.deepEqual(loaded.metadata.rhoRange, [2.5, 11]);
      const x = plane();
      assert.equal(maxDiff(await values(predict(model, x, 7.3)), await values(predict(loaded, x, 7.3))), 0);
      x.dispose();

      // A file whose kind contradicts its network, or a conditioned one without a range, is refused.
      const artifacts = await modelArtifacts(model);
      const meta = (artifacts.userDefinedMetadata as {isotropic: Record<string, unknown>}).isotropic;
      await assert.rejects(modelFromArtifacts({...artifacts, userDefinedMetadata: {isotropic: {...meta, kind: 'fixed-rho'}}}), /says it is a fixed-rho model, but its network is rho-conditioned/);
      await assert.rejects(modelFromArtifacts({...artifacts, userDefinedMetadata: {isotropic: {...meta, rhoRange: undefined}}}), /needs a ρ range/);
      disposeModel(model);
      disposeModel(loaded);
    } finally {
      await fs.rm(dir, {recursive: true, force: true});
    }
  });

  it('trains on patches degraded at random non-integer ρ in its range, half at the data\'s own ρ', () => {
    const shape: [number, number, number] = [8, 96, 96];
    const rng = new Random(2);
    const volume = {data: Float32Array.from({length: 8 * 96 * 96}, () => rng.next() * 255), shape, rho: 8, dtype: 'uint8', dataRange: 255};
    const options = {batchSize: 64, patchSize: 16, seed: 1, validationPatches: 4, degrade: {}, sectionNoise: 'none' as const};
    const data = new TrainingData(volume, normalisation, options, [2, 12]);
    const {rho} = data.batch(0);
    const own = [...rho].filter((r) => r === 8).length;
    assert.ok(own > 16 && own < 48, `${own} of 64 patches at the data's ρ`);
    const others = [...rho].filter((r) => r !== 8);
    assert.ok(others.every((r) => r >= 2 && r <= 12), 'inside the range');
    assert.ok(others.some((r) => r < 5) && others.some((r) => r > 9), `spread over the range: ${others.map((r) => r.toFixed(1))}`);
    assert.ok(others.some((r) => !Number.isInteger(r)), 'non-integer');
    // A fixed-ρ model trains at the data's ρ only.
    assert.ok([...new TrainingData(volume, normalisation, options).batch(0).rho].every((r) => r === 8));
    data.dispose();
  });

  it('matched section noise: each patch gets what averaging its own ρ rows removes, not what the data\'s ρ removes', () => {
    const shape: [number, number, number] = [8, 96, 96];
    const rng = new Random(3);
    const sigma = 6;
    const volume = {data: Float32Array.from({length: 8 * 96 * 96}, () => 128 + sigma * rng.normal()), shape, rho: 12, dtype: 'uint8', dataRange: 255};
    const options = {batchSize: 8, patchSize: 16, seed: 1, validationPatches: 4, degrade: {}, sectionNoise: 'matched' as const};
    const data = new TrainingData(volume, normalisation, options, [1.5, 16]);
    const added = (rho: number) => data.degradationFor(rho).noise!.gaussianSigma * normalisation.std;
    // White noise of σ 6: Immerkær's estimate is σ within a few %, and sections of ρ rows lack σ·√(1 − 1/ρ).
    for (const rho of [1.5, 2, 12, 16]) assert.ok(Math.abs(added(rho) / (sigma * Math.sqrt(1 - 1 / rho)) - 1) < 0.05, `ρ ${rho}: adds σ ${added(rho)}`);
    assert.ok(added(2) < 0.75 * added(12), 'a ρ 2 patch gets less than a ρ 12 one');
    assert.equal(data.degrade.noise!.gaussianSigma, data.degradationFor(12).noise!.gaussianSigma, 'the degradation as reported is the data\'s own ρ');
    // Without matched noise the degradation is the same at every ρ.
    const plain = new TrainingData(volume, normalisation, {...options, sectionNoise: 'none'}, [1.5, 16]);
    assert.equal(plain.degradationFor(2).noise, undefined);
    data.dispose();
    plain.dispose();
  });

  it('a fixed-ρ model becomes a conditioned one that computes the same at first (train --init … --preset generic)', async () => {
    const fixed = createModel({config: presetConfig('tiny'), rho: 4, normalisation, dtype: 'uint8', channels: 1}, 4);
    const x = plane();
    const before = await values(predict(fixed, x));
    const {model: copy} = await modelFromArtifacts(await modelArtifacts(fixed));
    const session = await prepareTraining(textureSource([8, 48, 48], 4), {trainingData: 't', preset: 'tiny-generic', initFrom: {model: copy, extra: {}}, rhoRange: [2, 10]});
    const m = session.model;
    assert.equal(m.metadata.kind, 'rho-conditioned');
    assert.deepEqual(m.metadata.rhoRange, [2, 10]);
    assert.equal(m.metadata.config.preset, 'tiny-generic');
    for (const rho of [2, 4, 9]) assert.ok(maxDiff(await values(predict(m, x, rho)), before) < 1e-5, `ρ ${rho}`);
    // Any other preset is refused, as before.
    const {model: other} = await modelFromArtifacts(await modelArtifacts(fixed));
    await assert.rejects(prepareTraining(textureSource([8, 48, 48], 4), {trainingData: 't', preset: 'generic', initFrom: {model: other, extra: {}}}), /conflicts with the init model/);
    x.dispose();
    disposeModel(m);
    disposeModel(fixed);
  });

  it('isotropic data trains a conditioned model from its lateral planes, and is refused for a fixed-ρ one', async () => {
    const iso = textureSource([8, 48, 48], 1);
    await assert.rejects(prepareTraining(iso, {trainingData: 'iso.zarr', preset: 'tiny'}), /iso.zarr is isotropic already.*preset generic/);
    const session = await prepareTraining(iso, {trainingData: 'iso.zarr', preset: 'tiny-generic'});
    assert.equal(session.model.metadata.kind, 'rho-conditioned');
    assert.deepEqual(session.model.metadata.rhoRange, [1.5, 16]);
    const trainer = new Trainer(session.model, session.volume, {steps: 2, batchSize: 2, patchSize: 16, validateEvery: 1, validationPatches: 4});
    assert.equal(await trainer.run(), 'done');
    assert.ok(Number.isFinite(trainer.lastValPsnr));
    assert.equal(trainer.lastAxialDetail, undefined, 'no axial planes to probe in isotropic data');
    trainer.dispose();
    disposeModel(session.model);
  });

  it('a time limit ends the run as done, validated, before its steps', async () => {
    const session = await prepareTraining(textureSource([8, 48, 48], 4), {trainingData: 't', preset: 'tiny'});
    const seen: {step: number; val?: number; axial?: number}[] = [];
    const trainer = new Trainer(session.model, session.volume, {steps: 1000, timeLimitSeconds: 0.001, batchSize: 2, patchSize: 16, validateEvery: 100, validationPatches: 4}, {
      onProgress: (p) => seen.push({step: p.step, val: p.valPsnr, axial: p.axialDetail}),
    });
    assert.equal(await trainer.run(), 'done');
    assert.equal(trainer.currentStep, 1);
    assert.ok(Number.isFinite(seen[0].val), 'the last step is validated');
    // Anisotropic data: the axial probe measured the network on its real axial planes.
    assert.ok(seen[0].axial! > 0 && trainer.lastAxialDetail!.interpolated > 0);
    trainer.recordMeasures();
    assert.deepEqual(session.model.metadata.axialDetail, trainer.lastAxialDetail);
    trainer.dispose();
    disposeModel(session.model);
  });

  it('pools the lateral planes of several inputs, and refuses unlike ones', async () => {
    const a = textureSource([3, 8, 8], 4, 1), b = textureSource([2, 8, 8], 4, 2);
    const both = await combinedTrainingSource([a, b], ['a', 'b']).read();
    assert.deepEqual(both.shape, [5, 8, 8]);
    assert.deepEqual(Array.from(both.data).slice(3 * 64), Array.from((await b.read()).data));
    await assert.rejects(combinedTrainingSource([a, textureSource([2, 8, 9], 4)], ['a', 'c']).read(), /differ in lateral size: a is 8×8, c is 9×8/);
    assert.throws(() => combinedTrainingSource([a, textureSource([2, 8, 8], 8)], ['a', 'd']), /differ in anisotropy: a has ρ = 4.000, d has ρ = 8.000/);
    assert.throws(() => combinedTrainingSource([a, {...b, dtype: 'uint16'}], ['a', 'e']), /differ in data type/);
  });
});

after(() => {
  tf.disposeVariables();
});
