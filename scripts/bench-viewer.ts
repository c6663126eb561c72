// `npm run bench:viewer`: headless Chromium opens a volume in one xz panel, first with the raw layer only,
// then with the isotropic layer only, moves along y in steps, and reports per-chunk latency of the isotropic
// layer (read, interpolate, network, total: median and p95), chunks/s, time until the xz panel is fully
// rendered, peak JS heap of page and chunk worker, and tfjs tensor / device-buffer bytes held by the layer.
// Options: --data DIR (default: the bundled examples) --volume NAME --tfjs webgpu|wasm|… --budget-mb 512
//          --steps 6 --step 16 (voxels in y between steps) --json
import {parseArgs} from 'node:util';
import type {Page} from 'playwright-core';
import {startServer} from '../src/serve/server.ts';
import {EXAMPLE_VOLUME, viewState, viewUrl} from '../src/serve/example-view.ts';
import {launchChromium} from '../src/cli/chromium.ts';

const {values} = parseArgs({
  options: {
    data: {type: 'string'},
    volume: {type: 'string', default: EXAMPLE_VOLUME},
    tfjs: {type: 'string'},
    'budget-mb': {type: 'string'},
    steps: {type: 'string', default: '6'},
    step: {type: 'string', default: '16'},
    timeout: {type: 'string', default: '900'},
    json: {type: 'boolean', default: false},
  },
});

interface ChunkRecord {
  voxels: number;
  networkPixels: number;
  usedModel: boolean;
  queued: number;
  timings: {read: number; interpolate: number; infer: number; total: number};
}
interface LayerRecord {
  model: {state: string; version?: string; error?: string};
  backend?: {backend: string; notice?: string};
  chunks: ChunkRecord[];
  failures: string[];
  memory?: {tensorBytes: number; maxHeldTensorBytes: number; budget: number; deviceBytes?: number; inputCacheBytes: number; inputCacheBudget: number};
}

const timeoutMs = +values.timeout! * 1000;
const server = await startServer({port: 0, dataDir: values.data});
const browser = await launchChromium();
const query = new URLSearchParams();
if (values.tfjs) query.set('tfjs', values.tfjs);
if (values['budget-mb']) query.set('budget-mb', values['budget-mb']);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
const median = (v: number[]) => percentile(v, 0.5);

async function isoLayer(page: Page): Promise<LayerRecord | undefined> {
  return page.evaluate(() => (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0]);
}

/**
 * Fully rendered: every visible chunk loaded and, for the isotropic layer, by the network (the first
 * time: chunks shown while the model loads are interpolated, then recomputed; after that every chunk
 * requested goes through the network).
 */
async function waitRendered(page: Page, iso: boolean, first: boolean): Promise<void> {
  await page.waitForFunction(
    ({iso, first}) => {
      const layer = (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0];
      if (iso && (!layer || layer.model.state === 'loading')) return false;
      if (iso && first && layer!.model.state === 'ready' && !layer!.chunks.some((c) => c.usedModel)) return false;
      return window.viewer.isReady();
    },
    {iso, first},
    {timeout: timeoutMs, polling: 100},
  );
}

async function heapBytes(page: Page): Promise<{page: number; worker: number}> {
  const pageHeap = await page.evaluate(() => (performance as unknown as {memory?: {usedJSHeapSize: number}}).memory?.usedJSHeapSize ?? 0);
  let worker = 0;
  for (const w of page.workers()) {
    if (!w.url().includes('chunk_worker')) continue;
    worker = await w.evaluate(() => (performance as unknown as {memory?: {usedJSHeapSize: number}}).memory?.usedJSHeapSize ?? 0);
  }
  return {page: pageHeap, worker};
}

async function run(mode: 'raw' | 'isotropic') {
  const state = await viewState(server.origin, server.dataDir, values.volume!);
  const layers = (state.layers as {visible?: boolean}[]).map((l, i) => ({...l, visible: mode === 'raw' ? i === 0 : i === 1}));
  const position = state.position as number[];
  // Page settings go in the query, before the view state in the fragment.
  const url = viewUrl(server.origin, {...state, layers, layout: 'xz'}).replace('/#!', `/${query.size ? `?${query}` : ''}#!`);
  const context = await browser.newContext({viewport: {width: 1000, height: 900}});
  const page = await context.newPage();
  const iso = mode === 'isotropic';
  const t0 = performance.now();
  await page.goto(url);
  await waitRendered(page, iso, true);
  const firstRender = performance.now() - t0;
  const heap = await heapBytes(page);
  const peakHeap = {...heap};
  const stepTimes: number[] = [];
  const pathStart = performance.now();
  const steps = +values.steps!;
  for (let s = 1; s <= steps; s++) {
    const y = position[1] + (s - steps / 2) * +values.step!;
    const t = performance.now();
    await page.evaluate(([x, y, z]) => (window.viewer.navigationState.position.value = Float32Array.of(x, y, z)), [position[0], y, position[2]]);
    await waitRendered(page, iso, false);
    stepTimes.push(performance.now() - t);
    const h = await heapBytes(page);
    peakHeap.page = Math.max(peakHeap.page, h.page);
    peakHeap.worker = Math.max(peakHeap.worker, h.worker);
  }
  const pathTime = performance.now() - pathStart;
  const record = iso ? await isoLayer(page) : undefined;
  await context.close();
  return {mode, firstRender, stepTimes, pathTime, peakHeap, record};
}

