/**
 * End to end: the share action in the built viewer (needs `npm run build`).
 * Key U (or the toolbar button) copies the view's link and says what a
 * colleague could not open: a dataset on 127.0.0.1, a model kept in
 * IndexedDB, the page itself on this computer; on a page with a public name
 * (mapped to the test server by Chromium's resolver) and public layers it says
 * nothing is local, and, the page being plain http there, shows the link
 * selected to copy by hand. Screenshots of the popup go to a temp folder,
 * named in the output.
 */
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {chromium, type Browser, type Page} from 'playwright-core';
import {startTinyViewer, type TinyViewer} from '../helpers/tiny-viewer.ts';
import {CHROMIUM_ARGS, CHROMIUM_PATH} from '../helpers/chromium.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {stateOfLink} from '../../src/share/view-link.ts';
import {formatSourceUrl, parseSourceUrl, splitIsotropicSource} from '../../src/input/source-url.ts';

const TIMEOUT_MS = 120_000;
const PUBLIC_HOST = 'viewer.example.org';

const text = (page: Page, selector: string) => page.locator(selector).first().textContent().then((t) => (t ?? '').trim());
const items = (page: Page) =>
  page.locator('ngi-share-popup li').evaluateAll((lis) => lis.map((li) => ({what: li.getAttribute('data-what'), place: li.getAttribute('data-place'), layer: li.getAttribute('data-layer'), text: li.textContent!.trim()})));

async function openView(page: Page, url: string): Promise<void> {
  const messages: string[] = [];
  const log = (m: {text(): string}) => messages.push(m.text());
  page.on('console', log);
  await page.goto(url);
  await page
    .waitForFunction(() => window.viewer?.layerManager.managedLayers.length > 0 && document.querySelector('.ngi-share-button'), undefined, {timeout: TIMEOUT_MS})
    .catch((e: Error) => {
      throw new Error(`${e.message}; the page said: ${messages.join(' | ')}`);
    });
  page.off('console', log);
}

/** Key U over the viewer, as a person would press it. */
async function pressShare(page: Page): Promise<void> {
  await page.locator('.neuroglancer-rendered-data-panel').first().hover();
  await page.keyboard.press('u');
  await page.waitForSelector('ngi-share-popup #ngi-share-headline');
}

function viewUrlWith(url: string, state: unknown): string {
  return `${url.replace(/#.*$/, '')}#!${encodeURIComponent(JSON.stringify(state))}`;
}

