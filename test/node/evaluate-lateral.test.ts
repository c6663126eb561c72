// `evaluate --lateral`: a quality figure without ground truth. Its numbers are those of the
// degradation test case built by hand from the training code (held-out planes of splitPlanes,
// matched section noise, degradeRows with one seeded Random along y then x), restored by cubic
// and by superResolvePlanes, measured with the project's PSNR and SSIM.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {Vec3} from '../../src/grid/box.ts';
import {main} from '../../src/cli/main.ts';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {degradeRows} from '../../src/degrade/degrade.ts';
import {lateralNoiseSigma, matchedSectionNoise} from '../../src/degrade/noise-estimate.ts';
import {superResolvePlanes} from '../../src/infer/planes.ts';
import {ssim2d} from '../../src/metrics/index.ts';
import {Random} from '../../src/util/random.ts';
import {splitPlanes, type TrainingVolume} from '../../src/train/data.ts';
import {Trainer} from '../../src/train/trainer.ts';
import {evaluateLateralCase, heldOutSubset, lateralRange} from '../../src/eval/lateral.ts';
import {lateralWindow} from '../../src/eval/lateral-input.ts';
import {runLateralFigure} from '../../plugin/training/run-lateral.ts';
import {writeVolume} from '../helpers/reconstruct-fixtures.ts';
import {tempDir} from '../helpers/fixtures.ts';

const RHO = 4;
const SHAPE: Vec3 = [40, 80, 80];
const NORMALISATION = {mean: 120, std: 45};

/** Smooth membranes-and-blobs texture with noise: structure along both lateral axes. */
function texture(shape: Vec3, seed = 7): Uint8Array {
  const [nz, ny, nx] = shape;
  const rng = new Random(seed);
  const data = new Uint8Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = 120 + 50 * Math.sin(x / 3.1 + z / 9) * Math.cos(y / 4.3 - z / 13) + 30 * Math.sin((x + 2 * y) / 7.7) + 6 * rng.normal();
        data[(z * ny + y) * nx + x] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return data;
}

function tinyGeneric(rhoRange: [number, number]): IsotropicModel {
  return createModel({config: presetConfig('tiny-generic'), rho: RHO, rhoRange, normalisation: NORMALISATION, dtype: 'uint8', channels: 1, trainingData: 'test'}, 11);
}

/** Runs the CLI; what it printed on stdout and stderr, and its exit code. */
async function cli(...args: string[]): Promise<{out: string[]; err: string; code: number}> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.exitCode = 0;
  try {
    await main(['node', 'ng-isotropic', ...args]);
  } finally {
    console.log = log;
    console.error = error;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return {out, err: err.join('\n'), code};
}

