/**
 * End to end: the training panel in the built viewer (headless Chromium, WebGPU
 * on SwiftShader here), on the 64×64×16 crop of the example with the `tiny`
 * preset. Opens the panel with its key, trains, watches progress and the loss
 * curve move, pauses and resumes, keeps the model in IndexedDB, reloads the tab
 * and resumes from the checkpoint, a second tab finds the run open, takes it
 * over (the first tab stops), downloads it as one .zip (the model's folder and
 * the commands that put it beside the data), publishes to the test server with its publish
 * token, and opens the shared URL in a fresh browser profile, which loads the
 * published model. The panel's views have shadow roots: Playwright's selectors
 * pierce them, document.querySelector does not (hence `poll`).
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {Browser, Page} from 'playwright-core';
import {strFromU8, unzipSync} from 'fflate';
import {joinModelJson, modelFromArtifacts} from '../../src/model/model-io.ts';
import {CROP_VOLUME, type TinyModelData} from '../helpers/tiny-model-data.ts';
import {startTinyViewer, type TinyViewer} from '../helpers/tiny-viewer.ts';

const TIMEOUT_MS = 240_000;
const STEPS = 40;

const text = (page: Page, selector: string) => page.locator(selector).first().textContent().then((t) => (t ?? '').trim());
const number = async (page: Page, selector: string) => Number(await text(page, selector));

/** Until `ok` holds, checked every 200 ms. */
async function poll(what: string, ok: () => Promise<boolean>, timeoutMs = TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Until the panel's step counter reaches `atLeast`. */
async function waitForStep(page: Page, atLeast: number): Promise<void> {
  await poll(`step ${atLeast}`, async () => (await page.locator('#ngi-step').count()) > 0 && (await number(page, '#ngi-step')) >= atLeast);
}

const checked = (page: Page, name: string) => page.locator(`input[name="${name}"]:checked`).getAttribute('value');

async function waitForState(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`.ngi-state[data-state="${state}"]`, {timeout: TIMEOUT_MS});
}

async function setField(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, 'change');
}

