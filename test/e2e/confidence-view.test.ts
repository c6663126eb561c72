/**
 * End to end: the confidence view of the isotropic layer in the built viewer (headless Chromium, the tiny
 * model of tiny-viewer.ts). The key C turns it on (the source gains show=confidence); each chunk's confidence
 * channel lines up with its image (the very numbers src/chunk computes for the same voxels, not a neighbour's);
 * the status line's share of low-confidence voxels is the share in the visible chunks' data; C hides and
 * shows the colours.
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {PNG} from 'pngjs';
import type {Browser, Page} from 'playwright-core';
import type {TinyModelData} from '../helpers/tiny-model-data.ts';
import {confidenceReferenceFor, loadedChunks, referenceFor, type LoadedChunk} from '../helpers/loaded-chunks.ts';
import {startTinyViewer, type TinyViewer} from '../helpers/tiny-viewer.ts';
import {CONFIDENCE_SHADER} from '../../layers/isotropic/confidence-shader.ts';
import {formatShare} from '../../layers/isotropic/confidence-status.ts';
import {LOW_CONFIDENCE} from '../../src/infer/confidence.ts';

const TIMEOUT_MS = 300_000;
/** The crop's ρ (10×10×40 nm). */
const RHO = 4;

interface ConfidenceRecord {
  share?: number;
  low: number;
  voxels: number;
  pending: number;
  visible: {grid: number[]; low: number; voxels: number}[];
}
interface Layer {
  url: string;
  model: {state: string; version?: string};
  confidence?: ConfidenceRecord;
}

/** The record of the layer with the confidence view, once every chunk in view has its confidence and the panel is drawn. */
async function confidenceInView(page: Page): Promise<ConfidenceRecord> {
  const handle = await page.waitForFunction(
    (shader) => {
      const layer = (window as unknown as {ngIsotropic?: {layers: Layer[]}}).ngIsotropic?.layers.find((l) => l.url.includes('show=confidence'));
      const c = layer?.confidence;
      const drawn = (window.viewer.layerManager.managedLayers[1].layer as unknown as {fragmentMain: {value: string}}).fragmentMain.value === shader;
      return layer?.model.state === 'ready' && c && c.pending === 0 && c.visible.length > 0 && drawn && window.viewer.isReady() ? c : false;
    },
    CONFIDENCE_SHADER,
    {timeout: TIMEOUT_MS, polling: 500},
  );
  return (await handle.jsonValue()) as ConfidenceRecord;
}

