// `npm run bench:viewer`: headless Chromium opens a volume in one xz panel, first with the raw layer only,
// then with the isotropic layer only, moves along y in steps, and reports per-chunk latency of the isotropic
// layer (read, interpolate, network, total: median and p95), chunks/s, time until the xz panel is fully
// rendered, peak JS heap of page and chunk worker, and tfjs tensor / device-buffer bytes held by the layer.
// Also, per step, the time from the jump to the first chunk in view whose first stage came from the network
// (prefetched chunks and refinements do not count), and steps of one plane. Heap samples are taken between
// the timed steps, never inside them.
// Options: --data DIR (default: the bundled examples) --volume NAME --tfjs webgpu|wasm|… --budget-mb 512
//          --steps 6 --step 16 (voxels in y between steps) --plane-steps 4 (steps of one voxel) --json
//          --fuse xz+yz (the isotropic layer also runs yz planes: chunks show xz first, then are refined)
//          --confidence (also runs the isotropic layer with show=confidence, the same steps: the time to first
//          network pixels with the confidence view on against off, and how long the confidence in view takes)
// With --json the last line is one JSON object: raw.{panelMs,stepMs,planeStepMs},
// isotropic.{firstNetworkMs,panelMs,stepMs,planeStepMs}, threads (medians, milliseconds) and the details;
// with --confidence also confidence.{firstNetworkMs,panelMs,stepMs,planeStepMs,confidenceMs}.
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
    'plane-steps': {type: 'string', default: '4'},
    timeout: {type: 'string', default: '900'},
    json: {type: 'boolean', default: false},
    fuse: {type: 'string', default: 'xz'},
    confidence: {type: 'boolean', default: false},
  },
});

/** A chunk report (layers/isotropic/base.ts ChunkReport & ChunkKind). */
interface ChunkRecord {
  voxels: number;
  networkPixels: number;
  usedModel: boolean;
  /** The second stage of a chunk (fuse=xz+yz), not what the chunk first showed. */
  refinement: boolean;
  /** In view when delivered (not prefetched). */
  visible: boolean;
  queued: number;
  timings: {read: number; interpolate: number; infer: number; total: number};
}
interface LayerRecord {
  model: {state: string; version?: string; error?: string};
  /** Visible chunks still showing their first stage (fuse=xz+yz). */
  refiningVisible: number;
  backend?: {backend: string; notice?: string; threads?: number};
  chunks: ChunkRecord[];
  failures: string[];
  memory?: {tensorBytes: number; maxHeldTensorBytes: number; budget: number; deviceBytes?: number; inputCacheBytes: number; inputCacheBudget: number};
  /** With show=confidence: the visible chunks' confidence (layers/isotropic/status.ts). */
  confidence?: {share?: number; pending: number; visible: {grid: number[]}[]};
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
 * requested goes through the network), and refined where it came in two stages.
 */
async function waitRendered(page: Page, iso: boolean, first: boolean): Promise<void> {
  await page.waitForFunction(
    ({iso, first}) => {
      const layer = (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0];
      if (iso && (!layer || layer.model.state === 'loading')) return false;
      if (iso && first && layer!.model.state === 'ready' && !layer!.chunks.some((c) => c.usedModel)) return false;
      // With fuse=xz+yz, fully rendered means every visible chunk refined to its fused voxels.
      if (iso && layer!.refiningVisible > 0) return false;
      return window.viewer.isReady();
    },
    {iso, first},
    {timeout: timeoutMs, polling: 100},
  );
}

/**
 * Chunks so far that showed network pixels in view as they arrived: in view when delivered, first stage
 * (not a refinement), computed by the network. Prefetched chunks and refinements are not what a jump shows first.
 */
function visibleNetworkChunks(page: Page): Promise<number> {
  return page.evaluate(() => {
    const layer = (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0];
    return layer?.chunks.filter((c) => c.usedModel && c.visible && !c.refinement).length ?? 0;
  });
}

/**
 * Milliseconds from `t` until a chunk in view shows network pixels beyond the
 * `before` there were, or undefined when the panel was fully rendered without one.
 */
async function firstVisibleNetworkChunk(page: Page, before: number, t: number, rendered: Promise<void>): Promise<number | undefined> {
  let done = false;
  void rendered.then(() => (done = true), () => (done = true));
  while (!done) {
    if ((await visibleNetworkChunks(page)) > before) return performance.now() - t;
    await new Promise((r) => setTimeout(r, 50));
  }
  return (await visibleNetworkChunks(page)) > before ? performance.now() - t : undefined;
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

/** The visible chunks whose confidence is in, as a key; undefined while any visible chunk waits for it. */
function confidenceInView(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const c = (window as unknown as {ngIsotropic?: {layers: LayerRecord[]}}).ngIsotropic?.layers[0]?.confidence;
    return c && c.pending === 0 && c.visible.length > 0 ? JSON.stringify(c.visible.map((v) => v.grid)) : undefined;
  });
}

