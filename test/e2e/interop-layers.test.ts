/**
 * End to end: volumes written by tensorstore in every format users publish,
 * opened as isotropic layers in the built viewer (headless Chromium), each read
 * in the chunk worker through the input seam. Interpolation-only layers must
 * give exactly what Node computes from the plain Zarr copy of the same voxels
 * (JPEG: within its tolerance); an N5 and a precomputed layer with a tiny model
 * must give the network's output (wasm in the page, so it stays quick).
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {Browser} from 'playwright-core';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {viewUrl} from '../../src/serve/example-view.ts';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {saveModel} from '../../src/model/model-io.ts';
import type {LoadedChunk} from '../../layers/isotropic/status.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {computeIsotropicBlock} from '../../src/chunk/block.ts';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';
import {decodedBlockBytes} from '../../src/input/block-region.ts';
import type {FormatName} from '../../src/input/types.ts';
import {openLocal} from '../helpers/inputs.ts';
import {INTEROP_DIR, INTEROP_FIXTURES, JPEG_TOLERANCE, meanAndMaxError} from '../helpers/interop.ts';
import {launchChromium} from '../helpers/chromium.ts';
import {tempDir} from '../helpers/fixtures.ts';

const TIMEOUT_MS = 300_000;
const FORMAT: Record<string, FormatName> = {zarr: 'zarr', n5: 'n5', precomputed: 'precomputed'};
const formatOf = (name: string): FormatName => (name.endsWith('.n5') ? FORMAT.n5 : name.startsWith('precomputed') ? FORMAT.precomputed : FORMAT.zarr);


describe('interop volumes as isotropic layers in the viewer', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let model: IsotropicModel;
  const layers: {name: string; fixture: string; network: boolean; source: string}[] = [];

  before(async () => {
    dir = await tempDir('ngi-interop-view-');
    for (const f of INTEROP_FIXTURES) await fs.cp(path.join(INTEROP_DIR, f.name), path.join(dir, f.name), {recursive: true});
    await initBackend(['wasm']);
    model = createModel({config: presetConfig('tiny'), rho: 4, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1}, 11);
    await saveModel(model, fileHandler(path.join(dir, 'models', 'tiny')));
    server = await startServer({port: 0, dataDir: dir});
    for (const f of INTEROP_FIXTURES) {
      const voxel = f.spec.voxel ? `&voxel=${f.spec.voxel.join(',')}` : '';
      layers.push({name: f.name, fixture: f.name, network: false, source: `isotropic+${formatOf(f.name)}://${server.origin}/data/${f.name}?model=none${voxel}`});
    }
    for (const name of ['n5-gzip.n5', 'precomputed-gzip-sharded-murmur']) {
      layers.push({name: `${name} network`, fixture: name, network: true, source: `isotropic+${formatOf(name)}://${server.origin}/data/${name}?model=../models/tiny/`});
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (model) disposeModel(model);
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('every format computes the same isotropic chunk as Node from the same voxels; N5 and precomputed through the network too', {timeout: 2 * TIMEOUT_MS}, async () => {
    const page = await browser.newPage({viewport: {width: 700, height: 600}});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const state = {
      dimensions: {x: [1e-8, 'm'], y: [1e-8, 'm'], z: [1e-8, 'm']},
      position: [64, 60, 64],
      crossSectionScale: 0.25,
      layers: layers.map((l) => ({type: 'image', source: l.source, name: l.name})),
      layout: 'xz',
    };
    await page.goto(viewUrl(server.origin, state).replace('/#!', '/?tfjs=wasm#!'));
    const expected = layers.map((l) => ({input: `${server.origin}/data/${l.fixture}/`, network: l.network}));
    await page.waitForFunction(
      (expected) => {
        const g = window as unknown as {ngIsotropic?: {loadedChunks(d: boolean): {layout: number[]; input: string; modelUrl?: string}[]}; viewer: {isReady(): boolean}};
        const chunks = g.ngIsotropic?.loadedChunks(false).filter((c) => c.layout[1] < c.layout[0]) ?? [];
        return expected.every((e) => chunks.some((c) => c.input === e.input && (c.modelUrl !== undefined) === e.network)) && g.viewer.isReady();
      },
      expected,
      {timeout: TIMEOUT_MS, polling: 500},
    );
    const failed = await page.evaluate(() => (window as unknown as {ngIsotropic: {layers: {errors?: unknown[]; model: {state: string}}[]}}).ngIsotropic.layers.map((l) => l.model.state));
    assert.ok(!failed.includes('failed'), `a model failed to load: ${failed.join(', ')}`);
    // For a person to look at (.test-output/ is not committed).
    await fs.mkdir('.test-output', {recursive: true});
    await page.screenshot({path: '.test-output/interop-layers.png'});
    const chunks: LoadedChunk[] = await page.evaluate(() => (window as unknown as {ngIsotropic: {loadedChunks(d: boolean): LoadedChunk[]}}).ngIsotropic.loadedChunks(true));

    const plain = INTEROP_FIXTURES[0];
    const reference = await openLocal(path.join(INTEROP_DIR, plain.name), plain.spec);
    const level = reference.input.levels[0];
    const read = reference.reader(0, new ByteBudgetCache(1 << 26, decodedBlockBytes));
    const input = {shape: level.shape, rho: level.rho, coarse: 'z' as const, read};
    for (const layer of layers) {
      const fixture = INTEROP_FIXTURES.find((f) => f.name === layer.fixture)!;
      const mine = chunks.filter((c) => c.layout[1] < c.layout[0] && c.input === `${server.origin}/data/${layer.fixture}/` && (c.modelUrl !== undefined) === layer.network);
      assert.ok(mine.length >= 1, `${layer.name}: no xz chunk`);
      const chunk = mine[0];
      const [sx, sy, sz] = chunk.size;
      const start: [number, number, number] = [chunk.grid[2] * chunk.layout[2], chunk.grid[1] * chunk.layout[1], chunk.grid[0] * chunk.layout[0]];
      const box = {start, end: [start[0] + sz, start[1] + sy, start[2] + sx] as [number, number, number]};
      const want = (await computeIsotropicBlock(input, box, layer.network ? model : undefined, {fuse: 'xz', dtype: 'uint8'})).data;
      const err = meanAndMaxError(chunk.data, want);
      if (layer.network) {
        // WebGPU/wasm in the page vs wasm in Node: float rounding moves a few voxels by a grey level.
        assert.ok(err.max <= 2 && err.mean < 0.1, `${layer.name}: viewer vs Node max |Δ| ${err.max}, mean ${err.mean.toFixed(3)}`);
      } else if (fixture.lossy) {
        assert.ok(err.mean <= JPEG_TOLERANCE.mean && err.max <= JPEG_TOLERANCE.max, `${layer.name}: JPEG error mean ${err.mean.toFixed(2)}, max ${err.max}`);
      } else {
        assert.equal(err.max, 0, `${layer.name}: viewer vs Node max |Δ| ${err.max}, mean ${err.mean.toFixed(3)}`);
      }
    }
    assert.deepEqual(errors, []);
  });
});
