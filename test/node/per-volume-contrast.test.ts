// A generic model's per-volume contrast and the generic training data: robust contrast, volumes of
// other sizes, spacings and contrasts mixed, pixel-size augmentation, the ρ range 1.5–16.
import {describe, it, before} from 'node:test';
import assert from 'node:assert/strict';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {checkModelFits, createModel, disposeModel, normalisationFor} from '../../src/model/model.ts';
import {robustContrast} from '../../src/volume/contrast.ts';
import {contrastSampleBox} from '../../src/volume/input-contrast.ts';
import {areaResample} from '../../src/degrade/area-resample.ts';
import {sampleLateralPatches} from '../../src/degrade/patches.ts';
import {combinedTrainingSource} from '../../src/train/combined-source.ts';
import {DEFAULT_RHO_RANGE, prepareTraining, type TrainingSource} from '../../src/train/session.ts';
import {Trainer} from '../../src/train/trainer.ts';
import {Random} from '../../src/util/random.ts';
import type {Vec3} from '../../src/grid/box.ts';

function texture(shape: Vec3, seed: number, map = (v: number) => v): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({length: shape[0] * shape[1] * shape[2]}, () => map(Math.round(40 + rng.next() * 160)));
}

function source(data: Float32Array, shape: Vec3, lateral: number, rho: number): TrainingSource {
  return {rho, unit: 'nanometer', dtype: 'uint8', scale: [lateral * rho, lateral, lateral], read: async () => ({data, shape})};
}

describe('robust contrast', () => {
  it('follows a change of gain and offset exactly, and ignores a few saturated voxels', () => {
    const data = texture([4, 32, 32], 1);
    const c = robustContrast(data);
    const scaled = robustContrast(data.map((v) => 0.7 * v + 30));
    assert.ok(Math.abs(scaled.mean - (0.7 * c.mean + 30)) < 1e-4);
    assert.ok(Math.abs(scaled.std - 0.7 * c.std) < 1e-4);
    const saturated = data.slice();
    for (let i = 0; i < saturated.length; i += 200) saturated[i] = 255; // 0.5 % of the voxels
    assert.ok(Math.abs(robustContrast(saturated).std - c.std) / c.std < 0.03);
    // Uniform 40…200: median 120, and (p99 − p1) / 4.65 of a 160-wide uniform.
    assert.ok(Math.abs(c.mean - 120) <= 2, `median ${c.mean}`);
    assert.ok(Math.abs(c.std - (0.98 * 160) / 4.6527) < 1.5, `spread ${c.std}`);
  });

  it('is measured on a central box of the base level, the whole of a small one', () => {
    assert.deepEqual(contrastSampleBox([30, 300, 300]), {start: [0, 0, 0], end: [30, 300, 300]});
    const big = contrastSampleBox([1000, 4096, 4096]);
    const size = big.end.map((e, i) => e - big.start[i]);
    assert.deepEqual(size, [64, 256, 256]);
    assert.deepEqual(big.start, [468, 1920, 1920]);
  });

  it('a per-volume model is normalised by the volume\'s contrast, a fixed one by its own numbers', () => {
    const make = (perVolume: boolean) =>
      createModel({config: presetConfig('tiny-generic'), rho: 1, rhoRange: [1.5, 16], normalisation: {mean: 100, std: 20, perVolume}, dtype: 'uint8', channels: 1});
    const [fixed, own] = [make(false), make(true)];
    try {
      assert.deepEqual(normalisationFor(fixed, {mean: 50, std: 5}), {mean: 100, std: 20, perVolume: false});
      assert.deepEqual(normalisationFor(own, {mean: 50, std: 5}), {mean: 50, std: 5});
      assert.throws(() => normalisationFor(own), /its own contrast: measure it first/);
      // Its own contrast makes it fit any data type; a fixed one keeps to its own.
      assert.doesNotThrow(() => checkModelFits(own.metadata, {rho: 12.5, dtype: 'uint16'}));
      assert.throws(() => checkModelFits(fixed.metadata, {rho: 12.5, dtype: 'uint16'}), /trained on uint8 data/);
    } finally {
      disposeModel(fixed);
      disposeModel(own);
    }
  });
});

describe('the ρ range 1.5–16', () => {
  it('is a new generic model\'s default, serves ρ 14, 16 and the 2 % rounding, and refuses ρ 17 in words', () => {
    assert.deepEqual(DEFAULT_RHO_RANGE, [1.5, 16]);
    const m = createModel({config: presetConfig('tiny-generic'), rho: 1, rhoRange: DEFAULT_RHO_RANGE, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1});
    try {
      for (const rho of [1.5, 12.5, 14, 16, 16.3]) assert.doesNotThrow(() => checkModelFits(m.metadata, {rho}));
      assert.throws(() => checkModelFits(m.metadata, {rho: 17, name: 'thick sections'}), /model serves anisotropies ρ = 1\.5–16 .*"thick sections" has ρ = 17: train a model on this data/);
    } finally {
      disposeModel(m);
    }
  });
});

