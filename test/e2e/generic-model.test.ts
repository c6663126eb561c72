/**
 * End to end: a dataset without a model of its own. The isotropic layer falls
 * back to the generic model the viewer ships (examples/models/generic), says so
 * in its status line, and runs it on every pyramid level whose ρ it serves: here
 * level 1 of a two-level crop of the example (10×10×40 nm, then 20×20×40 nm: ρ 4
 * and 2). Level 1's chunks must be the network's (what src/infer computes with
 * the same model), not cubic interpolation. tfjs on wasm: the generic network is
 * the full default one, too slow for the emulated GPU.
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {Browser} from 'playwright-core';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {viewState, viewUrl} from '../../src/serve/example-view.ts';
import {createOmeZarr, writeSlab} from '../../src/convert/ome-zarr-writer.ts';
import {readLevel} from '../../src/input/open-input.ts';
import {loadModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {disposeModel} from '../../src/model/model.ts';
import {initBackend} from '../../src/tf/backend.ts';
import {interpolateVolume, reconstructVolume} from '../../src/infer/volume.ts';
import {toDtype} from '../../src/chunk/dtype.ts';
import {measureInputContrast} from '../../src/volume/input-contrast.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {launchChromium} from '../helpers/chromium.ts';
import {openLocal} from '../helpers/inputs.ts';
import {tempDir} from '../helpers/fixtures.ts';

const TIMEOUT_MS = 300_000;
const VOLUME = 'medulla-pyramid.ome.zarr';
const GENERIC_DIR = path.resolve('examples/models/generic');

interface LoadedChunk {
  layout: number[];
  grid: number[];
  size: number[];
  data: number[];
  level: number;
  modelUrl?: string;
}

/** 16 sections of 64² from the example, and its 2×2 lateral mean as level 1. */
async function writePyramid(dir: string): Promise<{level1: {data: Float32Array; shape: Vec3}}> {
  const example = await openLocal(path.resolve('examples/medulla-aniso.ome.zarr'));
  const base = await readLevel(example);
  const [, ny, nx] = base.shape;
  const shape: Vec3 = [16, 64, 64];
  const start: Vec3 = [20, 96, 96];
  const level0 = new Uint8Array(16 * 64 * 64);
  for (let z = 0; z < 16; z++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) level0[(z * 64 + y) * 64 + x] = base.data[((z + start[0]) * ny + y + start[1]) * nx + x + start[2]];
  const level1 = new Uint8Array(16 * 32 * 32);
  for (let z = 0; z < 16; z++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        let s = 0;
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) s += level0[(z * 64 + 2 * y + dy) * 64 + 2 * x + dx];
        level1[(z * 32 + y) * 32 + x] = Math.round(s / 4);
      }
    }
  }
  const l = example.input.levels[0];
  const t0 = l.translation.map((t, i) => t + start[i] * l.scale[i]) as Vec3;
  // Level 1 voxel centres: the mean of their 2×2 level-0 voxels.
  const t1: Vec3 = [t0[0], t0[1] + l.scale[1] / 2, t0[2] + l.scale[2] / 2];
  const arrays = await createOmeZarr(
    path.join(dir, VOLUME),
    {
      name: 'medulla pyramid (FlyEM, Janelia)',
      unit: example.input.unit,
      levels: [
        {path: '0', scale: l.scale, translation: t0},
        {path: '1', scale: [l.scale[0], 2 * l.scale[1], 2 * l.scale[2]], translation: t1},
      ],
    },
    [
      {shape, chunk: [16, 32, 32]},
      {shape: [16, 32, 32], chunk: [16, 32, 32]},
    ],
    'uint8',
  );
  await writeSlab(arrays[0], 0, {data: level0, shape});
  await writeSlab(arrays[1], 0, {data: level1, shape: [16, 32, 32]});
  return {level1: {data: Float32Array.from(level1), shape: [16, 32, 32]}};
}