describe('the share action', () => {
  let viewer: TinyViewer;
  let shots: string;
  let publicBrowser: Browser | undefined;

  before(async () => {
    viewer = await startTinyViewer({isotropicVisible: false});
    shots = await tempDir('ngi-share-view-');
    console.log(`share popup screenshots in ${shots}`);
  });
  after(async () => {
    await publicBrowser?.close();
    await viewer?.close();
  });

  it('copies the link to the view and warns about a dataset on 127.0.0.1 and the page on this computer', {timeout: 3 * TIMEOUT_MS}, async () => {
    const context = await viewer.browser.newContext({viewport: {width: 1200, height: 800}, permissions: ['clipboard-read', 'clipboard-write']});
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openView(page, viewer.url);
    await pressShare(page);

    assert.equal(await text(page, '#ngi-share-copied'), 'The link to this view is copied to the clipboard.');
    assert.equal(await text(page, '#ngi-share-headline'), 'A colleague with this link could not open:');
    const found = await items(page);
    const port = new URL(viewer.url).port;
    assert.deepEqual(found.map((f) => [f.what, f.place, f.layer]), [
      ['page', 'this-computer', null],
      ['data', 'this-computer', 'medulla-crop'],
      ['data', 'this-computer', 'medulla-crop isotropic'],
      ['model', 'this-computer', 'medulla-crop isotropic'],
    ]);
    assert.match(found[3].text, new RegExp(`^Layer "medulla-crop isotropic": its model, http://127\\.0\\.0\\.1:${port}/data/models/[^ ]+/model\\.json, is on this computer`));
    assert.equal(found[0].text, `The link opens the viewer at http://127.0.0.1:${port}/, which is on this computer (127.0.0.1): a colleague's browser would look for it on their own computer. Share a link to the viewer hosted on a public web server instead.`);
    assert.match(found[1].text, new RegExp(`^Layer "medulla-crop": its data, http://127\\.0\\.0\\.1:${port}/data/medulla-crop[^ ]*, is on this computer \\(127\\.0\\.0\\.1\\): a colleague's browser would look for it on their own computer\\.$`));

    // The clipboard holds the page's address with the current state: the URL the page shows once its hash is written.
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(await page.inputValue('#ngi-share-link'), clip);
    assert.ok(clip.startsWith(`http://127.0.0.1:${port}/#!`), clip);
    await page.waitForFunction((c) => location.href === c, clip, {timeout: 10_000});
    const state = await page.evaluate(() => JSON.parse(JSON.stringify(window.viewer.state.toJSON())));
    assert.deepEqual(stateOfLink(clip), state);
    await page.screenshot({path: path.join(shots, 'share-local-dataset.png')});

    // The popup stays until dismissed: Escape closes it; the toolbar button opens it again.
    await page.waitForTimeout(1500);
    assert.equal(await page.locator('ngi-share-popup').count(), 1);
    await page.locator('#ngi-share-link').press('Escape');
    assert.equal(await page.locator('ngi-share-popup').count(), 0);
    await page.click('.ngi-share-button');
    await page.waitForSelector('ngi-share-popup #ngi-share-headline');
    await page.click('ngi-share-popup .ngi-share-close');
    assert.equal(await page.locator('ngi-share-popup').count(), 0);
    await context.close();
    assert.deepEqual(errors, []);
  });

  it("leaves keys typed into the training panel's fields to the fields: digits, U and T are not shortcuts there", {timeout: 2 * TIMEOUT_MS}, async () => {
    const context = await viewer.browser.newContext({viewport: {width: 1200, height: 800}});
    const page = await context.newPage();
    await openView(page, viewer.url);
    await page.locator('.neuroglancer-rendered-data-panel').first().hover();
    await page.keyboard.press('t');
    await page.waitForSelector('ngi-training-panel #ngi-voxel-z', {state: 'visible'});
    const visible = () => page.evaluate(() => window.viewer.layerManager.managedLayers.map((l) => l.visible));
    const before = await visible();
    await page.locator('#ngi-voxel-z').click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    for (const key of ['4', '5', 'u', 't', '1']) await page.keyboard.press(key);
    assert.equal(await page.inputValue('#ngi-voxel-z'), '451');
    assert.deepEqual(await visible(), before, 'digits typed into a field toggle no layer');
    assert.equal(await page.locator('ngi-share-popup').count(), 0, 'U typed into a field shares nothing');
    assert.ok(await page.locator('#ngi-voxel-z').isVisible(), 'T typed into a field keeps the panel open');
    await context.close();
  });

  it('warns about a model kept only in this browser, naming the layer', {timeout: 2 * TIMEOUT_MS}, async () => {
    const state = stateOfLink(viewer.url) as {layers: {name: string; source: string}[]};
    const iso = splitIsotropicSource(state.layers[1].source)!;
    const options = parseSourceUrl(iso.providerUrl, iso.format);
    state.layers[1].source = formatSourceUrl({...options, model: 'indexeddb://ng-isotropic-models/kept', version: '0123456789ab'});
    const context = await viewer.browser.newContext({viewport: {width: 1200, height: 800}, permissions: ['clipboard-read', 'clipboard-write']});
    const page = await context.newPage();
    await openView(page, viewUrlWith(viewer.url, state));
    await pressShare(page);
    const model = (await items(page)).filter((f) => f.what === 'model');
    assert.deepEqual(model.map((f) => [f.place, f.layer]), [['this-browser', 'medulla-crop isotropic']]);
    assert.equal(
      model[0].text,
      'Layer "medulla-crop isotropic": its model, indexeddb://ng-isotropic-models/kept, is kept only in this browser: publish it beside the data, or download it and copy it next to the data on a bucket.',
    );
    await page.screenshot({path: path.join(shots, 'share-indexeddb-model.png')});
    await context.close();
  });

  it('says nothing is local for public layers on a public page, and shows the link selected where there is no clipboard', {timeout: 2 * TIMEOUT_MS}, async () => {
    // The public name resolves to the test server; every other name resolves nowhere (nothing leaves this machine).
    publicBrowser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${PUBLIC_HOST} 127.0.0.1, MAP * ~NOTFOUND`],
    });
    const page = await (await publicBrowser.newContext({viewport: {width: 1200, height: 800}})).newPage();
    const state = {
      dimensions: {x: [1e-8, 'm'], y: [1e-8, 'm'], z: [1e-8, 'm']},
      layers: [
        {type: 'image', name: 'public em', source: 'precomputed://gs://public-bucket/em'},
        {type: 'image', name: 'public em isotropic', source: 'isotropic+precomputed://gs://public-bucket/em?model=isotropic-models/fly-v2/&version=0123456789ab', visible: false},
        {type: 'image', name: 'lab em', source: 'zarr://https://data.example.org/em.zarr/', visible: false},
      ],
      layout: 'xy',
    };
    const pageUrl = `http://${PUBLIC_HOST}:${new URL(viewer.url).port}/`;
    await openView(page, viewUrlWith(pageUrl, state));
    await pressShare(page);
    assert.equal(await text(page, '#ngi-share-headline'), 'Nothing in this view is local: anyone with the link opens the same layers and models.');
    assert.equal(await page.locator('ngi-share-popup li').count(), 0);
    // Plain http on a public name is no secure context: no clipboard, so the link is shown selected.
    assert.equal(await text(page, '#ngi-share-copied'), 'This page is not served over https (or from localhost), so the browser gives it no clipboard: the link is selected below; copy it with Ctrl+C (⌘C on a Mac).');
    const selection = await page.evaluate(() => {
      const field = document.activeElement as HTMLInputElement;
      return {id: field.id, selected: field.value.slice(field.selectionStart!, field.selectionEnd!), value: field.value};
    });
    assert.equal(selection.id, 'ngi-share-link');
    assert.equal(selection.selected, selection.value, 'the whole link is selected');
    assert.ok(selection.value.startsWith(`${pageUrl}#!`), selection.value);
    assert.deepEqual((stateOfLink(selection.value) as {layers: {source: unknown}[]}).layers.map((l) => l.source), state.layers.map((l) => l.source));
    await page.screenshot({path: path.join(shots, 'share-public-view.png')});
  });
});
