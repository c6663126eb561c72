// `npm run bench:panel`: trains from the viewer's training panel in headless Chromium, as a user would
// (key T, settings, Start), and reports the training speed the panel achieves (median seconds per step
// once the first one is done, steps/s, the panel's own rate), the backend and its threads, and how smooth the page stays meanwhile
// (animation-frame intervals on the main thread while training vs before). Optionally saves a screenshot
// of the panel during training (how the README's screenshots are made).
// Options: --data DIR (default: the bundled examples) --volume NAME --tfjs webgpu|wasm|… --preset default
//          --patch 64 --batch 8 --steps 4 (steps to time) --screenshot panel.png --timeout 1800 --json
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
    preset: {type: 'string', default: 'default'},
    patch: {type: 'string', default: '64'},
    batch: {type: 'string', default: '8'},
    steps: {type: 'string', default: '4'},
    screenshot: {type: 'string'},
    timeout: {type: 'string', default: '1800'},
    json: {type: 'boolean', default: false},
  },
});

const timeoutMs = +values.timeout! * 1000;
const timedSteps = +values.steps!;
const server = await startServer({port: 0, dataDir: values.data});
const browser = await launchChromium();

function percentile(v: number[], p: number): number {
  if (v.length === 0) return NaN;
  const sorted = [...v].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Main-thread animation-frame intervals (ms) over `ms` of wall time. */
async function frameIntervals(page: Page, ms: number): Promise<number[]> {
  // A string, not a function: tsx's name helpers do not exist in the page.
  return page.evaluate(`new Promise((resolve) => {
    const out = [];
    let last = performance.now();
    const end = last + ${ms};
    function tick(t) {
      out.push(t - last);
      last = t;
      if (t < end) requestAnimationFrame(tick);
      else resolve(out);
    }
    requestAnimationFrame(tick);
  })`);
}

async function setField(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, 'change');
}

try {
  const state = await viewState(server.origin, server.dataDir, values.volume!);
  // Training alone: the isotropic layer (which would compute chunks on the same machine) starts hidden.
  const layers = (state.layers as Record<string, unknown>[]).map((l, i) => (i === 1 ? {...l, visible: false} : l));
  const query = values.tfjs ? `?tfjs=${values.tfjs}` : '';
  const page = await browser.newPage({viewport: {width: 1400, height: 900}});
  await page.goto(viewUrl(server.origin, {...state, layers}).replace('/#!', `/${query}#!`));
  await page.waitForFunction(() => (window as unknown as {viewer: {isReady(): boolean}}).viewer.isReady(), undefined, {timeout: timeoutMs});
  const idle = await frameIntervals(page, 3000);

  await page.locator('.neuroglancer-rendered-data-panel').first().hover();
  await page.keyboard.press('t');
  // The panel's views have shadow roots: Playwright's selectors reach into them (document.querySelector does not).
  await page.locator('#ngi-rho').filter({hasNotText: '–'}).waitFor({timeout: 60_000});
  await page.selectOption('#ngi-preset', values.preset!);
  await setField(page, '#ngi-steps', '1000');
  await setField(page, '#ngi-patch', values.patch!);
  await setField(page, '#ngi-batch', values.batch!);
  await page.click('#ngi-start');

  // Time the steps as the panel shows them, once the frame intervals (measured while the first step
  // runs) are done: that measurement holds the polling up. A poll that finds several new steps
  // shares the time between them.
  const seenAt: {step: number; time: number}[] = [];
  let seen = 0;
  let busy: number[] | undefined;
  const deadline = Date.now() + timeoutMs;
  while (seenAt.length < timedSteps + 1) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seen} steps`);
    const error = await page.locator('#ngi-error-run, #ngi-error-start').first().textContent({timeout: 10}).catch(() => null);
    if (error) throw new Error(`training failed: ${error}`);
    const step = Number((await page.locator('#ngi-step').textContent().catch(() => '0')) ?? 0);
    if (step > seen) {
      seen = step;
      if (busy === undefined) busy = await frameIntervals(page, 5000);
      else seenAt.push({step, time: Date.now()});
    } else {
      await page.waitForTimeout(50);
    }
  }
  const training = busy ?? [];
  const perStep = seenAt.slice(1).map((s, i) => (s.time - seenAt[i].time) / 1000 / (s.step - seenAt[i].step));
  const panelRate = Number(await page.locator('#ngi-rate').textContent());
  const backend = await page.locator('[data-backend]').getAttribute('data-backend');
  // The panel names the wasm backend's threads; on a GPU there is no such figure.
  const threadsText = await page.locator('#ngi-threads').textContent({timeout: 100}).catch(() => null);
  const threads = threadsText ? Number(threadsText) : null;
  if (values.screenshot) {
    await page.waitForSelector('.ngi-previews', {timeout: timeoutMs});
    await page.screenshot({path: values.screenshot});
  }
  await page.click('#ngi-stop');
  const result = {
    backend,
    threads,
    preset: values.preset,
    patch: +values.patch!,
    batch: +values.batch!,
    secondsPerStep: {median: percentile(perStep, 0.5), all: perStep},
    stepsPerSecond: 1 / percentile(perStep, 0.5),
    panelStepsPerSecond: panelRate,
    frameMs: {
      idle: {median: percentile(idle, 0.5), p95: percentile(idle, 0.95), max: Math.max(...idle)},
      training: {median: percentile(training, 0.5), p95: percentile(training, 0.95), max: Math.max(...training)},
    },
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    const f = (v: number) => v.toFixed(1);
    console.log(`training panel, ${result.preset} preset, batch ${result.batch} × ${result.patch}², on ${backend}${threads ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ''}`);
    console.log(`  seconds per step: median ${result.secondsPerStep.median.toFixed(2)} (${perStep.map((s) => s.toFixed(2)).join(', ')})`);
    console.log(`  steps/s: ${result.stepsPerSecond.toFixed(3)} (panel shows ${panelRate})`);
    console.log(`  main-thread frame interval, ms: idle median ${f(result.frameMs.idle.median)} p95 ${f(result.frameMs.idle.p95)} max ${f(result.frameMs.idle.max)}; while training median ${f(result.frameMs.training.median)} p95 ${f(result.frameMs.training.p95)} max ${f(result.frameMs.training.max)}`);
    if (values.screenshot) console.log(`  screenshot: ${values.screenshot}`);
  }
} finally {
  await browser.close();
  await server.close();
}