/** Pixels of the panel whose colour is far from grey (the orange of low confidence). */
async function colouredPixels(page: Page): Promise<number> {
  const rect = await page.evaluate(() => {
    const r = document.querySelector('.neuroglancer-rendered-data-panel')!.getBoundingClientRect();
    return {x: r.left + 20, y: r.top + 20, width: r.width - 40, height: r.height - 40};
  });
  const png = PNG.sync.read(await page.screenshot({clip: rect}));
  let n = 0;
  for (let i = 0; i < png.width * png.height; i++) if (png.data[4 * i] - png.data[4 * i + 2] > 40) n++;
  return n;
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** `reference` (z, y, x over the chunk) moved by dz, dx voxels, edges repeated. */
function shifted(reference: Float32Array, size: number[], dz: number, dx: number): Float32Array {
  const [sx, sy, sz] = size;
  const out = new Float32Array(reference.length);
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  for (let z = 0; z < sz; z++) {
    for (let y = 0; y < sy; y++) for (let x = 0; x < sx; x++) out[(z * sy + y) * sx + x] = reference[(clamp(z + dz, sz) * sy + y) * sx + clamp(x + dx, sx)];
  }
  return out;
}

describe('the confidence view in the viewer', () => {
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

  it('C turns it on; the confidence lines up with the image chunks; the status share is the visible chunks\' share; C hides and shows the colours', {timeout: 4 * TIMEOUT_MS}, async () => {
    const page = await browser.newPage({viewport: {width: 800, height: 700}});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as {ngIsotropic?: {layers: Layer[]}}).ngIsotropic?.layers[0]?.model.state === 'ready' && window.viewer.isReady(), undefined, {
      timeout: TIMEOUT_MS,
    });

    // No layer shows confidence yet: C turns the view on for the visible isotropic layer.
    await page.locator('.neuroglancer-rendered-data-panel').first().hover();
    await page.keyboard.press('c');
    const source = await page.waitForFunction(() => {
      const url = window.viewer.layerManager.managedLayers[1].layer!.dataSources[0].spec.url;
      return url.includes('show=confidence') ? url : false;
    });
    assert.match(String(await source.jsonValue()), /\?model=\.\.\/models\/tiny-test\/&version=[0-9a-f]{12}&show=confidence$/);
    const record = await confidenceInView(page);

    // Each visible chunk: the image channel is the image src/infer computes, the confidence channel what src/chunk computes for the same voxels.
    const chunks = (await loadedChunks(page)).filter((c) => c.confidenceView && c.layout[1] < c.layout[0] && c.modelVersion === data.version);
    const at = (grid: number[]) => chunks.find((c) => c.grid.join() === grid.join());
    let low = 0;
    let voxels = 0;
    for (const v of record.visible) {
      const chunk: LoadedChunk | undefined = at(v.grid);
      assert.ok(chunk?.confidence, `the visible chunk ${v.grid} has no confidence in the viewer`);
      assert.equal(chunk.confidence.length, chunk.data.length, 'one confidence per image voxel');
      const image = await referenceFor(chunk, data.modelDir, data.volume);
      assert.ok(meanAbsDiff(chunk.data, image) < 0.1, `the image under the confidence view differs from src/infer (mean |Δ| ${meanAbsDiff(chunk.data, image).toFixed(3)})`);
      const reference = await confidenceReferenceFor(chunk, data.modelDir, data.volume, RHO);
      const aligned = meanAbsDiff(chunk.confidence, reference);
      assert.ok(aligned < 0.02, `viewer vs src/chunk confidence: mean |Δ| ${aligned.toFixed(4)}`);
      // Same placement: the reference moved by a voxel or two along x or z fits worse than in place.
      for (const [dz, dx] of [[0, 1], [0, -1], [1, 0], [-1, 0], [0, 2], [2, 0]]) {
        const off = meanAbsDiff(chunk.confidence, shifted(reference, chunk.size, dz, dx));
        assert.ok(aligned < off, `the confidence fits the reference moved by (z ${dz}, x ${dx}) as well: ${off.toFixed(4)} vs ${aligned.toFixed(4)} in place`);
      }
      // The status line's counts are the chunk's data.
      const lowHere = chunk.confidence.filter((c) => c < LOW_CONFIDENCE).length;
      assert.deepEqual([v.low, v.voxels], [lowHere, chunk.data.length]);
      low += lowHere;
      voxels += chunk.data.length;
    }
    assert.equal(record.share, low / voxels);
    const statusText = await page.locator('[data-ng-isotropic="confidence"]').first().textContent();
    assert.ok(statusText?.includes(`${formatShare(low / voxels)} of the voxels in view have low confidence`), `status line: ${statusText}`);

    // C hides the colours, and shows them again. A random tiny model may leave nothing below the threshold: the
    // shader's threshold is raised above 1 here, so that every voxel is coloured while the colours are shown.
    await page.evaluate(
      ([shader, low]) => {
        const layer = window.viewer.layerManager.managedLayers[1].layer as unknown as {fragmentMain: {value: string}};
        layer.fragmentMain.value = shader.replaceAll(low, '1.01');
      },
      [CONFIDENCE_SHADER, String(LOW_CONFIDENCE)],
    );
    await page.waitForFunction(() => window.viewer.isReady());
    const control = () =>
      page.evaluate(() => (window.viewer.layerManager.managedLayers[1].layer as unknown as {shaderControlState: {value: Map<string, {trackable: {value: unknown}}>}}).shaderControlState.value.get('confidence')?.trackable.value);
    await page.waitForFunction(() => window.viewer.isReady());
    assert.equal(await control(), true);
    const shown = await colouredPixels(page);
    await page.keyboard.press('c');
    assert.equal(await control(), false);
    await page.waitForFunction(() => window.viewer.isReady());
    const hidden = await colouredPixels(page);
    await page.keyboard.press('c');
    assert.equal(await control(), true);
    await page.waitForFunction(() => window.viewer.isReady());
    const again = await colouredPixels(page);
    const panel = await page.evaluate(() => {
      const r = document.querySelector('.neuroglancer-rendered-data-panel')!.getBoundingClientRect();
      return (r.width - 40) * (r.height - 40);
    });
    assert.ok(shown > 0.2 * panel && hidden < 0.05 * panel, `orange pixels with the colours shown ${shown}, hidden ${hidden}, of ${panel}`);
    // (The key's message in the status area covers part of the panel.)
    assert.ok(again > 0.2 * panel && again > 10 * hidden, `shown again: ${again} orange pixels, first ${shown}, hidden ${hidden}`);
    assert.deepEqual(errors, []);
  });
});
