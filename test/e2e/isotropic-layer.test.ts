/**
 * End to end: the isotropic layer in the built viewer, headless Chromium with
 * WebGPU (SwiftShader here), a `tiny` model so it is quick. Checks that the xz
 * panel shows the network's output, the very numbers src/infer computes for the
 * same voxels; that toggling works; that the view URL reopens layer and model.
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {PNG} from 'pngjs';
import type {Browser, Page} from 'playwright-core';
import type {TinyModelData} from '../helpers/tiny-model-data.ts';
import {loadedChunks, referenceFor, type LoadedChunk} from '../helpers/loaded-chunks.ts';
import {startTinyViewer, type TinyViewer} from '../helpers/tiny-viewer.ts';

const TIMEOUT_MS = 300_000;


/** Until the layer's model `version` is ready, has computed chunks and the panel is complete; on a timeout, says what the page had. */
async function waitForNetworkChunks(page: Page, version: string): Promise<void> {
  try {
    await page.waitForFunction(
      (version) => {
        const layers = (window as unknown as {ngIsotropic?: {layers: {model: {state: string; version?: string}; chunks: {usedModel: boolean}[]}[]}}).ngIsotropic?.layers ?? [];
        const layer = layers.find((l) => l.model.version === version);
        return layer?.model.state === 'ready' && layer.chunks.some((c) => c.usedModel) && window.viewer.isReady();
      },
      version,
      {timeout: TIMEOUT_MS, polling: 500},
    );
  } catch (e) {
    const state = await page
      .evaluate(() => {
        type Record = {url: string; model: object; backend?: object; chunks: {usedModel: boolean}[]; refiningVisible: number; failures: string[]; recoveries: string[]};
        const layers = (window as unknown as {ngIsotropic?: {layers: Record[]}}).ngIsotropic?.layers ?? [];
        return JSON.stringify({
          page: location.origin + location.pathname,
          isolated: crossOriginIsolated,
          viewerReady: window.viewer?.isReady(),
          layers: layers.map((l) => ({url: l.url, model: l.model, backend: l.backend, chunks: l.chunks.length, networkChunks: l.chunks.filter((c) => c.usedModel).length, refiningVisible: l.refiningVisible, failures: l.failures, recoveries: l.recoveries})),
        });
      })
      .catch((why: Error) => `the page could not be read: ${why.message}`);
    throw new Error(`${(e as Error).message}\npage state: ${state}`);
  }
}

/** The xz chunks (thin in y: one plane) the viewer holds, computed with model `version`. */
async function xzChunks(page: Page, version: string): Promise<LoadedChunk[]> {
  const all: LoadedChunk[] = await loadedChunks(page);
  return all.filter((c) => c.layout[1] < c.layout[0] && c.modelVersion === version);
}


function assertMatches(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  const mean = meanAbsDiff(got, want);
  assert.ok(worst <= 2 && mean < 0.1, `${what}: max |Δ| ${worst}, mean ${mean.toFixed(3)} grey levels`);
}

