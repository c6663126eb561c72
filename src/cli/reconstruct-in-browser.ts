/**
 * `reconstruct --browser`: blocks computed in headless Chromium on WebGPU (a
 * real GPU where present) by the page src/cli/browser/reconstruct-page.ts;
 * Node still plans, skips finished chunks and writes.
 */
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.ts';
import {isRemoteLocation} from '../input/location.ts';
import type {OpenedInput} from '../input/open-input.ts';
import {artifactsToJson} from '../model/artifacts-json.ts';
import {voxelsFromBytes, type BlockComputer, type BlockSettings} from '../reconstruct/compute-block.ts';
import {withBrowserPage} from './browser/browser-page.ts';
import type {BrowserBlockResult, BrowserReconstructInit} from './browser/reconstruct-page.ts';

type PageGlobals = {
  ngReconstructInit(r: BrowserReconstructInit): Promise<{backend: string; notice?: string}>;
  ngReconstructBlock(b: unknown): Promise<BrowserBlockResult>;
  ngReconstructAbort(): void;
};

/** Calls `use` with a block computer that runs in a headless page, and the page's backend; `signal` aborts the block in flight. */
export async function withBrowserComputer<T>(
  opened: OpenedInput,
  artifacts: tf.io.ModelArtifacts,
  settings: BlockSettings,
  cacheBytes: number,
  signal: AbortSignal,
  use: (compute: BlockComputer, backend: string) => Promise<T>,
): Promise<T> {
  const {spec} = opened;
  const remote = isRemoteLocation(spec.location);
  return withBrowserPage('src/cli/browser/reconstruct-page.ts', remote ? process.cwd() : path.dirname(spec.location), async ({page, pageUrl, dataUrl}) => {
    const init: BrowserReconstructInit = {
      // The page reads local inputs over HTTP from the folder served beside it.
      input: {...spec, location: remote ? spec.location : `${dataUrl}${encodeURIComponent(path.basename(spec.location))}/`},
      wasmPaths: pageUrl,
      model: artifactsToJson(artifacts),
      cacheBytes,
      settings,
    };
    const {backend, notice} = await page.evaluate((req) => (globalThis as unknown as PageGlobals).ngReconstructInit(req), init).catch((e: Error) => {
      throw new UserError(`the browser page could not start: ${e.message}`);
    });
    if (notice) console.error(notice);
    const abortPage = () => void page.evaluate(() => (globalThis as unknown as PageGlobals).ngReconstructAbort()).catch(() => {});
    signal.addEventListener('abort', abortPage, {once: true});
    try {
      const compute: BlockComputer = async (box) => {
        const r = await page.evaluate((b) => (globalThis as unknown as PageGlobals).ngReconstructBlock(b), box);
        return {data: voxelsFromBytes(Buffer.from(r.data, 'base64'), settings.dtype), networkPixels: r.networkPixels, timings: r.timings};
      };
      return await use(compute, `${backend} (headless Chromium)`);
    } finally {
      signal.removeEventListener('abort', abortPage);
    }
  });
}
