/**
 * End to end, the isotropic layer at browsing pace: served with cross-origin
 * isolation, the chunk worker's wasm network runs on every core, and data from
 * another origin still loads; with fuse=xz+yz a chunk first shows its xz planes
 * and is then refined in place to the fused voxels src/chunk computes. Without
 * isolation the layer says it runs on one thread.
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import type {Browser, Page} from 'playwright-core';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {viewState, viewUrl} from '../../src/serve/example-view.ts';
import {launchChromium} from '../../src/cli/chromium.ts';
import {loadModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {disposeModel} from '../../src/model/model.ts';
import {computeIsotropicBlock} from '../../src/chunk/block.ts';
import {cropBox} from '../../src/grid/box.ts';
import {CROP_VOLUME, makeTinyModelDataDir, type TinyModelData} from '../helpers/tiny-model-data.ts';

const TIMEOUT_MS = 300_000;

interface LayerRecord {
  model: {state: string};
  backend?: {backend: string; threads?: number; notice?: string};
  chunks: {usedModel: boolean; final: boolean; refinement: boolean; visible: boolean}[];
  refiningVisible: number;
}
interface LoadedChunk {
  layout: number[];
  grid: number[];
  size: number[];
  data: number[];
  provisional: boolean;
}

async function openView(page: Page, appOrigin: string, dataOrigin: string, dataDir: string): Promise<unknown> {
  const state = await viewState(dataOrigin, dataDir, CROP_VOLUME);
  const layers = [{type: 'image', name: 'iso', source: `isotropic+zarr://${dataOrigin}/data/${CROP_VOLUME}?model=../models/tiny-test/&fuse=xz+yz`}];
  return page.goto(viewUrl(appOrigin, {...state, layers, layout: 'xz', crossSectionScale: 0.1}).replace('/#!', '/?tfjs=wasm#!'));
}

const layerRecord = (page: Page) => page.evaluate(() => (window as unknown as {ngIsotropic: {layers: LayerRecord[]}}).ngIsotropic.layers[0]);

describe('the isotropic layer at browsing pace', () => {
  let data: TinyModelData;
  let isolated: RunningServer;
  let plain: RunningServer;
  let browser: Browser;

  before(async () => {
    data = await makeTinyModelDataDir();
    isolated = await startServer({port: 0, dataDir: data.dir});
    plain = await startServer({port: 0, dataDir: data.dir, isolate: false});
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
    await fs.rm(data.dir, {recursive: true, force: true});
  });

  it('isolated: every core, data from another origin, first stages refined in place to the fused voxels', {timeout: 2 * TIMEOUT_MS}, async () => {
    const page = await browser.newPage({viewport: {width: 700, height: 600}});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const response = (await openView(page, isolated.origin, plain.origin, data.dir)) as {headers(): Record<string, string>};
    assert.equal(response.headers()['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response.headers()['cross-origin-embedder-policy'], 'credentialless');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    await page.waitForFunction(
      () => {
        const layer = (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0];
        return layer?.model.state === 'ready' && layer.chunks.some((c) => c.usedModel && c.final) && layer.refiningVisible === 0 && window.viewer.isReady();
      },
      undefined,
      {timeout: TIMEOUT_MS, polling: 250},
    );
    const layer = await layerRecord(page);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(layer.backend?.backend, 'wasm');
    assert.equal(layer.backend?.threads, Math.min(8, cores), 'the wasm network runs on every core');
    assert.ok(layer.chunks.some((c) => c.usedModel && !c.final), 'a chunk was first shown with its xz planes alone');
    // What bench:viewer times as the first network pixels in view: a first stage, delivered in view; refinements say so.
    assert.ok(layer.chunks.some((c) => c.usedModel && c.visible && !c.refinement), 'a chunk in view first showed network pixels');
    assert.ok(layer.chunks.some((c) => c.refinement && c.final && c.usedModel), 'refinements are reported as such');
    assert.ok(layer.chunks.every((c) => !c.refinement || c.final), 'a refinement is the final voxels');

    // A refined chunk (its data came from the other origin) against src/chunk's fused block.
    const chunks: LoadedChunk[] = await page.evaluate(() => (window as unknown as {ngIsotropic: {loadedChunks(d: boolean): LoadedChunk[]}}).ngIsotropic.loadedChunks(true));
    const inView = chunks.find((c) => c.layout[1] < c.layout[0] && !c.provisional);
    assert.ok(inView, `no refined xz chunk among ${chunks.length}`);
    const [sx, sy, sz] = inView.size;
    const start: [number, number, number] = [inView.grid[2] * inView.layout[2], inView.grid[1] * inView.layout[1], inView.grid[0] * inView.layout[0]];
    const box = {start, end: [start[0] + sz, start[1] + sy, start[2] + sx] as [number, number, number]};
    const {model} = await loadModel(fileHandler(data.modelDir));
    try {
      const {shape} = data.volume;
      const volume = Float32Array.from(data.volume.data);
      const input = {shape, rho: 4, coarse: 'z' as const, read: async (b: typeof box) => cropBox(volume, {start: [0, 0, 0], end: shape}, b)};
      const fused = (await computeIsotropicBlock(input, box, model, {fuse: 'xz+yz', dtype: 'uint8'})).data;
      const xzOnly = (await computeIsotropicBlock(input, box, model, {fuse: 'xz', dtype: 'uint8'})).data;
      let worst = 0, fromXz = 0;
      for (let i = 0; i < fused.length; i++) {
        worst = Math.max(worst, Math.abs(inView.data[i] - fused[i]));
        fromXz = Math.max(fromXz, Math.abs(inView.data[i] - xzOnly[i]));
      }
      assert.ok(worst <= 2, `viewer vs Node fused block: max |Δ| ${worst}`);
      assert.ok(fromXz > 2, 'the chunk holds the fused voxels, not its first stage');
    } finally {
      disposeModel(model);
    }
    await fs.mkdir('.test-output', {recursive: true});
    await page.screenshot({path: '.test-output/isotropic-stages.png'});
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('not isolated: the layer says the network runs on one thread', {timeout: TIMEOUT_MS}, async () => {
    const page = await browser.newPage({viewport: {width: 700, height: 600}});
    // The built viewer's service worker would isolate the page its host does not: switched off here.
    await page.addInitScript('window.coi = {shouldRegister: () => false}');
    await openView(page, plain.origin, plain.origin, data.dir);
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    await page.waitForFunction(() => (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0]?.backend !== undefined, undefined, {timeout: TIMEOUT_MS});
    const layer = await layerRecord(page);
    assert.equal(layer.backend?.threads, 1);
    await page.getByText(/not cross-origin isolated, so the network runs on one thread/).first().waitFor({timeout: 30_000});
    await page.close();
  });
});