describe('pixel-size augmentation', () => {
  it('areaResample averages the area each output pixel covers', () => {
    assert.deepEqual([...areaResample([1, 3, 5, 7], 2, 2, 1, 1)], [4]);
    // 3 → 2 along a row: [a, b/2] / 1.5 and [b/2, c] / 1.5.
    const row = areaResample([0, 3, 6], 1, 3, 1, 2);
    assert.ok(Math.abs(row[0] - 1) < 1e-6 && Math.abs(row[1] - 5) < 1e-6, String([...row]));
    assert.ok(areaResample(new Float32Array(35).fill(9), 5, 7, 3, 4).every((v) => Math.abs(v - 9) < 1e-5));
    assert.throws(() => areaResample([1, 2], 1, 2, 1, 3), /shrinks/);
  });

  it('shrinks zoomed patches from larger blocks: a ramp of slope 1 gets steeper steps, an unzoomed one keeps them', () => {
    const [nz, ny, nx] = [2, 200, 200];
    const ramp = {data: Float32Array.from({length: nz * ny * nx}, (_, i) => (i % nx) + Math.floor(i / nx) % ny), shape: [nz, ny, nx] as const};
    const steps = (zoom?: {max: number; share: number}) => {
      const p = sampleLateralPatches(ramp, 16, 16, new Random(4), (v) => v, 8, zoom);
      const slopes: number[] = [];
      for (let k = 0; k < 16; k++) slopes.push(Math.abs(p[k * 32 * 16 + 1] - p[k * 32 * 16])); // first row: a step along the columns
      return slopes;
    };
    assert.ok(steps().every((s) => Math.abs(s - 1) < 1e-6));
    const zoomed = steps({max: 3, share: 1});
    assert.ok(zoomed.every((s) => s > 1 + 1e-3 && s <= 3 + 1e-3), String(zoomed));
    assert.ok(Math.max(...zoomed) - Math.min(...zoomed) > 0.3, 'factors are drawn, not fixed');
  });
});

describe('generic training on mixed volumes', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  it('tiles volumes of other sizes and spacings and maps each onto the first\'s contrast', async () => {
    const a = texture([3, 40, 40], 1);
    const b = texture([2, 90, 85], 2, (v) => 0.5 * v + 70); // other size, pixel and contrast
    const mixed = combinedTrainingSource([source(a, [3, 40, 40], 10, 1), source(b, [2, 90, 85], 4, 12.5)], ['a', 'b'], {mixed: true});
    const {data, shape} = await mixed.read();
    // b's planes give 2 × 2 tiles of 40² each.
    assert.deepEqual(shape, [3 + 2 * 4, 40, 40]);
    const part = (from: number, to: number) => (data as Float32Array).subarray(from * 1600, to * 1600);
    const ca = robustContrast(part(0, 3)), cb = robustContrast(part(3, 11));
    assert.ok(Math.abs(ca.mean - cb.mean) < 3 && Math.abs(ca.std - cb.std) / ca.std < 0.05, `${JSON.stringify(ca)} vs ${JSON.stringify(cb)}`);
    // Without `mixed`, other spacings are refused as before.
    assert.throws(() => combinedTrainingSource([source(a, [3, 40, 40], 10, 1), source(b, [2, 90, 85], 4, 12.5)], ['a', 'b']), /differ in lateral spacing/);
  });

  it('a per-volume model learns from the same batches whatever the volume\'s gain and offset', async () => {
    const shape: Vec3 = [6, 48, 48];
    const data = texture(shape, 3);
    const batchOf = async (d: Float32Array) => {
      const {model, volume} = await prepareTraining(source(d, shape, 10, 1), {preset: 'tiny-generic', trainingData: 't', rhoRange: [1.5, 16]});
      assert.equal(model.metadata.normalisation.perVolume, true);
      const trainer = new Trainer(model, volume, {batchSize: 2, patchSize: 16, lateralZoom: {max: 2, share: 0.5}});
      try {
        return (trainer as unknown as {data: {batch(step: number): {input: Float32Array; target: Float32Array}}}).data.batch(5);
      } finally {
        trainer.dispose();
        disposeModel(model);
      }
    };
    const plain = await batchOf(data);
    const scaled = await batchOf(data.map((v) => 0.7 * v + 30));
    let diff = 0;
    for (let i = 0; i < plain.target.length; i++) diff = Math.max(diff, Math.abs(plain.target[i] - scaled.target[i]), Math.abs(plain.input[i] - scaled.input[i]));
    assert.ok(diff < 1e-4, `max difference ${diff}`);
  });

  it('--per-volume-contrast moves a fine-tuned fixed-contrast model to the volume\'s own contrast; credits add up', async () => {
    const shape: Vec3 = [4, 32, 32];
    const data = texture(shape, 5);
    const init = createModel({config: presetConfig('tiny-generic'), rho: 1, rhoRange: [2, 12], normalisation: {mean: 132, std: 34}, dtype: 'uint8', channels: 1, credit: 'FlyEM'});
    const {model} = await prepareTraining(source(data, shape, 10, 1), {
      trainingData: 't',
      credit: 'ssTEM lab; FlyEM',
      initFrom: {model: init, extra: {}},
      rhoRange: [1.5, 16],
      perVolumeContrast: true,
    });
    try {
      assert.deepEqual(model.metadata.normalisation, {...robustContrast(data), perVolume: true});
      assert.deepEqual(model.metadata.rhoRange, [1.5, 16]);
      // The init model's credit stays, the new data's is added, each once.
      assert.equal(model.metadata.credit, 'FlyEM; ssTEM lab');
    } finally {
      disposeModel(model);
    }
  });
});
