import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig, sizeMultiple} from '../../src/model/config.ts';
import * as tf from '@tensorflow/tfjs';
import {createModel, disposeModel, predict, type IsotropicModel} from '../../src/model/model.ts';
import {measureForwardMemory, pixelsWithin} from '../../src/model/memory.ts';
import {openLocal, readLocalBase, readLocalCrop} from '../helpers/inputs.ts';
import {MissingChunkError} from '../../src/input/store.ts';
import {decodedBlockBytes} from '../../src/input/block-region.ts';
import type {DecodedBlock} from '../../src/input/types.ts';
import {reconstructVolume} from '../../src/infer/volume.ts';
import {upsampleZ, isotropicPositions} from '../../src/resample/axial.ts';
import {boxSize, cropBox, type Box3} from '../../src/grid/box.ts';
import {framePermutation, frameReader, inversePermutation, permuteBox, permuteVec, transposeVolume} from '../../src/grid/frame.ts';
import {contextRange, isotropicGrid, planChunk} from '../../src/chunk/plan.ts';
import {computeIsotropicChunk} from '../../src/chunk/compute.ts';
import {type RegionReader} from '../../src/grid/region-reader.ts';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';
import {ExclusiveQueue} from '../../src/chunk/exclusive-queue.ts';
import {toDtype} from '../../src/chunk/dtype.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {tempDir} from '../helpers/fixtures.ts';

const EXAMPLE = path.resolve('examples/medulla-aniso.ome.zarr');

/** A reader over an in-memory volume that counts what it was asked for. */
function memoryReader(data: Float32Array, shape: Vec3, log: Box3[] = []): RegionReader {
  return async (box) => {
    log.push(box);
    return cropBox(data, {start: [0, 0, 0], end: shape}, box);
  };
}

describe('chunk plan arithmetic', () => {
  it('integer ρ: the window is aligned to the size multiple, clipped at the volume, and the sections cover the B-spline taps', () => {
    const grid = isotropicGrid([63, 250, 250], 4);
    assert.deepEqual(grid.shape, [252, 250, 250]);
    const plan = planChunk(grid, {start: [64, 0, 0], end: [128, 8, 256]}, {halo: 32, multiple: 32, fuse: 'xz', interpolation: 'cubic'});
    assert.deepEqual(plan.output, {start: [64, 0, 0], end: [128, 8, 250]});
    assert.deepEqual(plan.window, {start: [32, 0, 0], end: [160, 8, 250]});
    // Slice 32 sits at section (32 − 1.5)/4 = 7.625, slice 159 at 39.375; 1 + 8 sections below, 3 + 8 above.
    assert.deepEqual(plan.read, {start: [0, 0, 0], end: [50, 8, 250]});
    const all = isotropicPositions(63, 4);
    assert.equal(plan.positions.length, 128);
    assert.equal(plan.positions[0], all[32]);
    assert.equal(plan.positions[127], all[159]);
  });

  it('non-integer ρ: positions are relative to the first section read, and every cubic tap lies inside the read', () => {
    const grid = isotropicGrid([40, 50, 300], 2.5);
    assert.deepEqual(grid.shape, [100, 50, 300]);
    const plan = planChunk(grid, {start: [60, 16, 128], end: [80, 24, 160]}, {halo: 16, multiple: 8, fuse: 'xz+yz', interpolation: 'cubic'});
    assert.deepEqual(plan.window, {start: [40, 0, 112], end: [96, 40, 176]});
    const s0 = plan.read.start[0];
    const all = isotropicPositions(40, 2.5);
    plan.positions.forEach((t, i) => assert.ok(Math.abs(t + s0 - all[40 + i]) < 1e-12));
    const sections = plan.read.end[0] - plan.read.start[0];
    assert.ok(Math.floor(plan.positions[0]) - 1 >= 0 || s0 === 0);
    assert.ok(Math.floor(plan.positions.at(-1)!) + 2 < sections || plan.read.end[0] === 40);
    for (const [a, b] of [[plan.window.start[0], plan.window.end[0]], [plan.window.start[2], plan.window.end[2]]]) {
      assert.equal(a % 8, 0);
      assert.equal((b - a) % 8, 0);
    }
  });

  it('chunks at the far edges are clipped, and their windows end at the volume', () => {
    const grid = isotropicGrid([25, 100, 100], 2.5); // 62.5 → 63 slices
    assert.equal(grid.shape[0], 63);
    const plan = planChunk(grid, {start: [48, 96, 96], end: [64, 104, 104]}, {halo: 8, multiple: 8, fuse: 'xz', interpolation: 'cubic'});
    assert.deepEqual(plan.output, {start: [48, 96, 96], end: [63, 100, 100]});
    assert.equal(plan.window.end[0], 63);
    assert.equal(plan.window.end[2], 100);
    assert.equal(plan.read.end[0], 25);
  });

  it('without a network there is no halo; linear interpolation reads only its two taps', () => {
    const grid = isotropicGrid([10, 20, 20], 4);
    const plan = planChunk(grid, {start: [8, 4, 4], end: [16, 12, 12]}, {halo: 0, multiple: 1, fuse: 'xz', interpolation: 'linear'});
    assert.deepEqual(plan.window, plan.output);
    // slices 8..15 sit at sections 1.625 .. 3.375
    assert.deepEqual([plan.read.start[0], plan.read.end[0]], [1, 5]);
    assert.equal(contextRange(3, 9, 20, 0, 8).join(), '3,9');
  });

  it('a chunk outside the volume is an error', () => {
    assert.throws(() => planChunk(isotropicGrid([4, 4, 4], 2), {start: [8, 0, 0], end: [16, 4, 4]}, {halo: 0, multiple: 1, fuse: 'xz', interpolation: 'cubic'}), /outside/);
  });
});