const raw = await run('raw');
const isotropic = await run('isotropic');
await browser.close();
await server.close();

const chunks = (isotropic.record?.chunks ?? []).filter((c) => c.usedModel);
const pick = (f: (c: ChunkRecord) => number) => chunks.map(f);
// A chunk's bare network time for its own voxels: the network's time per pixel it processed × its output voxels.
const overhead = pick((c) => c.timings.total / ((c.timings.infer * c.voxels) / c.networkPixels));
const summary = {
  volume: values.volume,
  backend: isotropic.record?.backend,
  model: isotropic.record?.model,
  raw: {firstRenderMs: raw.firstRender, stepMedianMs: median(raw.stepTimes), peakHeap: raw.peakHeap},
  isotropic: {
    firstRenderMs: isotropic.firstRender,
    stepMedianMs: median(isotropic.stepTimes),
    networkChunks: chunks.length,
    chunksPerSecond: chunks.length / ((isotropic.firstRender + isotropic.pathTime) / 1000),
    voxelsPerSecond: chunks.reduce((s, c) => s + c.voxels, 0) / (chunks.reduce((s, c) => s + c.timings.total, 0) / 1000),
    latencyMs: Object.fromEntries(
      (['read', 'interpolate', 'infer', 'total'] as const).map((k) => [k, {median: median(pick((c) => c.timings[k])), p95: percentile(pick((c) => c.timings[k]), 0.95)}]),
    ),
    queuedMs: {median: median(pick((c) => c.queued)), p95: percentile(pick((c) => c.queued), 0.95)},
    totalOverBareNetwork: {median: median(overhead), p95: percentile(overhead, 0.95)},
    memory: isotropic.record?.memory,
    peakHeap: isotropic.peakHeap,
    failures: isotropic.record?.failures.length ?? 0,
  },
};

if (values.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  // performance.memory is not exposed in workers: 0 there means "not measured".
  const mb = (b?: number) => (!b ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MB`);
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const i = summary.isotropic;
  console.log(`viewer benchmark: ${values.volume}, one xz panel, ${values.steps} steps of ${values.step} voxels in y`);
  console.log(`network: ${summary.backend?.backend ?? '?'}${summary.backend?.notice ? ` (${summary.backend.notice})` : ''}, model ${summary.model?.version ?? summary.model?.state}`);
  console.log(`                     raw layer    isotropic layer`);
  console.log(`xz panel rendered    ${ms(summary.raw.firstRenderMs).padEnd(12)} ${ms(i.firstRenderMs)}`);
  console.log(`per step (median)    ${ms(summary.raw.stepMedianMs).padEnd(12)} ${ms(i.stepMedianMs)}`);
  console.log(`peak JS heap page    ${mb(summary.raw.peakHeap.page).padEnd(12)} ${mb(i.peakHeap.page)}`);
  console.log(`peak JS heap worker  ${mb(summary.raw.peakHeap.worker).padEnd(12)} ${mb(i.peakHeap.worker)}`);
  console.log(`isotropic chunks: ${i.networkChunks} by the network, ${i.chunksPerSecond.toFixed(2)} chunks/s, ${i.voxelsPerSecond.toExponential(2)} voxels/s while computing`);
  for (const [k, v] of Object.entries(i.latencyMs)) console.log(`  ${k.padEnd(12)} median ${ms(v.median).padEnd(9)} p95 ${ms(v.p95)}`);
  console.log(`  queued       median ${ms(i.queuedMs.median).padEnd(9)} p95 ${ms(i.queuedMs.p95)}`);
  console.log(`chunk total / bare network time for its voxels: median ${i.totalOverBareNetwork.median.toFixed(2)}×, p95 ${i.totalOverBareNetwork.p95.toFixed(2)}× (target ≤ 1.5×)`);
  const m = i.memory;
  console.log(
    `tfjs held by the layer between chunks: tensors ${mb(m?.tensorBytes)} (max ${mb(m?.maxHeldTensorBytes)}), device buffers ${mb(m?.deviceBytes)}; budget ${mb(m?.budget)}; input cache ${mb(m?.inputCacheBytes)} of ${mb(m?.inputCacheBudget)}`,
  );
  if (i.failures) console.log(`${i.failures} chunk(s) failed`);
}
