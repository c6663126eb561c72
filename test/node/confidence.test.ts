// The per-voxel confidence: what it is made of (the spread of the network's estimates over test-time mirrorings),
// where it is high and low, and that the staged computation (the viewer's) gives the one-go one (batch).
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig, sizeMultiple} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {readLocalCrop} from '../helpers/inputs.ts';
import {cropBox, type Box3} from '../../src/grid/box.ts';
import {isotropicGrid, planChunk, type ChunkPlanOptions} from '../../src/chunk/plan.ts';
import {computeIsotropicChunk, computeIsotropicChunkStaged} from '../../src/chunk/compute.ts';
import {computeIsotropicBlock, computeIsotropicBlockStaged} from '../../src/chunk/block.ts';
import {planeResultCache} from '../../src/chunk/plane-cache.ts';
import type {RegionReader} from '../../src/grid/region-reader.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {calibration, confidenceFromEstimates, CONFIDENCE_MEANING, ERROR_SCALE, ESTIMATED_ERROR_PER_SPREAD, LOW_CONFIDENCE, SECTION_WEIGHT_FLOOR} from '../../src/infer/confidence.ts';
import {mirrorPlanes} from '../../src/infer/planes.ts';

const EXAMPLE = path.resolve('examples/medulla-aniso.ome.zarr');
const shape: Vec3 = [12, 48, 96];
const rho = 4;

