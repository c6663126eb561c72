/**
 * End to end: the built viewer (dist/) hosted as a static site. A plain static
 * server holds it under a sub-path and sends no special headers; the data and
 * the model are on a second origin that sends CORS headers only. The viewer's
 * service worker (coi-serviceworker) isolates the page with one reload, and the
 * isotropic layer then computes the network's pixels on more than one wasm
 * thread. Without the service worker, or on an insecure page, the layer says the
 * network runs on one thread, and why.
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, promises as fs} from 'node:fs';
import path from 'node:path';
import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';
import {formatSourceUrl} from '../../src/input/source-url.ts';
import {initBackend} from '../../src/tf/backend.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium} from '../helpers/chromium.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {openLocal} from '../helpers/inputs.ts';
import {writeExampleCrop, writeTinyModel} from '../helpers/reconstruct-fixtures.ts';
import {loadedChunks, referenceFor} from '../helpers/loaded-chunks.ts';
import {startStaticHost, type StaticHost} from '../helpers/static-host.ts';

const TIMEOUT_MS = 300_000;
const DIST = path.resolve('dist');
const VIEWER_PATH = '/lab/viewer/';
const VOLUME = 'crop.ome.zarr';
const VIEWPORT = {width: 500, height: 400};
const NOT_ISOLATED = /not cross-origin isolated, so the network runs on one thread/;

interface LayerRecord {
  url: string;
  model: {state: string; url?: string; version?: string};
  backend?: {backend: string; threads?: number; notice?: string};
  chunks: {usedModel: boolean}[];
}

const layerRecord = (page: Page) => page.evaluate(() => (window as unknown as {ngIsotropic: {layers: LayerRecord[]}}).ngIsotropic.layers[0]);

describe('the viewer hosted as a static site', () => {
  let dir: string;
  let volume: {data: Uint8Array; shape: Vec3};
  let modelDir: string;
  let version: string;
  let viewerHost: StaticHost;
  let dataHost: StaticHost;
  let browser: Browser;
  /** The view a colleague is sent: the isotropic layer of the crop, the model beside it, on the data origin. */
  let viewUrl: (viewerUrl: string) => string;

  before(async () => {
    if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('no built viewer in dist/: run `npm run build` first');
    dir = await tempDir('ngi-hosted-');
    const dataDir = path.join(dir, 'data');
    volume = await writeExampleCrop(path.join(dataDir, VOLUME), [20, 36], [96, 160], [96, 160]);
    modelDir = path.join(dataDir, 'models', 'tiny');
    await initBackend(['wasm']);
    await writeTinyModel(modelDir);
    version = JSON.parse(await fs.readFile(path.join(modelDir, 'model.json'), 'utf8')).userDefinedMetadata.isotropic.versionHash;
    // A plain static host (no COOP/COEP), the viewer on a sub-path; the data on another origin with CORS alone.
    viewerHost = await startStaticHost({root: DIST, prefix: VIEWER_PATH});
    dataHost = await startStaticHost({root: dataDir, prefix: '/data/', headers: {'access-control-allow-origin': '*'}});
    const source = formatSourceUrl({datasetUrl: `${dataHost.url}${VOLUME}`, model: `${dataHost.url}models/tiny/`, version});
    const state = {...(await centredOn(path.join(dataDir, VOLUME))), layers: [{type: 'image', name: 'iso', source}]};
    // One xz panel zoomed so the 64-voxel crop fills it: little work on 2 cores.
    const hash = `#!${encodeURIComponent(JSON.stringify({...state, layout: 'xz', crossSectionScale: 0.15}))}`;
    viewUrl = (viewerUrl) => `${viewerUrl}?tfjs=wasm${hash}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await viewerHost?.close();
    await dataHost?.close();
    if (dir) await fs.rm(dir, {recursive: true, force: true});
  });

  /** Times the viewer's page itself was asked for (first load and reloads). */
  const pageLoads = () => viewerHost.requests.filter((p) => p === VIEWER_PATH).length;

  it('the build is a static site: relative assets, the service worker script and the generic model beside the page', async () => {
    const html = await fs.readFile(path.join(DIST, 'index.html'), 'utf8');
    assert.match(html, /<script\s+src="\.\/coi-serviceworker\.js"\s*><\/script>/, 'a classic script, unbundled, beside the page');
    assert.ok(html.indexOf('coi-serviceworker.js') < html.indexOf('type="module"'), 'it runs before the viewer');
    assert.doesNotMatch(html, /(src|href)="\/(?!\/)/, 'no root-relative asset path');
    for (const file of ['coi-serviceworker.js', 'models/generic/model.json', 'models/generic/weights.bin']) {
      const response = await fetch(viewerHost.url + file);
      assert.equal(response.status, 200, file);
    }
    const script = await (await fetch(viewerHost.url + 'coi-serviceworker.js')).text();
    assert.match(script, /Cross-Origin-Embedder-Policy/, 'the service worker adds the isolation headers');
  });

  it('isolates itself with one reload and computes the network pixels on more than one wasm thread', {timeout: 2 * TIMEOUT_MS}, async () => {
    const context = await browser.newContext({viewport: VIEWPORT});
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const loadsBefore = pageLoads();
    const response = await page.goto(viewUrl(viewerHost.url));
    assert.equal(response?.headers()['cross-origin-opener-policy'], undefined, 'the host itself sends no isolation headers');
    await page.waitForFunction(() => crossOriginIsolated, undefined, {timeout: 60_000, polling: 250});
    await page.waitForFunction(
      (version) => {
        const layer = (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0];
        return layer?.model.state === 'ready' && layer.model.version === version && layer.chunks.some((c) => c.usedModel) && window.viewer.isReady();
      },
      version,
      {timeout: TIMEOUT_MS, polling: 500},
    );
    const scriptURL = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
    assert.equal(scriptURL, `${viewerHost.url}coi-serviceworker.js`, 'the service worker beside the page controls it');
    assert.equal(pageLoads() - loadsBefore, 2, 'the first visit loads the page, then reloads it once');

    // The layer names the model and version of the view, and runs wasm on every core.
    const layer = await layerRecord(page);
    assert.equal(layer.model.url, `${dataHost.url}models/tiny/model.json`);
    assert.equal(layer.model.version, version);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(layer.backend?.backend, 'wasm');
    assert.ok((layer.backend?.threads ?? 0) > 1, `the wasm network runs on ${layer.backend?.threads} thread(s)`);
    assert.equal(layer.backend?.threads, Math.min(8, cores));
    assert.equal(await page.getByText(NOT_ISOLATED).count(), 0, 'no not-isolated notice');
    const status = await page.locator('[data-ng-isotropic="model"]').textContent();
    assert.match(status ?? '', new RegExp(`model tiny \\(${version}\\)`));

    // An xz chunk read back from the viewer: what src/infer computes with the same model on the same voxels.
    const chunks = await loadedChunks(page);
    const chunk = chunks.find((c) => c.layout[1] < c.layout[0] && c.modelVersion === version);
    assert.ok(chunk, `no xz chunk computed with the model among ${chunks.length}`);
    const reference = await referenceFor(chunk, modelDir, volume);
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(chunk.data[i] - reference[i]));
    assert.equal(chunk.data.length, reference.length);
    assert.ok(worst <= 2, `viewer vs src/infer: max |Δ| ${worst}`);
    // The data and model came from the other origin.
    assert.ok(dataHost.requests.some((p) => p.startsWith(`/data/${VOLUME}/0/`)), 'chunks read from the data origin');
    assert.ok(dataHost.requests.includes('/data/models/tiny/weights.bin'), 'weights read from the data origin');

    await fs.mkdir('.test-output', {recursive: true});
    await page.screenshot({path: '.test-output/hosted-viewer.png'});
    assert.deepEqual(errors, []);
    // A later visit: the service worker is in place, the page is isolated at once, no reload.
    await page.close();
    const loadsNow = pageLoads();
    const again = await context.newPage();
    await again.goto(viewUrl(viewerHost.url));
    assert.equal(await again.evaluate(() => crossOriginIsolated), true);
    await again.waitForFunction(() => (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0]?.backend !== undefined, undefined, {timeout: TIMEOUT_MS});
    assert.equal(pageLoads() - loadsNow, 1, 'a later visit does not reload');
    await context.close();
  });

  it('without the service worker: one thread, and the layer says the page is not isolated', {timeout: TIMEOUT_MS}, async () => {
    const context = await browser.newContext({viewport: VIEWPORT});
    // coi-serviceworker's own switch, as a page that embeds the viewer would set it.
    await context.addInitScript('window.coi = {shouldRegister: () => false}'); // a string: the page knows no helpers of this test's compiler
    const page = await oneThread(context, viewUrl(viewerHost.url));
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null);
    assert.doesNotMatch((await page.getByText(NOT_ISOLATED).first().textContent()) ?? '', /https/, 'a secure page needs no https hint');
    await context.close();
  });

  it('on an insecure page (plain http under a host name): one thread, and the notice asks for https', {timeout: TIMEOUT_MS}, async () => {
    // `lab.test` is this machine: http on a name other than localhost is not a secure context.
    const insecure = await chromium.launch({executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP lab.test 127.0.0.1']});
    try {
      const context = await insecure.newContext({viewport: VIEWPORT});
      const page = await oneThread(context, viewUrl(viewerHost.url.replace('127.0.0.1', 'lab.test')));
      assert.equal(await page.evaluate(() => isSecureContext), false);
      const notice = (await page.getByText(NOT_ISOLATED).first().textContent()) ?? '';
      assert.match(notice, /browsers isolate only secure pages: open the viewer over https \(or on localhost\)/);
    } finally {
      await insecure.close();
    }
  });

  /** Opens the view; it stays not isolated (no reload), and the layer runs wasm on one thread and says so. */
  async function oneThread(context: BrowserContext, url: string): Promise<Page> {
    const page = await context.newPage();
    const loadsBefore = pageLoads();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0]?.backend !== undefined, undefined, {timeout: TIMEOUT_MS});
    const layer = await layerRecord(page);
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    await page.getByText(NOT_ISOLATED).first().waitFor({timeout: 30_000}).catch((e) => {
      throw new Error(`${e.message}; the layer: ${JSON.stringify(layer.backend)}`);
    });
    assert.equal(layer.backend?.backend, 'wasm');
    assert.equal(layer.backend?.threads, 1);
    assert.equal(pageLoads() - loadsBefore, 1, 'the page was not reloaded');
    return page;
  }
});


/** Display dimensions (the finest spacing on every axis) and the position at the volume's centre (nanometre NGFF units). */
async function centredOn(volumeDir: string): Promise<{dimensions: Record<string, [number, string]>; position: number[]}> {
  const {input} = await openLocal(volumeDir);
  assert.equal(input.unit, 'nanometer');
  const {scale, translation, shape} = input.levels[0];
  const fine = Math.min(...scale);
  const centre = shape.map((n, i) => (translation[i] + (scale[i] * (n - 1)) / 2) / fine);
  return {dimensions: {x: [fine * 1e-9, 'm'], y: [fine * 1e-9, 'm'], z: [fine * 1e-9, 'm']}, position: [centre[2], centre[1], centre[0]]};
}