describe('chunk computation agrees with the whole-volume pass', () => {
  let model: IsotropicModel;
  let volume: Float32Array;
  const shape: Vec3 = [12, 24, 96];
  const rho = 4;

  before(async () => {
    await initBackend(['wasm']);
    volume = await readLocalCrop(EXAMPLE, [20, 100, 100], shape);
    model = createModel({config: presetConfig('tiny'), rho, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1}, 3);
  });
  after(() => disposeModel(model));

  it('interpolation alone: chunks equal the whole-axis cubic B-spline (prefilter margin)', async () => {
    const whole = upsampleZ(volume, shape, rho, 'cubic');
    const grid = isotropicGrid(shape, rho);
    let worst = 0;
    for (let z0 = 0; z0 < grid.shape[0]; z0 += 16) {
      const box: Box3 = {start: [z0, 0, 0], end: [z0 + 16, 24, 96]};
      const plan = planChunk(grid, box, {halo: 0, multiple: 1, fuse: 'xz', interpolation: 'cubic'});
      const {data} = await computeIsotropicChunk(plan, memoryReader(volume, shape), undefined, {fuse: 'xz', interpolation: 'cubic'});
      const ref = cropBox(whole.data, {start: [0, 0, 0], end: whole.shape}, plan.output);
      for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - ref[i]));
    }
    assert.ok(worst < 0.01, `largest difference ${worst} grey levels`);
  });

  for (const fuse of ['xz', 'xz+yz'] as const) {
    it(`network (${fuse}): adjacent chunks with halos agree with one whole-volume computation (no seams)`, async () => {
      const whole = await reconstructVolume(model, {data: volume, shape}, {fuse});
      const grid = isotropicGrid(shape, rho);
      const halo = 2 * sizeMultiple(model.metadata.config);
      let worst = 0;
      let reads = 0;
      for (let z0 = 0; z0 < grid.shape[0]; z0 += 16) {
        for (let y0 = 0; y0 < 24; y0 += 8) {
          for (let x0 = 0; x0 < 96; x0 += 32) {
            const plan = planChunk(grid, {start: [z0, y0, x0], end: [z0 + 16, y0 + 8, x0 + 32]}, {halo, multiple: sizeMultiple(model.metadata.config), fuse, interpolation: 'cubic'});
            const log: Box3[] = [];
            const {data, networkPixels} = await computeIsotropicChunk(plan, memoryReader(volume, shape, log), model, {fuse, interpolation: 'cubic'});
            reads += log.length;
            assert.ok(networkPixels > 0);
            const ref = cropBox(whole.data, {start: [0, 0, 0], end: whole.shape}, plan.output);
            for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - ref[i]));
          }
        }
      }
      assert.equal(reads, 3 * 3 * 3);
      // The network sees less context at window edges; the halo keeps that out of the output.
      assert.ok(worst < 0.02 * 255, `largest difference ${worst.toFixed(3)} grey levels`);
    });
  }

  it('a chunk window narrower than the volume really is computed from its window (a different model changes it)', async () => {
    const grid = isotropicGrid(shape, rho);
    const plan = planChunk(grid, {start: [16, 0, 32], end: [32, 8, 64]}, {halo: 8, multiple: 8, fuse: 'xz', interpolation: 'cubic'});
    assert.ok(plan.window.end[2] - plan.window.start[2] < 96);
    const other = createModel({...model.metadata}, 4);
    try {
      const a = await computeIsotropicChunk(plan, memoryReader(volume, shape), model, {fuse: 'xz', interpolation: 'cubic'});
      const b = await computeIsotropicChunk(plan, memoryReader(volume, shape), other, {fuse: 'xz', interpolation: 'cubic'});
      let diff = 0;
      for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
      assert.ok(diff > 1, `two models gave the same chunk (max difference ${diff})`);
    } finally {
      disposeModel(other);
    }
  });

  it('network calls sized for a memory budget stay within it (measured peak of the pass)', async () => {
    for (const preset of ['tiny', 'default']) {
      const m = createModel({...model.metadata, config: presetConfig(preset)}, 5);
      try {
        const budget = 96 * 2 ** 20;
        const pixels = pixelsWithin(m, await measureForwardMemory(m), budget);
        // A call's pixels are counted padded to the size multiple (src/infer/planes.ts): the largest such square.
        const multiple = sizeMultiple(m.metadata.config);
        const side = Math.floor(Math.sqrt(pixels) / multiple) * multiple;
        assert.ok(side >= 32, `${preset}: only ${pixels} pixels fit`);
        const x = tf.zeros([1, side, side, 1]) as tf.Tensor4D;
        const before = tf.memory().numBytes;
        const info = await tf.profile(() => predict(m, x));
        tf.dispose([x, info.result as tf.Tensor]);
        const weights = [...m.params.values()].reduce((s, v) => s + v.size * 4, 0);
        const held = weights + (info.peakBytes - before);
        assert.ok(held <= budget, `${preset}: a ${side}² call peaked at ${(held / 2 ** 20).toFixed(1)} MB of a ${budget / 2 ** 20} MB budget`);
        // …and it is not needlessly small: twice the side would not fit.
        assert.ok(pixelsWithin(m, await measureForwardMemory(m), budget) < 4 * side * side);
      } finally {
        disposeModel(m);
      }
    }
  });

  it('a volume whose coarse axis is x gives the same chunks, transposed, as the same data stored with z coarse', async () => {
    // W holds the test volume with axes (y, x, sections) stored as z, y, x: its coarse axis is x.
    const stored = transposeVolume(volume, shape, [1, 2, 0]);
    const storedShape: Vec3 = [shape[1], shape[2], shape[0]];
    const frame = framePermutation('x');
    assert.deepEqual(permuteVec(storedShape, frame), shape);
    const grid = isotropicGrid(permuteVec(storedShape, frame), rho);
    const storedBox: Box3 = {start: [0, 16, 8], end: [8, 48, 24]}; // y 0–8, x 16–48, isotropic "x" 8–24
    const box = permuteBox(storedBox, frame);
    const options = {halo: 8, multiple: 8, fuse: 'xz' as const, interpolation: 'cubic' as const};
    const viaFrame = await computeIsotropicChunk(planChunk(grid, box, options), frameReader(memoryReader(stored, storedShape), frame), model, {fuse: 'xz', interpolation: 'cubic'});
    const direct = await computeIsotropicChunk(planChunk(grid, box, options), memoryReader(volume, shape), model, {fuse: 'xz', interpolation: 'cubic'});
    assert.deepEqual([...viaFrame.data], [...direct.data]);
    const back = transposeVolume(viaFrame.data, boxSize(box), inversePermutation(frame));
    assert.equal(back.length, 8 * 32 * 16);
    // Voxel (y 2, x 5, iso 3) of the stored box is frame voxel (iso 3, y 2, x 5).
    assert.equal(back[(2 * 32 + 5) * 16 + 3], viaFrame.data[(3 * 8 + 2) * 32 + 5]);
  });

  it('an aborted chunk stops before the network runs', async () => {
    const grid = isotropicGrid(shape, rho);
    const plan = planChunk(grid, {start: [0, 0, 0], end: [16, 8, 32]}, {halo: 8, multiple: 8, fuse: 'xz', interpolation: 'cubic'});
    const controller = new AbortController();
    const read: RegionReader = async (box, signal) => {
      controller.abort(new Error('chunk left the view'));
      signal?.throwIfAborted();
      return cropBox(volume, {start: [0, 0, 0], end: shape}, box);
    };
    await assert.rejects(computeIsotropicChunk(plan, read, model, {fuse: 'xz', interpolation: 'cubic', signal: controller.signal}), /left the view/);
  });
});