describe('the training panel', () => {
  let viewer: TinyViewer;
  let browser: Browser;
  let data: TinyModelData;
  let url: string;

  before(async () => {
    // The isotropic layer starts hidden: its chunks would share the two CPU cores with training.
    viewer = await startTinyViewer({isotropicVisible: false});
    ({browser, data, url} = viewer);
  });
  after(async () => {
    await viewer?.close();
  });

  it('trains, pauses, resumes, keeps, survives a reload, is taken over by a second tab, downloads one .zip, publishes with the token, and the shared URL loads the published model', {timeout: 4 * TIMEOUT_MS}, async () => {
    const context = await browser.newContext({viewport: {width: 1200, height: 800}});
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => window.viewer.isReady(), undefined, {timeout: TIMEOUT_MS});

    // Key T opens the panel; its open state goes into the URL.
    await page.locator('.neuroglancer-rendered-data-panel').first().hover();
    await page.keyboard.press('t');
    await page.waitForSelector('ngi-training-panel #ngi-start', {state: 'visible'});
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"isotropicTraining"'));
    // Voxel sizes and ρ come from the data (medulla: 10 × 10 × 40 nm → ρ = 4).
    await poll('ρ', async () => (await text(page, '#ngi-rho')) === '4.00', 30_000);
    assert.equal(await page.inputValue('#ngi-voxel-z'), '40');
    assert.equal(await page.locator('#ngi-layer option:checked').textContent(), 'medulla-crop');

    // A bad value is refused in words next to the settings, and nothing starts.
    await setField(page, '#ngi-patch', '8');
    await page.click('#ngi-start');
    assert.match(await text(page, '#ngi-error-settings'), /patch size must be a whole number ≥ 16/);
    assert.equal(await page.locator('#ngi-progress').count(), 0);

    // Fine-tuning the generic model is the default; this run starts a tiny network from scratch.
    assert.equal(await checked(page, 'ngi-start'), 'generic');
    await page.check('input[name="ngi-start"][value="scratch"]');
    await page.selectOption('#ngi-preset', 'tiny');
    await setField(page, '#ngi-steps', String(STEPS));
    await setField(page, '#ngi-patch', '16');
    await setField(page, '#ngi-batch', '2');
    await setField(page, '#ngi-lr', '0.002');
    await setField(page, '#ngi-window', '64');
    await page.click('#ngi-start');

    // Progress, rate, ETA and the loss curve move, with real numbers.
    await waitForStep(page, 3);
    assert.equal(await number(page, '#ngi-total'), STEPS);
    assert.equal(await page.locator('#ngi-progress').evaluate((p: HTMLProgressElement) => p.max), STEPS);
    assert.ok((await page.locator('#ngi-progress').evaluate((p: HTMLProgressElement) => p.value)) >= 3);
    assert.ok((await number(page, '#ngi-rate')) > 0, 'steps/s shown');
    assert.match(await text(page, '#ngi-eta'), /^\d+:\d\d$|h/);
    assert.equal(await page.locator('[data-backend]').getAttribute('data-backend'), 'webgpu');
    const points = Number(await page.locator('.ngi-chart-summary').getAttribute('data-points'));
    assert.ok(points >= 3, `loss curve has ${points} points`);
    const loss = await number(page, '.ngi-last-loss');
    assert.ok(Number.isFinite(loss) && loss > 0, `training loss ${loss}`);
    assert.ok(Number.isFinite(await number(page, '.ngi-last-psnr')), 'validation PSNR shown');
    // Beside it, the no-reference measure on the data's real axial planes, network against interpolation.
    assert.match(await text(page, '.ngi-last-axial'), /^\d+(\.\d)? % of lateral \(interpolation \d+(\.\d)? %\)$/);
    // While it trains the form is disabled but shows the run's choices, and says them in words.
    assert.equal(await checked(page, 'ngi-region'), 'view');
    assert.equal(await checked(page, 'ngi-start'), 'scratch');
    assert.ok(await page.locator('#ngi-window').isDisabled());
    assert.match(await text(page, '#ngi-run-summary'), new RegExp(`tiny preset, ${STEPS} steps, batch 2 × 16²,.* from scratch, patches from a 64-voxel window around the view`));
    assert.equal(await page.locator('.ngi-chart canvas').count(), 1, 'uPlot drew the curve');
    // Previews: five images, drawn (not blank).
    await page.waitForSelector('.ngi-previews canvas.ngi-preview[data-index="4"]');
    const contrast = await page.locator('canvas.ngi-preview').evaluateAll((canvases) =>
      (canvases as HTMLCanvasElement[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let lo = 255, hi = 0;
        for (let i = 0; i < d.length; i += 4) (lo = Math.min(lo, d[i])), (hi = Math.max(hi, d[i]));
        return {w: c.width, h: c.height, range: hi - lo};
      }),
    );
    assert.equal(contrast.length, 5);
    assert.deepEqual(contrast.slice(0, 3).map((c) => [c.w, c.h]), [[16, 16], [16, 16], [16, 16]]);
    assert.deepEqual([contrast[3].w, contrast[3].h], [64, 64], 'xz preview: 64 columns, 16 sections × ρ rows');
    assert.ok(contrast.every((c) => c.range > 20), `preview images have contrast: ${JSON.stringify(contrast)}`);

    // Pause holds the step; resume goes on.
    await page.click('#ngi-pause');
    await waitForState(page, 'paused');
    const paused = await number(page, '#ngi-step');
    await page.waitForTimeout(3000);
    assert.equal(await number(page, '#ngi-step'), paused, 'no step while paused');
    await page.click('#ngi-continue');
    await waitForState(page, 'running');
    await waitForStep(page, paused + 2);

    // Keep in this browser (IndexedDB): listed for reuse.
    await setField(page, '#ngi-model-name', 'kept-model');
    await page.click('#ngi-keep');
    await page.waitForSelector('#ngi-save-note');
    assert.match(await text(page, '#ngi-save-note'), /indexeddb:\/\/ng-isotropic-models\/kept-model \(version [0-9a-f]{12}\)/);
    await poll('the kept model listed', async () => (await text(page, '.ngi-saved')).includes('kept-model'), 30_000);

    // Apply: the isotropic layer now names the model kept in this browser, which its data source reads and accepts.
    await page.click('#ngi-apply');
    await page.waitForSelector('#ngi-apply-note');
    const applied: string = await page.evaluate(() => window.viewer.layerManager.managedLayers[1].layer!.dataSources[0].spec.url);
    assert.match(applied, /\?model=indexeddb:\/\/ng-isotropic-models\/kept-model&version=[0-9a-f]{12}$/);
    await page.waitForFunction(() => {
      const layers = (window as unknown as {ngIsotropic: {layers: {url: string; model: {state: string; url?: string}}[]}}).ngIsotropic.layers;
      const record = layers.findLast((l) => l.model.url === 'indexeddb://ng-isotropic-models/kept-model');
      return record && record.model.state !== 'failed' && record.model.state !== 'none';
    });

    // Close the tab's page mid-run (a reload): the panel offers the last checkpoint and resumes from it.
    await waitForStep(page, paused + 4);
    await page.reload();
    await page.waitForSelector('ngi-training-panel .ngi-resume-button', {state: 'visible', timeout: 60_000});
    const checkpoint = await number(page, '.ngi-resume-step');
    assert.ok(checkpoint >= paused + 2 && checkpoint < STEPS, `checkpoint at step ${checkpoint}`);
    await page.click('.ngi-resume-button');
    await waitForStep(page, checkpoint + 1);
    // The curve came back with the checkpoint, then grew from it (not from step 1).
    const history = await page.locator('.ngi-chart-summary').getAttribute('data-points');
    assert.ok(Number(history) >= checkpoint + 1, `loss curve after resuming has ${history} points`);
    const firstAfter = await number(page, '#ngi-step');
    assert.ok(firstAfter > checkpoint && firstAfter <= checkpoint + 3, `resumed at step ${firstAfter}, checkpoint ${checkpoint}`);
    await waitForStep(page, checkpoint + 2);

    // A second tab of the same browser finds the run open in the first: it may not resume it, but may take it over.
    const second = await context.newPage();
    second.on('pageerror', (e) => errors.push(e.message));
    await second.goto(page.url());
    await second.waitForSelector('ngi-training-panel .ngi-elsewhere', {timeout: 60_000});
    assert.match(await text(second, '.ngi-elsewhere'), /open in another tab/);
    assert.equal(await second.locator('.ngi-resume-button').count(), 0, 'no Resume for a run another tab trains');
    await second.click('.ngi-takeover-button');
    // The first tab stops at once (its worker ends, so it writes no further checkpoint); the second trains on.
    await waitForState(page, 'stopped');
    assert.match(await text(page, '#ngi-error-run'), /taken over by another tab/);
    const takenAt = await number(page, '#ngi-step');
    await waitForStep(second, takenAt + 1);
    await page.close();
    const tab = second;
    await tab.click('#ngi-stop');
    await waitForState(tab, 'stopped');

    // The ended run's lateral figure: cubic and the model as trained on held-out lateral planes, said to be a proxy.
    await tab.waitForSelector('ngi-lateral-figure #ngi-lateral-model', {timeout: 60_000});
    const stoppedAt = await number(tab, '#ngi-step');
    assert.equal(Number(await tab.locator('.ngi-lateral').getAttribute('data-step')), stoppedAt);
    assert.match(await text(tab, '.ngi-lateral p'), /^Lateral figure at step \d+: [1-4] held-out lateral planes? of the training region \(\d+ × \d+\),\s+each degraded along y and along x like an axial plane at ρ = 4$/);
    const figureRow = async (id: string) => (await tab.locator(`#${id} td`).allTextContents()).slice(1).map(Number);
    const [cubicPsnr, cubicDelta, cubicSsim] = await figureRow('ngi-lateral-cubic');
    const [modelPsnr, modelDelta, modelSsim, modelSsimDelta] = await figureRow('ngi-lateral-model');
    assert.ok(cubicPsnr > 15 && cubicPsnr < 60 && modelPsnr > 10 && modelPsnr < 60, `PSNR cubic ${cubicPsnr}, model ${modelPsnr}`);
    assert.ok(cubicSsim > 0 && cubicSsim <= 1 && modelSsim > 0 && modelSsim <= 1, `SSIM cubic ${cubicSsim}, model ${modelSsim}`);
    assert.equal(cubicDelta, 0);
    assert.ok(Math.abs(modelDelta - (modelPsnr - cubicPsnr)) <= 0.011, `Δ PSNR ${modelDelta} is model − cubic`);
    assert.ok(Math.abs(modelSsimDelta - (modelSsim - cubicSsim)) <= 0.00011, `Δ SSIM ${modelSsimDelta} is model − cubic`);
    assert.match(await text(tab, '.ngi-proxy'), /A proxy: .* cannot see section jitter/);
    // For a person to look at: the window as the user sees it, the figure scrolled into view.
    await fs.mkdir('.test-output', {recursive: true});
    await tab.locator('.ngi-lateral').scrollIntoViewIfNeeded();
    await tab.screenshot({path: '.test-output/training-panel-lateral.png'});

    // Download: one .zip with the model's folder (files that load as one model) and README.txt, whose commands the panel shows.
    await setField(tab, '#ngi-model-name', 'panel-test');
    const [download] = await Promise.all([tab.waitForEvent('download'), tab.click('#ngi-download')]);
    assert.equal(download.suggestedFilename(), 'panel-test.zip');
    const entries = unzipSync(await fs.readFile((await download.path())!));
    assert.deepEqual(Object.keys(entries).sort(), ['README.txt', 'panel-test/', 'panel-test/model.json', 'panel-test/weights.bin']);
    const unzipped = strFromU8(entries['panel-test/model.json']);
    const weights = entries['panel-test/weights.bin'];
    const {model: downloadedModel} = await modelFromArtifacts(joinModelJson(unzipped, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer));
    const downloaded = downloadedModel.metadata.versionHash!;
    assert.match(await text(tab, '#ngi-save-note'), new RegExp(`^Downloaded panel-test\\.zip \\(version ${downloaded}\\)`));
    const readme = strFromU8(entries['README.txt']);
    assert.equal(await text(tab, '#ngi-download-help'), readme.trim());
    assert.ok(readme.includes('gsutil cp -r panel-test gs://<bucket>/<dataset-path>/isotropic-models/'), readme);
    assert.ok(readme.includes('aws s3 cp --recursive panel-test s3://<bucket>/<dataset-path>/isotropic-models/panel-test/'), readme);
    assert.ok(readme.includes(`model=isotropic-models/panel-test/&version=${downloaded}`), readme);

    // Publish: the panel asks for the server's publish token once; the server gets the files, the layer's URL names the published model.
    await setField(tab, '#ngi-model-name', 'panel-test');
    await tab.click('#ngi-publish');
    await tab.waitForSelector('#ngi-publish-token');
    assert.match(await text(tab, '#ngi-error-publish'), /needs its publish token/);
    await tab.fill('#ngi-publish-token', 'not-the-token');
    await tab.click('#ngi-publish');
    await poll('the wrong token refused', async () => /401 wrong publish token/.test(await text(tab, '#ngi-error-publish')), 60_000);
    await tab.fill('#ngi-publish-token', viewer.server.publishToken!);
    await tab.click('#ngi-publish');
    await tab.waitForSelector('#ngi-publish-note', {timeout: 60_000});
    assert.equal(await tab.locator('#ngi-publish-token').count(), 0, 'not asked again');
    assert.equal(await tab.evaluate((o) => localStorage.getItem(`ng-isotropic-publish-token:${o}`), viewer.server.origin), viewer.server.publishToken, 'the token is kept for this server');
    const modelJson = JSON.parse(await fs.readFile(path.join(data.dir, CROP_VOLUME, 'isotropic-models/panel-test/model.json'), 'utf8'));
    const version: string = modelJson.userDefinedMetadata.isotropic.versionHash;
    assert.match(version, /^[0-9a-f]{12}$/);
    assert.equal(version, downloaded, 'the stopped run publishes the model it downloaded');
    assert.ok(modelJson.userDefinedMetadata.isotropic.steps > checkpoint, 'the published model has the resumed steps');
    assert.match(await text(tab, '#ngi-publish-note'), new RegExp(`now uses model version ${version}`));
    const source: string = await tab.evaluate(() => window.viewer.layerManager.managedLayers[1].layer!.dataSources[0].spec.url);
    assert.ok(source.endsWith(`?model=isotropic-models/panel-test/&version=${version}`), source);
    await tab.waitForFunction((v) => decodeURIComponent(location.hash).includes(`isotropic-models/panel-test/&version=${v}`), version);

    // A fresh browser profile opens the shared URL and the layer runs the published model.
    const shared = tab.url();
    const other = await browser.newContext({viewport: {width: 800, height: 700}});
    const reopened = await other.newPage();
    await reopened.goto(shared);
    await reopened.waitForFunction(() => window.viewer?.layerManager.managedLayers.length === 2);
    await reopened.evaluate(() => window.viewer.layerManager.managedLayers[1].setVisible(true));
    await reopened.waitForFunction(
      (v) => {
        const layers = (window as unknown as {ngIsotropic?: {layers: {model: {state: string; version?: string; url?: string}; chunks: {usedModel: boolean}[]}[]}}).ngIsotropic?.layers ?? [];
        return layers.some((l) => l.model.version === v && l.model.url?.endsWith('/isotropic-models/panel-test/model.json') && l.model.state === 'ready' && l.chunks.some((c) => c.usedModel));
      },
      version,
      {timeout: TIMEOUT_MS, polling: 500},
    );
    await other.close();
    await context.close();
    assert.deepEqual(errors, []);
  });
});
