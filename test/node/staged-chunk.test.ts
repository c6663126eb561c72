// Chunks in two stages (first the cheaper plane axis, then the fused voxels) and window planes shared by
// neighbouring chunks give exactly the voxels of the one-stage computation.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig, sizeMultiple} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {readLocalCrop} from '../helpers/inputs.ts';
import {boxVoxels, cropBox, type Box3} from '../../src/grid/box.ts';
import {isotropicGrid, planChunk, type ChunkPlanOptions} from '../../src/chunk/plan.ts';
import {computeIsotropicChunk, computeIsotropicChunkStaged} from '../../src/chunk/compute.ts';
import {type RegionReader} from '../../src/grid/region-reader.ts';
import {computeIsotropicBlock, computeIsotropicBlockStaged} from '../../src/chunk/block.ts';
import {planeResultCache} from '../../src/chunk/plane-cache.ts';
import type {Vec3} from '../../src/grid/box.ts';

const EXAMPLE = path.resolve('examples/medulla-aniso.ome.zarr');

describe('chunks in two stages', () => {
  let model: IsotropicModel;
  let volume: Float32Array;
  const shape: Vec3 = [12, 48, 96];
  const rho = 4;
  const read: RegionReader = async (box) => cropBox(volume, {start: [0, 0, 0], end: shape}, box);
  let options: ChunkPlanOptions;

  before(async () => {
    await initBackend(['wasm']);
    volume = await readLocalCrop(EXAMPLE, [20, 80, 100], shape);
    model = createModel({config: presetConfig('tiny'), rho, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1}, 3);
    const multiple = sizeMultiple(model.metadata.config);
    options = {halo: multiple, multiple, fuse: 'xz+yz', interpolation: 'cubic'};
  });
  after(() => disposeModel(model));

  it('a thin xz chunk shows its xz planes first, then exactly the one-stage fused voxels', async () => {
    const grid = isotropicGrid(shape, rho);
    const plan = planChunk(grid, {start: [0, 10, 0], end: [48, 12, 96]}, options);
    const staged = await computeIsotropicChunkStaged(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'});
    assert.ok(staged.rest, 'a fused chunk with both axes to compute comes in two stages');
    const xzOnly = await computeIsotropicChunk(plan, read, model, {fuse: 'xz', interpolation: 'cubic'});
    assert.deepEqual([...staged.first.data], [...xzOnly.data], 'the first stage is the xz planes alone');
    // The cheaper axis went first: 2 xz planes across the whole window, not 96 yz planes.
    assert.equal(staged.first.networkPixels, xzOnly.networkPixels);
    const final = await staged.rest();
    const oneStage = await computeIsotropicChunk(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'});
    assert.deepEqual([...final.data], [...oneStage.data]);
    assert.equal(final.networkPixels, oneStage.networkPixels);
    let diff = 0;
    for (let i = 0; i < final.data.length; i++) diff = Math.max(diff, Math.abs(final.data[i] - staged.first.data[i]));
    assert.ok(diff > 0.5, `the fused chunk should differ from its first stage (max ${diff.toFixed(3)})`);
  });

  it('a thin yz chunk goes the other way round: yz planes first', async () => {
    const grid = isotropicGrid(shape, rho);
    const plan = planChunk(grid, {start: [0, 0, 40], end: [48, 48, 42]}, options);
    const staged = await computeIsotropicChunkStaged(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'});
    const xzOnly = await computeIsotropicChunk(plan, read, model, {fuse: 'xz', interpolation: 'cubic'});
    assert.ok(staged.first.networkPixels < xzOnly.networkPixels);
    assert.deepEqual([...(await staged.rest!()).data], [...(await computeIsotropicChunk(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'})).data]);
  });

  it('neighbouring chunks of one network window share its planes: the second computes only its own axis, same voxels', async () => {
    const grid = isotropicGrid(shape, rho);
    const cache = planeResultCache(64 * 2 ** 20);
    const planeCache = {cache, prefix: 'test'};
    const boxes: Box3[] = [8, 10, 12, 14].map((y) => ({start: [0, y, 0], end: [48, y + 2, 96]}));
    const windows = boxes.map((b) => planChunk(grid, b, options).window);
    windows.forEach((w) => assert.deepEqual(w, windows[0], 'the four chunks lie in one window band'));
    const pixels: number[] = [];
    for (const [i, box] of boxes.entries()) {
      const plan = planChunk(grid, box, options);
      const staged = await computeIsotropicChunkStaged(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic', planeCache});
      // The first chunk computes both axes in two stages; the others find the yz planes cached and finish at once.
      assert.equal(staged.rest === undefined, i > 0, `chunk ${i}: ${staged.first.networkPixels} pixels, cache ${JSON.stringify(cache.stats)}`);
      const result = staged.rest ? await staged.rest() : staged.first;
      pixels.push(result.networkPixels);
      const plain = await computeIsotropicChunk(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'});
      assert.deepEqual([...result.data], [...plain.data], `chunk ${i}`);
    }
    const xzPixels = (await computeIsotropicChunk(planChunk(grid, boxes[1], options), read, model, {fuse: 'xz', interpolation: 'cubic'})).networkPixels;
    assert.deepEqual(pixels.slice(1), [xzPixels, xzPixels, xzPixels]);
    assert.ok(pixels[0] > 5 * xzPixels);
    // One yz window for the band, and each chunk's own xz planes; the yz planes were found three times.
    assert.equal(cache.stats.entries, 5);
    assert.equal(cache.stats.hits, 3);
  });

  it('a chunk revisited after its refinement was dropped shows its cached xz planes at once, then the fused voxels', async () => {
    const grid = isotropicGrid(shape, rho);
    const plan = planChunk(grid, {start: [0, 20, 0], end: [48, 22, 96]}, options);
    const planeCache = {cache: planeResultCache(64 * 2 ** 20), prefix: 'revisit'};
    let reads = 0;
    const counting: RegionReader = (box, signal) => {
      reads++;
      return read(box, signal);
    };
    // First visit: the first stage is shown, the refinement never runs (the chunk left the view).
    const dropped = await computeIsotropicChunkStaged(plan, counting, model, {fuse: 'xz+yz', interpolation: 'cubic', planeCache});
    assert.ok(dropped.rest);
    reads = 0;
    const revisit = await computeIsotropicChunkStaged(plan, counting, model, {fuse: 'xz+yz', interpolation: 'cubic', planeCache});
    assert.ok(revisit.rest, 'the yz band is not cached: its planes come in a second stage');
    assert.equal(revisit.first.networkPixels, 0, 'the first stage is the cached xz planes: nothing through the network');
    assert.equal(reads, 0, 'the first stage read nothing');
    assert.deepEqual([...revisit.first.data], [...dropped.first.data]);
    const final = await revisit.rest();
    assert.equal(reads, 1, 'the second stage read the window');
    const oneStage = await computeIsotropicChunk(plan, read, model, {fuse: 'xz+yz', interpolation: 'cubic'});
    const xzOnly = await computeIsotropicChunk(plan, read, model, {fuse: 'xz', interpolation: 'cubic'});
    assert.deepEqual([...final.data], [...oneStage.data]);
    assert.equal(final.networkPixels, oneStage.networkPixels - xzOnly.networkPixels, 'only the yz planes went through the network');
    assert.deepEqual([...(await revisit.rest()).data], [...oneStage.data], 'a second call gives the same voxels');
  });

  it('a waiting second stage holds no interpolated window: it reads and interpolates it again when it runs', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const grid = isotropicGrid(shape, rho);
    const plans = [4, 8, 12, 16, 20, 24, 28, 32].map((y) => planChunk(grid, {start: [0, y, 0], end: [48, y + 1, 96]}, options));
    const windowBytes = 4 * boxVoxels(plans[0].window);
    assert.ok(windowBytes > 8 * 4 * boxVoxels(plans[0].output), 'the window is much larger than the chunk');
    const stage = {fuse: 'xz+yz' as const, interpolation: 'cubic' as const};
    await (await computeIsotropicChunkStaged(plans[0], read, model, stage)).rest!(); // warm up the backend and its memory
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    const waiting = [];
    for (const plan of plans) waiting.push((await computeIsotropicChunkStaged(plan, read, model, stage)).rest!);
    // Let settled promises' reactions and timers run first: until they have, they may still reach a window.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    const held = process.memoryUsage().arrayBuffers - baseline;
    // Each holds its chunk-sized first-axis sum, a sixteenth of a window here.
    const message = `${plans.length} waiting second stages hold ${(held / 2 ** 20).toFixed(2)} MiB (one window: ${(windowBytes / 2 ** 20).toFixed(2)} MiB)`;
    assert.ok(held < (plans.length * windowBytes) / 4, message);
    const final = await waiting[3]();
    assert.deepEqual([...final.data], [...(await computeIsotropicChunk(plans[3], read, model, stage)).data]);
  });

  it('blocks (stored order, output dtype) in two stages equal the one-stage block', async () => {
    const input = {shape, rho, coarse: 'z' as const, read};
    const box: Box3 = {start: [4, 20, 8], end: [36, 22, 72]};
    const staged = await computeIsotropicBlockStaged(input, box, model, {fuse: 'xz+yz', dtype: 'uint8'});
    assert.ok(staged.rest);
    assert.ok(staged.first.data instanceof Uint8Array);
    const one = await computeIsotropicBlock(input, box, model, {fuse: 'xz+yz', dtype: 'uint8'});
    assert.deepEqual([...(await staged.rest()).data], [...one.data]);
  });

  it('without a model, or with xz alone, there is one stage', async () => {
    const input = {shape, rho, coarse: 'z' as const, read};
    const box: Box3 = {start: [4, 20, 8], end: [36, 22, 72]};
    assert.equal((await computeIsotropicBlockStaged(input, box, undefined, {fuse: 'xz+yz'})).rest, undefined);
    assert.equal((await computeIsotropicBlockStaged(input, box, model, {fuse: 'xz'})).rest, undefined);
  });
});