describe('confidence', () => {
  let model: IsotropicModel;
  let identity: IsotropicModel;
  let volume: Float32Array;
  let options: ChunkPlanOptions;
  const reader = (v: Float32Array): RegionReader => async (box) => cropBox(v, {start: [0, 0, 0], end: shape}, box);
  const grid = isotropicGrid(shape, rho);
  const whole: Box3 = {start: [0, 0, 0], end: grid.shape};

  before(async () => {
    await initBackend(['wasm']);
    volume = await readLocalCrop(EXAMPLE, [20, 80, 100], shape);
    const metadata = {config: presetConfig('tiny'), rho, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1};
    model = createModel(metadata, 3);
    // The network's output is its input plus a residual from the last convolution: zero it, and every plane comes back exactly.
    identity = createModel(metadata, 3);
    for (const name of ['projection.w', 'projection.b']) identity.params.get(name)!.assign(tf.zerosLike(identity.params.get(name)!));
    const multiple = sizeMultiple(model.metadata.config);
    options = {halo: multiple, multiple, fuse: 'xz+yz', interpolation: 'cubic'};
  });
  after(() => {
    disposeModel(model);
    disposeModel(identity);
  });

  it('a network that gives back every plane exactly, mirrored or not: confidence 1 everywhere', async () => {
    const plan = planChunk(grid, whole, options);
    const {confidence} = await computeIsotropicChunk(plan, reader(volume), identity, {fuse: 'xz+yz', interpolation: 'cubic', confidence: true});
    assert.ok(confidence);
    assert.equal(confidence.length, 48 * 48 * 96);
    // 1 but for float rounding in the spread's sums.
    const lowest = confidence.reduce((m, c) => Math.min(m, c), 1);
    assert.ok(lowest > 0.999, `lowest ${lowest}`);
  });

  it('high on a featureless region, low where the mirrored estimates disagree (a random network on texture)', async () => {
    // Left half of x uniform grey, right half the example's texture.
    const half = volume.map((v, i) => (i % 96 < 48 ? 128 : v));
    const plan = planChunk(grid, whole, options);
    const {confidence} = await computeIsotropicChunk(plan, reader(half), model, {fuse: 'xz+yz', interpolation: 'cubic', confidence: true});
    const mean = (x0: number, x1: number) => {
      let s = 0, n = 0;
      for (let i = 0; i < confidence!.length; i++) if (i % 96 >= x0 && i % 96 < x1) (s += confidence![i]), n++;
      return s / n;
    };
    const [flat, textured] = [mean(0, 24), mean(72, 96)];
    assert.ok(flat > 0.95, `featureless: mean confidence ${flat.toFixed(3)}`);
    assert.ok(textured < flat - 0.1, `textured: mean confidence ${textured.toFixed(3)} vs featureless ${flat.toFixed(3)}`);
    assert.ok(confidence!.every((c) => c >= 0 && c <= 1));
  });

  it('the staged confidence (after the image stages) equals the one-go confidence; neighbours share cached planes', async () => {
    const read = reader(volume);
    const cache = planeResultCache(64 * 2 ** 20);
    for (const [i, box] of ([{start: [0, 10, 0], end: [48, 12, 96]}, {start: [0, 12, 0], end: [48, 14, 96]}, {start: [0, 0, 40], end: [48, 48, 42]}] as Box3[]).entries()) {
      const plan = planChunk(grid, box, options);
      const oneGo = await computeIsotropicChunk(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic', confidence: true});
      const staged = await computeIsotropicChunkStaged(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic', confidence: true, planeCache: {cache, prefix: 't'}});
      assert.equal(staged.first.confidence, undefined, 'the image stages carry no confidence');
      assert.ok(staged.confidence);
      if (i === 0) assert.ok(staged.rest, 'a thin xz chunk comes in two stages');
      if (staged.rest) assert.deepEqual([...(await staged.rest()).data], [...oneGo.data]);
      const first = staged.confidence();
      assert.equal(staged.confidence(), first, 'a repeated call gets the same promise');
      assert.deepEqual([...(await first)], [...oneGo.confidence!], `chunk ${i}`);
    }
    // Without the option there is none; without a model neither.
    const plan = planChunk(grid, {start: [0, 10, 0], end: [48, 12, 96]}, options);
    assert.equal((await computeIsotropicChunkStaged(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'})).confidence, undefined);
    assert.equal((await computeIsotropicChunk(plan, read, undefined, {fuse: 'xz+yz', interpolation: 'cubic', confidence: true})).confidence, undefined);
  });

  it('blocks: the confidence comes in stored order, like the data, staged or not', async () => {
    const input = {shape, rho, coarse: 'z' as const, read: reader(volume)};
    const box: Box3 = {start: [8, 4, 0], end: [24, 6, 96]};
    const oneGo = await computeIsotropicBlock(input, box, model, {fuse: 'xz+yz', confidence: true});
    const staged = await computeIsotropicBlockStaged(input, box, model, {fuse: 'xz+yz', confidence: true});
    assert.equal(oneGo.confidence!.length, oneGo.data.length);
    assert.deepEqual([...(await staged.confidence!())], [...oneGo.confidence!]);
    // The same box of a whole-volume computation.
    const all = await computeIsotropicBlock(input, whole, model, {fuse: 'xz+yz', confidence: true});
    const crop = cropBox(all.confidence!, whole, box);
    let worst = 0;
    for (let i = 0; i < crop.length; i++) worst = Math.max(worst, Math.abs(crop[i] - oneGo.confidence![i]));
    assert.ok(worst < 0.02, `largest difference from the whole volume's ${worst}`);
  });

  it('from estimates: 1 where they agree, ½ at an expected error of E, lower as they spread', () => {
    const result = Float32Array.of(0.5, 0.5, 0.5, 0.5);
    // One axis, three mirrored estimates equal to the result ± d (normalised units).
    const spreadOf = (d: number) => [0.5, 0.5 + d, 0.5 - d, 0.5];
    const ds = [0, 0.01, 0.1, 0];
    const sum = Float32Array.from(ds, (d) => spreadOf(d).slice(1).reduce((s, v) => s + v, 0));
    const squares = Float32Array.from(ds, (d) => spreadOf(d).slice(1).reduce((s, v) => s + v * v, 0));
    // Voxel 3: an estimated error of exactly E.
    // Every voxel 0.4 section spacings from a section: the spread weighs SECTION_WEIGHT_FLOOR + 0.4.
    const weight = SECTION_WEIGHT_FLOOR + 0.4;
    const stdOfE = (ERROR_SCALE / ESTIMATED_ERROR_PER_SPREAD / weight) * Math.sqrt(2); // estimates {r, r+a, r−a, r}: std a/√2
    sum[3] = 3 * 0.5;
    squares[3] = 0.25 + (0.5 + stdOfE) ** 2 + (0.5 - stdOfE) ** 2;
    const c = confidenceFromEstimates([{result, mirrored: {count: 3, sum, squares}}], [0.4], 1);
    assert.equal(c[0], 1);
    assert.ok(c[1] > c[2] && c[1] < 1 && c[2] > 0, `${c[1]}, ${c[2]}`);
    // Nearer a section the same spread is trusted more.
    const onSection = confidenceFromEstimates([{result, mirrored: {count: 3, sum, squares}}], [0], 1);
    assert.ok(onSection[2] > c[2], `${onSection[2]} on a section vs ${c[2]} between`);
    assert.ok(Math.abs(c[3] - 0.5) < 1e-3, `${c[3]}`);
    assert.ok(LOW_CONFIDENCE > 0 && LOW_CONFIDENCE < 1);
    assert.match(CONFIDENCE_MEANING, /network/);
  });

  it('calibration: the share of squared error in the least confident 10 %, and Spearman', () => {
    const error = Float32Array.from({length: 1000}, (_, i) => (i % 10 === 0 ? 10 : 1) * (i % 2 ? 1 : -1));
    const perfect = calibration(error.map((e) => -Math.abs(e)), error);
    assert.ok(Math.abs(perfect.lowShare - 100 * 100 / (100 * 100 + 900)) < 1e-9, `${perfect.lowShare}`);
    assert.ok(perfect.spearman < -0.99);
    const blind = calibration(new Float32Array(1000).fill(1), error);
    assert.equal(blind.spearman, 0);
    assert.throws(() => calibration([1, 2], [1]), /one error per confidence value/);
  });

  it('mirroring planes is its own inverse', () => {
    const planes = Float32Array.from({length: 2 * 3 * 4}, (_, i) => i);
    for (const m of ['rows', 'cols', 'both'] as const) assert.deepEqual([...mirrorPlanes(mirrorPlanes(planes, 2, 3, 4, m), 2, 3, 4, m)], [...planes]);
    assert.deepEqual([...mirrorPlanes(planes, 1, 3, 4, 'cols').slice(0, 4)], [3, 2, 1, 0]);
    assert.deepEqual([...mirrorPlanes(planes, 1, 3, 4, 'rows').slice(0, 4)], [8, 9, 10, 11]);
  });
});