describe('conversion to the input data type', () => {
  it('rounds and clamps', () => {
    assert.deepEqual([...toDtype(Float32Array.of(-3, 0.4, 0.6, 254.5, 300), 'uint8')], [0, 0, 1, 255, 255]);
    assert.deepEqual([...toDtype(Float32Array.of(-1, 70000, 1234.4), 'uint16')], [0, 65535, 1234]);
    assert.throws(() => toDtype(new Float32Array(1), 'int64'), /unsupported/);
  });
});

describe('cancellation', () => {
  it('a queued job whose signal aborts never runs; the others run one at a time, highest priority first', async () => {
    const queue = new ExclusiveQueue();
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const job = (name: string, gate?: Promise<void>) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      order.push(name);
      await gate;
      active--;
      return name;
    };
    const first = queue.enqueue(job('first', new Promise((r) => (release = r))));
    const cancel = new AbortController();
    const cancelled = queue.enqueue(job('cancelled'), () => 5, cancel.signal);
    const low = queue.enqueue(job('low'), () => 1);
    const high = queue.enqueue(job('high'), () => 9);
    cancel.abort(new Error('left the view'));
    release();
    await assert.rejects(cancelled, /left the view/);
    assert.deepEqual(await Promise.all([first, high, low]), ['first', 'high', 'low']);
    assert.deepEqual(order, ['first', 'high', 'low']);
    assert.equal(maxActive, 1);
  });

  it('a running job yields to a more urgent one between its steps, not to a less urgent one', async () => {
    const queue = new ExclusiveQueue();
    const order: string[] = [];
    let step!: () => void;
    const running = queue.enqueue(async () => {
      order.push('prefetch:1');
      await new Promise<void>((r) => (step = r));
      await queue.yieldTo(() => 1, 10);
      order.push('prefetch:2');
    }, () => 1);
    await Promise.resolve();
    const visible = queue.enqueue(async () => void order.push('visible'), () => 100);
    const lesser = queue.enqueue(async () => void order.push('lesser'), () => 5);
    step();
    await Promise.all([running, visible, lesser]);
    assert.deepEqual(order, ['prefetch:1', 'visible', 'prefetch:2', 'lesser']);
  });

  it('a job below the minimum priority (a chunk nobody wants any more) waits until its priority rises again', async () => {
    const queue = new ExclusiveQueue(0, 20);
    let priority = -5;
    let ran = false;
    const parked = queue.enqueue(async () => void (ran = true), () => priority);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(ran, false);
    assert.equal(queue.pending, 1);
    priority = 3; // back in view
    await parked;
    assert.equal(ran, true);
  });

  it('a shared load is aborted only when every waiter has gone', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(1000, (v) => v.byteLength);
    let loadSignal!: AbortSignal;
    let finish!: (v: Uint8Array) => void;
    const load = (s: AbortSignal) => {
      loadSignal = s;
      return new Promise<Uint8Array>((resolve) => (finish = resolve));
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = cache.get('k', load, a.signal);
    const pb = cache.get('k', load, b.signal);
    a.abort(new Error('a left'));
    await assert.rejects(pa, /a left/);
    assert.equal(loadSignal.aborted, false);
    b.abort(new Error('b left'));
    await assert.rejects(pb, /b left/);
    assert.equal(loadSignal.aborted, true);
    finish(new Uint8Array(1));
  });

  it('the cache honours its byte budget, evicting the least recently used', async () => {
    const cache = new ByteBudgetCache<Uint8Array>(250, (v) => v.byteLength);
    const load = (n: number) => async () => new Uint8Array(n);
    await cache.get('a', load(100));
    await cache.get('b', load(100));
    await cache.get('a', load(100)); // hit: a is now the most recent
    await cache.get('c', load(100)); // evicts b
    assert.equal(cache.stats.bytes, 200);
    assert.equal(cache.stats.evictions, 1);
    assert.equal(cache.stats.hits, 1);
    await cache.get('b', load(100));
    assert.equal(cache.stats.misses, 4);
    await cache.get('huge', load(1000)); // larger than the budget: served, not kept
    assert.ok(cache.stats.bytes <= 250 && cache.stats.peakBytes <= 250);
  });
});

