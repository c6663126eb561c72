import {describe, it, before} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {modelArtifacts, modelFromArtifacts} from '../../src/model/model-io.ts';
import {Trainer, type TrainOptions, type TrainProgress} from '../../src/train/trainer.ts';
import type {TrainingVolume} from '../../src/train/data.ts';
import {Random} from '../../src/util/random.ts';
import {isActive, isFinal, type RunState} from '../../src/train/run-state.ts';

const volume: TrainingVolume = (() => {
  const [nz, ny, nx] = [10, 24, 24];
  const data = new Uint8Array(nz * ny * nx);
  for (let i = 0; i < data.length; i++) data[i] = 128 + Math.round(100 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
  return {data, shape: [nz, ny, nx], rho: 2.5, dtype: 'uint8', dataRange: 255};
})();

const options: Partial<TrainOptions> = {steps: 6, batchSize: 2, patchSize: 16, learningRate: 1e-3, validateEvery: 3, checkpointEvery: 3, validationPatches: 4};

function newModel(): IsotropicModel {
  return createModel({config: presetConfig('tiny'), rho: 2.5, normalisation: {mean: 128, std: 50}, dtype: 'uint8', channels: 1}, 5);
}

async function weights(model: IsotropicModel): Promise<Float32Array[]> {
  return Promise.all([...model.params.values()].map(async (v) => (await v.data()) as Float32Array));
}

describe('Trainer (wasm, tiny preset, non-integer ρ)', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  it('reports progress with validation PSNR, and holds no more tensors after many steps than after a few', async () => {
    const model = newModel();
    const progress: TrainProgress[] = [];
    const counts: number[] = [];
    const trainer = new Trainer(model, volume, {...options, steps: 12}, {
      onProgress: (p) => {
        progress.push(p);
        counts.push(tf.memory().numTensors);
      },
    });
    assert.equal(await trainer.run(), 'done');
    assert.deepEqual(progress.map((p) => p.step), [...Array(12).keys()].map((i) => i + 1));
    assert.ok(progress.every((p) => Number.isFinite(p.loss) && p.stepsPerSecond > 0));
    assert.equal(progress.filter((p) => p.valPsnr !== undefined).length, 4);
    assert.ok(progress[2].valPsnr! > 10 && progress[2].valPsnrInterpolated! > 10);
    assert.equal(counts.at(-1), counts[3], `tensors grew from ${counts[3]} to ${counts.at(-1)}`);
    trainer.dispose();
    disposeModel(model);
  });

  it("'matched' section noise is measured on the training planes: σ·√(1 − 1/ρ) in normalised units; explicit noise wins", () => {
    const [nz, ny, nx, sigma] = [6, 64, 64, 4];
    const rng = new Random(3);
    const data = new Float32Array(nz * ny * nx);
    for (let i = 0; i < data.length; i++) data[i] = 100 + 0.5 * (i % nx) + sigma * rng.normal();
    const noisy: TrainingVolume = {data, shape: [nz, ny, nx], rho: 2.5, dtype: 'float32', dataRange: 255};
    const model = newModel();
    const matched = new Trainer(model, noisy, {...options, sectionNoise: 'matched'});
    const expected = (sigma * Math.sqrt(1 - 1 / 2.5)) / 50;
    const got = matched.options.degrade.noise!.gaussianSigma;
    assert.ok(Math.abs(got / expected - 1) < 0.05, `matched σ ${got}, expected ${expected}`);
    const explicit = new Trainer(model, noisy, {...options, sectionNoise: 'matched', degrade: {noise: {gaussianSigma: 0.3, poissonGain: 0, sectionJitter: 0}}});
    assert.equal(explicit.options.degrade.noise!.gaussianSigma, 0.3);
    const none = new Trainer(model, noisy, options);
    assert.equal(none.options.degrade.noise, undefined);
    for (const t of [matched, explicit, none]) t.dispose();
    disposeModel(model);
  });

  it('pause holds the loop, resume continues, stop ends early with a checkpoint', async () => {
    const model = newModel();
    const checkpoints: number[] = [];
    let trainer!: Trainer;
    trainer = new Trainer(model, volume, {...options, steps: 50}, {
      onProgress: (p) => {
        if (p.step === 2) trainer.pause();
      },
      onCheckpoint: async (_m, _state, step) => {
        checkpoints.push(step);
      },
    });
    const running = trainer.run();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(trainer.status, 'paused');
    assert.equal(trainer.currentStep, 2);
    trainer.resume();
    await new Promise((r) => setTimeout(r, 50));
    trainer.stop();
    assert.equal(await running, 'stopped');
    assert.ok(trainer.currentStep > 2 && trainer.currentStep < 50);
    assert.equal(checkpoints.at(-1), trainer.currentStep);
    trainer.dispose();
    disposeModel(model);
  });

  it('stopped at a step that was just checkpointed, the run says stopped (not done); onPaused comes after the step in flight', async () => {
    const model = newModel();
    const paused: number[] = [];
    let trainer!: Trainer;
    trainer = new Trainer(model, volume, {...options, steps: 50, checkpointEvery: 1}, {
      onProgress: (p) => {
        if (p.step === 2) trainer.pause(); // during step 2's reporting: its checkpoint still follows
      },
      onPaused: (step) => {
        paused.push(step);
        trainer.stop();
      },
    });
    assert.equal(await trainer.run(), 'stopped');
    assert.deepEqual(paused, [2]);
    assert.equal(trainer.currentStep, 2);
    trainer.dispose();
    disposeModel(model);
  });

  it('previews the first held-out pair in data intensities: input, prediction, truth', async () => {
    const model = newModel();
    const steps: number[] = [];
    const trainer = new Trainer(model, volume, {...options, steps: 2}, {afterStep: async (step) => void steps.push(step)});
    await trainer.run();
    assert.deepEqual(steps, [1, 2]);
    const {size, input, prediction, target} = await trainer.validationPreview();
    assert.equal(size, 16);
    for (const image of [input, prediction, target]) assert.equal(image.length, 16 * 16);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    // Denormalised: the same range as the uint8 volume (mean ~128), not normalised units (mean ~0).
    assert.ok(mean(target) > 60 && mean(target) < 200, `target mean ${mean(target)}`);
    const meanAbs = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    assert.ok(meanAbs(input, target) > 1, 'the input is degraded');
    assert.ok(meanAbs(prediction, input) > 0.01, 'the prediction is the network output, not the input');
    trainer.dispose();
    disposeModel(model);
  });

  it('a run resumed from a checkpoint ends with the same weights as an uninterrupted one', async () => {
    const straight = newModel();
    const t1 = new Trainer(straight, volume, options);
    await t1.run();
    const expected = await weights(straight);

    // First half, then a checkpoint round-trip through the model file format, then the rest.
    const first = newModel();
    let saved: tf.io.ModelArtifacts | undefined;
    const t2 = new Trainer(first, volume, {...options, steps: 3}, {
      onCheckpoint: async (m, state) => {
        saved = await modelArtifacts(m, state);
      },
    });
    await t2.run();
    const {model: resumed, extra} = await modelFromArtifacts(saved!);
    assert.equal(resumed.metadata.steps, 3);
    const t3 = new Trainer(resumed, volume, options);
    await t3.restoreOptimizer(extra);
    await t3.run();
    const actual = await weights(resumed);
    actual.forEach((w, i) => assert.deepEqual(w, expected[i], `weight ${i} differs`));
    for (const t of [t1, t2, t3]) t.dispose();
    tf.dispose(Object.values(extra));
    [straight, first, resumed].forEach(disposeModel);
  });

  it('the constructor leaves the model untouched; the degradation uses the model\'s interpolation, and a conflicting degrade.method throws', () => {
    for (const interpolation of [undefined, 'cubic', 'linear'] as const) {
      const model = newModel();
      if (interpolation) model.metadata.interpolation = interpolation;
      const before = structuredClone(model.metadata);
      const trainer = new Trainer(model, volume, {...options, sectionNoise: 'matched'});
      assert.deepEqual(model.metadata, before, `interpolation ${interpolation}`);
      assert.equal(trainer.options.degrade.method, interpolation ?? 'cubic');
      trainer.dispose();
      const same = new Trainer(model, volume, {...options, degrade: {method: interpolation ?? 'cubic'}});
      same.dispose();
      const other = interpolation === 'linear' ? 'cubic' : 'linear';
      assert.throws(() => new Trainer(model, volume, {...options, degrade: {method: other}}), new RegExp(`degrade.method '${other}' conflicts with the model's interpolation '${interpolation ?? 'cubic'}'`));
      assert.deepEqual(model.metadata, before);
      disposeModel(model);
    }
  });

  it("run states: 'starting' before run(), pause() → 'pausing' until the step in flight ends → 'paused' (onPaused), resume() → 'running', stop() → 'stopped'", async () => {
    const model = newModel();
    const seen: {at: string; state: RunState}[] = [];
    let trainer!: Trainer;
    let resumed = false;
    trainer = new Trainer(model, volume, {...options, steps: 50}, {
      onProgress: (p) => {
        if (p.step === 2 && !resumed) {
          trainer.pause();
          seen.push({at: 'pause() during step 2', state: trainer.status});
        }
      },
      onPaused: (step) => seen.push({at: `onPaused(${step})`, state: trainer.status}),
      afterStep: async (step) => {
        if (step === 2) seen.push({at: 'after step 2', state: trainer.status});
      },
    });
    assert.equal(trainer.status, 'starting');
    trainer.pause();
    trainer.resume();
    trainer.stop();
    assert.equal(trainer.status, 'starting', 'pause, resume and stop do nothing before run()');
    const running = trainer.run();
    assert.equal(trainer.status, 'running');
    while (trainer.status !== 'paused') await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, [
      {at: 'pause() during step 2', state: 'pausing'},
      {at: 'after step 2', state: 'pausing'},
      {at: 'onPaused(2)', state: 'paused'},
    ]);
    assert.equal(trainer.status, 'paused');
    assert.equal(trainer.currentStep, 2);
    resumed = true;
    trainer.resume();
    assert.equal(trainer.status, 'running');
    while (trainer.currentStep < 3) await new Promise((r) => setTimeout(r, 10)); // stepping again
    // Pausing and resuming before the loop gets to wait: no onPaused, the loop goes on.
    trainer.pause();
    assert.equal(trainer.status, 'pausing');
    trainer.resume();
    assert.equal(trainer.status, 'running');
    trainer.pause();
    trainer.stop();
    assert.equal(trainer.status, 'stopped');
    assert.equal(await running, 'stopped');
    assert.equal(seen.filter((s) => s.at.startsWith('onPaused')).length, 1);
    for (const s of ['starting', 'running', 'pausing', 'paused'] as const) assert.ok(isActive(s) && !isFinal(s), s);
    for (const s of ['stopped', 'done', 'failed'] as const) assert.ok(!isActive(s) && isFinal(s), s);
    assert.ok(!isActive(undefined) && !isFinal(undefined));
    trainer.dispose();
    disposeModel(model);
  });
});