describe('the generic model: fallback and pyramid levels', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let level1: {data: Float32Array; shape: Vec3};

  before(async () => {
    dir = await tempDir('ngi-generic-');
    ({level1} = await writePyramid(dir));
    server = await startServer({port: 0, dataDir: dir});
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('runs the generic model where the dataset has none, says so, and computes level 1 with it', {timeout: 2 * TIMEOUT_MS}, async () => {
    const state = await viewState(server.origin, dir, VOLUME);
    const source = (state.layers as {source: string}[])[1].source;
    assert.ok(!source.includes('model='), `the view names no model: ${source}`);
    // One xz panel zoomed out to 25 nm per pixel: neuroglancer draws level 1 (20 nm voxels).
    const url = viewUrl(server.origin, {...state, layout: 'xz', crossSectionScale: 2.5}).replace('/#!', '/?tfjs=wasm#!');
    const page = await browser.newPage({viewport: {width: 700, height: 600}});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(
      () => {
        const g = window as unknown as {ngIsotropic?: {loadedChunks(d: boolean): LoadedChunk[]; layers: {model: {state: string}}[]}};
        return g.ngIsotropic?.layers[0]?.model.state === 'ready' && g.ngIsotropic.loadedChunks(false).some((c) => c.level === 1 && c.modelUrl && c.layout[1] === 1);
      },
      undefined,
      {timeout: TIMEOUT_MS, polling: 500},
    );
    await page.waitForFunction(() => window.viewer.isReady(), undefined, {timeout: TIMEOUT_MS});

    // The status line says which model runs, on which levels, and that it is the generic one.
    const record = await page.evaluate(() => (window as unknown as {ngIsotropic: {layers: {model: Record<string, unknown>}[]}}).ngIsotropic.layers[0].model);
    assert.equal(record.fallback, true);
    assert.deepEqual(record.levels, [0, 1]);
    assert.match(String(record.url), /\/models\/generic\/model\.json$/);
    const status = await page.locator('[data-ng-isotropic="model"]').textContent();
    const [lo, hi] = JSON.parse(await fs.readFile(path.join(GENERIC_DIR, 'model.json'), 'utf8')).userDefinedMetadata.isotropic.rhoRange;
    assert.ok(status?.includes(`model generic (`) && status.includes(`) on levels 0, 1 — no model for this dataset: the generic model (ρ ${lo}–${hi}) — fine-tune it on this data from the training panel`), status ?? '');
    await page.screenshot({path: path.join(dir, 'generic.png')});

    // Level 1's xz chunks: what src/infer computes with the generic model at ρ = 2, and not cubic interpolation.
    const chunks: LoadedChunk[] = (await page.evaluate(() => (window as unknown as {ngIsotropic: {loadedChunks(d: boolean): LoadedChunk[]}}).ngIsotropic.loadedChunks(true))).filter(
      (c) => c.level === 1 && c.modelUrl && c.layout[1] === 1,
    );
    assert.ok(chunks.length >= 1);
    const chunk = chunks[0];
    const [nz, ny, nx] = level1.shape;
    const y = chunk.grid[1];
    const slab = new Float32Array(nz * nx);
    for (let z = 0; z < nz; z++) for (let x = 0; x < nx; x++) slab[z * nx + x] = level1.data[(z * ny + y) * nx + x];
    await initBackend(['wasm']);
    const {model} = await loadModel(fileHandler(GENERIC_DIR));
    // The viewer normalises by the volume's own contrast, measured on its base level (a per-volume model).
    const contrast = await measureInputContrast(await openLocal(path.join(dir, VOLUME)));
    let network: ArrayLike<number>;
    try {
      network = toDtype((await reconstructVolume(model, {data: slab, shape: [nz, 1, nx]}, {fuse: 'xz', rho: 2, normalisation: contrast})).data, 'uint8');
    } finally {
      disposeModel(model);
    }
    const cubic = toDtype(interpolateVolume({data: slab, shape: [nz, 1, nx]}, 2, 'cubic').data, 'uint8');
    assert.equal(chunk.data.length, network.length, `chunk ${chunk.size.join('×')}`);
    let worst = 0, fromNetwork = 0, fromCubic = 0;
    for (let i = 0; i < network.length; i++) {
      worst = Math.max(worst, Math.abs(chunk.data[i] - network[i]));
      fromNetwork += Math.abs(chunk.data[i] - network[i]) / network.length;
      fromCubic += Math.abs(chunk.data[i] - cubic[i]) / network.length;
    }
    assert.ok(worst <= 2 && fromNetwork < 0.1, `viewer vs src/infer: max |Δ| ${worst}, mean ${fromNetwork.toFixed(3)}`);
    assert.ok(fromCubic > 1, `level 1 differs from cubic interpolation by ${fromCubic.toFixed(2)} grey levels on average`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