/** The case by hand: the planes training holds out of the window, degraded along y then x, scored as the figure says. */
async function byHand(data: Uint8Array, model: IsotropicModel): Promise<{cubic: {psnr: number; ssim: number}; model: {psnr: number; ssim: number}}> {
  // The window the command reads for --size 64 --planes 2: sections 8–23, rows and columns 8–71.
  const [z0, z1, e0, e1] = [8, 24, 8, 72];
  const [, ny, nx] = SHAPE;
  const n = e1 - e0;
  const box = new Float32Array((z1 - z0) * n * n);
  for (let z = z0; z < z1; z++) for (let y = e0; y < e1; y++) for (let x = e0; x < e1; x++) box[((z - z0) * n + y - e0) * n + x - e0] = data[(z * ny + y) * nx + x];
  const volume: TrainingVolume = {data: box, shape: [z1 - z0, n, n], rho: RHO, dtype: 'uint8', dataRange: 255};
  const split = splitPlanes(volume);
  assert.equal(split.validation.shape[0], 2, 'sections 12 and 20 are held out');
  const {mean, std} = NORMALISATION;
  const sigma = matchedSectionNoise(lateralNoiseSigma(split.train) / std, RHO);
  const degrade = {profile: 'box' as const, method: 'cubic' as const, rho: RHO, noise: {gaussianSigma: sigma, poissonGain: 0, sectionJitter: 0}};
  const rng = new Random(1);
  const truths: Float32Array[] = [];
  const inputs: Float32Array[] = [];
  for (const transpose of [false, true]) {
    for (let p = 0; p < 2; p++) {
      const truth = new Float32Array(n * n);
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) truth[r * n + c] = split.validation.data[p * n * n + (transpose ? c * n + r : r * n + c)];
      truths.push(truth);
      inputs.push(degradeRows(truth.map((v) => (v - mean) / std), n, n, degrade, rng));
    }
  }
  const restored: Float32Array[] = [];
  for (const axis of [0, 1]) {
    const planes = new Float32Array(2 * n * n);
    planes.set(inputs[2 * axis], 0);
    planes.set(inputs[2 * axis + 1], n * n);
    const out = await superResolvePlanes(model, planes, 2, n, n, {rho: RHO});
    restored.push(out.subarray(0, n * n), out.subarray(n * n));
  }
  const border = 2 * RHO;
  const score = (planes: Float32Array[]) => {
    let sq = 0, count = 0, ssim = 0;
    planes.forEach((plane, i) => {
      const a = Array.from(plane.subarray(border * n, (n - border) * n), (v) => Math.min(255, Math.max(0, v * std + mean)));
      const b = Array.from(truths[i].subarray(border * n, (n - border) * n));
      a.forEach((v, j) => (sq += (v - b[j]) ** 2));
      count += a.length;
      ssim += ssim2d(a, b, n, n - 2 * border, {dataRange: 255});
    });
    return {psnr: 10 * Math.log10((255 * 255) / (sq / count)), ssim: ssim / planes.length};
  };
  return {cubic: score(inputs), model: score(restored)};
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual}, expected ${expected}`);
}

describe('evaluate --lateral', () => {
  let dir: string;
  let volumePath: string;
  let modelPath: string;
  let narrowModelPath: string;
  let data: Uint8Array;
  let model: IsotropicModel;

  before(async () => {
    await initBackend(['cpu']);
    dir = await tempDir('ngi-evaluate-lateral-');
    data = texture(SHAPE);
    volumePath = path.join(dir, 'aniso.ome.zarr');
    await writeVolume(volumePath, data, SHAPE, [10 * RHO, 10, 10], [0, 0, 0]);
    model = tinyGeneric([2, 12]);
    modelPath = path.join(dir, 'model');
    await saveModel(model, fileHandler(modelPath));
    narrowModelPath = path.join(dir, 'narrow');
    const narrow = tinyGeneric([2, 3]);
    await saveModel(narrow, fileHandler(narrowModelPath));
    disposeModel(narrow);
  });
  after(async () => {
    disposeModel(model);
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('the window holds whole groups of 8 sections, so its held-out planes are those training holds out of the whole volume', () => {
    assert.deepEqual(lateralWindow([40, 80, 80], 64, 2), {start: [8, 8, 8], end: [24, 72, 72]});
    assert.deepEqual(lateralWindow([30, 512, 512], 512, 8), {start: [0, 0, 0], end: [30, 512, 512]});
    assert.deepEqual(lateralWindow([1000, 300, 900], 512, 8), {start: [464, 0, 194], end: [528, 300, 706]});
  });

  it('equals its degradation test case computed by hand with the training code; --json puts one object on the last line', async () => {
    const {out, err, code} = await cli('evaluate', volumePath, '--lateral', '--model', modelPath, '--size', '64', '--planes', '2', '--backend', 'cpu', '--json');
    assert.equal(code, 0, err);
    const text = out.join('\n');
    assert.match(text, /This is a proxy: lateral planes degraded like axial ones\. It cannot see section jitter or alignment errors/);
    assert.match(text, /2 held-out lateral planes of 64 × 64 \(sections 8–23, rows 8–71, columns 8–71\)/);
    const report = JSON.parse(out.at(-1)!);
    assert.equal(report.rho, RHO);
    assert.equal(report.planes, 2);
    assert.equal(report.border, 8);
    assert.equal(report.model.versionHash.length, 12);
    for (const method of ['cubic', 'model']) for (const metric of ['psnr', 'ssim']) assert.equal(typeof report.lateral[method][metric], 'number');
    const expected = await byHand(data, model);
    assertClose(report.lateral.cubic.psnr, expected.cubic.psnr, 'cubic PSNR');
    assertClose(report.lateral.cubic.ssim, expected.cubic.ssim, 'cubic SSIM');
    assertClose(report.lateral.model.psnr, expected.model.psnr, 'model PSNR');
    assertClose(report.lateral.model.ssim, expected.model.ssim, 'model SSIM');
    assert.notEqual(report.lateral.model.psnr, report.lateral.cubic.psnr);
    assert.ok(report.lateral.cubic.psnr > 15 && report.lateral.cubic.psnr < 60, `cubic PSNR ${report.lateral.cubic.psnr}`);
    assert.ok(report.noiseSigma > 0, 'matched section noise by default');
  });

  it('a model whose ρ range does not serve the volume is refused in words', async () => {
    const {code, err} = await cli('evaluate', volumePath, '--lateral', '--model', narrowModelPath, '--backend', 'cpu');
    assert.equal(code, 1);
    assert.match(err, /model serves anisotropies ρ = 2–3 \(z spacing \/ lateral spacing\), but the data "[^"]*" has ρ = 4: train a model on this data/);
  });

  it('2-D input, planes too small for ρ, and neither --truth nor --lateral get clear errors', async () => {
    const flat = path.join(dir, 'flat.ome.zarr');
    await writeVolume(flat, texture([1, 80, 80]), [1, 80, 80], [40, 10, 10], [0, 0, 0]);
    let r = await cli('evaluate', flat, '--lateral', '--model', modelPath, '--backend', 'cpu');
    assert.equal(r.code, 1);
    assert.match(r.err, /is not 3-D data/);
    const small = path.join(dir, 'small.ome.zarr');
    await writeVolume(small, texture([16, 30, 30]), [16, 30, 30], [40, 10, 10], [0, 0, 0]);
    r = await cli('evaluate', small, '--lateral', '--model', modelPath, '--backend', 'cpu');
    assert.equal(r.code, 1);
    assert.match(r.err, /lateral planes of 30 × 30 voxels \(y × x\) are too small to measure at ρ = 4: 8 rows are excluded at each end of the degraded axis, so they need at least 32 × 32/);
    r = await cli('evaluate', volumePath, '--model', modelPath);
    assert.equal(r.code, 1);
    assert.match(r.err, /evaluate needs either --truth <volume> \(against ground truth\) or --lateral \(without one\)/);
  });

  it('the training panel measures the same figure on the planes its run held out, degraded as the run degraded', async () => {
    const volume: TrainingVolume = {data: Float32Array.from(data), shape: SHAPE, rho: RHO, dtype: 'uint8', dataRange: 255};
    const trained = tinyGeneric([2, 12]);
    const trainer = new Trainer(trained, volume, {steps: 1, batchSize: 2, patchSize: 16, validationPatches: 2, sectionNoise: 'matched'});
    try {
      const {figure, reason} = await runLateralFigure(trainer, {model: trained, volume, optimizerState: {}});
      assert.equal(reason, undefined);
      const held = trainer.heldOut;
      assert.deepEqual(held.planes.shape, [5, 80, 80], 'sections 4, 12, 20, 28, 36');
      const subset = heldOutSubset(held.planes, 4, 256);
      assert.deepEqual(subset.shape, [4, 80, 80]);
      const expected = await evaluateLateralCase({planes: subset, rho: RHO, normalisation: held.normalisation, degrade: held.degrade, ...lateralRange('uint8', subset)}, {model: trained});
      assert.deepEqual(figure, expected);
      assert.ok(held.degrade.noise!.gaussianSigma > 0, "the run's matched noise");

      trained.metadata.rhoRange = [2, 3];
      const refused = await runLateralFigure(trainer, {model: trained, volume, optimizerState: {}});
      assert.deepEqual(refused, {reason: "the model does not serve the region's ρ = 4"});
    } finally {
      trainer.dispose();
      disposeModel(trained);
    }
  });
});