async function panelPixels(page: Page): Promise<Uint8Array> {
  const rect = await page.evaluate(() => {
    const r = document.querySelector('.neuroglancer-rendered-data-panel')!.getBoundingClientRect();
    return {x: r.left + 20, y: r.top + 20, width: r.width - 40, height: r.height - 40};
  });
  const png = PNG.sync.read(await page.screenshot({clip: rect}));
  const gray = new Uint8Array(png.width * png.height);
  for (let i = 0; i < gray.length; i++) gray[i] = png.data[4 * i];
  return gray;
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

describe('the isotropic layer in the viewer', () => {
  let viewer: TinyViewer;
  let browser: Browser;
  let data: TinyModelData;
  let url: string;

  before(async () => {
    viewer = await startTinyViewer();
    ({browser, data, url} = viewer);
  });
  after(async () => {
    await viewer?.close();
  });

  it('shows the network output in the xz panel, equal to src/infer on the same voxels; toggles; the URL reopens layer and model', {timeout: 3 * TIMEOUT_MS}, async () => {
    const page = await browser.newPage({viewport: {width: 800, height: 700}});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await waitForNetworkChunks(page, data.version);

    const layerSource: string = await page.evaluate(() => window.viewer.layerManager.managedLayers[1].layer!.dataSources[0].spec.url);
    assert.match(layerSource, /^isotropic\+zarr:\/\/http:\/\/127\.0\.0\.1:\d+\/data\/medulla-crop\.ome\.zarr\?model=\.\.\/models\/tiny-test\/&version=[0-9a-f]{12}$/);
    assert.ok(layerSource.endsWith(data.version));

    // The chunks the xz panel shows, read back from the viewer, against src/infer on the same voxels.
    const chunks = await xzChunks(page, data.version);
    assert.ok(chunks.length >= 1, 'no xz chunk computed');
    const chunk = chunks[0];
    const [sx, sy, sz] = chunk.size;
    assert.deepEqual([sx, sz], [64, 64], 'an xz chunk spans the whole isotropic xz plane');
    const reference = await referenceFor(chunk, data.modelDir, data.volume);
    assertMatches(chunk.data, reference, 'viewer vs src/infer');
    const base = data.volume;
    const [nz, ny, nx] = base.shape;
    const y0 = chunk.grid[1] * chunk.layout[1];

    // Not the raw layer's look: compare with nearest-neighbour sections (slice j shows section round((j − 1.5)/4)).
    const nearest = new Uint8Array(reference.length);
    for (let z = 0; z < sz; z++) {
      const s = Math.min(nz - 1, Math.max(0, Math.round((z - 1.5) / 4)));
      for (let y = 0; y < sy; y++) for (let x = 0; x < sx; x++) nearest[(z * sy + y) * sx + x] = base.data[(s * ny + y0 + y) * nx + x];
    }
    assert.ok(meanAbsDiff(chunk.data, nearest) > 4, `isotropic chunk looks like nearest-neighbour sections (mean |Δ| ${meanAbsDiff(chunk.data, nearest).toFixed(2)})`);

    // Toggle with the documented key: 2 hides the isotropic layer (raw shows), 2 again brings it back.
    const shown = await panelPixels(page);
    await page.locator('.neuroglancer-rendered-data-panel').first().hover();
    await page.keyboard.press('2');
    await page.waitForFunction(() => !window.viewer.layerManager.managedLayers[1].visible);
    await page.waitForFunction(() => window.viewer.isReady());
    const raw = await panelPixels(page);
    // An unchanged panel differs by < 0.1 (rendering noise); cubic vs blocky sections by about 2.
    assert.ok(meanAbsDiff(shown, raw) > 1, `toggling changed nothing in the xz panel (mean |Δ| ${meanAbsDiff(shown, raw).toFixed(2)})`);
    await page.keyboard.press('2');
    await page.waitForFunction(() => window.viewer.layerManager.managedLayers[1].visible && window.viewer.isReady());
    assert.ok(meanAbsDiff(shown, await panelPixels(page)) < 1, 'toggling back did not restore the isotropic view');

    // The page URL in a fresh browser profile rebuilds the same layer with the same model.
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('isotropic+zarr'));
    const shared = page.url();
    const context = await browser.newContext({viewport: {width: 800, height: 700}});
    const reopened = await context.newPage();
    await reopened.goto(shared);
    await waitForNetworkChunks(reopened, data.version);
    assert.equal(await reopened.evaluate(() => window.viewer.layerManager.managedLayers[1].layer!.dataSources[0].spec.url), layerSource);
    const version = await reopened.evaluate(() => (window as unknown as {ngIsotropic: {layers: {model: {version?: string}}[]}}).ngIsotropic.layers[0].model.version);
    assert.equal(version, data.version);
    assert.ok(meanAbsDiff(shown, await panelPixels(reopened)) < 1, 'the reopened view shows a different image');

    // Another model swaps in without a reload: chunks are recomputed with it, and the URL names it.
    await reopened.evaluate(
      ([version]) => (window as unknown as {ngIsotropic: {useModel(n: string, m: string, v?: string): string}}).ngIsotropic.useModel('medulla-crop isotropic', '../models/tiny-test-2/', version),
      [data.version2],
    );
    await waitForNetworkChunks(reopened, data.version2);
    const swapped = await xzChunks(reopened, data.version2);
    assert.ok(swapped.length >= 1, 'no chunk computed with the new model');
    assertMatches(swapped[0].data, await referenceFor(swapped[0], data.modelDir2, data.volume), 'after the swap, viewer vs src/infer with the new model');
    assert.ok(meanAbsDiff(swapped[0].data, chunk.data) > 1, 'the new model gave the same chunk');
    await reopened.waitForFunction((v) => decodeURIComponent(location.hash).includes(`tiny-test-2/&version=${v}`), data.version2);
    await context.close();
    assert.deepEqual(errors, []);
  });
});