describe('reading input chunks through zarrita', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('ngi-chunks-');
    await fs.cp(EXAMPLE, dir, {recursive: true});
    // Base level: 63×250×250 in 64³ chunks. Lose one, corrupt another.
    await fs.rm(path.join(dir, '0/c/0/1/1'));
    await fs.writeFile(path.join(dir, '0/c/0/2/2'), Buffer.from('not a zstd frame'));
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  it('reads boxes across chunk borders; a missing or corrupt chunk fails only the boxes that need it', async () => {
    const cache = new ByteBudgetCache<DecodedBlock>(64 << 20, decodedBlockBytes);
    const read = (await openLocal(dir)).reader(0, cache);
    const reference = await readLocalBase(EXAMPLE);
    const box: Box3 = {start: [10, 30, 50], end: [40, 60, 70]}; // inside chunk (0,0,0)
    const got = await read(box);
    const want = cropBox(reference.data, {start: [0, 0, 0], end: reference.shape}, box);
    assert.deepEqual([...got], [...want]);
    const across: Box3 = {start: [0, 60, 120], end: [8, 70, 135]}; // chunks (0,0,1), (0,1,1)=missing, ...
    await assert.rejects(read(across), (e: Error) => e instanceof MissingChunkError && /0\/c\/0\/1\/1/.test(e.message) && /missing/.test(e.message));
    await assert.rejects(read({start: [0, 130, 130], end: [4, 140, 140]}));
    // The neighbours still read.
    const neighbour: Box3 = {start: [0, 0, 64], end: [8, 60, 128]};
    assert.deepEqual([...(await read(neighbour))], [...cropBox(reference.data, {start: [0, 0, 0], end: reference.shape}, neighbour)]);
    assert.ok(cache.stats.hits > 0, 'the second read of chunk (0,0,1) came from the cache');
  });

  it('with missing: fill, an absent chunk reads as the fill value', async () => {
    const read = (await openLocal(dir, {missing: 'fill'})).reader(0, new ByteBudgetCache<DecodedBlock>(1 << 20, decodedBlockBytes));
    const got = await read({start: [0, 64, 64], end: [2, 66, 66]});
    assert.deepEqual([...got], new Array(8).fill(0));
  });
});