/** Milliseconds from `t` until the chunks in view, other than `before`, all have their confidence. */
async function confidenceComplete(page: Page, before: string | undefined, t: number): Promise<number> {
  const deadline = t + timeoutMs;
  for (;;) {
    const now = await confidenceInView(page);
    if (now !== undefined && now !== before) return performance.now() - t;
    if (performance.now() > deadline) throw new Error('the confidence in view was not computed in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(mode: 'raw' | 'isotropic' | 'confidence') {
  const state = await viewState(server.origin, server.dataDir, values.volume!);
  const option = (source: string, o: string) => `${source}${source.includes('?') ? '&' : '?'}${o}`;
  const withFuse = (source: string) => (values.fuse === 'xz' ? source : option(source, `fuse=${values.fuse}`));
  const withShow = (source: string) => (mode === 'confidence' ? option(source, 'show=confidence') : source);
  const layers = (state.layers as {visible?: boolean; source: string}[]).map((l, i) => ({
    ...l,
    source: i === 1 ? withShow(withFuse(l.source)) : l.source,
    visible: mode === 'raw' ? i === 0 : i === 1,
  }));
  const position = state.position as number[];
  // Page settings go in the query, before the view state in the fragment.
  const url = viewUrl(server.origin, {...state, layers, layout: 'xz'}).replace('/#!', `/${query.size ? `?${query}` : ''}#!`);
  const context = await browser.newContext({viewport: {width: 1000, height: 900}});
  const page = await context.newPage();
  const iso = mode !== 'raw';
  const confidence = mode === 'confidence';
  const t0 = performance.now();
  await page.goto(url);
  await waitRendered(page, iso, true);
  const firstRender = performance.now() - t0;
  const heap = await heapBytes(page);
  const peakHeap = {...heap};
  const stepTimes: number[] = [];
  const planeStepTimes: number[] = [];
  const firstNetworkTimes: number[] = [];
  const confidenceTimes: number[] = [];
  const pathStart = performance.now();
  /** Time spent sampling the heap between steps: not part of the path. */
  let samplingTime = 0;
  const steps = +values.steps!;
  /** Jumps to y and waits for the full panel; returns its time, and records the first visible network chunk's. */
  const jump = async (y: number): Promise<number> => {
    const before = iso ? await visibleNetworkChunks(page) : 0;
    const confidenceBefore = confidence ? await confidenceInView(page) : undefined;
    const t = performance.now();
    await page.evaluate(([x, y, z]) => (window.viewer.navigationState.position.value = Float32Array.of(x, y, z)), [position[0], y, position[2]]);
    const rendered = waitRendered(page, iso, false);
    const first = iso ? await firstVisibleNetworkChunk(page, before, t, rendered) : undefined;
    await rendered;
    const elapsed = performance.now() - t;
    if (first !== undefined) firstNetworkTimes.push(first);
    // Not part of the step's time: the confidence comes after the image, and a step is done when the image is.
    if (confidence && first !== undefined) confidenceTimes.push(await confidenceComplete(page, confidenceBefore, t));
    // After the step's time is taken: sampling the heap evaluates in the page and the worker.
    const sampled = performance.now();
    const h = await heapBytes(page);
    peakHeap.page = Math.max(peakHeap.page, h.page);
    peakHeap.worker = Math.max(peakHeap.worker, h.worker);
    samplingTime += performance.now() - sampled;
    return elapsed;
  };
  let y = position[1];
  for (let s = 1; s <= steps; s++) {
    y = position[1] + (s - steps / 2) * +values.step!;
    stepTimes.push(await jump(y));
  }
  // Steps of one plane, as a scroll-wheel tick makes: most stay inside chunks already computed.
  for (let s = 1; s <= +values['plane-steps']!; s++) planeStepTimes.push(await jump(y + s));
  const pathTime = performance.now() - pathStart - samplingTime;
  const record = iso ? await isoLayer(page) : undefined;
  await context.close();
  return {mode, firstRender, stepTimes, planeStepTimes, firstNetworkTimes, confidenceTimes, pathTime, peakHeap, record};
}

const raw = await run('raw');
const isotropic = await run('isotropic');
const withConfidence = values.confidence ? await run('confidence') : undefined;
await browser.close();
await server.close();

const chunks = (isotropic.record?.chunks ?? []).filter((c) => c.usedModel);
const pick = (f: (c: ChunkRecord) => number) => chunks.map(f);
// A chunk's bare network time for its own voxels: the network's time per pixel it processed × its output voxels.
const overhead = pick((c) => c.timings.total / ((c.timings.infer * c.voxels) / c.networkPixels));
const summary = {
  volume: values.volume,
  backend: isotropic.record?.backend,
  /** CPU threads of the network's backend (wasm); null on a GPU. */
  threads: isotropic.record?.backend?.threads ?? null,
  model: isotropic.record?.model,
  raw: {panelMs: raw.firstRender, stepMs: median(raw.stepTimes), planeStepMs: median(raw.planeStepTimes), peakHeap: raw.peakHeap},
  isotropic: {
    panelMs: isotropic.firstRender,
    stepMs: median(isotropic.stepTimes),
    planeStepMs: median(isotropic.planeStepTimes),
    /** Median over the steps that needed the network, until the first chunk in view showed network pixels (null if none did). */
    firstNetworkMs: isotropic.firstNetworkTimes.length ? median(isotropic.firstNetworkTimes) : null,
    stepsNeedingNetwork: isotropic.firstNetworkTimes.length,
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
  /** The same steps with show=confidence (--confidence); null without. */
  confidence: withConfidence
    ? {
        panelMs: withConfidence.firstRender,
        stepMs: median(withConfidence.stepTimes),
        planeStepMs: median(withConfidence.planeStepTimes),
        firstNetworkMs: withConfidence.firstNetworkTimes.length ? median(withConfidence.firstNetworkTimes) : null,
        stepsNeedingNetwork: withConfidence.firstNetworkTimes.length,
        /** Median over those steps, from the jump until every chunk in view has its confidence. */
        confidenceMs: withConfidence.confidenceTimes.length ? median(withConfidence.confidenceTimes) : null,
        failures: withConfidence.record?.failures.length ?? 0,
      }
    : null,
};

if (values.json) {
  console.log(JSON.stringify(summary));
} else {
  // performance.memory is not exposed in workers: 0 there means "not measured".
  const mb = (b?: number) => (!b ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MB`);
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const i = summary.isotropic;
  console.log(`viewer benchmark: ${values.volume}, one xz panel, ${values.steps} steps of ${values.step} voxels in y, fuse=${values.fuse}`);
  const threads = summary.threads ? `, ${summary.threads} thread${summary.threads > 1 ? 's' : ''}` : '';
  console.log(`network: ${summary.backend?.backend ?? '?'}${threads}${summary.backend?.notice ? ` (${summary.backend.notice})` : ''}, model ${summary.model?.version ?? summary.model?.state}`);
  console.log(`                        raw layer    isotropic layer`);
  console.log(`xz panel rendered       ${ms(summary.raw.panelMs).padEnd(12)} ${ms(i.panelMs)}`);
  console.log(`${values.step}-plane step (median)  ${ms(summary.raw.stepMs).padEnd(12)} ${ms(i.stepMs)} (${(i.stepMs / summary.raw.stepMs).toFixed(1)}×)`);
  console.log(`1-plane step (median)   ${ms(summary.raw.planeStepMs).padEnd(12)} ${ms(i.planeStepMs)}`);
  console.log(`first network in view   ${''.padEnd(12)} ${i.firstNetworkMs === null ? 'n/a' : ms(i.firstNetworkMs)} after a jump (median of ${i.stepsNeedingNetwork} steps that needed the network)`);
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
  const c = summary.confidence;
  if (c) {
    const opt = (v: number | null) => (v === null ? 'n/a' : ms(v));
    console.log(`with the confidence view (show=confidence)   off          on`);
    console.log(`  first network in view after a jump         ${opt(i.firstNetworkMs).padEnd(12)} ${opt(c.firstNetworkMs)}`);
    console.log(`  ${values.step}-plane step (median)                   ${ms(i.stepMs).padEnd(12)} ${ms(c.stepMs)}`);
    console.log(`  1-plane step (median)                    ${ms(i.planeStepMs).padEnd(12)} ${ms(c.planeStepMs)}`);
    console.log(`  xz panel rendered                        ${ms(i.panelMs).padEnd(12)} ${ms(c.panelMs)}`);
    console.log(`  confidence in view after a jump          ${''.padEnd(12)} ${opt(c.confidenceMs)} (median of ${c.stepsNeedingNetwork} steps)`);
    if (c.failures) console.log(`  ${c.failures} chunk(s) failed with the confidence view`);
  }
}
