/**
 * End to end: the built viewer, served by `serve`, in headless Chromium with
 * WebGPU. Needs `npm run build` first (scripts/test.js does it).
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {PNG} from 'pngjs';
import type {Browser, Page} from 'playwright-core';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {EXAMPLE_VOLUME, viewState, viewUrl} from '../../src/serve/example-view.ts';
import {launchChromium} from '../helpers/chromium.ts';

const RENDER_TIMEOUT_MS = 120_000;

/** Gray pixels of the xy (top-left) panel, from a screenshot. */
async function xyPanelPixels(page: Page): Promise<Uint8Array> {
  const rect = await page.evaluate(() => {
    const panels = [...document.querySelectorAll('.neuroglancer-rendered-data-panel')].map((e) => e.getBoundingClientRect());
    panels.sort((a, b) => a.top - b.top || a.left - b.left);
    const r = panels[0];
    return {x: r.left + 30, y: r.top + 30, width: r.width - 60, height: r.height - 60};
  });
  const png = PNG.sync.read(await page.screenshot({clip: rect}));
  const gray = new Uint8Array(png.width * png.height);
  for (let i = 0; i < gray.length; i++) gray[i] = png.data[4 * i];
  return gray;
}

function stdDev(a: Uint8Array): number {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

async function waitUntilRendered(page: Page): Promise<void> {
  await page.waitForFunction(() => window.viewer.isReady(), undefined, {timeout: RENDER_TIMEOUT_MS, polling: 250});
}

async function position(page: Page): Promise<number[]> {
  return page.evaluate(() => [...window.viewer.navigationState.position.value]);
}

describe('viewer on the example', () => {
  let server: RunningServer;
  let browser: Browser;
  let url: string;

  before(async () => {
    server = await startServer({port: 0});
    // The raw layer only: the isotropic layer (with the example's full-size model) has its own test.
    const state = await viewState(server.origin, server.dataDir, EXAMPLE_VOLUME);
    url = viewUrl(server.origin, {...state, layers: (state.layers as unknown[]).slice(0, 1)});
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs our backend module in our chunk worker and reports the WebGPU adapter', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const status = page.locator('#ngi-status');
    await page.waitForFunction(() => document.getElementById('ngi-status')?.dataset.adapter !== undefined);
    // The reply comes from our shared object's backend half, in the worker named by our data context.
    assert.match(await status.innerText(), /^WebGPU adapter: .+ \(chunk worker "chunk-worker"\)$/);
    assert.equal(await status.getAttribute('data-adapter'), 'found');
    await page.close();
  });

  it('renders the image layer in the xy panel, changes with position, and restores position from the URL', async () => {
    const page = await browser.newPage({viewport: {width: 1000, height: 800}});
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => window.viewer?.layerManager.managedLayers.length === 1);
    await waitUntilRendered(page);
    const start = await position(page);
    assert.deepEqual(start, [124.5, 124.5, 125.5], 'centred on the data');
    const first = await xyPanelPixels(page);
    assert.ok(stdDev(first) > 15, `xy panel looks blank (std ${stdDev(first).toFixed(1)})`);

    // Ten 40 nm sections further in z.
    await page.evaluate(() => {
      const p = window.viewer.navigationState.position;
      p.value = Float32Array.of(124.5, 124.5, 165.5);
    });
    await waitUntilRendered(page);
    const moved = await xyPanelPixels(page);
    assert.ok(stdDev(moved) > 15, 'xy panel blank after moving');
    assert.ok(meanAbsDiff(first, moved) > 10, `xy panel did not change (mean |Δ| ${meanAbsDiff(first, moved).toFixed(1)})`);

    // The URL hash follows the state (debounced); a new page at that URL restores the position.
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('165.5'));
    const sharedUrl = page.url();
    const reopened = await browser.newPage({viewport: {width: 1000, height: 800}});
    await reopened.goto(sharedUrl);
    await reopened.waitForFunction(() => window.viewer?.layerManager.managedLayers.length === 1);
    await waitUntilRendered(reopened);
    assert.deepEqual(await position(reopened), [124.5, 124.5, 165.5]);
    const again = await xyPanelPixels(reopened);
    assert.ok(meanAbsDiff(moved, again) < 2, 'reopened view shows a different image');
    assert.deepEqual(errors, []);
  });
});
