// The README's picture of the confidence view: the ISBI 2012 ssTEM test stack (30 sections of 512×512 at
// 4×4×50 nm, ρ 12.5) converted to OME-Zarr with `ng-isotropic convert`, served as `ng-isotropic serve` serves it,
// opened in the built viewer in one xz panel with the isotropic layer at `show=confidence`, and saved once every
// chunk in view has its confidence.
// Usage: node --import tsx scripts/confidence-screenshot.ts [--data ../shared/data/isbi2012-sstem/test]
//          [--voxel-size 4,4,50] [--model URL (default: the layer's own choice)] [--tfjs wasm] [--out docs/confidence-view.png]
//          [--width 720] [--height 560] [--timeout 900]
import {execFileSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {startServer} from '../src/serve/server.ts';
import {viewState, viewUrl} from '../src/serve/example-view.ts';
import {formatSourceUrl, parseSourceUrl, splitIsotropicSource} from '../src/input/source-url.ts';
import {launchChromium} from '../src/cli/chromium.ts';

const {values} = parseArgs({
  options: {
    data: {type: 'string', default: '../shared/data/isbi2012-sstem/test'},
    'voxel-size': {type: 'string', default: '4,4,50'},
    model: {type: 'string'},
    tfjs: {type: 'string'},
    out: {type: 'string', default: 'docs/confidence-view.png'},
    width: {type: 'string', default: '720'},
    height: {type: 'string', default: '560'},
    timeout: {type: 'string', default: '900'},
  },
});

const VOLUME = 'isbi-test.ome.zarr';
const timeoutMs = +values.timeout! * 1000;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-confidence-shot-'));
const browser = await launchChromium();
const server = await startServer({port: 0, dataDir, readOnly: true});
try {
  execFileSync(process.execPath, ['bin/ng-isotropic.js', 'convert', values.data!, path.join(dataDir, VOLUME), '--voxel-size', values['voxel-size']!], {stdio: 'inherit'});
  const state = await viewState(server.origin, dataDir, VOLUME);
  const [raw, iso] = state.layers as {source: string; visible?: boolean}[];
  const {format, providerUrl} = splitIsotropicSource(iso.source)!;
  const options = parseSourceUrl(providerUrl, format);
  const source = formatSourceUrl({...options, show: 'confidence', ...(values.model ? {model: values.model, version: undefined} : {})});
  // One axial (xz) panel, the whole width of the sections in view; the raw layer stays in the list, hidden.
  const view = {...state, layers: [{...raw, visible: false}, {...iso, source}], layout: 'xz', crossSectionScale: 0.85};
  const query = values.tfjs ? `?tfjs=${values.tfjs}` : '';
  const url = viewUrl(server.origin, view).replace('/#!', `/${query}#!`);
  const page = await browser.newPage({viewport: {width: +values.width!, height: +values.height!}});
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  // Ready: the model's verdict is in, every visible chunk has its confidence (or the layer says why it has none), the panel is drawn.
  const outcome = await page.waitForFunction(
    () => {
      const layer = (
        window as unknown as {ngIsotropic?: {layers: {model: {state: string; error?: string; reason?: string}; confidence?: {pending: number; visible: unknown[]; share?: number}}[]}}
      ).ngIsotropic?.layers[0];
      if (!layer || layer.model.state === 'loading' || !window.viewer.isReady()) return false;
      if (layer.model.state !== 'ready') return {model: layer.model};
      const c = layer.confidence;
      return c && c.pending === 0 && c.visible.length > 0 ? {share: c.share} : false;
    },
    undefined,
    {timeout: timeoutMs, polling: 500},
  );
  const result = (await outcome.jsonValue()) as {share?: number; model?: {state: string; error?: string; reason?: string}};
  if (result.model) throw new Error(`the layer runs no network on this volume (${result.model.state}): ${result.model.error ?? result.model.reason ?? ''}`);
  await fs.mkdir(path.dirname(values.out!), {recursive: true});
  await page.screenshot({path: values.out!});
  const bytes = (await fs.stat(values.out!)).size;
  // The spread of the values in view: what the colours have to show.
  const inView = await page.evaluate(() =>
    (window as unknown as {ngIsotropic: {loadedChunks(d: boolean): {confidence?: number[]}[]}}).ngIsotropic.loadedChunks(true).flatMap((c) => c.confidence ?? []),
  );
  inView.sort((a, b) => a - b);
  const q = (p: number) => inView[Math.min(inView.length - 1, Math.floor(p * inView.length))]?.toFixed(3);
  console.log(`wrote ${values.out} (${(bytes / 1024).toFixed(0)} kB): ${(result.share! * 100).toFixed(2)} % of the voxels in view have low confidence`);
  console.log(`confidence over the loaded chunks: min ${q(0)}, 1 % ${q(0.01)}, 10 % ${q(0.1)}, median ${q(0.5)}`);
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
  await server.close();
  await fs.rm(dataDir, {recursive: true, force: true});
}
